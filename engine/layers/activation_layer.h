#pragma once
#include "engine/graph/layer.h"

namespace gd {

// relu | tanh | sigmoid | elu | gelu: element-wise, any shape.
// Fused (mark_fused, by the network's fusion pass, engine/layers/fused_epilogue.h): the previous
// layer applies the activation in its epilogue, so this layer's output is its input buffer and
// forward and backward do nothing; its spec and index stay, and kind() says e.g. "ReLU (fused)".
class ActivationLayer final : public Layer {
 public:
  explicit ActivationLayer(Activation a) : act_(a) {}
  std::string spec() const override { return activation_name(act_); }
  std::string kind() const override;
  Shape output_shape(const Shape& in) const override { return in; }
  bool aliases_input() const override { return fused_; }
  Activation activation() const { return act_; }
  void mark_fused() { fused_ = true; }
  bool fused() const { return fused_; }
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding& b) override;
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                const float* dy, float* dx, const LayerBinding& b) override;

 private:
  Activation act_;
  bool fused_ = false;
};

// dropout<P>: inverted dropout with a Philox mask keyed by (seed, layer index, step, element).
class DropoutLayer final : public Layer {
 public:
  explicit DropoutLayer(double p);
  std::string spec() const override;
  std::string kind() const override { return "Dropout"; }
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding& b) override;
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                const float* dy, float* dx, const LayerBinding& b) override;
  double p() const { return p_; }

 private:
  DropoutParams params(const StepInfo& st) const;
  double p_;
};

// flatten: (C,H,W) -> (C*H*W), sharing the input buffer.
class FlattenLayer final : public Layer {
 public:
  std::string spec() const override { return "flatten"; }
  std::string kind() const override { return "Flatten"; }
  Shape output_shape(const Shape& in) const override { return Shape{in.numel()}; }
  bool aliases_input() const override { return true; }
  void forward(Backend&, const StepInfo&, const Shape&, const float*, float*, const LayerBinding&) override {}
  void backward(Backend&, const StepInfo&, const Shape&, const float*, const float*, const float*,
                float*, const LayerBinding&) override {}
};

}  // namespace gd
