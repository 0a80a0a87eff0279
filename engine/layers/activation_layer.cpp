#include "engine/layers/activation_layer.h"

#include <cmath>
#include <sstream>

#include "engine/core/error.h"

namespace gd {

namespace {
const char* activation_kind(Activation a) {
  switch (a) {
    case Activation::ReLU: return "ReLU";
    case Activation::Tanh: return "Tanh";
    case Activation::Sigmoid: return "Sigmoid";
    case Activation::ELU: return "ELU";
    case Activation::GELU: return "GELU";
  }
  return "Activation";
}
}  // namespace

std::string ActivationLayer::kind() const {
  return std::string(activation_kind(act_)) + (fused_ ? " (fused)" : "");
}

void ActivationLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                              const LayerBinding&) {
  if (fused_) return;  // applied by the previous layer's epilogue; y is x
  be.activation_forward(act_, st.n * in.numel(), x, y);
}

void ActivationLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float* x,
                               const float* y, const float* dy, float* dx, const LayerBinding&) {
  if (fused_) return;  // the previous layer's epilogue backward applies act'; dx is dy
  if (dx) be.activation_backward(act_, st.n * in.numel(), x, y, dy, dx);
}

DropoutLayer::DropoutLayer(double p) : p_(p) {
  GD_CHECK_T(std::isfinite(p_) && p_ >= 0.0 && p_ < 1.0, ConfigError,
             "dropout probability must be in [0, 1), got " << p_);
}

std::string DropoutLayer::spec() const {
  std::ostringstream os;
  os << "dropout" << p_;
  return os.str();
}

DropoutParams DropoutLayer::params(const StepInfo& st) const {
  DropoutParams d;
  d.p = static_cast<float>(p_);
  d.seed = st.seed;
  d.stream = index;
  d.step = st.step;
  d.live = st.live;
  return d;
}

void DropoutLayer::forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                           const LayerBinding&) {
  const int64_t n = st.n * in.numel();
  if (st.training && p_ > 0.0)
    be.dropout_forward(params(st), n, x, y);
  else
    be.copy(y, x, static_cast<size_t>(n) * sizeof(float));
}

void DropoutLayer::backward(Backend& be, const StepInfo& st, const Shape& in, const float*, const float*,
                            const float* dy, float* dx, const LayerBinding&) {
  if (!dx) return;
  const int64_t n = st.n * in.numel();
  if (p_ > 0.0)
    be.dropout_backward(params(st), n, dy, dx);
  else
    be.copy(dx, dy, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace gd
