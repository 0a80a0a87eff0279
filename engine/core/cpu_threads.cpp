#include "engine/core/cpu_threads.h"

#include <omp.h>

#include <algorithm>
#include <thread>

#include "engine/core/error.h"

namespace gd {

int max_cpu_threads() { return std::max(64, 4 * static_cast<int>(std::thread::hardware_concurrency())); }

void set_cpu_threads(int n, const char* option) {
  const int most = max_cpu_threads();
  if (n < 0 || n > most)
    throw ConfigError(std::string(option) + " must be 0 (all cores) to " + std::to_string(most) +
                      " (the larger of 64 and 4 threads per core of this machine), got " + std::to_string(n));
  if (n > 0) omp_set_num_threads(n);
}

}  // namespace gd
