// gpu_train --precision as a user runs it: documented in --help, unknown values and tf32/bf16 on
// the CPU refused with exit code 2 and a message saying why, and fp32 (the default) recorded in
// the run's config.json. The modes themselves run only on a GPU (cuda_precision_test.cpp).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/run_binary.h"
#include "tests/support/test_support.h"

namespace {

using gd::test::BinaryOutput;

BinaryOutput run_gpu_train(const std::string& args) {
  return gd::test::run_binary("gpu_train", args);
}

TEST(CliPrecision, HelpDocumentsTheFlagAndItsDefault) {
  const BinaryOutput o = run_gpu_train("--help");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("--precision"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("fp32 | tf32 | bf16"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("=fp32"), std::string::npos) << "default not shown\n" << o.text;
}

TEST(CliPrecision, TensorCoreModesOnTheCpuExitWithCode2) {
  for (const char* mode : {"tf32", "bf16"}) {
    const BinaryOutput o =
        run_gpu_train(std::string("--precision ") + mode + " --device cpu --epochs 1");
    EXPECT_EQ(o.code, 2) << mode << "\n" << o.text;
    EXPECT_NE(o.text.find(std::string("math precision ") + mode + " needs --device cuda"),
              std::string::npos)
        << o.text;
  }
}

TEST(CliPrecision, UnknownValueIsNamed) {
  const BinaryOutput o = run_gpu_train("--precision fp16 --device cpu --epochs 1");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("unknown math precision 'fp16'"), std::string::npos) << o.text;
}

TEST(CliPrecision, Fp32RunRecordsThePrecisionInItsConfig) {
  gd::test::TempDir dir("cli-precision");
  const BinaryOutput o = run_gpu_train("--precision fp32 --device cpu --epochs 1 --limit-train 300 "
                                       "--quiet --out " + dir.file("r"));
  ASSERT_EQ(o.code, 0) << o.text;
  std::ifstream f(dir.file("r") + "/config.json");
  ASSERT_TRUE(f.good()) << "no config.json";
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("precision"), "fp32");
}

}  // namespace
