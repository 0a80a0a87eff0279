#include "engine/layers/pool_layer.h"

#include "engine/core/error.h"

namespace gd {

PoolLayer::PoolLayer(bool is_max, int64_t k, int64_t stride) : max_(is_max), k_(k), stride_(stride) {
  GD_CHECK_T(k_ > 0 && stride_ > 0, ConfigError, spec() << ": window and stride must be positive");
}

std::string PoolLayer::spec() const {
  std::string s = (max_ ? "pool" : "avgpool") + std::to_string(k_);
  if (stride_ != k_) s += "s" + std::to_string(stride_);
  return s;
}

Pool2dShape PoolLayer::op(int64_t n, const Shape& in) const {
  GD_CHECK_SHAPE(in.rank() == 3, spec() << " expects a (C,H,W) input, got " << in.str());
  GD_CHECK_SHAPE(in[1] >= k_ && in[2] >= k_, spec() << ": window larger than input " << in.str());
  Pool2dShape s;
  s.n = n;
  s.c = in[0];
  s.h = in[1];
  s.w = in[2];
  s.k = k_;
  s.stride = stride_;
  s.pad = 0;
  return s;
}

Shape PoolLayer::output_shape(const Shape& in) const {
  const Pool2dShape s = op(1, in);
  return Shape{s.c, s.oh(), s.ow()};
}

int64_t PoolLayer::aux_floats(const Shape& in, int64_t max_batch) const {
  // Max pooling keeps its int32 argmax (one per output element) for the backward pass.
  return max_ ? max_batch * output_shape(in).numel() : 0;
}

void PoolLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                        const LayerBinding& b) {
  if (max_)
    be.maxpool2d_forward(op(st.n, in), x, y, reinterpret_cast<int32_t*>(b.aux));
  else
    be.avgpool2d_forward(op(st.n, in), x, y);
}

void PoolLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float* /*x*/,
                         const float* /*y*/, const float* dy, float* dx, const LayerBinding& b) {
  if (!dx) return;
  if (max_)
    be.maxpool2d_backward(op(st.n, in), dy, reinterpret_cast<const int32_t*>(b.aux), dx);
  else
    be.avgpool2d_backward(op(st.n, in), dy, dx);
}

}  // namespace gd
