#pragma once
// Model spec strings: a comma-separated list of layer tokens (grammar in docs/spec-strings.md), e.g.
//   "conv32k5p2,relu,pool2,lc16k5s2p2,relu,fc128,dropout0.5,fc10"
// and the named architectures (mlp, cnn, lcnn and the stronger mlp-wide, cnn-bn, lcnn-bn), which expand to spec strings whose shapes are
// derived from the input (28x28 MNIST, 16x16 USPS).
#include <memory>
#include <string>
#include <vector>

#include "engine/core/shape.h"
#include "engine/graph/layer.h"

namespace gd {

// True for the names named_archs() lists.
bool is_named_arch(const std::string& arch);
std::vector<std::string> named_archs();

// Expands a named architecture to its spec string for `num_classes` outputs, using `dropout` for the
// dropout layers the recipe leaves tunable. A spec string is returned unchanged (trimmed, lower-case).
std::string resolve_arch(const std::string& arch, int num_classes, double dropout);

// Parses a spec string into layers for a per-sample input shape (C,H,W). A flatten is inserted
// before the first fc that follows a (C,H,W) tensor. "dropout" without a value uses
// `default_dropout`. Throws ConfigError naming the offending token and its position, and when the
// last layer does not produce `num_classes` outputs.
std::vector<std::unique_ptr<Layer>> build_layers(const std::string& spec, const Shape& input,
                                                 int num_classes, double default_dropout);

}  // namespace gd
