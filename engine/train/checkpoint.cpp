#include "engine/train/checkpoint.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>
#include <unordered_set>

#include <zlib.h>

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"
#include "engine/train/atomic_file.h"

namespace gd {
namespace {

constexpr size_t kMagicLen = 8;
constexpr uint32_t kMaxRank = 16;  // far beyond any tensor here; guards against a corrupt rank
// A checkpoint is read whole into memory: 16 GiB is far beyond any model here (4 billion floats).
constexpr uint64_t kMaxCheckpointBytes = uint64_t{16} << 30;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr bool kHostLittleEndian = true;
#else
constexpr bool kHostLittleEndian = false;
#endif

uint32_t crc32_of(const char* data, size_t n) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  // zlib's length argument is a uInt: feed large buffers in chunks.
  constexpr size_t kChunk = size_t{1} << 30;
  while (n > 0) {
    const size_t k = n < kChunk ? n : kChunk;
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(k));
    data += k;
    n -= k;
  }
  return static_cast<uint32_t>(crc);
}

// ---- writing ------------------------------------------------------------------------------------

template <typename U>
void put_le(std::string& out, U v) {
  static_assert(std::is_unsigned<U>::value, "put_le takes unsigned integers");
  for (size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_floats(std::string& out, const std::vector<float>& v) {
  const size_t start = out.size();
  out.resize(start + v.size() * sizeof(float));
  char* dst = &out[start];
  if (kHostLittleEndian) {
    if (!v.empty()) std::memcpy(dst, v.data(), v.size() * sizeof(float));
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], sizeof(bits));
    for (size_t b = 0; b < 4; ++b) dst[4 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xFF);
  }
}

// Product of dims, or -1 when a dim is negative or the product overflows int64.
int64_t checked_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + ")";
}

// ---- reading ------------------------------------------------------------------------------------

// Bounds-checked little-endian reader over the loaded bytes. Every read names the field it is
// reading so that a truncated file reports where it ends.
class Reader {
 public:
  Reader(const char* bytes, size_t end, const std::string& path) : p_(bytes), end_(end), path_(path) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

  [[noreturn]] void fail(const std::string& msg) const {
    throw DataError("checkpoint '" + path_ + "': " + msg + " (at byte offset " + std::to_string(pos_) + ")");
  }
  void need(size_t n, const std::string& field) const {
    if (n > remaining()) {
      fail("truncated: file ends in " + field + " (needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " left)");
    }
  }
  template <typename U>
  U get(const std::string& field) {
    need(sizeof(U), field);
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<unsigned char>(p_[pos_ + i])) << (8 * i);
    pos_ += sizeof(U);
    return v;
  }
  std::string bytes(size_t n, const std::string& field) {
    need(n, field);
    std::string s(p_ + pos_, n);
    pos_ += n;
    return s;
  }
  // Caller has already checked that 4*count bytes remain.
  void floats(std::vector<float>& out, size_t count) {
    out.resize(count);
    const char* src = p_ + pos_;
    if (kHostLittleEndian) {
      if (count) std::memcpy(out.data(), src, count * sizeof(float));
    } else {
      for (size_t i = 0; i < count; ++i) {
        uint32_t bits = 0;
        for (size_t b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(static_cast<unsigned char>(src[4 * i + b])) << (8 * b);
        std::memcpy(&out[i], &bits, sizeof(bits));
      }
    }
    pos_ += count * sizeof(float);
  }

 private:
  const char* p_;
  size_t end_;
  size_t pos_ = 0;
  const std::string& path_;
};

}  // namespace

bool Checkpoint::has(const std::string& name) const {
  for (const NamedArray& a : arrays)
    if (a.name == name) return true;
  return false;
}

