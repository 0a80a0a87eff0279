// The heartbeat thread of a worker; see trial_heartbeat.h.
#include "engine/tune/trial_heartbeat.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace gd::tune {

TrialHeartbeat::TrialHeartbeat(const StudyStorage& storage, const Study& study, double interval_s)
    : study_(study), interval_s_(interval_s) {
  if (!(interval_s > 0)) throw ConfigError("heartbeat interval must be > 0 s");
  StorageOptions o = storage.options();
  // A beat that cannot get through gives up quickly and tries again next interval.
  o.reconnect_timeout_s = std::min(o.reconnect_timeout_s, interval_s);
  storage_ = storage.reopen(o);
  thread_ = std::thread([this] { loop(); });
}

TrialHeartbeat::~TrialHeartbeat() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  try {
    storage_->beat_worker(study_, "stopped");
  } catch (const std::exception&) {
    // The database is unreachable: the worker's row simply ages out of the live list.
  }
}

void TrialHeartbeat::set_trial(std::optional<Trial> trial) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    trial_ = std::move(trial);
    dirty_ = true;
  }
  cv_.notify_all();
}

void TrialHeartbeat::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    beat();
    lock.lock();
    cv_.wait_for(lock, std::chrono::duration<double>(interval_s_), [this] { return stop_ || dirty_; });
  }
}

void TrialHeartbeat::beat() {
  std::optional<Trial> trial;
  {
    std::lock_guard<std::mutex> lock(mu_);
    trial = trial_;
    dirty_ = false;
  }
  try {
    if (trial) storage_->heartbeat(*trial);
    storage_->beat_worker(study_, trial ? "running" : "idle", trial ? std::optional<int64_t>(trial->id) : std::nullopt);
    if (warned_) std::fprintf(stderr, "heartbeat: study storage '%s' reachable again\n", storage_->path().c_str());
    warned_ = false;
  } catch (const std::exception& e) {
    if (!warned_) std::fprintf(stderr, "heartbeat: %s (retrying every %.1f s)\n", e.what(), interval_s_);
    warned_ = true;
  }
}

}  // namespace gd::tune
