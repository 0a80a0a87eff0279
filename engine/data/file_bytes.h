#pragma once
// Whole-file byte I/O for the dataset loaders, with transparent gzip: a file whose first two bytes
// are the gzip magic 1f 8b is inflated with zlib (all concatenated members), anything else is
// returned as it is. Every error is a DataError naming the file.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gd {

// The most bytes a loader accepts from one file once decompressed, so a small gzip file cannot
// expand into gigabytes (a decompression bomb) and /dev/zero cannot be read forever. Reading
// stops, with a DataError naming the file and the reason, as soon as the content passes the cap,
// and no buffer larger than the cap (plus one byte) is ever allocated.
struct SizeCap {
  uint64_t bytes = uint64_t{1} << 30;  // 1 GiB unless the loader knows better
  std::string why = "the most a dataset file may hold";  // completes "more than N bytes, <why>"
};
struct ContentLimit {
  SizeCap cap;
  // Optional: a tighter cap from the file's own header (e.g. IDX dimensions), called once with the
  // first header_bytes bytes (fewer when the content is shorter: then it is not called). It may
  // throw a DataError for a header that is wrong in itself.
  size_t header_bytes = 0;
  std::function<SizeCap(const uint8_t* header)> from_header;
};

// True when data[0..n) starts with the gzip magic bytes 1f 8b.
bool is_gzip(const uint8_t* data, size_t n);

// The raw bytes of `path`. Throws DataError (path + strerror) when missing or unreadable, and when
// it holds more than cap.bytes.
std::vector<uint8_t> read_file_bytes(const std::string& path, const SizeCap& cap = {});
std::vector<uint8_t> read_file_bytes(const std::string& path, const ContentLimit& limit);

// The contents of `path`, inflated when it is gzip. A corrupt stream throws DataError with zlib's
// message; a truncated one throws DataError saying so (it never waits for more input). Content
// (inflated or not) beyond `limit` throws DataError as described at ContentLimit.
std::vector<uint8_t> read_file_maybe_gzip(const std::string& path, const ContentLimit& limit = {});

// Writes data[0..n) to `path`, gzip-compressed when `gzip` is true (used by tests and tools).
void write_file_bytes(const std::string& path, const uint8_t* data, size_t n, bool gzip);

}  // namespace gd
