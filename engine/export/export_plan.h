#pragma once
// The inference graph of a trained Network, as an exporter writes it (engine/export/onnx_export.h),
// with nothing of ONNX in it: the layer chain in inference mode, with the weights copied to the
// host.
//   - dropout is removed (the identity at inference);
//   - a batch norm directly after a dense, conv or locally connected layer (dropout between them
//     removed first) is folded into that layer's weights and bias, in double:
//       s = gamma / sqrt(running_var + eps),  w' = w * s (per output channel),
//       b' = (b - running_mean) * s + beta;
//     any other batch norm (after an activation, a pooling, a flatten, or first) stays a step of
//     its own with its running statistics;
//   - activations are steps of their own: the executor's fused epilogues are ignored (the plan is
//     built from the layer list, which fusion leaves unchanged).
// A layer the plan does not know throws ConfigError naming its index, spec token and kind.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/shape.h"
#include "engine/graph/network.h"
#include "engine/layers/window_geometry.h"
#include "engine/ops/activation.h"

namespace gd {

enum class ExportOp { Dense, Conv, LocallyConnected, MaxPool, AvgPool, Activation, BatchNorm, Flatten };

// Batch norm in inference mode: y = (x - mean) / sqrt(var + eps) * gamma + beta, per channel.
struct BatchNormStats {
  std::vector<float> gamma, beta, mean, var;  // (C) each
  double eps = 1e-5;
};

struct ExportStep {
  ExportOp op = ExportOp::Flatten;
  size_t layer = 0;          // index of the layer in the network
  std::string name;          // "<index>.<kind>", e.g. "2.LocallyConnected2d": names its ONNX nodes
  std::string spec;          // the layer's spec token, plus ",bn" when a batch norm was folded in
  Shape in, out;             // per-sample shapes (no batch dimension)
  WindowConfig window;       // Conv, LocallyConnected: filters, kernel, stride, pad;
                             // MaxPool, AvgPool: kernel and stride (pad 0)
  Activation activation = Activation::ReLU;  // Activation
  // In the engine's layouts: Dense w (M,K), b (M); Conv w (F,C,K,K), b (F);
  // LocallyConnected w (P,F,R), b (F,OH,OW) with P = OH*OW and R = C*K*K (engine/ops/lc2d.h).
  std::vector<float> weight, bias;
  BatchNormStats batchnorm;  // BatchNorm
};

struct ExportPlan {
  std::vector<ExportStep> steps;
  Shape input;                   // (C,H,W)
  int64_t classes = 0;           // the last step's output width
  int folded_batchnorms = 0;     // batch norms folded into the layer before them
  int removed_dropouts = 0;
};

// Reads the network's parameters and batch-norm state from its backend.
ExportPlan plan_export(const Network& net);

// One line, e.g. "12 steps; 2 batch norms folded, 1 kept; 2 dropout layers removed".
std::string describe(const ExportPlan& plan);

}  // namespace gd
