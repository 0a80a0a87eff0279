// Trial parameters -> TrainConfig (the tuner's vocabulary, spec building, validation) and the
// trial runner's outcomes: complete, stopped by the epoch callback, failed with a reason.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/tune/objective.h"
#include "engine/tune/trial_config.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

namespace gd::tune {
namespace {

ObjectiveConfig mlp_objective() {
  ObjectiveConfig c;
  c.arch = "mlp";
  c.max_epochs = 2;
  c.data.dataset = "mnist-10k";
  c.data.allow_download = false;
  c.limit_train = 1000;
  return c;
}

TEST(TrialConfig, MlpStructureAndTrainingParametersMapToTheConfig) {
  const nlohmann::json p = {{"layers", 3},   {"width1", 64},       {"width2", 32}, {"width3", 16},
                            {"dropout", 0.1}, {"optimizer", "adam"}, {"batch_size", 96},
                            {"weight_decay", 0.001}, {"activation", "tanh"}};
  const TrainConfig t = trial_train_config(mlp_objective(), p, "out");
  EXPECT_EQ(t.spec, "fc64,tanh,dropout0.1,fc32,tanh,dropout0.1,fc16,tanh,dropout0.1,fc10");
  EXPECT_EQ(t.optim.name, "adam");
  EXPECT_DOUBLE_EQ(t.optim.lr, 1e-3) << "adam without a sampled lr gets adam's usual rate";
  EXPECT_FALSE(t.optim.nesterov);
  EXPECT_EQ(t.batch_size, 96);
  EXPECT_DOUBLE_EQ(t.optim.weight_decay, 0.001);
  EXPECT_EQ(t.epochs, 2) << "the study's epoch cap";
  EXPECT_EQ(t.limit_train, 1000);
  EXPECT_EQ(t.monitor, "val_accuracy");
}

TEST(TrialConfig, NeuronsGivesEveryLayerOneWidthAndDefaultsFollowTheRecipe) {
  const TrainConfig t = trial_train_config(mlp_objective(), {{"layers", 2}, {"neurons", 100}}, "out");
  EXPECT_EQ(t.spec, "fc100,relu,dropout0.2,fc100,relu,dropout0.2,fc10");  // recipe dropout 0.2
  EXPECT_EQ(t.optim.name, "sgd");
  EXPECT_TRUE(t.optim.nesterov);
  // Nesterov requested but momentum 0: turned off instead of failing the trial.
  const TrainConfig u = trial_train_config(mlp_objective(), {{"momentum", 0.0}, {"nesterov", "true"}}, "o");
  EXPECT_FALSE(u.optim.nesterov);
}

TEST(TrialConfig, SpecTemplatesSubstituteParameters) {
  ObjectiveConfig c = mlp_objective();
  c.arch = "conv{c1}k3,relu,pool2,fc{dense},relu,dropout,fc10";
  check_param_names(c, {"c1", "dense", "lr"});
  const TrainConfig t = trial_train_config(c, {{"c1", 8}, {"dense", 32.0}, {"dropout", 0.3}}, "o");
  EXPECT_EQ(t.spec, "conv8k3,relu,pool2,fc32,relu,dropout,fc10");  // bare dropout: uses t.dropout
  EXPECT_DOUBLE_EQ(t.dropout, 0.3);
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_param_names(c, {"c1"}); }, {"{dense}"}));
}

TEST(TrialConfig, BadNamesAndValuesAreConfigErrors) {
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_param_names(mlp_objective(), {"lr", "learning_rate"}); }, {"learning_rate"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { trial_train_config(mlp_objective(), {{"layers", 2.5}}, "o"); }, {"layers"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { trial_train_config(mlp_objective(), {{"dropout", 1.5}}, "o"); }, {"dropout"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { trial_train_config(mlp_objective(), {{"lr", "fast"}}, "o"); }, {"lr"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { metric_direction("test_accuracy"); }, {"test_accuracy"}));
  ObjectiveConfig c = mlp_objective();
  c.val_split = 0.0;
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { validate(c); }, {"validation"}));
  const ObjectiveConfig back = objective_from_json(to_json(mlp_objective()));
  EXPECT_EQ(to_json(back), to_json(mlp_objective()));
}

