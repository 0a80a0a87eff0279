// The models gpu_workflow trains, as the tuner's parameter points: each family's capacities and
// regularisers become the spec strings and optimiser settings they should, through the tuner's own
// trial_train_config; the tuning space parses, brackets the regularised model and holds it as a
// valid first trial.
#include <gtest/gtest.h>

#include "engine/core/error.h"
#include "engine/tune/search_space.h"
#include "engine/tune/trial_config.h"
#include "engine/workflow/model_family.h"
#include "engine/workflow/tuning_space.h"
#include "tests/support/expect_error.h"

namespace gd::workflow {
namespace {

TrainConfig config_of(const ModelPoint& p) {
  tune::ObjectiveConfig o;
  o.arch = p.arch;
  return tune::trial_train_config(o, p.params, "unused");
}

TEST(WorkflowModels, MlpPointsBecomeTheExpectedSpecsAndOptimiserSettings) {
  const ModelFamily mlp(ArchFamily::Mlp);
  const Capacity c = mlp.capacity(64);
  EXPECT_EQ(c.label, "2 x 64");
  const TrainConfig plain = config_of(mlp.point(c, Regularisation{}, 0.05, 7));
  EXPECT_EQ(plain.spec, "fc64,relu,dropout0,fc64,relu,dropout0,fc10");
  EXPECT_EQ(plain.epochs, 7);
  EXPECT_EQ(plain.optim.weight_decay, 0.0);
  EXPECT_EQ(plain.optim.lr, 0.05);
  EXPECT_FALSE(plain.augment);

  Regularisation r;
  r.dropout = 0.3;
  r.weight_decay = 5e-4;
  r.batchnorm = true;
  r.augment = true;
  const TrainConfig reg = config_of(mlp.point(c, r, 0.02, 3));
  EXPECT_EQ(reg.spec, "fc64,bn,relu,dropout0.3,fc64,bn,relu,dropout0.3,fc10");
  EXPECT_EQ(reg.optim.weight_decay, 5e-4);
  EXPECT_EQ(reg.optim.lr, 0.02);
  EXPECT_TRUE(reg.augment);
  EXPECT_EQ(reg.dropout, 0.3);

  const TrainConfig base = config_of(softmax_regression(0.05, 2));
  EXPECT_EQ(base.spec, "fc10");
  EXPECT_EQ(base.epochs, 2);
}

TEST(WorkflowModels, CnnPointsFillTheTemplateAndItsBatchNormVariant) {
  const ModelFamily cnn(ArchFamily::Cnn);
  const Capacity c = cnn.capacity(8);
  EXPECT_EQ(c.label, "c=8 (8-16-64)");
  EXPECT_EQ(cnn.width_param(), "fc");
  EXPECT_EQ(cnn.width_value(c), 64);
  Regularisation r;
  r.dropout = 0.5;
  EXPECT_EQ(config_of(cnn.point(c, r, 0.05, 2)).spec,
            "conv8k3p1,relu,pool2,conv16k3p1,relu,pool2,fc64,relu,dropout,fc10");
  r.batchnorm = true;
  const TrainConfig bn = config_of(cnn.point(c, r, 0.05, 2));
  EXPECT_EQ(bn.spec, "conv8k3p1,bn,relu,pool2,conv16k3p1,bn,relu,pool2,fc64,bn,relu,dropout,fc10");
  EXPECT_EQ(bn.dropout, 0.5);  // the bare "dropout" token takes this
}

TEST(WorkflowModels, SingleRegularisersSwitchOneThingEach) {
  for (ArchFamily f : {ArchFamily::Mlp, ArchFamily::Cnn}) {
    const auto singles = ModelFamily(f).single_regularisers();
    ASSERT_EQ(singles.size(), 4u);
    for (const auto& [name, r] : singles) {
      const int on = (r.dropout > 0) + (r.weight_decay > 0) + r.batchnorm + r.augment;
      EXPECT_EQ(on, 1) << name;
    }
    EXPECT_EQ(singles[0].first, "dropout");
    EXPECT_EQ(singles[3].first, "augmentation");
  }
  EXPECT_GT(recipe_lr(ArchFamily::Mlp), 0.0);
}

TEST(WorkflowModels, RecipeLearningRateIsWhatTheTunerUsesWithoutAnLr) {
  // A trial without "lr" trains with the recipe's rate: the workflow's models use that same rate.
  tune::ObjectiveConfig o;
  o.arch = "mlp";
  EXPECT_EQ(tune::trial_train_config(o, {{"layers", 1}}, "x").optim.lr, recipe_lr(ArchFamily::Mlp));
  o.arch = ModelFamily(ArchFamily::Cnn).arch(false);
  EXPECT_EQ(tune::trial_train_config(o, {{"c1", 4}, {"c2", 8}, {"fc", 16}}, "x").optim.lr, recipe_lr(ArchFamily::Cnn));
}

TEST(WorkflowTuningSpace, BracketsTheRegularisedModelWhichIsAValidFirstTrial) {
  const ModelFamily mlp(ArchFamily::Mlp);
  const Capacity c = mlp.capacity(1024);
  Regularisation r;
  r.dropout = 0.3;
  r.augment = true;
  const tune::SearchSpace space =
      tune::SearchSpace::from_toml_string(tuning_space_toml(mlp, c, r, 0.05, 1.0), "workflow space");
  const tune::ParamSpec& lr = space.param("lr");
  EXPECT_DOUBLE_EQ(lr.low, 0.0125);
  EXPECT_DOUBLE_EQ(lr.high, 0.2);
  EXPECT_TRUE(lr.log);
  const tune::ParamSpec& width = space.param("neurons");
  EXPECT_EQ(width.low, 512);
  EXPECT_EQ(width.high, 1024);
  EXPECT_EQ(space.param("dropout").low, 0.0);
  EXPECT_EQ(space.param("batchnorm").value, false);
  EXPECT_EQ(space.param("augment").value, true);
  EXPECT_EQ(space.param("layers").value, 2);
  EXPECT_EQ(space.dims(), 4);  // lr, dropout, weight decay, width

  std::string note;
  const nlohmann::json seed = seed_trial_params(space, mlp, c, r, 0.05, &note);
  EXPECT_EQ(space.check_params(seed), "");
  EXPECT_EQ(seed["neurons"], 1024);
  EXPECT_EQ(seed["dropout"], 0.3);
  EXPECT_EQ(seed["weight_decay"], kTuneWeightDecayLow);  // no weight decay -> the range's lower end
  EXPECT_NE(note.find("1e-6"), std::string::npos) << note;
  // The seed trial trains the regularised model itself (up to that weight decay).
  tune::ObjectiveConfig o;
  o.arch = mlp.arch(r.batchnorm);
  EXPECT_EQ(tune::trial_train_config(o, seed, "x").spec, config_of(mlp.point(c, r, 0.05, 1)).spec);

  r.weight_decay = 5e-4;
  std::string none;
  EXPECT_EQ(seed_trial_params(space, mlp, c, r, 0.05, &none)["weight_decay"], 5e-4);
  EXPECT_EQ(none, "");
}

TEST(WorkflowTuningSpace, CnnSpaceFixesTheConvolutionsAndTunesTheDenseWidth) {
  const ModelFamily cnn(ArchFamily::Cnn);
  const Capacity c = cnn.capacity(16);
  const tune::SearchSpace space =
      tune::SearchSpace::from_toml_string(tuning_space_toml(cnn, c, Regularisation{}, 0.05, 2.0), "cnn space");
  EXPECT_EQ(space.param("c1").value, 16);
  EXPECT_EQ(space.param("c2").value, 32);
  EXPECT_EQ(space.param("fc").low, 64);
  EXPECT_EQ(space.param("fc").high, 256);
  tune::ObjectiveConfig o;
  o.arch = cnn.arch(false);
  std::vector<std::string> names;
  for (const auto& p : space.params()) names.push_back(p.name);
  EXPECT_NO_THROW(tune::check_param_names(o, names));
  const nlohmann::json seed = seed_trial_params(space, cnn, c, Regularisation{}, 0.05);
  EXPECT_EQ(tune::trial_train_config(o, seed, "x").spec,
            "conv16k3p1,relu,pool2,conv32k3p1,relu,pool2,fc128,relu,dropout,fc10");
}

TEST(WorkflowTuningSpace, RejectsUnusableCentres) {
  const ModelFamily mlp(ArchFamily::Mlp);
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] { tuning_space_toml(mlp, mlp.capacity(64), Regularisation{}, 0.0, 1.0); }, {"learning rate", "0"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] { tuning_space_toml(mlp, mlp.capacity(64), Regularisation{}, 0.05, 0.5); }, {"width factor", "0.5"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { mlp.capacity(0); }, {"width", "0"}));
}

}  // namespace
}  // namespace gd::workflow