const NamedArray& Checkpoint::get(const std::string& name) const {
  for (const NamedArray& a : arrays)
    if (a.name == name) return a;
  std::string names;
  for (size_t i = 0; i < arrays.size() && i < 20; ++i) names += (i ? ", " : "") + arrays[i].name;
  if (arrays.size() > 20) names += ", ...";
  throw DataError("checkpoint" + (source.empty() ? std::string() : " '" + source + "'") +
                  " has no array named '" + name + "' (it has " + std::to_string(arrays.size()) +
                  " arrays: " + names + ")");
}

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  std::string meta_text;
  try {
    meta_text = ckpt.meta.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error("save_checkpoint '" + path + "': metadata cannot be serialised: " + e.what());
  }

  std::unordered_set<std::string> seen;
  size_t payload = 0;
  for (const NamedArray& a : ckpt.arrays) {
    GD_CHECK(!a.name.empty(), "save_checkpoint '" << path << "': an array has an empty name");
    GD_CHECK(seen.insert(a.name).second, "save_checkpoint '" << path << "': duplicate array name '" << a.name << "'");
    GD_CHECK(a.shape.size() <= kMaxRank, "save_checkpoint '" << path << "': array '" << a.name << "' has rank "
                                                             << a.shape.size() << " > " << kMaxRank);
    const int64_t n = checked_numel(a.shape);
    GD_CHECK_SHAPE(n >= 0 && static_cast<uint64_t>(n) == a.values.size(),
                   "save_checkpoint '" << path << "': array '" << a.name << "' has shape " << shape_str(a.shape)
                                       << " but " << a.values.size() << " values");
    payload += 4 + a.name.size() + 4 + 8 * a.shape.size() + 8 + 4 * a.values.size();
  }
  GD_CHECK(ckpt.arrays.size() <= std::numeric_limits<uint32_t>::max(),
           "save_checkpoint '" << path << "': too many arrays");

  std::string out;
  out.reserve(kMagicLen + 4 + 8 + meta_text.size() + 4 + payload + 4);
  out.append(kCheckpointMagic, kMagicLen);
  put_le<uint32_t>(out, kCheckpointVersion);
  put_le<uint64_t>(out, meta_text.size());
  out += meta_text;
  put_le<uint32_t>(out, static_cast<uint32_t>(ckpt.arrays.size()));
  for (const NamedArray& a : ckpt.arrays) {
    put_le<uint32_t>(out, static_cast<uint32_t>(a.name.size()));
    out += a.name;
    put_le<uint32_t>(out, static_cast<uint32_t>(a.shape.size()));
    for (int64_t d : a.shape) put_le<uint64_t>(out, static_cast<uint64_t>(d));
    put_le<uint64_t>(out, a.values.size());
    put_floats(out, a.values);
  }
  put_le<uint32_t>(out, crc32_of(out.data(), out.size()));
  write_file_atomic(path, out);
}

