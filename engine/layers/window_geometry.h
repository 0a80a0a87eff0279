#pragma once
// Shared geometry of the sliding-window layers (conv and locally connected): spec tokens and the
// op shape structs (Conv2dShape and Lc2dShape have the same fields).
#include <string>

#include "engine/core/error.h"
#include "engine/core/shape.h"

namespace gd {

struct WindowConfig {
  int64_t filters = 0, kernel = 0, stride = 1, pad = 0;

  std::string token(const char* prefix) const {
    std::string s = prefix + std::to_string(filters) + "k" + std::to_string(kernel);
    if (stride != 1) s += "s" + std::to_string(stride);
    if (pad != 0) s += "p" + std::to_string(pad);
    return s;
  }
  void validate(const char* prefix) const {
    GD_CHECK_T(filters > 0 && kernel > 0 && stride > 0 && pad >= 0, ConfigError,
               token(prefix) << ": needs filters, kernel, stride > 0 and pad >= 0");
  }
  // Fills an op shape struct for input (C,H,W) and batch n; checks the window fits.
  template <typename OpShape>
  OpShape op_shape(const char* prefix, int64_t n, const Shape& in) const {
    GD_CHECK_SHAPE(in.rank() == 3, token(prefix) << " expects a (C,H,W) input, got " << in.str());
    GD_CHECK_SHAPE(in[1] + 2 * pad >= kernel && in[2] + 2 * pad >= kernel,
                   token(prefix) << ": kernel " << kernel << " larger than padded input " << in.str());
    OpShape s;
    s.n = n;
    s.c = in[0];
    s.h = in[1];
    s.w = in[2];
    s.f = filters;
    s.kh = s.kw = kernel;
    s.stride = stride;
    s.pad = pad;
    return s;
  }
};

}  // namespace gd
