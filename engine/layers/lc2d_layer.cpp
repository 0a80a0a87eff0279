#include "engine/layers/lc2d_layer.h"

namespace gd {

Lc2dLayer::Lc2dLayer(WindowConfig cfg) : cfg_(cfg) { cfg_.validate("lc"); }

Shape Lc2dLayer::output_shape(const Shape& in) const {
  const Lc2dShape s = op(1, in);
  return Shape{s.f, s.oh(), s.ow()};
}

std::vector<ParamSpec> Lc2dLayer::param_specs(const Shape& in) const {
  const Lc2dShape s = op(1, in);
  const int64_t fan_in = s.receptive(), fan_out = s.f * s.kh * s.kw;
  return {ParamSpec{"weight", Shape{s.positions(), s.f, s.receptive()}, true, 0.0f, fan_in, fan_out},
          ParamSpec{"bias", Shape{s.f, s.oh(), s.ow()}, false, 0.0f, fan_in, fan_out}};
}

size_t Lc2dLayer::workspace_bytes(Backend& be, const Shape& in, int64_t max_batch) const {
  return be.lc2d_workspace_bytes(op(max_batch, in));
}

double Lc2dLayer::flops_per_sample(const Shape& in) const {
  const Lc2dShape s = op(1, in);
  return 2.0 * s.positions() * s.f * s.receptive();
}

int64_t Lc2dLayer::aux_floats(const Shape& in, int64_t max_batch) const {
  return epilogue_.aux_floats(output_shape(in).numel(), max_batch);
}

// y (N,F,OH,OW) with bias (F,OH,OW): viewed as (outer N, channels F*OH*OW, inner 1) for the epilogue.
void Lc2dLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                        const LayerBinding& b) {
  const Lc2dShape s = op(st.n, in);
  if (!epilogue_.active()) {
    be.lc2d_forward(s, x, b.params[0], b.params[1], y, b.workspace.data);
    return;
  }
  be.lc2d_forward(s, x, b.params[0], nullptr, y, b.workspace.data);
  epilogue_.forward(be, s.n, s.f * s.positions(), 1, b.params[1], y);
}

void Lc2dLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float* x,
                         const float* y, const float* dy, float* dx, const LayerBinding& b) {
  const Lc2dShape s = op(st.n, in);
  if (!epilogue_.active()) {
    be.lc2d_backward(s, x, b.params[0], dy, dx, b.grads[0], b.grads[1], b.workspace.data);
    return;
  }
  const float* dpre = epilogue_.backward(be, s.n, s.f * s.positions(), 1, y, dy, b.grads[1], b.aux);
  be.lc2d_backward(s, x, b.params[0], dpre, dx, b.grads[0], nullptr, b.workspace.data);
}

}  // namespace gd
