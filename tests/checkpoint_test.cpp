#include "engine/train/checkpoint.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"
#include "tests/support/test_support.h"

// ---- allocation probe -----------------------------------------------------------------------------
// The global operator new is replaced in this test binary so a test can assert that loading a
// corrupt file never asks for an absurd buffer (a corrupt length must be rejected before allocating).
namespace {
std::atomic<bool> g_probe_on{false};
std::atomic<size_t> g_largest_alloc{0};
void note_alloc(size_t n) {
  if (!g_probe_on.load(std::memory_order_relaxed)) return;
  size_t prev = g_largest_alloc.load(std::memory_order_relaxed);
  while (n > prev && !g_largest_alloc.compare_exchange_weak(prev, n)) {
  }
}
}  // namespace

// GCC's -Wmismatched-new-delete cannot see that these replacements pair malloc with free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  note_alloc(n);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace gd {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

// Runs load_checkpoint(path) expecting DataError; returns its message ("" when nothing was thrown).
std::string load_error(const std::string& path) {
  try {
    load_checkpoint(path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
}

Checkpoint sample() {
  Checkpoint c;
  c.meta = {{"epoch", 7}, {"step", 12345}, {"config", {{"arch", "conv(32,5),pool(2),dense(10)"}, {"lr", 0.01}}},
            {"rng", "0123456789abcdef"}, {"best", 0.9912}};
  const auto r = test::random_vector(5 * 3 * 3 * 1, 11);
  c.arrays.push_back({"conv1.weight", {5, 1, 3, 3}, test::to_float(r)});
  c.arrays.push_back({"conv1.bias", {5}, {0.f, -0.f, 1.f, -1.f, 0.5f}});
  // Special values must survive bit for bit: NaN with a payload, infinities, a denormal, the
  // largest and smallest normal floats.
  c.arrays.push_back({"special", {2, 3},
                      {bits_to_float(0x7fc12345u), std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min(),
                       std::numeric_limits<float>::max(), std::numeric_limits<float>::min()}});
  c.arrays.push_back({"scalar", {}, {42.f}});
  c.arrays.push_back({"empty", {0, 4}, {}});
  const auto big = test::random_vector(7 * 13, 12);
  c.arrays.push_back({"dense.weight (odd)", {7, 13}, test::to_float(big)});
  return c;
}

// Independent little-endian writer used to build files byte by byte as the format documents them.
struct Bytes {
  std::string s;
  void u32(uint32_t v) { for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i))); }
  void u64(uint64_t v) { for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i))); }
  void str(const std::string& x) { s += x; }
  void f32(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    u32(b);
  }
  void crc() { u32(static_cast<uint32_t>(::crc32(0L, reinterpret_cast<const Bytef*>(s.data()), s.size()))); }
};

// One array "w" of shape (2) = {1.5, -2}, meta {"a":1}; fields can be overridden to make bad files.
std::string handmade(uint32_t version = 1, uint64_t count = 2, uint64_t meta_len = 7, uint32_t n_arrays = 1,
                     bool with_crc = true) {
  Bytes b;
  b.str("GDCKPT01");
  b.u32(version);
  b.u64(meta_len);
  b.str("{\"a\":1}");
  b.u32(n_arrays);
  b.u32(1);
  b.str("w");
  b.u32(1);
  b.u64(2);
  b.u64(count);
  b.f32(1.5f);
  b.f32(-2.f);
  if (with_crc) b.crc();
  return b.s;
}

class CheckpointTest : public ::testing::Test {
 protected:
  test::TempDir dir{"checkpoint"};
  std::string path = dir.file("model.ckpt");

  // Plain write for fixtures (no fsync: the corruption loops write the file thousands of times).
  void write(const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(f.good()) << path;
  }
  size_t file_count() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()));
  }
};

