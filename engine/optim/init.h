#pragma once
// Weight initialisation, bit-reproducible across compilers and standard libraries: uniforms come from
// the counter-based Philox stream of engine/core/philox.h (never from <random>'s distributions, whose
// output is implementation-defined), normals from Box-Muller on pairs of those uniforms, all computed
// in double and rounded to float once. (Box-Muller's log/cos/sin come from the platform libm, which
// may differ in the last bit of a double between implementations; that changes the float result only
// when the value lies within one double ulp of a float rounding boundary, about one draw in 2^29.)
//
//   he-uniform      U(-b, b),  b = sqrt(6 / fan_in)             he-normal      N(0, 2 / fan_in)
//   glorot-uniform  U(-b, b),  b = sqrt(6 / (fan_in + fan_out)) glorot-normal  N(0, 2 / (fan_in + fan_out))
//   zeros, ones     constant fill
// Uniform draws satisfy |x| <= float(b) (strictly below b in double, which rounding may reach).
//
// Element i of a tensor depends only on (seed, stream, i): `stream` tells the parameter tensors of
// one model apart (e.g. 2 * layer + {0 weight, 1 bias}), so the same seed gives the same model
// whatever order the tensors are filled in and however many threads fill them.
#include <cstdint>
#include <string>

namespace gd {

enum class InitScheme { HeUniform, HeNormal, GlorotUniform, GlorotNormal, Zeros, Ones };

// "he-uniform", "he-normal", "glorot-uniform", "glorot-normal", "zeros", "ones"; ConfigError otherwise.
InitScheme parse_init_scheme(const std::string& s);
const char* init_scheme_name(InitScheme scheme);  // the inverse of parse_init_scheme

// Fills host_out (n floats, host memory) with n draws of `scheme`. OVERWRITES host_out.
// fan_in >= 1 for He; fan_in + fan_out >= 1 and both >= 0 for Glorot (ShapeError otherwise).
// The normal schemes are not truncated.
void init_fill(InitScheme scheme, int64_t fan_in, int64_t fan_out, int64_t n, float* host_out,
               uint64_t seed, uint32_t stream);

// The classifier head (the weight of the layer that produces the class scores), whatever the
// scheme of the other layers: U(-b, b) with b = 1 / sqrt(6 fan_in), one sixth of the He bound.
// PyTorch's nn.Linear default is b = 1 / sqrt(fan_in), but PyTorch's hidden layers use the same
// small bound (variance 1 / (3 fan_in)), where He init's is 6 times larger, so a He-initialised
// stack feeds the head activations about sqrt(6) larger; the extra 1 / sqrt(6) undoes that.
// Measured on MNIST, 5 seeds (docs/accuracy.md, "Initialisation"): He init in the head started the
// cnn at a loss of 3.6-5.5 and PyTorch's bound at 2.48-2.93; this bound keeps every named model
// within 0.3 of ln(10) = 2.30 (tests/initial_loss_test.cpp). A zero head would start exactly at
// ln(classes) but gives the hidden layers no gradient until the head has grown, which slowed short
// runs at small learning rates. OVERWRITES host_out (n floats); fan_in >= 1 (ShapeError otherwise).
void init_fill_classifier_head(int64_t fan_in, int64_t n, float* host_out, uint64_t seed, uint32_t stream);

}  // namespace gd
