// Results kept on local disk until stored; see pending_results.h.
#include "engine/tune/pending_results.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "engine/train/atomic_file.h"

namespace gd::tune {

namespace fs = std::filesystem;

nlohmann::json PendingResult::to_json() const {
  return {{"trial_id", trial_id},
          {"number", number},
          {"worker", worker},
          {"worker_start", worker_start ? nlohmann::json(*worker_start) : nlohmann::json(nullptr)},
          {"state", gd::tune::to_string(state)},
          {"value", value ? nlohmann::json(*value) : nlohmann::json(nullptr)},
          {"step", step ? nlohmann::json(*step) : nlohmann::json(nullptr)},
          {"reason", reason},
          {"attrs", attrs}};
}

PendingResult PendingResult::from_json(const nlohmann::json& j, const std::string& file) {
  try {
    PendingResult r;
    r.trial_id = j.at("trial_id").get<int64_t>();
    r.number = j.at("number").get<int>();
    r.worker = j.at("worker").get<std::string>();
    if (!j.at("worker_start").is_null()) r.worker_start = j.at("worker_start").get<int64_t>();
    r.state = trial_state_from_string(j.at("state").get<std::string>());
    if (!j.at("value").is_null()) r.value = j.at("value").get<double>();
    if (!j.at("step").is_null()) r.step = j.at("step").get<int>();
    r.reason = j.at("reason").get<std::string>();
    r.attrs = j.at("attrs");
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw DataError("pending result '" + file + "' is not a result file: " + e.what());
  }
}

PendingResults::PendingResults(const std::string& runs_dir, const std::string& study)
    : dir_(runs_dir + "/" + study + "/pending") {}

std::string PendingResults::save(const PendingResult& r) const {
  fs::create_directories(dir_);
  const size_t colon = r.worker.rfind(':');
  const std::string who = colon == std::string::npos ? r.worker : r.worker.substr(0, colon) + "-" + r.worker.substr(colon + 1);
  const std::string file = dir_ + "/" + who + "-trial-" + std::to_string(r.trial_id) + ".json";
  write_file_atomic(file, r.to_json().dump(1) + "\n");
  return file;
}

void PendingResults::remove(const std::string& file) const {
  std::error_code ec;
  fs::remove(file, ec);
}

std::vector<std::pair<std::string, PendingResult>> PendingResults::load() const {
  std::vector<std::pair<std::string, PendingResult>> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    try {
      out.emplace_back(f, PendingResult::from_json(nlohmann::json::parse(read_file(f)), f));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "warning: skipping pending result %s: %s\n", f.c_str(), e.what());
    }
  }
  return out;
}

int store_pending_results(StudyStorage& storage, const PendingResults& pending) {
  int stored = 0;
  for (auto& [file, r] : pending.load()) {
    // Only a dead worker's: a live one (another gpu_tune on this host) stores its own.
    if (worker_liveness(r.worker, r.worker_start) != WorkerLiveness::Dead) continue;
    Trial t;
    t.id = r.trial_id;
    t.number = r.number;
    try {
      storage.tell_for(r.worker, t, r.state, r.value, r.reason, r.attrs, r.step);
      pending.remove(file);
      ++stored;
      std::printf("stored the result of trial %d left by worker %s (%s)\n", r.number, r.worker.c_str(),
                  to_string(r.state));
    } catch (const TrialLostError& e) {
      pending.remove(file);
      std::fprintf(stderr, "note: dropped the pending result of trial %d: %s\n", r.number, e.what());
    }
  }
  return stored;
}

}  // namespace gd::tune
