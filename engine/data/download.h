#pragma once
// Checksummed downloads from a list of mirrors (libcurl; http, https and file:// URLs).
// Only in builds with download support (GD_HAVE_DOWNLOAD: libcurl and OpenSSL found by CMake).
// Without it both functions below throw DataError saying the build cannot download, naming the
// file and where to put it by hand (the dataset then comes from --data-dir).
#include <string>
#include <vector>

namespace gd {

// Lower-case hex SHA-256 of the file's bytes (OpenSSL EVP). DataError naming the file when it
// cannot be read.
std::string sha256_file(const std::string& path);

// Makes `dest` a verified copy of the file whose SHA-256 is `sha256_hex` (hex, any case):
//  * if dest already exists with that checksum, nothing is fetched;
//  * otherwise each URL is tried in turn: the body goes to dest + ".part" (redirects followed,
//    HTTP errors fail, 15 s connect timeout, aborted when slower than 1 KiB/s for 30 s, so it
//    never hangs), its SHA-256 is checked, and on a match it is renamed onto dest (atomic on one
//    filesystem); on any failure the part file is deleted and the next URL is tried;
//  * when every URL fails, throws DataError naming dest and listing each URL with its reason.
// dest's parent directories are created. No ".part" file is left behind in any case.
void download_verified(const std::vector<std::string>& urls, const std::string& dest,
                       const std::string& sha256_hex);

}  // namespace gd
