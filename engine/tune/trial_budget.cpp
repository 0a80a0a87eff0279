// A trial budget shared by forked worker processes; see trial_budget.h.
#include "engine/tune/trial_budget.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "engine/core/error.h"

namespace gd::tune {

TrialBudget::TrialBudget(int64_t n) {
  if (n < 0) throw ConfigError("a trial budget must be >= 0, got " + std::to_string(n));
  void* p = ::mmap(nullptr, sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw Error(std::string("cannot map the shared trial budget: ") + std::strerror(errno));
  count_ = static_cast<int64_t*>(p);
  __atomic_store_n(count_, n, __ATOMIC_SEQ_CST);
}

TrialBudget::~TrialBudget() {
  if (count_) ::munmap(count_, sizeof(int64_t));
}

bool TrialBudget::take() {
  int64_t cur = __atomic_load_n(count_, __ATOMIC_SEQ_CST);
  while (cur > 0) {
    if (__atomic_compare_exchange_n(count_, &cur, cur - 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return true;
  }
  return false;
}

void TrialBudget::give_back(int64_t n) {
  if (n > 0) __atomic_add_fetch(count_, n, __ATOMIC_SEQ_CST);
}

int64_t TrialBudget::left() const { return __atomic_load_n(count_, __ATOMIC_SEQ_CST); }

}  // namespace gd::tune
