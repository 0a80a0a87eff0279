// Checkpoints (model.ckpt, checkpoint.ckpt), then the model description they carry. Seeds are
// real checkpoints whose CRC is valid; mutants mostly fail the CRC, which the fuzzer then learns
// to get past only rarely, so the structure checks before the CRC get most of the attention.
#include "engine/core/error.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_io.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const gd::Checkpoint ck = gd::load_checkpoint(gd::fuzz::as_file(data, size));
    gd::model_info_from_meta(ck.meta);
  } catch (const gd::Error&) {
  }
  return 0;
}
