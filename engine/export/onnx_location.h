#pragma once
// Where an exported model lives: model.onnx in the checkpoint's directory (a run directory of
// gpu_train). gpu_export writes there by default; gpu_predict and the HTML reports look there.
#include <string>

namespace gd {

struct OnnxBeside {
  std::string path;    // "" when there is no model.onnx beside the checkpoint
  bool stale = false;  // it is older than the checkpoint (exported before the weights last changed)
};

std::string onnx_path_beside(const std::string& checkpoint_path);
OnnxBeside find_onnx_beside(const std::string& checkpoint_path);

// "path", or "path (older than the checkpoint: export again)"; "" when there is none.
std::string describe(const OnnxBeside& onnx);

// Throws ConfigError, naming `path`, when no file can be created there: its directory does not
// exist or is not a directory, or `path` itself is a directory. (Other failures, such as a
// read-only file system, surface when writing.)
void check_output_path(const std::string& path);

}  // namespace gd
