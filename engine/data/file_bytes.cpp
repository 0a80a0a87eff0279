#include "engine/data/file_bytes.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "engine/core/error.h"

namespace gd {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Enforces a ContentLimit on content produced chunk by chunk (read or inflated).
class CapTracker {
 public:
  CapTracker(const std::string& path, const ContentLimit& limit, const char* verb)
      : path_(path), limit_(limit), cap_(limit.cap), verb_(verb) {}
  // The most bytes worth buffering: the cap plus one, to see it passed.
  uint64_t buffer_limit() const { return cap_.bytes + 1; }
  // Call after each chunk: data[0..available) is the content so far, `produced` its length or,
  // when the buffer is full and more is coming, one more than that.
  void check(const uint8_t* data, size_t available, size_t produced) {
    if (!header_seen_ && limit_.from_header && available >= limit_.header_bytes) {
      header_seen_ = true;
      const SizeCap h = limit_.from_header(data);
      if (h.bytes < cap_.bytes) cap_ = h;
    }
    GD_CHECK_T(produced <= cap_.bytes, DataError,
               path_ << ": " << verb_ << " more than " << cap_.bytes << " bytes, " << cap_.why
                     << " (stopped reading there: a corrupt file or a decompression bomb?)");
  }

 private:
  const std::string& path_;
  const ContentLimit& limit_;
  SizeCap cap_;
  const char* verb_;
  bool header_seen_ = false;
};

// Inflates every gzip member in in[0..n) (gzip allows concatenation). Trailing zero padding is
// ignored, as gzip(1) does.
std::vector<uint8_t> inflate_gzip(const std::string& path, const uint8_t* in, size_t n, const ContentLimit& limit) {
  GD_CHECK_T(n <= std::numeric_limits<uInt>::max(), DataError,
             path << ": gzip file of " << n << " bytes is too large");
  CapTracker tracker(path, limit, "decompresses to");
  // The trailer's ISIZE is the uncompressed size mod 2^32: a good first guess for the buffer, but
  // only a guess (an attacker writes what they like there), so never beyond the cap.
  size_t guess = 0;
  if (n >= 18) {
    guess = static_cast<size_t>(in[n - 4]) | static_cast<size_t>(in[n - 3]) << 8 |
            static_cast<size_t>(in[n - 2]) << 16 | static_cast<size_t>(in[n - 1]) << 24;
  }
  const size_t max_ratio = 1100;  // deflate cannot expand more than ~1032:1
  if (guess == 0 || guess > n * max_ratio) guess = 4 * n + 1024;
  // At most 64 MiB up front (MNIST's largest file inflates to 47 MB): the header, which may cap the
  // content far lower, has not been seen yet; the buffer doubles from there as needed.
  guess = static_cast<size_t>(std::min<uint64_t>({guess + 1, uint64_t{64} << 20, tracker.buffer_limit()}));
  std::vector<uint8_t> out(guess);  // +1 above: inflate then sees room and reports the end itself

  z_stream zs{};
  GD_CHECK_T(inflateInit2(&zs, 15 + 16) == Z_OK, DataError, path << ": zlib inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  zs.next_in = const_cast<Bytef*>(in);
  zs.avail_in = static_cast<uInt>(n);
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      tracker.check(out.data(), produced, produced + 1);  // full: more is coming
      out.resize(static_cast<size_t>(std::min<uint64_t>(out.size() * 2, tracker.buffer_limit())));
    }
    const size_t room = std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max());
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(room);
    const int ret = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    tracker.check(out.data(), produced, produced);
    if (ret == Z_STREAM_END) {
      const uint8_t* rest = zs.next_in;
      const size_t left = zs.avail_in;
      if (left >= 2 && is_gzip(rest, left)) {  // another member follows
        GD_CHECK_T(inflateReset(&zs) == Z_OK, DataError, path << ": zlib inflateReset failed");
        continue;
      }
      for (size_t i = 0; i < left; ++i) {
        GD_CHECK_T(rest[i] == 0, DataError,
                   path << ": " << left << " bytes of trailing garbage after the gzip stream");
      }
      break;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && zs.avail_in == 0) {
      GD_CHECK_T(false, DataError,
                 path << ": truncated gzip file (the compressed stream ends after " << n
                      << " bytes, before its end marker; " << produced
                      << " bytes were decompressed). Re-download or re-copy the file.");
    }
    if (ret == Z_BUF_ERROR) continue;  // output buffer full: grow and go on
    GD_CHECK_T(false, DataError,
               path << ": corrupt gzip data (zlib error " << ret << ": "
                    << (zs.msg ? zs.msg : "no message") << ")");
  }
  out.resize(produced);
  return out;
}

