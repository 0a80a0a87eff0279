#pragma once
// Versioned binary checkpoint: caller-owned JSON metadata plus named float32 arrays.
//
// Layout (all integers little-endian):
//   magic      8 bytes  "GDCKPT01"
//   version    u32      1
//   meta_len   u64      then meta_len bytes of JSON text
//   n_arrays   u32      then per array:
//     name_len u32, name bytes, rank u32, dims i64[rank], count u64 (= product of dims),
//     values float32[count]
//   crc        u32      zlib crc32 of every byte before it
//
// Saving is atomic (write_file_atomic): a killed run never leaves a half-written checkpoint.
// Loading verifies everything and throws DataError naming the path on: missing file, wrong magic
// ("not a gpudigits checkpoint"), unsupported version, truncation (naming the field), CRC
// mismatch ("corrupt"), shape/count inconsistency, duplicate names, and lengths that could not
// fit in the file (checked before any allocation, so a corrupt header cannot request a huge
// buffer).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd {

struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;  // may be empty (a scalar: one value)
  std::vector<float> values;   // product(shape) values, row-major
};

struct Checkpoint {
  // Config, epoch, step, optimiser steps, RNG state, history, best metric ...: owned by the caller.
  nlohmann::json meta;
  std::vector<NamedArray> arrays;
  // Where the checkpoint was loaded from (set by load_checkpoint; used in error messages only).
  std::string source;

  bool has(const std::string& name) const;
  // Throws DataError naming the missing array (and the checkpoint's source when known).
  const NamedArray& get(const std::string& name) const;
};

// Throws Error (naming the path) when an array's values do not match its shape, a name is empty
// or repeated, the metadata cannot be serialised, or the file cannot be written.
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
Checkpoint load_checkpoint(const std::string& path);

// Format constants, exposed for tests that build malformed files.
inline constexpr char kCheckpointMagic[9] = "GDCKPT01";
inline constexpr uint32_t kCheckpointVersion = 1;

}  // namespace gd
