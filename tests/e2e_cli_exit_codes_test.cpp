// Every program's answer to bad options (issue 19, defects 4 and 9): option-parsing errors exit
// with the documented status 2 (CLI11's own codes were 104, 105, 109, ...), and --threads above the
// bound is a clear error with status 2 instead of a stack overflow inside OpenMP.
#include <gtest/gtest.h>

#include <string>

#include "engine/core/cpu_threads.h"
#include "engine/core/error.h"
#include "tests/support/run_binary.h"

namespace gd {
namespace {

const char* const kPrograms[] = {"gpu_train", "gpu_eval", "gpu_predict", "gpu_workflow"};

// Arguments that get each program past its required options, so --threads itself is what fails.
std::string required_args(const std::string& program) {
  if (program == "gpu_eval") return "--checkpoint /nonexistent/model.ckpt";
  if (program == "gpu_predict") return "--checkpoint /nonexistent/model.ckpt /nonexistent/digit.png";
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

TEST(CpuThreads, BoundIsAtLeast64AndFourPerCore) {
  EXPECT_GE(max_cpu_threads(), 64);
  EXPECT_THROW(set_cpu_threads(max_cpu_threads() + 1), ConfigError);
  EXPECT_THROW(set_cpu_threads(-1), ConfigError);
  EXPECT_NO_THROW(set_cpu_threads(0));
}

}  // namespace
}  // namespace gd
