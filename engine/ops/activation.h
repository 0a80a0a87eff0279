#pragma once
// Element-wise activations over n elements.
//   forward : y = f(x)
//   backward: dx = dy * f'(x)   (OVERWRITES dx; reads x and y, either may be used)
// ReLU'(0) = 0. ELU with alpha = 1. GELU is the exact erf form: x * Phi(x).
// In-place forward (y == x) is allowed; backward then must be given y only for relu/tanh/sigmoid/elu
// — the layer keeps x and y distinct, so callers need not rely on it.
#include <cstdint>
#include <string>

namespace gd {

enum class Activation { ReLU, Tanh, Sigmoid, ELU, GELU };

Activation parse_activation(const std::string& name);  // "relu", "tanh", ...; throws ConfigError
const char* activation_name(Activation a);

template <typename T>
void activation_forward_ref(Activation a, int64_t n, const T* x, T* y);
template <typename T>
void activation_backward_ref(Activation a, int64_t n, const T* x, const T* y, const T* dy, T* dx);

}  // namespace gd
