// gpu_export: write a trained model as an ONNX file for inference elsewhere (ONNX Runtime in a
// server, a browser or a phone, TensorRT, ...). The file takes `image` (N, 1, H, W) pixel
// intensities in [0, 1] and gives `probabilities` and `logits` (N, classes); the normalisation,
// class names and expected preprocessing are inside it. See engine/export/onnx_export.h and
// docs/onnx.md.
//
// Exit status: 0 written; 2 the checkpoint or an option is unusable (missing or corrupt checkpoint,
// an output path whose directory does not exist); 1 any other failure, including a build without
// libonnx (write_onnx_model then says what to install). Nothing is left at the output path when
// it fails: the file is written atomically.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/export/onnx_export.h"
#include "engine/export/onnx_location.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_io.h"

namespace {

using namespace gd;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int fail(int code, const std::string& msg) {
  std::fprintf(stderr, "gpu_export: error: %s\n", msg.c_str());
  return code;
}

int run(int argc, char** argv) {
  CLI::App app{
      "gpu_export: write a trained model (a checkpoint of gpu_train) as an ONNX file for ONNX Runtime, TensorRT\n"
      "and other runtimes (docs/onnx.md). Input `image` (N,1,H,W) float pixel intensities in [0,1] (light\n"
      "digit on dark, the model's size; the normalisation is inside the graph); outputs `probabilities` and\n"
      "`logits` (N,classes); class names and the expected preprocessing in the metadata. Opset 17; dropout\n"
      "removed; batch norm folded into the layer before it where there is one.\n"
      "Exit status: 0 written, 2 unusable checkpoint or options, 1 other failures."};
  app.get_formatter()->column_width(30);
  std::string checkpoint, onnx;
  bool quiet = false;
  app.add_option("--checkpoint", checkpoint, "model.ckpt (or checkpoint.ckpt) written by gpu_train")
      ->required()
      ->type_name("PATH");
  app.add_option("--onnx", onnx, "where to write the model (default: model.onnx beside the checkpoint); "
                                 "written atomically, replacing an existing file")
      ->type_name("PATH");
  app.add_flag("--quiet", quiet, "print nothing on success");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (onnx.empty()) onnx = onnx_path_beside(checkpoint);

  // The checkpoint and the output path: problems with what the user gave (exit 2).
  CpuBackend backend;
  ModelInfo info;
  std::unique_ptr<Network> net;
  try {
    check_output_path(onnx);
    const Checkpoint ck = load_checkpoint(checkpoint);
    net = network_from_checkpoint(ck, backend, 1, &info);  // errors name the checkpoint
  } catch (const DataError& e) {
    return fail(kExitUsage, e.what());
  } catch (const ConfigError& e) {
    return fail(kExitUsage, e.what());
  } catch (const std::exception& e) {
    return fail(kExitFailed, e.what());
  }

  OnnxExportSummary s;
  try {
    s = write_onnx_model(*net, info, onnx);
  } catch (const ConfigError& e) {
    return fail(kExitUsage, checkpoint + ": " + e.what());
  } catch (const std::exception& e) {
    return fail(kExitFailed, e.what());
  }
  if (!quiet) {
    const std::string size = std::to_string(info.input[0]) + "," + std::to_string(info.input[1]) + "," +
                             std::to_string(info.input[2]);
    std::printf("wrote %s (%lld bytes): ONNX opset %d, %lld nodes for model %s\n", s.path.c_str(),
                static_cast<long long>(s.bytes), s.opset, static_cast<long long>(s.nodes), info.spec.c_str());
    std::printf("  input image (N,%s) float in [0,1]; outputs probabilities and logits (N,%d)\n", size.c_str(),
                info.num_classes);
    std::printf("  %s\n", s.plan.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
