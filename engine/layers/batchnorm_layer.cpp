#include "engine/layers/batchnorm_layer.h"

#include <algorithm>

#include "engine/core/error.h"

namespace gd {

BatchNormShape BatchNormLayer::op(int64_t n, const Shape& in) {
  GD_CHECK_SHAPE(in.rank() == 1 || in.rank() == 3, "bn expects (K) or (C,H,W), got " << in.str());
  BatchNormShape s;
  s.n = n;
  s.c = in[0];
  s.s = in.numel() / in[0];
  return s;
}

std::vector<ParamSpec> BatchNormLayer::param_specs(const Shape& in) const {
  const int64_t c = channels(in);
  return {ParamSpec{"gamma", Shape{c}, false, 1.0f, c, c}, ParamSpec{"beta", Shape{c}, false, 0.0f, c, c}};
}

void BatchNormLayer::init_state(const Shape& in, float* host_state) const {
  const int64_t c = channels(in);
  std::fill(host_state, host_state + c, 0.0f);         // running_mean
  std::fill(host_state + c, host_state + 2 * c, 1.0f);  // running_var
}

void BatchNormLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                             const LayerBinding& b) {
  const BatchNormShape s = op(st.n, in);
  float* running_mean = b.state;
  float* running_var = b.state + s.c;
  if (st.training)
    be.batchnorm_forward_train(s, x, b.params[0], b.params[1], y, b.aux, b.aux + s.c, running_mean,
                               running_var);
  else
    be.batchnorm_forward_eval(s, x, b.params[0], b.params[1], running_mean, running_var, y);
}

void BatchNormLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float* x,
                              const float*, const float* dy, float* dx, const LayerBinding& b) {
  const BatchNormShape s = op(st.n, in);
  be.batchnorm_backward(s, x, b.params[0], b.aux, b.aux + s.c, dy, dx, b.grads[0], b.grads[1]);
}

}  // namespace gd
