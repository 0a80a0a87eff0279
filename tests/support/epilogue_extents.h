#pragma once
// Shared by the CPU and CUDA tests of the fused bias + activation epilogue
// (engine/ops/bias_activation.h): the activations it fuses, and a tensor's (outer, channels, inner)
// view.
#include <cstdint>
#include <string>

#include "engine/ops/activation.h"

namespace gd::test {

inline constexpr Activation kFusable[] = {Activation::ReLU, Activation::Tanh, Activation::Sigmoid,
                                          Activation::ELU};

struct Extents {
  int64_t outer, channels, inner;
  int64_t total() const { return outer * channels * inner; }
  std::string str() const {
    return "(" + std::to_string(outer) + "," + std::to_string(channels) + "," + std::to_string(inner) + ")";
  }
};

}  // namespace gd::test
