#pragma once
// Child processes for multi-process tests (study storage, ASHA claims). A child runs `body` and
// leaves with _exit(status): it never returns into GoogleTest, and an exception in the child is
// printed to stderr and becomes exit status 99. Fork only while the parent holds no SQLite
// connection (a connection must not cross fork()).
//
//   StartGate gate;                               // every child waits at gate.wait() ...
//   pid_t a = fork_child([&] { gate.wait(); ...; return 0; });
//   gate.open();                                  // ... until the parent opens it
//   EXPECT_EQ(wait_child(a), 0);
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

namespace gd::test {

inline pid_t fork_child(const std::function<int()>& body) {
  std::fflush(nullptr);  // no buffered output duplicated into the child
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int status = 99;
    try {
      status = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %ld: %s\n", static_cast<long>(::getpid()), e.what());
    } catch (...) {
      std::fprintf(stderr, "child %ld: unknown exception\n", static_cast<long>(::getpid()));
    }
    std::fflush(nullptr);
    ::_exit(status);
  }
  return pid;
}

// Exit status of the child, or 128 + signal number when a signal ended it.
inline int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// A pipe every child blocks on until the parent closes its write end, so children start together.
class StartGate {
 public:
  StartGate() {
    if (::pipe(fds_) != 0) throw std::runtime_error("pipe failed");
  }
  ~StartGate() {
    close_fd(fds_[0]);
    close_fd(fds_[1]);
  }
  StartGate(const StartGate&) = delete;
  StartGate& operator=(const StartGate&) = delete;
  // In a child: blocks until the parent calls open().
  void wait() {
    close_fd(fds_[1]);
    char c;
    while (::read(fds_[0], &c, 1) < 0 && errno == EINTR) {
    }
  }
  // In the parent: releases every waiting child.
  void open() { close_fd(fds_[1]); }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

}  // namespace gd::test