TEST_F(CheckpointTest, RoundTripIsBitExact) {
  const Checkpoint c = sample();
  save_checkpoint(path, c);
  const Checkpoint d = load_checkpoint(path);
  EXPECT_EQ(d.meta, c.meta);
  EXPECT_EQ(d.source, path);
  ASSERT_EQ(d.arrays.size(), c.arrays.size());
  for (size_t i = 0; i < c.arrays.size(); ++i) {
    EXPECT_EQ(d.arrays[i].name, c.arrays[i].name);
    EXPECT_EQ(d.arrays[i].shape, c.arrays[i].shape);
    ASSERT_EQ(d.arrays[i].values.size(), c.arrays[i].values.size());
    if (c.arrays[i].values.empty()) continue;  // memcmp may not be given the null data() of an empty vector
    EXPECT_EQ(std::memcmp(d.arrays[i].values.data(), c.arrays[i].values.data(), 4 * c.arrays[i].values.size()), 0)
        << c.arrays[i].name;
  }
  EXPECT_EQ(d.get("conv1.bias").values[2], 1.f);
  EXPECT_TRUE(d.has("scalar"));
  EXPECT_FALSE(d.has("nope"));
  // Saving what was loaded reproduces the file byte for byte.
  const std::string first = read_file(path);
  save_checkpoint(path, d);
  EXPECT_EQ(read_file(path), first);
}

TEST_F(CheckpointTest, OnDiskLayoutMatchesTheDocumentedFormat) {
  Checkpoint c;
  c.meta = {{"a", 1}};
  c.arrays.push_back({"w", {2}, {1.5f, -2.f}});
  save_checkpoint(path, c);
  EXPECT_EQ(read_file(path), handmade());
  write(handmade());
  const Checkpoint d = load_checkpoint(path);
  EXPECT_EQ(d.meta["a"], 1);
  EXPECT_EQ(d.get("w").values, (std::vector<float>{1.5f, -2.f}));
}

TEST_F(CheckpointTest, MissingArrayNamesItAndTheFile) {
  save_checkpoint(path, sample());
  const Checkpoint d = load_checkpoint(path);
  try {
    d.get("fc9.weight");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_TRUE(contains(e.what(), "fc9.weight")) << e.what();
    EXPECT_TRUE(contains(e.what(), path)) << e.what();
  }
}

TEST_F(CheckpointTest, MissingFile) {
  const std::string msg = load_error(dir.file("absent.ckpt"));
  EXPECT_TRUE(contains(msg, dir.file("absent.ckpt"))) << msg;
}

TEST_F(CheckpointTest, WrongMagic) {
  write("PK\x03\x04 this is a zip file, not a checkpoint");
  const std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, "not a gpudigits checkpoint")) << msg;
  EXPECT_TRUE(contains(msg, path)) << msg;
}

TEST_F(CheckpointTest, DevZeroFailsOnItsFirstBytes) {
  // /dev/zero has no size and no end: it used to be read until memory ran out (issue 19).
  const std::string msg = load_error("/dev/zero");
  EXPECT_TRUE(contains(msg, "not a gpudigits checkpoint")) << msg;
  EXPECT_TRUE(contains(msg, "/dev/zero")) << msg;
}

TEST_F(CheckpointTest, UnsupportedVersionSaysWhich) {
  write(handmade(/*version=*/2));
  const std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, "version 2")) << msg;
  EXPECT_TRUE(contains(msg, path)) << msg;
}

TEST_F(CheckpointTest, ShapeCountInconsistency) {
  std::string bytes = handmade(1, /*count=*/3);
  bytes.insert(bytes.size() - 4, std::string(4, '\0'));  // room for the third value, CRC recomputed below
  bytes.resize(bytes.size() - 4);
  Bytes b{bytes};
  b.crc();
  write(b.s);
  const std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, "inconsistent")) << msg;
  EXPECT_TRUE(contains(msg, path)) << msg;
}

