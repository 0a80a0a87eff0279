#include "engine/train/run_dir.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"

namespace gd {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxTagLength = 64;
constexpr int kMaxSuffix = 10000;

void create_parents(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create directory '" + dir + "': " + ec.message());
  GD_CHECK(fs::is_directory(dir), "cannot create directory '" << dir << "': a file of that name exists");
}

}  // namespace

std::string sanitize_run_tag(const std::string& tag) {
  std::string s;
  for (char c : tag) {
    if (s.size() == kMaxTagLength) break;
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    s.push_back(ok ? c : '_');
  }
  return s.empty() ? "model" : s;
}

std::string make_run_dir(const std::string& out, const std::string& arch_tag, const std::string& runs_root,
                         std::optional<std::time_t> now) {
  if (!out.empty()) {
    create_parents(out);
    remove_stale_temp_files(out);  // what a killed run in it left behind
    return out;
  }

  const std::time_t t = now ? *now : std::time(nullptr);
  std::tm tm{};
  GD_CHECK(::localtime_r(&t, &tm) != nullptr, "make_run_dir: cannot convert time " << static_cast<long long>(t));
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);

  const std::string root = runs_root.empty() ? std::string(".") : runs_root;
  create_parents(root);
  const std::string base = root + "/" + sanitize_run_tag(arch_tag) + "-" + stamp;
  for (int n = 1; n <= kMaxSuffix; ++n) {
    const std::string path = n == 1 ? base : base + "-" + std::to_string(n);
    if (::mkdir(path.c_str(), 0755) == 0) return path;
    if (errno != EEXIST) throw Error("cannot create run directory '" + path + "': " + std::strerror(errno));
  }
  throw Error("cannot create run directory '" + base + "': " + std::to_string(kMaxSuffix) +
              " directories of that name already exist");
}

std::vector<std::string> run_files_in(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const char* name : {"checkpoint.ckpt", "model.ckpt", "metrics.json", "history.json"})
    if (std::filesystem::exists(std::filesystem::path(dir) / name, ec)) found.push_back(name);
  return found;
}

void check_out_dir_is_free(const std::string& out, const std::string& resume) {
  if (out.empty()) return;  // a fresh, timestamped directory
  const std::vector<std::string> files = run_files_in(out);
  if (files.empty()) return;
  std::error_code ec;
  if (!resume.empty() &&
      std::filesystem::equivalent(std::filesystem::path(resume).parent_path().empty() ? "." : std::filesystem::path(resume).parent_path(), out, ec))
    return;  // continuing that very run in place
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "" : ", ") + f;
  throw ConfigError("--out " + out + " already holds a run (" + list + ") that this run would overwrite; pass another "
                    "--out, remove that directory, or continue it with --resume " +
                    (std::filesystem::path(out) / "checkpoint.ckpt").string());
}

}  // namespace gd
