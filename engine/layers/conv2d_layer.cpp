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

void Conv2dLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                          const LayerBinding& b) {
  be.conv2d_forward(op(st.n, in), x, b.params[0], b.params[1], y, b.workspace);
}

void Conv2dLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float* x,
                           const float* /*y*/, const float* dy, float* dx, const LayerBinding& b) {
  be.conv2d_backward(op(st.n, in), x, b.params[0], dy, dx, b.grads[0], b.grads[1], b.workspace);
}

}  // namespace gd
