#include "engine/layers/fused_epilogue.h"

#include "engine/core/error.h"
#include "engine/layers/activation_layer.h"

namespace gd {

void FusedEpilogue::fuse(Activation a, const std::string& who) {
  GD_CHECK_T(activation_fusable(a), ConfigError,
             who << ": " << activation_name(a) << " cannot be fused into the layer's epilogue");
  GD_CHECK_T(!act_, ConfigError,
             who << ": already has " << activation_name(*act_) << " fused; cannot fuse "
                 << activation_name(a) << " too");
  act_ = a;
}

int64_t FusedEpilogue::aux_floats(int64_t per_sample, int64_t max_batch) const {
  return act_ ? per_sample * max_batch : 0;
}

void FusedEpilogue::forward(Backend& be, int64_t outer, int64_t channels, int64_t inner,
                            const float* bias, float* y) const {
  GD_CHECK(act_, "FusedEpilogue::forward: no activation fused");
  be.bias_activation_forward(*act_, outer, channels, inner, bias, y);
}

const float* FusedEpilogue::backward(Backend& be, int64_t outer, int64_t channels, int64_t inner,
                                     const float* y, const float* dy, float* dbias, float* aux) const {
  GD_CHECK(act_, "FusedEpilogue::backward: no activation fused");
  be.bias_activation_backward(*act_, outer, channels, inner, y, dy, aux, dbias);
  return aux;
}

int fuse_activation_epilogues(std::vector<std::unique_ptr<Layer>>& layers) {
  int fused = 0;
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    auto* host = dynamic_cast<EpilogueFusable*>(layers[i].get());
    auto* act = dynamic_cast<ActivationLayer*>(layers[i + 1].get());
    if (!host || !act || act->fused() || !activation_fusable(act->activation())) continue;
    host->fuse_activation(act->activation());
    act->mark_fused();
    ++fused;
  }
  return fused;
}

}  // namespace gd
