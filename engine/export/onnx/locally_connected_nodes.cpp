#include "engine/export/onnx/locally_connected_nodes.h"

#include "engine/core/error.h"

namespace gd::onnx_export {

std::vector<int64_t> patch_indices(const ExportStep& lc) {
  const int64_t c = lc.in[0], k = lc.window.kernel, stride = lc.window.stride, pad = lc.window.pad;
  const int64_t hp = lc.in[1] + 2 * pad, wp = lc.in[2] + 2 * pad;
  const int64_t oh = lc.out[1], ow = lc.out[2];
  std::vector<int64_t> idx;
  idx.reserve(static_cast<size_t>(oh * ow * c * k * k));
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t i = 0; i < k; ++i)
          for (int64_t j = 0; j < k; ++j) idx.push_back((ch * hp + oy * stride + i) * wp + ox * stride + j);
  return idx;
}

void emit_locally_connected(GraphBuilder& g, const ExportStep& lc, const std::string& in, const std::string& out) {
  const int64_t c = lc.in[0], f = lc.out[0], oh = lc.out[1], ow = lc.out[2];
  const int64_t q = oh * ow, r = c * lc.window.kernel * lc.window.kernel, pad = lc.window.pad;
  GD_CHECK(static_cast<int64_t>(lc.weight.size()) == q * f * r && static_cast<int64_t>(lc.bias.size()) == f * q,
           lc.name << ": weights of " << lc.weight.size() << " and " << lc.bias.size() << " values for " << q
                   << " positions, " << f << " filters and receptive field " << r);
  const std::string& n = lc.name;

  std::string x = in;
  if (pad > 0) {
    const std::string pads = g.int64s(n + ".pads", {8}, {0, 0, pad, pad, 0, 0, pad, pad});
    x = GraphBuilder::output_of(g.node("Pad", n + ".pad", {x, pads}));  // mode constant, value 0
  }
  auto& flat = g.node("Flatten", n + ".flatten", {x});
  GraphBuilder::attribute(flat, "axis", int64_t{1});
  const std::string indices = g.int64s(n + ".patch_indices", {q, r}, patch_indices(lc));
  auto& gather = g.node("Gather", n + ".patches", {GraphBuilder::output_of(flat), indices});
  GraphBuilder::attribute(gather, "axis", int64_t{1});
  auto& by_position = g.node("Transpose", n + ".patches_by_position", {GraphBuilder::output_of(gather)});
  GraphBuilder::attribute(by_position, "perm", std::vector<int64_t>{1, 0, 2});

  // w (Q,F,R) -> w' (Q,R,F): patches (Q,N,R) x w' = (Q,N,F).
  std::vector<float> w_t(lc.weight.size());
  for (int64_t p = 0; p < q; ++p)
    for (int64_t o = 0; o < f; ++o)
      for (int64_t i = 0; i < r; ++i)
        w_t[static_cast<size_t>((p * r + i) * f + o)] = lc.weight[static_cast<size_t>((p * f + o) * r + i)];
  const std::string weight = g.floats(n + ".weight", {q, r, f}, w_t);
  auto& product = g.node("MatMul", n + ".matmul", {GraphBuilder::output_of(by_position), weight});
  auto& by_sample = g.node("Transpose", n + ".by_sample", {GraphBuilder::output_of(product)});
  GraphBuilder::attribute(by_sample, "perm", std::vector<int64_t>{1, 2, 0});
  const std::string shape = g.int64s(n + ".shape", {4}, {0, f, oh, ow});  // 0: keep N
  auto& image = g.node("Reshape", n + ".reshape", {GraphBuilder::output_of(by_sample), shape});
  const std::string bias = g.floats(n + ".bias", {f, oh, ow}, lc.bias);
  g.node("Add", n + ".bias_add", {GraphBuilder::output_of(image), bias}, out);
}

}  // namespace gd::onnx_export
