// USPS text files: the ESL form ("label v1 ... v256") and the LIBSVM form ("label idx:val ..."),
// raw or gzip.
#include "engine/core/error.h"
#include "engine/data/usps.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = gd::fuzz::as_file(data, size);
  try {
    gd::read_usps_esl(path);
  } catch (const gd::Error&) {
  }
  try {
    gd::read_usps_libsvm(path);
  } catch (const gd::Error&) {
  }
  return 0;
}
