#include "engine/export/onnx_location.h"

#include <filesystem>

#include "engine/core/error.h"

namespace gd {

namespace fs = std::filesystem;

std::string onnx_path_beside(const std::string& checkpoint_path) {
  return (fs::path(checkpoint_path).parent_path() / "model.onnx").string();
}

OnnxBeside find_onnx_beside(const std::string& checkpoint_path) {
  OnnxBeside found;
  const std::string path = onnx_path_beside(checkpoint_path);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return found;
  found.path = path;
  const auto onnx_time = fs::last_write_time(path, ec);
  if (ec) return found;
  const auto checkpoint_time = fs::last_write_time(checkpoint_path, ec);
  found.stale = !ec && onnx_time < checkpoint_time;
  return found;
}

std::string describe(const OnnxBeside& onnx) {
  if (onnx.path.empty()) return "";
  return onnx.stale ? onnx.path + " (older than the checkpoint: export again)" : onnx.path;
}

void check_output_path(const std::string& path) {
  GD_CHECK_T(!path.empty(), ConfigError, "empty output path");
  std::error_code ec;
  GD_CHECK_T(!fs::is_directory(path, ec), ConfigError, "cannot write '" << path << "': it is a directory");
  const fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) return;  // the current directory
  GD_CHECK_T(fs::exists(dir, ec), ConfigError, "cannot write '" << path << "': directory '" << dir.string()
                                                                 << "' does not exist");
  GD_CHECK_T(fs::is_directory(dir, ec), ConfigError, "cannot write '" << path << "': '" << dir.string()
                                                                       << "' is not a directory");
}

}  // namespace gd
