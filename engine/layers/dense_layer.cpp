#include "engine/layers/dense_layer.h"

#include "engine/core/error.h"

namespace gd {

DenseLayer::DenseLayer(int64_t out_features) : out_(out_features) {
  GD_CHECK_T(out_ > 0, ConfigError, "fc layer needs a positive width, got " << out_);
}

std::string DenseLayer::spec() const { return "fc" + std::to_string(out_); }

Shape DenseLayer::output_shape(const Shape& in) const {
  GD_CHECK_SHAPE(in.rank() == 1, "fc" << out_ << " expects a flat input, got " << in.str());
  return Shape{out_};
}

std::vector<ParamSpec> DenseLayer::param_specs(const Shape& in) const {
  const int64_t k = in[0];
  return {ParamSpec{"weight", Shape{out_, k}, true, 0.0f, k, out_},
          ParamSpec{"bias", Shape{out_}, false, 0.0f, k, out_}};
}

double DenseLayer::flops_per_sample(const Shape& in) const { return 2.0 * in[0] * out_; }

DenseShape DenseLayer::shape_for(int64_t n, const Shape& in) const {
  DenseShape s;
  s.n = n;
  s.k = in[0];
  s.m = out_;
  return s;
}

int64_t DenseLayer::aux_floats(const Shape& /*in*/, int64_t max_batch) const {
  return epilogue_.aux_floats(out_, max_batch);
}

// y (N,M) viewed as (outer N, channels M, inner 1) for the epilogue.
void DenseLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                         const LayerBinding& b) {
  if (!epilogue_.active()) {
    be.dense_forward(shape_for(st.n, in), x, b.params[0], b.params[1], y);
    return;
  }
  be.dense_forward(shape_for(st.n, in), x, b.params[0], nullptr, y);
  epilogue_.forward(be, st.n, out_, 1, b.params[1], y);
}

void DenseLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float* x,
                          const float* y, const float* dy, float* dx, const LayerBinding& b) {
  if (!epilogue_.active()) {
    be.dense_backward(shape_for(st.n, in), x, b.params[0], dy, dx, b.grads[0], b.grads[1]);
    return;
  }
  const float* dpre = epilogue_.backward(be, st.n, out_, 1, y, dy, b.grads[1], b.aux);
  be.dense_backward(shape_for(st.n, in), x, b.params[0], dpre, dx, b.grads[0], nullptr);
}

}  // namespace gd
