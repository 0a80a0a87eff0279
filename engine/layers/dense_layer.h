#pragma once
#include "engine/graph/layer.h"

namespace gd {

// fc<M>: (K) -> (M). Input must be flat (the spec builder inserts Flatten before it).
class DenseLayer final : public Layer {
 public:
  explicit DenseLayer(int64_t out_features);
  std::string spec() const override;
  std::string kind() const override { return "Dense"; }
  Shape output_shape(const Shape& in) const override;
  std::vector<ParamSpec> param_specs(const Shape& in) const override;
  double flops_per_sample(const Shape& in) const override;
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding& b) override;
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                const float* dy, float* dx, const LayerBinding& b) override;

 private:
  DenseShape shape_for(int64_t n, const Shape& in) const;
  int64_t out_;
};

}  // namespace gd
