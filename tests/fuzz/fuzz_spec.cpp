// Model spec strings (--arch), on MNIST and USPS input shapes. Only the layers are built (their
// shapes and parameter counts), not a network with buffers.
#include <string>

#include "engine/core/error.h"
#include "engine/model/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const gd::Shape& in : {gd::Shape{1, 28, 28}, gd::Shape{1, 16, 16}}) {
    try {
      const std::string spec = gd::resolve_arch(text, 10, 0.5);
      int64_t params = 0;
      gd::Shape cur = in;
      for (const auto& layer : gd::build_layers(spec, in, 10, 0.5)) {
        for (const gd::ParamSpec& p : layer->param_specs(cur)) params += p.shape.numel();
        cur = layer->output_shape(cur);
      }
      (void)params;
    } catch (const gd::Error&) {
    }
  }
  return 0;
}
