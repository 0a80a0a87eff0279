// Ensembles: probabilities averaged element-wise against a hand-computed case, the argmax of the
// average (not a vote), and members that cannot be averaged rejected with both checkpoints named.
#include "engine/train/ensemble.h"

#include <gtest/gtest.h>

#include "engine/core/error.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

Predictions make(int classes, std::vector<float> probs, std::vector<int32_t> labels) {
  Predictions p;
  p.num_classes = classes;
  p.n = static_cast<int64_t>(labels.size());
  p.probs = std::move(probs);
  p.label = std::move(labels);
  return p;
}

TEST(Ensemble, AveragesProbabilitiesAndTakesTheArgmaxOfTheMean) {
  // Two samples, three classes. Sample 0: members 1 and 2 vote for class 0 with little confidence
  // and member 3 for class 2 with much; the mean (0.4, 0.1, 0.5) picks class 2, a vote would pick 0.
  const Predictions a = make(3, {0.5f, 0.2f, 0.3f, 0.1f, 0.8f, 0.1f}, {0, 1});
  const Predictions b = make(3, {0.5f, 0.1f, 0.4f, 0.2f, 0.2f, 0.6f}, {0, 2});
  const Predictions c = make(3, {0.2f, 0.0f, 0.8f, 0.3f, 0.5f, 0.2f}, {2, 1});
  const Predictions m = average_predictions({a, b, c});
  ASSERT_EQ(m.n, 2);
  ASSERT_EQ(m.num_classes, 3);
  const float want[6] = {0.4f, 0.1f, 0.5f, 0.2f, 0.5f, 0.3f};
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(m.probs[static_cast<size_t>(k)], want[k], 1e-7) << "element " << k;
  EXPECT_EQ(m.label[0], 2);
  EXPECT_EQ(m.label[1], 1);
}

TEST(Ensemble, OneMemberIsItselfAndTiesGoToTheLowestClass) {
  const Predictions a = make(2, {0.5f, 0.5f}, {0});
  const Predictions m = average_predictions({a});
  EXPECT_EQ(m.probs, a.probs);
  EXPECT_EQ(m.label[0], 0);
}

TEST(Ensemble, MembersOfDifferentSizesAreRejected) {
  const Predictions a = make(2, {0.5f, 0.5f}, {0});
  const Predictions b = make(2, {0.5f, 0.5f, 0.1f, 0.9f}, {0, 1});
  EXPECT_TRUE(test::throws_with<ShapeError>([&] { average_predictions({a, b}); }, {"member 1 has 2 samples", "member 0 1 of 2"}));
  EXPECT_THROW(average_predictions({}), ShapeError);
}

EnsembleMember member(const std::string& path, Shape input, int classes) {
  EnsembleMember m;
  m.path = path;
  m.info.input = input;
  m.info.num_classes = classes;
  for (int c = 0; c < classes; ++c) m.info.class_names.push_back(std::to_string(c));
  return m;
}

TEST(Ensemble, MembersMustShareInputClassesAndClassNames) {
  const EnsembleMember mnist = member("a/model.ckpt", Shape{1, 28, 28}, 10);
  EXPECT_NO_THROW(check_ensemble_members({mnist, mnist}));
  EnsembleMember other_norm = mnist;  // normalisation and spec may differ
  other_norm.info.mean = 0.5f;
  other_norm.info.spec = "fc10";
  EXPECT_NO_THROW(check_ensemble_members({mnist, other_norm}));

  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] { check_ensemble_members({mnist, member("u/model.ckpt", Shape{1, 16, 16}, 10)}); },
      {"a/model.ckpt", "u/model.ckpt", "(1,28,28)", "(1,16,16)"}));
  EXPECT_TRUE(test::throws_with<ConfigError>(
      [&] { check_ensemble_members({mnist, mnist, member("k/model.ckpt", Shape{1, 28, 28}, 5)}); },
      {"a/model.ckpt", "k/model.ckpt", "10 and 5"}));
  EnsembleMember renamed = member("f/model.ckpt", Shape{1, 28, 28}, 10);
  renamed.info.class_names[3] = "dress";
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_ensemble_members({mnist, renamed}); },
                                             {"f/model.ckpt", "class 3", "'3'", "'dress'"}));
  EXPECT_THROW(check_ensemble_members({}), ConfigError);
}

}  // namespace
}  // namespace gd