TEST_F(CheckpointTest, CrcMismatchIsCorrupt) {
  save_checkpoint(path, sample());
  std::string bytes = read_file(path);
  const size_t mid = bytes.size() / 2;  // inside conv1.weight / special values
  bytes[mid] = static_cast<char>(bytes[mid] ^ 0x10);
  write(bytes);
  const std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, "corrupt")) << msg;
  EXPECT_TRUE(contains(msg, path)) << msg;

  // A flipped byte in the metadata text is reported as corruption too (not as a JSON error).
  bytes = handmade();
  bytes[8 + 4 + 8 + 2] = 'b';  // {"a":1} -> {"b":1}
  write(bytes);
  EXPECT_TRUE(contains(load_error(path), "corrupt"));

  bytes = handmade();
  bytes += "xx";
  write(bytes);
  EXPECT_TRUE(contains(load_error(path), "corrupt"));
}

TEST_F(CheckpointTest, EveryFlippedByteIsDetectedWithoutHugeAllocations) {
  save_checkpoint(path, sample());
  const std::string good = read_file(path);
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      write(bad);
      g_largest_alloc = 0;
      g_probe_on = true;
      const std::string msg = load_error(path);
      g_probe_on = false;
      EXPECT_TRUE(contains(msg, path)) << "byte " << i << " mask " << int(mask) << ": '" << msg << "'";
      // Requests stay linear in the file size: in-memory array records (~100 bytes each) are larger
      // than the >= 17 bytes each takes on disk, so allow 16x; a length trusted from a corrupt
      // header would instead ask for up to 2^64 bytes.
      EXPECT_LE(g_largest_alloc.load(), 16 * good.size() + 4096) << "byte " << i;
    }
  }
}

TEST_F(CheckpointTest, TruncationAtEveryOffsetIsReported) {
  save_checkpoint(path, sample());
  const std::string good = read_file(path);
  for (size_t n = 0; n < good.size(); ++n) {
    write(good.substr(0, n));
    g_largest_alloc = 0;
    g_probe_on = true;
    const std::string msg = load_error(path);
    g_probe_on = false;
    EXPECT_TRUE(contains(msg, "truncated")) << "length " << n << ": '" << msg << "'";
    EXPECT_TRUE(contains(msg, path)) << n;
    EXPECT_LE(g_largest_alloc.load(), 16 * good.size() + 4096) << n;  // linear, see above
  }
  // The field is named: cut right after the version, the metadata length is missing.
  write(good.substr(0, 8 + 4 + 3));
  EXPECT_TRUE(contains(load_error(path), "metadata length"));
  write(good.substr(0, good.size() - 2));
  EXPECT_TRUE(contains(load_error(path), "CRC"));
}

TEST_F(CheckpointTest, AbsurdLengthsAreRejectedBeforeAllocating) {
  struct Case {
    const char* what;
    std::string bytes;
  };
  std::vector<Case> cases;
  cases.push_back({"meta_len 2^62", handmade(1, 2, uint64_t{1} << 62)});
  cases.push_back({"array count 2^32-1", handmade(1, 2, 7, 0xFFFFFFFFu)});
  cases.push_back({"value count 2^61 (inconsistent)", handmade(1, uint64_t{1} << 61)});
  {
    Bytes b;  // dims (2^31, 2^31) with a matching count: consistent but far larger than the file
    b.str("GDCKPT01");
    b.u32(1);
    b.u64(2);
    b.str("{}");
    b.u32(1);
    b.u32(1);
    b.str("w");
    b.u32(2);
    b.u64(uint64_t{1} << 31);
    b.u64(uint64_t{1} << 31);
    b.u64(uint64_t{1} << 62);
    b.crc();
    cases.push_back({"huge consistent shape", b.s});
  }
  {
    Bytes b;  // name length 2^32-1
    b.str("GDCKPT01");
    b.u32(1);
    b.u64(2);
    b.str("{}");
    b.u32(1);
    b.u32(0xFFFFFFFFu);
    b.str("w");
    b.crc();
    cases.push_back({"name length", b.s});
  }
  {
    Bytes b;  // rank 2^31
    b.str("GDCKPT01");
    b.u32(1);
    b.u64(2);
    b.str("{}");
    b.u32(1);
    b.u32(1);
    b.str("w");
    b.u32(0x80000000u);
    b.crc();
    cases.push_back({"rank", b.s});
  }
  {
    Bytes b;  // negative dim
    b.str("GDCKPT01");
    b.u32(1);
    b.u64(2);
    b.str("{}");
    b.u32(1);
    b.u32(1);
    b.str("w");
    b.u32(1);
    b.u64(static_cast<uint64_t>(int64_t{-3}));
    b.u64(0);
    b.crc();
    cases.push_back({"negative dim", b.s});
  }
  for (const Case& c : cases) {
    write(c.bytes);
    g_largest_alloc = 0;
    g_probe_on = true;
    const std::string msg = load_error(path);
    g_probe_on = false;
    EXPECT_TRUE(contains(msg, path)) << c.what << ": '" << msg << "'";
    EXPECT_LE(g_largest_alloc.load(), size_t{1} << 16) << c.what;
  }
}

