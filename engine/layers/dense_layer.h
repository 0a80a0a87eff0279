#pragma once
#include "engine/graph/layer.h"
#include "engine/layers/fused_epilogue.h"

namespace gd {

// fc<M>: (K) -> (M). Input must be flat (the spec builder inserts Flatten before it).
// fuse_activation: the bias add and a following activation run as one epilogue (fused_epilogue.h).
class DenseLayer final : public Layer, public EpilogueFusable {
 public:
  explicit DenseLayer(int64_t out_features);
  std::string spec() const override;
  std::string kind() const override { return "Dense"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs(const Shape& in) const override;
  double flops_per_sample(const Shape& in) const override;
  int64_t aux_floats(const Shape& in, int64_t max_batch) const override;
  void fuse_activation(Activation a) override { epilogue_.fuse(a, spec()); }
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding& b) override;
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                const float* dy, float* dx, const LayerBinding& b) override;

 private:
  DenseShape shape_for(int64_t n, const Shape& in) const;
  int64_t out_;
  FusedEpilogue epilogue_;
};

}  // namespace gd
