// Every program's answer to bad options (issue 19, defects 4 and 9): option-parsing errors exit
// with the documented status 2 (CLI11's own codes were 104, 105, 109, ...), and --threads above the
// bound is a clear error with status 2 instead of a stack overflow inside OpenMP.
#include <gtest/gtest.h>

#include <string>

#include "engine/core/cpu_threads.h"
#include "engine/core/error.h"
#include "tests/support/run_binary.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

const char* const kPrograms[] = {"gpu_train", "gpu_eval", "gpu_predict", "gpu_workflow", "gpu_tune"};

// Arguments that get each program past its required options, so --threads itself is what fails.
std::string required_args(const std::string& program) {
  if (program == "gpu_eval") return "--checkpoint /nonexistent/model.ckpt";
  if (program == "gpu_predict") return "--checkpoint /nonexistent/model.ckpt /nonexistent/digit.png";
  if (program == "gpu_tune") return "--storage /nonexistent/study.db --study s";
  return "--out /nonexistent/run";
}

TEST(CliExitCodes, ParseErrorsExitTwo) {
  for (const std::string p : kPrograms) {
    for (const std::string args : {"--no-such-flag", "--threads abc", "--threads 1 --threads"}) {
      const test::BinaryOutput o = test::run_binary(p, required_args(p) + " " + args);
      EXPECT_EQ(o.code, 2) << p << " " << args << "\n" << o.text;
      EXPECT_NE(o.text.find("--"), std::string::npos) << p << " " << args << "\n" << o.text;
    }
    EXPECT_EQ(test::run_binary(p, "--help").code, 0) << p;
  }
}

TEST(CliExitCodes, ThreadsAboveTheBoundAreRefused) {
  const std::string bound = std::to_string(max_cpu_threads());
  for (const std::string p : kPrograms) {
    for (const std::string& n : {std::string("100000"), std::to_string(max_cpu_threads() + 1), std::string("-1")}) {
      const test::BinaryOutput o = test::run_binary(p, required_args(p) + " --threads " + n);
      EXPECT_EQ(o.code, 2) << p << " --threads " << n << "\n" << o.text;
      EXPECT_NE(o.text.find("--threads must be 0 (all cores) to " + bound), std::string::npos) << p << "\n" << o.text;
      EXPECT_NE(o.text.find("got " + n), std::string::npos) << p << "\n" << o.text;
    }
  }
}

TEST(CliExitCodes, GpuTuneEvaluateBlamesItsOwnBadJson) {
  test::TempDir dir("exit-codes-tune");
  const std::string space = std::string(GD_SOURCE_DIR) + "/spaces/mlp.toml";
  const test::BinaryOutput made = test::run_binary(
      "gpu_tune", "--storage " + dir.file("s.db") + " --study s --space " + space + " --trials 0 --device cpu");
  ASSERT_EQ(made.code, 0) << made.text;
  const test::BinaryOutput o =
      test::run_binary("gpu_tune", "--storage " + dir.file("s.db") + " --study s --evaluate '{bad'");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("--evaluate is not a JSON object"), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find("--sampler-options"), std::string::npos) << o.text;
}

TEST(CpuThreads, BoundIsAtLeast64AndFourPerCore) {
  EXPECT_GE(max_cpu_threads(), 64);
  EXPECT_THROW(set_cpu_threads(max_cpu_threads() + 1), ConfigError);
  EXPECT_THROW(set_cpu_threads(-1), ConfigError);
  EXPECT_NO_THROW(set_cpu_threads(0));
}

}  // namespace
}  // namespace gd