// The raw bytes of path, under `limit` (a regular file too large is refused from its size).
std::vector<uint8_t> read_capped(const std::string& path, const ContentLimit& limit) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  GD_CHECK_T(f != nullptr, DataError, path << ": cannot open (" << std::strerror(errno) << ")");
  CapTracker tracker(path, limit, "holds");
  // Read straight into a buffer of the file's size, then keep going in case it grew meanwhile (or
  // is not a regular file: a pipe or /dev/zero reports size 0).
  size_t capacity = 1 << 16;
  struct stat st {};
  if (::fstat(::fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode)) {
    const auto size = static_cast<uint64_t>(st.st_size);
    GD_CHECK_T(size <= limit.cap.bytes, DataError,
               path << ": holds " << size << " bytes, more than " << limit.cap.bytes << ", " << limit.cap.why);
    capacity = static_cast<size_t>(size) + 1;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(std::min<uint64_t>(capacity, tracker.buffer_limit())));
  size_t used = 0;
  for (;;) {
    used += std::fread(bytes.data() + used, 1, bytes.size() - used, f.get());
    tracker.check(bytes.data(), used, used);
    if (used < bytes.size()) break;
    bytes.resize(static_cast<size_t>(std::min<uint64_t>(bytes.size() * 2, tracker.buffer_limit())));
  }
  bytes.resize(used);
  GD_CHECK_T(!std::ferror(f.get()), DataError, path << ": read error (" << std::strerror(errno) << ")");
  return bytes;
}

}  // namespace

bool is_gzip(const uint8_t* data, size_t n) { return n >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

std::vector<uint8_t> read_file_bytes(const std::string& path, const SizeCap& cap) {
  ContentLimit limit;
  limit.cap = cap;
  return read_capped(path, limit);
}

std::vector<uint8_t> read_file_bytes(const std::string& path, const ContentLimit& limit) {
  return read_capped(path, limit);
}

std::vector<uint8_t> read_file_maybe_gzip(const std::string& path, const ContentLimit& limit) {
  // The file itself is read under the same cap (compressed, it is smaller than its content), and
  // under the header's cap when it is not gzip (so /dev/zero stops after its header).
  ContentLimit raw_limit = limit;
  if (limit.from_header) {
    raw_limit.from_header = [&limit](const uint8_t* header) {
      return limit.header_bytes >= 2 && is_gzip(header, 2) ? limit.cap : limit.from_header(header);
    };
  }
  std::vector<uint8_t> bytes = read_capped(path, raw_limit);
  if (!is_gzip(bytes.data(), bytes.size())) return bytes;
  return inflate_gzip(path, bytes.data(), bytes.size(), limit);
}

void write_file_bytes(const std::string& path, const uint8_t* data, size_t n, bool gzip) {
  if (gzip) {
    gzFile g = gzopen(path.c_str(), "wb6");
    GD_CHECK_T(g != nullptr, DataError, path << ": cannot create (" << std::strerror(errno) << ")");
    size_t done = 0;
    bool ok = true;
    while (ok && done < n) {
      const unsigned piece = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      ok = gzwrite(g, data + done, piece) == static_cast<int>(piece);
      done += piece;
    }
    const bool closed = gzclose(g) == Z_OK;
    GD_CHECK_T(ok && closed, DataError, path << ": gzip write failed");
    return;
  }
  FilePtr f(std::fopen(path.c_str(), "wb"));
  GD_CHECK_T(f != nullptr, DataError, path << ": cannot create (" << std::strerror(errno) << ")");
  GD_CHECK_T(std::fwrite(data, 1, n, f.get()) == n, DataError,
             path << ": write failed (" << std::strerror(errno) << ")");
  GD_CHECK_T(std::fflush(f.get()) == 0, DataError, path << ": write failed (" << std::strerror(errno) << ")");
}

}  // namespace gd
