// IDX image and label files, raw or gzip (a gzip member is detected by its magic bytes and
// inflated under the header's size cap).
#include "engine/core/error.h"
#include "engine/data/idx.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = gd::fuzz::as_file(data, size);
  try {
    gd::read_idx_images(path);
  } catch (const gd::Error&) {
  }
  try {
    gd::read_idx_labels(path);
  } catch (const gd::Error&) {
  }
  return 0;
}