Checkpoint load_checkpoint(const std::string& path) {
  // The magic number is checked on the first bytes read, so a device such as /dev/zero or a
  // foreign file of any size fails at once instead of being read whole.
  ContentLimit limit;
  limit.cap = SizeCap{kMaxCheckpointBytes, "the most a checkpoint may hold"};
  limit.header_bytes = kMagicLen;
  limit.from_header = [&path](const uint8_t* head) {
    if (std::memcmp(head, kCheckpointMagic, kMagicLen) != 0)
      throw DataError("checkpoint '" + path + "': not a gpudigits checkpoint (bad magic; expected \"GDCKPT01\")");
    return SizeCap{kMaxCheckpointBytes, "the most a checkpoint may hold"};
  };
  const std::vector<uint8_t> raw = read_file_bytes(path, limit);  // DataError naming the path when missing
  const char* bytes = reinterpret_cast<const char*>(raw.data());
  Reader in(bytes, raw.size(), path);

  // Magic and version come first so that a foreign file is named as such rather than "corrupt".
  const size_t magic_avail = raw.size() < kMagicLen ? raw.size() : kMagicLen;
  if (std::memcmp(bytes, kCheckpointMagic, magic_avail) != 0) {
    in.fail("not a gpudigits checkpoint (bad magic; expected \"GDCKPT01\")");
  }
  in.bytes(kMagicLen, "magic");
  const uint32_t version = in.get<uint32_t>("format version");
  if (version != kCheckpointVersion) {
    in.fail("unsupported checkpoint format version " + std::to_string(version) + " (this build reads version " +
            std::to_string(kCheckpointVersion) + ")");
  }

  // Every length is compared with what is left of the file before anything is allocated.
  const uint64_t meta_len = in.get<uint64_t>("metadata length");
  if (meta_len > in.remaining()) {
    in.fail("truncated or corrupt: metadata length " + std::to_string(meta_len) + " exceeds the " +
            std::to_string(in.remaining()) + " bytes left");
  }
  const std::string meta_text = in.bytes(static_cast<size_t>(meta_len), "metadata");

  const uint32_t n_arrays = in.get<uint32_t>("array count");
  // Smallest possible array record: name_len + rank + count = 16 bytes (empty name is rejected).
  constexpr size_t kMinArrayRecord = 4 + 1 + 4 + 8;
  if (n_arrays > in.remaining() / kMinArrayRecord) {
    in.fail("truncated or corrupt: array count " + std::to_string(n_arrays) + " cannot fit in the " +
            std::to_string(in.remaining()) + " bytes left");
  }

  Checkpoint ck;
  ck.source = path;
  ck.arrays.reserve(n_arrays);
  std::unordered_set<std::string> seen;
  for (uint32_t i = 0; i < n_arrays; ++i) {
    const std::string which = "array " + std::to_string(i);
    const uint32_t name_len = in.get<uint32_t>(which + " name length");
    if (name_len == 0) in.fail(which + " has an empty name");
    if (name_len > in.remaining()) {
      in.fail("truncated or corrupt: " + which + " name length " + std::to_string(name_len) + " exceeds the " +
              std::to_string(in.remaining()) + " bytes left");
    }
    NamedArray a;
    a.name = in.bytes(name_len, which + " name");
    const std::string label = which + " ('" + a.name + "')";
    if (!seen.insert(a.name).second) in.fail("duplicate array name '" + a.name + "'");

    const uint32_t rank = in.get<uint32_t>(label + " rank");
    if (rank > kMaxRank) in.fail(label + " has absurd rank " + std::to_string(rank));
    a.shape.resize(rank);
    for (uint32_t d = 0; d < rank; ++d) {
      a.shape[d] = static_cast<int64_t>(in.get<uint64_t>(label + " dim " + std::to_string(d)));
    }
    const int64_t numel = checked_numel(a.shape);
    if (numel < 0) in.fail(label + " has invalid shape " + shape_str(a.shape));

    const uint64_t count = in.get<uint64_t>(label + " value count");
    if (count != static_cast<uint64_t>(numel)) {
      in.fail("inconsistent " + label + ": shape " + shape_str(a.shape) + " has " + std::to_string(numel) +
              " elements but the value count is " + std::to_string(count));
    }
    if (count > in.remaining() / sizeof(float)) {
      in.fail("truncated: file ends in " + label + " values (needs " + std::to_string(count) + " floats, " +
              std::to_string(in.remaining()) + " bytes left)");
    }
    in.floats(a.values, static_cast<size_t>(count));
    ck.arrays.push_back(std::move(a));
  }

  const size_t crc_pos = in.pos();
  const uint32_t stored_crc = in.get<uint32_t>("CRC-32 trailer");
  if (in.remaining() != 0) {
    in.fail("corrupt: " + std::to_string(in.remaining()) + " unexpected trailing bytes after the CRC");
  }
  const uint32_t actual_crc = crc32_of(bytes, crc_pos);
  if (stored_crc != actual_crc) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "corrupt: CRC-32 mismatch (stored %08x, computed %08x)", stored_crc, actual_crc);
    in.fail(buf);
  }

  // Parsed only after the CRC passed: garbage metadata is reported as corruption above, not here.
  try {
    ck.meta = nlohmann::json::parse(meta_text);
  } catch (const nlohmann::json::exception& e) {
    throw DataError("checkpoint '" + path + "': metadata is not valid JSON: " + e.what());
  }
  return ck;
}

}  // namespace gd
