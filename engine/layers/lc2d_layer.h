#pragma once
#include "engine/graph/layer.h"
#include "engine/layers/fused_epilogue.h"
#include "engine/layers/window_geometry.h"

namespace gd {

// lc<F>k<K>[s<S>][p<P>]: (C,H,W) -> (F,OH,OW) with a separate weight matrix and bias per output
// position (locally connected; no cuDNN equivalent).
// fuse_activation: the bias add and a following activation run as one epilogue (fused_epilogue.h).
class Lc2dLayer final : public Layer, public EpilogueFusable {
 public:
  explicit Lc2dLayer(WindowConfig cfg);
  std::string spec() const override { return cfg_.token("lc"); }
  std::string kind() const override { return "LocallyConnected2d"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs(const Shape& in) const override;
  size_t workspace_bytes(Backend& be, const Shape& in, int64_t max_batch) const override;
  double flops_per_sample(const Shape& in) const override;
  int64_t aux_floats(const Shape& in, int64_t max_batch) const override;
  void fuse_activation(Activation a) override { epilogue_.fuse(a, spec()); }
  const WindowConfig& window() const { return cfg_; }
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding& b) override;
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                const float* dy, float* dx, const LayerBinding& b) override;

 private:
  Lc2dShape op(int64_t n, const Shape& in) const { return cfg_.op_shape<Lc2dShape>("lc", n, in); }
  WindowConfig cfg_;
  FusedEpilogue epilogue_;
};

}  // namespace gd
