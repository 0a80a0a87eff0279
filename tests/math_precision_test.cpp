// The math precision setting without a GPU: parsing (unknown values named in the error), the
// TrainConfig field (validation, JSON round trip, the fp32 default for configurations saved before
// the field existed) and the CPU backend, which computes in FP32 only and refuses tf32/bf16 with a
// message pointing at --device cuda. The modes themselves are tested in cuda_precision_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/core/math_precision.h"
#include "engine/train/train_config.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

TEST(MathPrecision, ParsesEveryModeAndNamesItBack) {
  for (MathPrecision p : {MathPrecision::FP32, MathPrecision::TF32, MathPrecision::BF16})
    EXPECT_EQ(parse_math_precision(math_precision_name(p)), p) << math_precision_name(p);
  EXPECT_STREQ(math_precision_name(MathPrecision::FP32), "fp32");
  EXPECT_STREQ(math_precision_name(MathPrecision::TF32), "tf32");
  EXPECT_STREQ(math_precision_name(MathPrecision::BF16), "bf16");
}

TEST(MathPrecision, UnknownValuesAreNamedInTheError) {
  for (const std::string bad : {"fp16", "TF32", "", "bf16 ", "float"}) {
    EXPECT_TRUE(test::throws_with<ConfigError>([&] { parse_math_precision(bad); },
                                               {"'" + bad + "'", "fp32, tf32 or bf16"}))
        << "'" << bad << "'";
  }
}

TrainConfig valid_config() {
  TrainConfig c;
  apply_recipe(c, ExplicitFlags{});
  return c;
}

TEST(TrainConfigPrecision, DefaultsToFp32AndValidatesTheValue) {
  TrainConfig c = valid_config();
  EXPECT_EQ(c.precision, "fp32");
  EXPECT_NO_THROW(validate(c));
  for (const char* ok : {"tf32", "bf16"}) {
    c.precision = ok;
    EXPECT_NO_THROW(validate(c)) << ok;
  }
  c.precision = "fp64";
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { validate(c); }, {"--precision", "'fp64'"}));
}

TEST(TrainConfigPrecision, RoundTripsThroughJson) {
  TrainConfig c = valid_config();
  c.precision = "bf16";
  const nlohmann::json j = to_json(c);
  EXPECT_EQ(j.at("precision"), "bf16");
  EXPECT_EQ(train_config_from_json(j).precision, "bf16");
  c.precision = "tf32";
  EXPECT_EQ(train_config_from_json(to_json(c)).precision, "tf32");
}

TEST(TrainConfigPrecision, ConfigurationsSavedBeforeTheFieldReadAsFp32) {
  TrainConfig c = valid_config();
  c.precision = "tf32";
  nlohmann::json j = to_json(c);
  ASSERT_EQ(j.erase("precision"), 1u);
  EXPECT_EQ(train_config_from_json(j).precision, "fp32");
}

TEST(CpuBackendPrecision, AcceptsFp32AndRefusesTensorCoreModes) {
  CpuBackend be;
  EXPECT_EQ(be.math_precision(), MathPrecision::FP32);
  EXPECT_NO_THROW(be.set_math_precision(MathPrecision::FP32));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { be.set_math_precision(MathPrecision::TF32); },
                                             {"tf32", "needs --device cuda"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { be.set_math_precision(MathPrecision::BF16); },
                                             {"bf16", "needs --device cuda"}));
  EXPECT_EQ(be.math_precision(), MathPrecision::FP32) << "a refused mode must not stick";
}

}  // namespace
}  // namespace gd
