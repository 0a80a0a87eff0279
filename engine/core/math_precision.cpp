#include "engine/core/math_precision.h"

#include "engine/core/error.h"

namespace gd {

MathPrecision parse_math_precision(const std::string& s) {
  if (s == "fp32") return MathPrecision::FP32;
  if (s == "tf32") return MathPrecision::TF32;
  if (s == "bf16") return MathPrecision::BF16;
  throw ConfigError("unknown math precision '" + s + "' (expected fp32, tf32 or bf16)");
}

const char* math_precision_name(MathPrecision p) {
  switch (p) {
    case MathPrecision::FP32:
      return "fp32";
    case MathPrecision::TF32:
      return "tf32";
    case MathPrecision::BF16:
      return "bf16";
  }
  throw Error("math_precision_name: invalid MathPrecision value " +
              std::to_string(static_cast<int>(p)));
}

}  // namespace gd
