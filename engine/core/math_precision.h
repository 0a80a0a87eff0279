#pragma once
// The arithmetic of the GEMM-like ops (dense and locally connected layers, convolutions) on the
// CUDA backend. Storage stays FP32 everywhere; the modes differ only in what the tensor cores read.
// docs/precision.md lists the ops and library settings each mode changes and their error bounds.
#include <string>

namespace gd {

enum class MathPrecision {
  FP32,  // FP32 FMA arithmetic: the default, and the only mode of the CPU backend
  TF32,  // tensor cores, inputs rounded to TF32 (10-bit mantissa), FP32 accumulation
  BF16,  // tensor cores, inputs rounded to BF16 (7-bit mantissa), FP32 accumulation; cuDNN
         // convolutions have no FP32-in/BF16-compute mode and run as TF32
};

// "fp32" | "tf32" | "bf16" -> the mode; anything else throws ConfigError naming the value.
MathPrecision parse_math_precision(const std::string& s);
// The inverse of parse_math_precision: "fp32", "tf32" or "bf16".
const char* math_precision_name(MathPrecision p);

}  // namespace gd
