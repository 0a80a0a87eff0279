#pragma once
// Epilogue fusion: a dense, conv2d or locally connected layer directly followed by an activation
// takes that activation into its own epilogue (engine/ops/bias_activation.h). Forward: the product
// without bias, then one in-place pass y = act(y + b). Backward: one pass dpre = dy * act'(y) that
// also sums the bias gradient, then the product's backward on dpre. The activation layer stays in
// the chain, so layer indices, parameter names, spec strings, checkpoints and dropout streams do not
// change; once fused it aliases its input (like flatten) and does nothing. Results are bit-identical
// to the unfused layers on the CPU except the bias gradient, whose summation order changes.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/graph/layer.h"

namespace gd {

// The fused part of a layer: which activation (if any) and the two epilogue calls. dpre lives in
// the layer's aux scratch (LayerBinding::aux, aux_floats() of it), since dy must not be written.
class FusedEpilogue {
 public:
  // Throws ConfigError when `a` is not fusable or an activation is already fused; `who` names the
  // layer in the message.
  void fuse(Activation a, const std::string& who);
  bool active() const { return act_.has_value(); }
  // Aux floats the layer needs: max_batch * per_sample outputs when fused, else none.
  int64_t aux_floats(int64_t per_sample, int64_t max_batch) const;
  // y (outer, channels, inner) = act(y + bias) in place (the product was run without bias).
  void forward(Backend& be, int64_t outer, int64_t channels, int64_t inner, const float* bias,
               float* y) const;
  // dpre (in aux) = dy * act'(y) and dbias (channels) = its sums, both OVERWRITTEN; returns dpre,
  // the gradient the product's backward then takes in place of dy (with its own db == nullptr).
  const float* backward(Backend& be, int64_t outer, int64_t channels, int64_t inner, const float* y,
                        const float* dy, float* dbias, float* aux) const;

 private:
  std::optional<Activation> act_;
};

// Implemented by the layers that own a FusedEpilogue (Dense, Conv2d, Lc2d).
class EpilogueFusable {
 public:
  virtual ~EpilogueFusable() = default;
  virtual void fuse_activation(Activation a) = 0;
};

// The fusion pass over a chain, run by Network before it plans buffers (fusion changes aux sizes
// and aliasing): every EpilogueFusable layer directly followed by an unfused ActivationLayer whose
// activation is fusable (not gelu) takes it over, and the activation layer is marked fused.
// Returns the number of fusions.
int fuse_activation_epilogues(std::vector<std::unique_ptr<Layer>>& layers);

}  // namespace gd
