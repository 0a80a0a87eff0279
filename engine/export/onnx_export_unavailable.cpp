// ONNX export in a build without libonnx (CMake GD_ONNX found no libonnx-dev / libprotobuf-dev):
// every entry point says what to install.
#include "engine/export/onnx_export.h"

#include "engine/core/error.h"

namespace gd {
namespace {

[[noreturn]] void unavailable() {
  throw Error("this build has no ONNX export (configured without libonnx: libonnx-dev or libprotobuf-dev was "
              "missing, or GD_ONNX=OFF); install both (./setup.sh does) and configure and build again");
}

}  // namespace

bool onnx_export_available() { return false; }

std::string onnx_model_bytes(const Network&, const ModelInfo&, OnnxExportSummary*) { unavailable(); }

OnnxExportSummary write_onnx_model(const Network&, const ModelInfo&, const std::string&) { unavailable(); }

}  // namespace gd
