#pragma once
#include "engine/graph/layer.h"

namespace gd {

// bn: batch normalisation over channels of (C,H,W) or features of (K). Parameters gamma, beta;
// persistent state running_mean, running_var (checkpointed); saved mean/invstd as aux.
class BatchNormLayer final : public Layer {
 public:
  std::string spec() const override { return "bn"; }
  std::string kind() const override { return "BatchNorm"; }
  Shape output_shape(const Shape& in) const override { return in; }
  std::vector<ParamSpec> param_specs(const Shape& in) const override;
  int64_t state_floats(const Shape& in) const override { return 2 * channels(in); }
  void init_state(const Shape& in, float* host_state) const override;
  int64_t aux_floats(const Shape& in, int64_t) const override { return 2 * channels(in); }
  bool backward_needs_dx() const override { return true; }
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding& b) override;
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                const float* dy, float* dx, const LayerBinding& b) override;

 private:
  static int64_t channels(const Shape& in) { return in[0]; }
  static BatchNormShape op(int64_t n, const Shape& in);
};

}  // namespace gd
