// What a study stores and gpu_tune --export writes: the search space as JSON and the per-epoch
// histories of its trials and the objective configuration.
#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/error.h"
#include "engine/train/history.h"
#include "engine/tune/search_space.h"
#include "engine/tune/trial_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;  // not JSON: nlohmann's own parser is not what is tested here
  try {
    gd::tune::SearchSpace::from_json(j.contains("space") ? j["space"] : j, "fuzz");
  } catch (const gd::Error&) {
  }
  // The objective configuration: its integers are range-checked (a "seed" of 1e38 was undefined
  // behaviour before; reproducer tests/fuzz/known/objective-seed-1e38.json).
  try {
    gd::tune::objective_from_json(j.contains("config") ? j["config"] : j);
  } catch (const gd::Error&) {
  }
  try {
    gd::History::from_json(j.contains("history") ? j["history"] : j);
  } catch (const gd::Error&) {
  }
  return 0;
}
