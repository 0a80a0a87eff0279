#include "engine/train/atomic_file.h"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/error.h"

namespace gd {
namespace {

std::string errno_text(int err) { return std::string(std::strerror(err)); }

// Directory part of `path` for the post-rename fsync ("." when there is no slash).
std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Owns a file descriptor; closes it on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close()'s errno (0 on success); close errors matter for NFS/quota.
  int close_now() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, const std::string& path, int err,
                       const std::string& tmp) {
  if (!tmp.empty()) ::unlink(tmp.c_str());
  throw Error("write_file_atomic: " + what + " '" + path + "': " + errno_text(err));
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  GD_CHECK(!path.empty(), "write_file_atomic: empty path");
  const std::string tmp = path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));

  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) fail("cannot create temp file for", path, errno, "");

  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno, tmp);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail("cannot fsync", path, errno, tmp);
  if (const int err = fd.close_now(); err != 0) fail("cannot close", path, err, tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename temp file onto", path, errno, tmp);

  // Make the rename durable. Some filesystems refuse fsync on a directory (EINVAL); the data are
  // already in place then, so only real I/O errors are reported.
  const std::string dir = parent_dir(path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0 && ::fsync(dfd.get()) != 0 && errno == EIO) {
    throw Error("write_file_atomic: cannot fsync directory of '" + path + "': " + errno_text(EIO));
  }
}

std::string read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw DataError("cannot open '" + path + "': " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw DataError("cannot stat '" + path + "': " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw DataError("cannot read '" + path + "': is a directory");

  std::string out;
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw DataError("cannot read '" + path + "': " + errno_text(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::vector<std::string> remove_stale_temp_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp-");
    if (at == std::string::npos || at == 0 || at + 5 >= name.size()) continue;
    const std::string digits = name.substr(at + 5);
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to signal): keep
    std::error_code rm;
    if (it->is_regular_file(rm) && fs::remove(it->path(), rm)) removed.push_back(it->path().string());
  }
  return removed;
}

}  // namespace gd
