#pragma once
// Caller-owned scratch memory for one op call, in backend memory: `bytes` is the real capacity of
// `data`. An op never touches more than `bytes`; it throws when its work cannot fit.
#include <cstddef>

namespace gd {

struct Workspace {
  void* data = nullptr;
  size_t bytes = 0;
};

}  // namespace gd
