#pragma once
// Shared by the libFuzzer targets: the parsers under test read files by path, as users give
// them, so each input is written to an anonymous in-memory file (memfd) and its /proc path is
// passed on. Errors the engine reports (gd::Error and subclasses) are the expected outcome for
// almost every input; anything else (another exception, a crash, a sanitizer report, a leak)
// is a finding.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace gd::fuzz {

class MemFile {
 public:
  MemFile() : fd_(::memfd_create("gd-fuzz", 0)) {
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  // Replaces the contents with data[0..n) and returns a path that reads them.
  const std::string& write(const uint8_t* data, size_t n) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    size_t done = 0;
    while (done < n) {
      const ssize_t k = ::pwrite(fd_, data + done, n - done, static_cast<off_t>(done));
      if (k <= 0) std::abort();
      done += static_cast<size_t>(k);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

// One file per process, reused for every input.
inline const std::string& as_file(const uint8_t* data, size_t n) {
  static MemFile file;
  return file.write(data, n);
}

}  // namespace gd::fuzz
