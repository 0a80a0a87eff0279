#pragma once
// Whole-file byte I/O for the dataset loaders, with transparent gzip: a file whose first two bytes
// are the gzip magic 1f 8b is inflated with zlib (all concatenated members), anything else is
// returned as it is. Every error is a DataError naming the file.
#include <cstdint>
#include <string>
#include <vector>

namespace gd {

// True when data[0..n) starts with the gzip magic bytes 1f 8b.
bool is_gzip(const uint8_t* data, size_t n);

// The raw bytes of `path`. Throws DataError (path + strerror) when missing or unreadable.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// The contents of `path`, inflated when it is gzip. A corrupt stream throws DataError with zlib's
// message; a truncated one throws DataError saying so (it never waits for more input).
std::vector<uint8_t> read_file_maybe_gzip(const std::string& path);

// Writes data[0..n) to `path`, gzip-compressed when `gzip` is true (used by tests and tools).
void write_file_bytes(const std::string& path, const uint8_t* data, size_t n, bool gzip);

}  // namespace gd
