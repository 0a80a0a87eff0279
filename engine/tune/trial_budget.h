#pragma once
// How many new trials one gpu_tune invocation may still sample ("--trials N" means N new trials by
// this invocation, however many other invocations feed the same study). The count lives in an
// anonymous shared mapping, so the worker processes forked from one gpu_tune share it: a worker
// takes one unit before its sampler proposes, and gives it back when the job it got was something
// else (a queued retry, an enqueued trial, a promotion) or failed.
#include <cstdint>

namespace gd::tune {

class TrialBudget {
 public:
  explicit TrialBudget(int64_t n);  // Error when the mapping cannot be made
  ~TrialBudget();
  TrialBudget(const TrialBudget&) = delete;
  TrialBudget& operator=(const TrialBudget&) = delete;

  // Takes one unit; false (taking nothing) when none is left.
  bool take();
  void give_back(int64_t n);
  int64_t left() const;

 private:
  int64_t* count_ = nullptr;  // in the shared mapping
};

}  // namespace gd::tune