TEST(TrialConfig, PrecisionIsStoredWithTheObjectiveAndReachesEveryTrial) {
  ObjectiveConfig c = mlp_objective();
  EXPECT_EQ(trial_train_config(c, nlohmann::json::object(), "o").precision, "fp32");
  c.precision = "tf32";
  EXPECT_EQ(trial_train_config(c, nlohmann::json::object(), "o").precision, "tf32");
  EXPECT_EQ(objective_from_json(to_json(c)).precision, "tf32");
  nlohmann::json old = to_json(mlp_objective());
  old.erase("precision");  // a study made before the option existed
  EXPECT_EQ(objective_from_json(old).precision, "fp32");
  c.precision = "fp8";
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { validate(c); }, {"precision", "fp8"}));
}

// A stored objective read back with numbers its fields cannot hold is a DataError naming the key, not
// an undefined conversion (issue 19: a fuzzed study export with "seed": 1e38).
TEST(TrialConfig, OutOfRangeIntegersInAStoredObjectiveAreRefused) {
  const nlohmann::json good = to_json(mlp_objective());
  const std::pair<const char*, nlohmann::json> bad[] = {
      {"seed", 1e38}, {"seed", -1}, {"seed", 2.5}, {"max_epochs", 1e12}, {"max_epochs", "10"},
      {"threads", int64_t{1} << 40}, {"limit_train", 1e300}};
  for (const auto& [key, value] : bad) {
    nlohmann::json j = good;
    j[key] = value;
    EXPECT_TRUE(test::throws_with<DataError>([&] { objective_from_json(j); }, {std::string("'") + key + "'"}))
        << key << " = " << value.dump();
  }
  nlohmann::json big_seed = good;
  big_seed["seed"] = uint64_t{18446744073709551615u};
  EXPECT_EQ(objective_from_json(big_seed).seed, uint64_t{18446744073709551615u}) << "every uint64 seed is valid";
  nlohmann::json signed_seed = good;
  signed_seed["seed"] = int64_t{42};  // stored as a signed JSON integer
  EXPECT_EQ(objective_from_json(signed_seed).seed, 42u);
}

TEST(TrialRunner, CompletesStopsAndFailsWithReasons) {
  test::TempDir dir("trial-runner");
  CpuBackend be;
  TrialRunner runner(mlp_objective(), be);
  std::vector<std::pair<int, double>> seen;
  const nlohmann::json p = {{"layers", 1}, {"neurons", 64}};
  const TrialOutcome full = runner.run(p, dir.file("a"), [&](int e, double v) {
    seen.emplace_back(e, v);
    return true;
  });
  ASSERT_EQ(full.end, TrialOutcome::End::Complete) << full.fail_reason;
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(full.epochs_run, 2);
  EXPECT_DOUBLE_EQ(*full.value, seen.back().second);
  EXPECT_GT(*full.value, 0.5) << "val accuracy of a 64-unit mlp on 1000 digits after 2 epochs";
  EXPECT_FALSE(std::filesystem::exists(dir.file("a") + "/model.ckpt"));

  const TrialOutcome paused = runner.run(p, dir.file("b"), [](int, double) { return false; });
  EXPECT_EQ(paused.end, TrialOutcome::End::Stopped);
  EXPECT_EQ(paused.epochs_run, 1);
  EXPECT_DOUBLE_EQ(*paused.value, seen.front().second) << "same seed, same first epoch";
  // Resuming the paused trial finishes it with the same result as the uninterrupted run.
  const TrialOutcome resumed = runner.run(p, dir.file("b"), nullptr, paused.checkpoint);
  EXPECT_EQ(resumed.end, TrialOutcome::End::Complete);
  EXPECT_DOUBLE_EQ(*resumed.value, *full.value);

  const TrialOutcome diverged = runner.run({{"lr", 1e9}, {"momentum", 0.0}}, dir.file("c"), nullptr);
  EXPECT_EQ(diverged.end, TrialOutcome::End::Failed);
  EXPECT_NE(diverged.fail_reason.find("diverged"), std::string::npos) << diverged.fail_reason;

  const TrialOutcome bad = runner.run({{"layers", 99}}, dir.file("d"), nullptr);
  EXPECT_EQ(bad.end, TrialOutcome::End::Failed);
  EXPECT_NE(bad.fail_reason.find("layers"), std::string::npos) << bad.fail_reason;
}

}  // namespace
}  // namespace gd::tune
