// Search spaces in TOML (gpu_tune --space), then their JSON round trip.
#include <string>

#include "engine/core/error.h"
#include "engine/tune/search_space.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const gd::tune::SearchSpace s = gd::tune::SearchSpace::from_toml_string(text, "fuzz.toml");
    gd::tune::SearchSpace::from_json(s.to_json(), "round trip");
  } catch (const gd::Error&) {
  }
  return 0;
}
