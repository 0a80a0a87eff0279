#include "engine/layers/conv2d_layer.h"

namespace gd {

Conv2dLayer::Conv2dLayer(WindowConfig cfg) : cfg_(cfg) { cfg_.validate("conv"); }

Shape Conv2dLayer::output_shape(const Shape& in) const {
  const Conv2dShape s = op(1, in);
  return Shape{s.f, s.oh(), s.ow()};
}

std::vector<ParamSpec> Conv2dLayer::param_specs(const Shape& in) const {
  const int64_t k = cfg_.kernel, f = cfg_.filters;
  const int64_t fan_in = in[0] * k * k, fan_out = f * k * k;
  return {ParamSpec{"weight", Shape{f, in[0], k, k}, true, 0.0f, fan_in, fan_out},
          ParamSpec{"bias", Shape{f}, false, 0.0f, fan_in, fan_out}};
}

size_t Conv2dLayer::workspace_bytes(Backend& be, const Shape& in, int64_t max_batch) const {
  return be.conv2d_workspace_bytes(op(max_batch, in));
}

double Conv2dLayer::flops_per_sample(const Shape& in) const {
  const Conv2dShape s = op(1, in);
  return 2.0 * s.f * s.oh() * s.ow() * s.c * s.kh * s.kw;
}

int64_t Conv2dLayer::aux_floats(const Shape& in, int64_t max_batch) const {
  return epilogue_.aux_floats(output_shape(in).numel(), max_batch);
}

// y (N,F,OH,OW) viewed as (outer N, channels F, inner OH*OW) for the epilogue.
void Conv2dLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                          const LayerBinding& b) {
  const Conv2dShape s = op(st.n, in);
  if (!epilogue_.active()) {
    be.conv2d_forward(s, x, b.params[0], b.params[1], y, b.workspace);
    return;
  }
  be.conv2d_forward(s, x, b.params[0], nullptr, y, b.workspace);
  epilogue_.forward(be, s.n, s.f, s.oh() * s.ow(), b.params[1], y);
}

void Conv2dLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float* x,
                           const float* y, const float* dy, float* dx, const LayerBinding& b) {
  const Conv2dShape s = op(st.n, in);
  if (!epilogue_.active()) {
    be.conv2d_backward(s, x, b.params[0], dy, dx, b.grads[0], b.grads[1], b.workspace);
    return;
  }
  const float* dpre = epilogue_.backward(be, s.n, s.f, s.oh() * s.ow(), y, dy, b.grads[1], b.aux);
  be.conv2d_backward(s, x, b.params[0], dpre, dx, b.grads[0], nullptr, b.workspace);
}

}  // namespace gd
