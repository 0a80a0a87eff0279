#pragma once
// How much compute the workflow spends: `gpu_workflow --budget quick|standard|full`.
//
// One training protocol runs through the whole workflow (the tuner's, trial_config.h: the arch's
// recipe optimiser and schedule, here SGD with Nesterov momentum and a cosine schedule): every
// model of the overfitting, regularisation and tuning steps and the final model train for the same
// `epochs`, so their validation numbers compare like with like. The baseline model is a softmax
// regression and gets its own (shorter) `baseline_epochs`.
//
//   budget    baseline  epochs  mlp widths (2 hidden layers)  cnn base channels  trials  tuned width
//   quick     3         10      32, 128, 512                  4, 8, 16           4       w/2 .. 2w
//   standard  5         15      64, 256, 1024                 8, 16, 32          6       w/2 .. w
//   full      10        30      64, 256, 1024, 2048           8, 16, 32, 64      20      w/2 .. 2w
//
// quick takes seconds on mnist-10k (tests); standard with the mlp family takes about 10-15 minutes
// on full MNIST on a 2-core CPU (docs/workflow.md has a measured run); full is for a GPU or a long
// night. `trials` counts the study's trials including the first, which is the regularised model
// itself.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gd::workflow {

struct WorkflowBudget {
  std::string name;
  int baseline_epochs = 0;
  int epochs = 0;
  std::vector<int64_t> mlp_widths;    // units of each of the 2 hidden layers, increasing
  std::vector<int64_t> cnn_channels;  // base channels c of conv c, conv 2c, fc 8c, increasing
  int trials = 0;
  double tune_width_up = 1.0;  // the tuner explores widths in [w/2, w * tune_width_up]
};

std::vector<std::string> budget_names();  // quick, standard, full
// ConfigError naming the value and the accepted names for anything else.
WorkflowBudget budget_named(const std::string& name);

nlohmann::json to_json(const WorkflowBudget& b);

}  // namespace gd::workflow
