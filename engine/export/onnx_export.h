#pragma once
// ONNX export of a trained network for inference (docs/onnx.md), written with the ONNX project's
// own protobuf definitions (libonnx-dev). The model:
//   input   image          (N, C, H, W) float: pixel intensities in [0, 1] as the data set stores
//                          them (light digit on dark, the model's size); N is dynamic
//   graph   (image - mean) / std (the engine's input normalisation), then the layers of
//           plan_export (engine/export/export_plan.h: dropout removed, batch norm folded where it
//           directly follows a dense, conv or locally connected layer)
//   outputs probabilities  (N, classes) softmax of the logits
//           logits         (N, classes)
//   opset kOnnxOpset of the default domain; metadata_props from onnx_metadata (onnx_metadata.h).
// Layers map to standard operators: fc -> Gemm, conv -> Conv, pool -> MaxPool / AveragePool,
// bn -> BatchNormalization (when not folded), relu/tanh/sigmoid/elu -> their operators, gelu ->
// x * 0.5 * (1 + Erf(x / sqrt 2)) (the engine's exact form; Gelu is an operator only from opset 20),
// flatten -> Flatten, lc -> Pad, Flatten, Gather (patch extraction), per-position MatMul, Add.
//
// Built without libonnx (CMake GD_ONNX), onnx_export_available() is false and the functions below
// throw Error saying what to install.
#include <cstdint>
#include <string>

#include "engine/graph/network.h"
#include "engine/train/model_io.h"

namespace gd {

inline constexpr int kOnnxOpset = 17;  // read by onnx >= 1.12's checker and every current runtime

bool onnx_export_available();

struct OnnxExportSummary {
  std::string path;     // where the model was written ("" from onnx_model_bytes)
  int64_t bytes = 0;    // size of the serialised model
  int opset = kOnnxOpset;
  int64_t nodes = 0;
  std::string plan;     // describe(plan_export(net))
};

// The serialised ModelProto. Throws ConfigError naming a layer that cannot be exported.
std::string onnx_model_bytes(const Network& net, const ModelInfo& info, OnnxExportSummary* summary = nullptr);

// onnx_model_bytes written to `path` atomically (write_file_atomic): on any failure nothing is
// left at `path`'s place but what was there before. Throws ConfigError when `path` is a directory
// or its directory does not exist, Error when writing fails.
OnnxExportSummary write_onnx_model(const Network& net, const ModelInfo& info, const std::string& path);

}  // namespace gd
