// Random search (engine/tune/random_sampler.h): determinism, the distributions it draws from
// (log-uniform, uniform over int levels and choices) and conditional parameters.
#include "engine/tune/random_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace gd::tune {
namespace {

SearchSpace space() {
  return SearchSpace::from_toml_string(R"(
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "rmsprop", "adamw"]
[params.lr]
type = "float"
low = 1e-4
high = 1.0
log = true
[params.momentum]
type = "float"
low = 0.0
high = 0.99
when = { optimizer = ["sgd", "rmsprop"] }
[params.layers]
type = "int"
low = 1
high = 3
[params.batch]
type = "int"
low = 16
high = 256
log = true
[params]
epochs = 4
)",
                                       "random");
}

const std::vector<Trial> kNoHistory;

TEST(RandomSampler, DeterministicForSeedAndTrialNumber) {
  const SearchSpace s = space();
  RandomSampler a, b;
  EXPECT_EQ(a.sample(s, kNoHistory, Direction::Maximize, 42, 3), b.sample(s, kNoHistory, Direction::Maximize, 42, 3));
  EXPECT_NE(a.sample(s, kNoHistory, Direction::Maximize, 42, 3), a.sample(s, kNoHistory, Direction::Maximize, 42, 4));
  EXPECT_NE(a.sample(s, kNoHistory, Direction::Maximize, 42, 3), a.sample(s, kNoHistory, Direction::Maximize, 43, 3));
  EXPECT_EQ(a.last_proposer(), "random");
}

TEST(RandomSampler, DrawsFromTheSpaceDistributions) {
  const SearchSpace s = space();
  RandomSampler r;
  constexpr int kN = 4000;
  int lr_below_1e2 = 0, batch_below_64 = 0, with_momentum = 0;
  std::map<int, int> layers;
  std::map<std::string, int> optimizers;
  for (int i = 0; i < kN; ++i) {
    const nlohmann::json p = r.sample(s, kNoHistory, Direction::Minimize, 7, i);
    ASSERT_EQ(s.check_params(p), "") << p.dump();
    lr_below_1e2 += p["lr"].get<double>() < 1e-2;
    batch_below_64 += p["batch"].get<int>() < 64;
    ++layers[p["layers"].get<int>()];
    const std::string opt = p["optimizer"];
    ++optimizers[opt];
    const bool wants_momentum = opt == "sgd" || opt == "rmsprop";
    ASSERT_EQ(p.contains("momentum"), wants_momentum) << p.dump();
    with_momentum += wants_momentum;
    ASSERT_EQ(p["epochs"], 4);
  }
  // Binomial standard deviations at kN = 4000 are <= 0.008 for a fraction and <= 30 for a count
  // of ~1000: the tolerances are about 5 of them.
  // Log-uniform on [1e-4, 1]: half of the mass below the geometric middle 1e-2.
  EXPECT_NEAR(lr_below_1e2 / double(kN), 0.5, 0.04);
  // Log-uniform ints on [16, 256]: P(x < 64) = bins 16..63 of [15.5, 256.5] in log space.
  EXPECT_NEAR(batch_below_64 / double(kN), std::log(63.5 / 15.5) / std::log(256.5 / 15.5), 0.04);
  for (int l = 1; l <= 3; ++l) EXPECT_NEAR(layers[l], kN / 3.0, 150) << l;
  for (const auto& [name, count] : optimizers) EXPECT_NEAR(count, kN / 4.0, 150) << name;
  EXPECT_EQ(optimizers.size(), 4u);
  EXPECT_NEAR(with_momentum / double(kN), 0.5, 0.04);
}

}  // namespace
}  // namespace gd::tune
