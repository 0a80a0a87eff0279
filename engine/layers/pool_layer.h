#pragma once
#include "engine/graph/layer.h"

namespace gd {

// pool<K>[s<S>] / maxpool<K>[s<S>] and avgpool<K>[s<S>]: (C,H,W) -> (C,OH,OW); stride defaults to K.
class PoolLayer final : public Layer {
 public:
  PoolLayer(bool is_max, int64_t k, int64_t stride);
  std::string spec() const override;
  std::string kind() const override { return max_ ? "MaxPool2d" : "AvgPool2d"; }
  Shape output_shape(const Shape& in) const override;
  int64_t aux_floats(const Shape& in, int64_t max_batch) const override;
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding& b) override;
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                const float* dy, float* dx, const LayerBinding& b) override;
  bool is_max() const { return max_; }
  int64_t window() const { return k_; }
  int64_t stride() const { return stride_; }

 private:
  Pool2dShape op(int64_t n, const Shape& in) const;
  bool max_;
  int64_t k_, stride_;
};

}  // namespace gd
