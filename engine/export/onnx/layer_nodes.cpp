#include "engine/export/onnx/layer_nodes.h"

#include "engine/core/error.h"
#include "engine/export/onnx/locally_connected_nodes.h"

namespace gd::onnx_export {
namespace {

// y = x W^T + b: Gemm with transB, W (M,K) as the engine stores it.
void emit_dense(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out) {
  const int64_t m = s.out[0], k = s.in[0];
  const std::string w = g.floats(s.name + ".weight", {m, k}, s.weight);
  const std::string b = g.floats(s.name + ".bias", {m}, s.bias);
  GraphBuilder::attribute(g.node("Gemm", s.name, {in, w, b}, out), "transB", int64_t{1});
}

void emit_conv(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out) {
  const int64_t f = s.out[0], c = s.in[0], k = s.window.kernel, st = s.window.stride, p = s.window.pad;
  const std::string w = g.floats(s.name + ".weight", {f, c, k, k}, s.weight);
  const std::string b = g.floats(s.name + ".bias", {f}, s.bias);
  auto& conv = g.node("Conv", s.name, {in, w, b}, out);
  GraphBuilder::attribute(conv, "kernel_shape", std::vector<int64_t>{k, k});
  GraphBuilder::attribute(conv, "strides", std::vector<int64_t>{st, st});
  GraphBuilder::attribute(conv, "pads", std::vector<int64_t>{p, p, p, p});
}

// The engine pools without padding and floors the output size (engine/ops/pool2d.h); its average
// divides by k*k, which without padding every runtime does too.
void emit_pool(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out) {
  const int64_t k = s.window.kernel, st = s.window.stride;
  auto& pool = g.node(s.op == ExportOp::MaxPool ? "MaxPool" : "AveragePool", s.name, {in}, out);
  GraphBuilder::attribute(pool, "kernel_shape", std::vector<int64_t>{k, k});
  GraphBuilder::attribute(pool, "strides", std::vector<int64_t>{st, st});
  GraphBuilder::attribute(pool, "pads", std::vector<int64_t>{0, 0, 0, 0});
  GraphBuilder::attribute(pool, "ceil_mode", int64_t{0});
}

// GELU as the engine computes it (engine/ref/activation_ref.cpp): 0.5 * x * (1 + erf(x / sqrt 2)).
void emit_gelu(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out) {
  const std::string& n = s.name;
  auto& scaled = g.node("Mul", n + ".scale", {in, g.scalar(n + ".inv_sqrt2", 0.70710678118654752440f)});
  auto& erf = g.node("Erf", n + ".erf", {GraphBuilder::output_of(scaled)});
  auto& one_plus = g.node("Add", n + ".one_plus", {GraphBuilder::output_of(erf), g.scalar(n + ".one", 1.0f)});
  auto& times_x = g.node("Mul", n + ".times_x", {in, GraphBuilder::output_of(one_plus)});
  g.node("Mul", n + ".half", {GraphBuilder::output_of(times_x), g.scalar(n + ".half_value", 0.5f)}, out);
}

void emit_activation(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out) {
  switch (s.activation) {
    case Activation::ReLU: g.node("Relu", s.name, {in}, out); return;
    case Activation::Tanh: g.node("Tanh", s.name, {in}, out); return;
    case Activation::Sigmoid: g.node("Sigmoid", s.name, {in}, out); return;
    case Activation::ELU: GraphBuilder::attribute(g.node("Elu", s.name, {in}, out), "alpha", 1.0f); return;
    case Activation::GELU: emit_gelu(g, s, in, out); return;
  }
  throw Error("ONNX export: " + s.name + " has an activation with no ONNX form");
}

// Inference-mode BatchNormalization (opset 15: training_mode 0 by default) over dimension 1 of
// (N,C,H,W) or (N,K).
void emit_batchnorm(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out) {
  const BatchNormStats& bn = s.batchnorm;
  const int64_t c = static_cast<int64_t>(bn.gamma.size());
  const std::string scale = g.floats(s.name + ".gamma", {c}, bn.gamma);
  const std::string bias = g.floats(s.name + ".beta", {c}, bn.beta);
  const std::string mean = g.floats(s.name + ".running_mean", {c}, bn.mean);
  const std::string var = g.floats(s.name + ".running_var", {c}, bn.var);
  GraphBuilder::attribute(g.node("BatchNormalization", s.name, {in, scale, bias, mean, var}, out), "epsilon",
                          static_cast<float>(bn.eps));
}

}  // namespace

void emit_step(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out) {
  switch (s.op) {
    case ExportOp::Dense: return emit_dense(g, s, in, out);
    case ExportOp::Conv: return emit_conv(g, s, in, out);
    case ExportOp::LocallyConnected: return emit_locally_connected(g, s, in, out);
    case ExportOp::MaxPool:
    case ExportOp::AvgPool: return emit_pool(g, s, in, out);
    case ExportOp::Activation: return emit_activation(g, s, in, out);
    case ExportOp::BatchNorm: return emit_batchnorm(g, s, in, out);
    case ExportOp::Flatten: GraphBuilder::attribute(g.node("Flatten", s.name, {in}, out), "axis", int64_t{1}); return;
  }
  throw Error("ONNX export: " + s.name + " has an export op with no ONNX form");
}

}  // namespace gd::onnx_export
