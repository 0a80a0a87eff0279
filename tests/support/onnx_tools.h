#pragma once
// The tools the ONNX export tests check exported models with, as setup.sh installs them: the ONNX
// checker (Debian's python3-onnx, tests/scripts/onnx_check.py) and ONNX Runtime (the npm package
// onnxruntime-node in .deps/npm, tests/scripts/onnx_runtime_run.js, run by Node). A missing tool is
// a test failure that says what to install, never a skip.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/shape.h"
#include "engine/data/dataset.h"
#include "engine/train/predict.h"

namespace gd::test {

// "" when Node, onnxruntime-node and python3-onnx are all usable; otherwise what is missing and
// how to install it.
std::string onnx_tools_missing();

// onnx_check.py (full check with strict shape inference) on the models: its JSON list, one object
// per model with "ok" and, when false, "error". Throws gd::Error when the script cannot run.
nlohmann::json check_onnx_models(const std::vector<std::string>& models);

struct RuntimeOutputs {
  std::vector<float> probabilities, logits;  // (n, classes) each
  nlohmann::json info;                       // the script's JSON line (names, runs, first dims)
};

// ONNX Runtime on `images` ((n,) + sample floats), `batch` images per run. Its files go to
// `work_dir`. Throws gd::Error with the script's output when it fails.
RuntimeOutputs run_onnx_runtime(const std::string& model, const std::vector<float>& images, const Shape& sample,
                                int64_t batch, const std::string& work_dir);

// The images of `d` as an exported model takes them: pixel / 255.
std::vector<float> unit_interval_pixels(const Dataset& d);

// How far ONNX Runtime's outputs are from the engine's predictions on the same images.
struct Agreement {
  double max_probability_difference = 0.0;  // max |p_runtime - p_engine| over all (image, class)
  int64_t label_mismatches = 0;             // images whose argmax (lowest index on ties) differs
};
Agreement compare(const Predictions& engine, const RuntimeOutputs& runtime);

}  // namespace gd::test
