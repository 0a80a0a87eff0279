#pragma once
// Console progress: a live bar (redrawn in place) when stdout is a terminal, otherwise one line per
// epoch with train loss/accuracy, validation loss/accuracy, learning rate, seconds and samples/s.
#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/train/history.h"

namespace gd {

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void message(const std::string& line) = 0;
  // Called every few batches with the running train loss/accuracy of the epoch so far.
  virtual void batch(int epoch, int epochs, int64_t done, int64_t total, double loss, double acc) = 0;
  virtual void epoch_end(const EpochRecord& r, int epochs, bool best) = 0;
};

class ConsoleProgress final : public ProgressSink {
 public:
  // live: redraw a bar with '\r' (auto = isatty(stdout)); quiet: only messages.
  explicit ConsoleProgress(std::FILE* out, bool quiet = false);
  void message(const std::string& line) override;
  void batch(int epoch, int epochs, int64_t done, int64_t total, double loss, double acc) override;
  void epoch_end(const EpochRecord& r, int epochs, bool best) override;
  bool live() const { return live_; }

 private:
  void clear_bar();
  std::FILE* out_;
  bool live_, quiet_, bar_shown_ = false;
};

// Discards everything (tests, library use).
class SilentProgress final : public ProgressSink {
 public:
  void message(const std::string&) override {}
  void batch(int, int, int64_t, int64_t, double, double) override {}
  void epoch_end(const EpochRecord&, int, bool) override {}
};

}  // namespace gd