TEST_F(CheckpointTest, SaveValidatesBeforeTouchingTheOldFile) {
  save_checkpoint(path, sample());
  const std::string before = read_file(path);
  Checkpoint bad = sample();
  bad.arrays[0].values.pop_back();  // 44 values for shape (5,1,3,3)
  EXPECT_THROW(save_checkpoint(path, bad), ShapeError);
  Checkpoint dup = sample();
  dup.arrays[1].name = dup.arrays[0].name;
  EXPECT_THROW(save_checkpoint(path, dup), Error);
  Checkpoint unnamed = sample();
  unnamed.arrays[2].name.clear();
  EXPECT_THROW(save_checkpoint(path, unnamed), Error);
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(file_count(), 1u);
}

TEST_F(CheckpointTest, AtomicWriteLeavesNoTempFile) {
  write_file_atomic(path, "first");
  write_file_atomic(path, "second, longer");
  EXPECT_EQ(read_file(path), "second, longer");
  EXPECT_EQ(file_count(), 1u);
  write_file_atomic(path, "");
  EXPECT_EQ(read_file(path), "");
}

TEST_F(CheckpointTest, FailedWriteThrowsAndLeavesNothing) {
  const std::string missing_dir = dir.file("no/such/dir/model.ckpt");
  try {
    save_checkpoint(missing_dir, sample());
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), missing_dir)) << e.what();
    EXPECT_TRUE(contains(e.what(), std::strerror(ENOENT))) << e.what();
  }
  EXPECT_EQ(file_count(), 0u);

  // Rename onto an existing directory fails after the temp file was written: the temp file is
  // removed and the directory (standing in for "the old file") is untouched.
  const std::string target = dir.file("occupied");
  fs::create_directory(target);
  write_file_atomic(target + "/keep.txt", "old");
  EXPECT_THROW(write_file_atomic(target, "new"), Error);
  EXPECT_EQ(file_count(), 1u);  // just "occupied", no "occupied.tmp-<pid>"
  EXPECT_EQ(read_file(target + "/keep.txt"), "old");
}

TEST_F(CheckpointTest, StaleTempFilesOfDeadWritersAreRemovedOthersKept) {
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);  // reaped: its PID belongs to no process now
  const std::string stale = dir.file("checkpoint.ckpt.tmp-" + std::to_string(dead));
  const std::string mine = dir.file("history.json.tmp-" + std::to_string(getpid()));
  const std::string not_a_pid = dir.file("notes.tmp-abc");
  for (const std::string& f : {stale, mine, not_a_pid}) write_file_atomic(f, "x");
  const std::vector<std::string> removed = remove_stale_temp_files(dir.path());
  EXPECT_EQ(removed, std::vector<std::string>{stale});
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(mine));  // a live writer's (this process)
  EXPECT_TRUE(fs::exists(not_a_pid));
  EXPECT_TRUE(remove_stale_temp_files(dir.file("no-such-dir")).empty());
}

TEST_F(CheckpointTest, ReadFileErrorsNameThePath) {
  try {
    read_file(dir.file("missing.json"));
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_TRUE(contains(e.what(), dir.file("missing.json"))) << e.what();
  }
  EXPECT_THROW(read_file(dir.path()), DataError);
}

}  // namespace
}  // namespace gd
