#pragma once
// Runs one of the built programs (GD_BINARY_DIR/<name>) through the shell, as a user would, and
// returns its exit code with stdout and stderr together. Used by the e2e tests of every app, and
// (run_shell) for the other programs the tests start.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace gd::test {

struct BinaryOutput {
  int code = -1;     // exit status; -1 when it did not exit normally (or could not start)
  std::string text;  // stdout and stderr together
};

// Runs a shell command line, capturing its stdout and stderr together.
inline BinaryOutput run_shell(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  BinaryOutput out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.text.append(buf.data(), n);
  const int status = pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

inline BinaryOutput run_binary(const std::string& name, const std::string& args) {
  return run_shell(std::string(GD_BINARY_DIR) + "/" + name + " " + args);
}

}  // namespace gd::test
