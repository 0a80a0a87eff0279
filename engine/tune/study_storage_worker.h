#pragma once
// Who is running a trial, and whether that process is still alive. A worker is named
// "<hostname>:<pid>"; on Linux its process start time (clock ticks since boot, field 22 of
// /proc/<pid>/stat) is recorded too, so a pid reused by an unrelated process is not mistaken for
// the worker that died.
#include <cstdint>
#include <optional>
#include <string>

namespace gd::tune {

struct WorkerIdentity {
  std::string host;                    // gethostname()
  long pid = 0;                        // getpid()
  std::optional<int64_t> start_ticks;  // process start time, when /proc can tell
  std::string id() const { return host + ":" + std::to_string(pid); }
};

// The calling process (read fresh on every call, so it is right after fork()).
WorkerIdentity this_worker();

// Start time of process `pid` in clock ticks since boot, or nullopt when /proc/<pid>/stat cannot be
// read or parsed (no such process, or no /proc).
std::optional<int64_t> process_start_ticks(long pid);

enum class WorkerLiveness {
  Alive,    // same host, the process exists (and its start time matches when both are known)
  Dead,     // same host, no such process, a zombie, or the pid now belongs to another process
  Unknown,  // another host (or an unparsable worker id): only the heartbeat can tell
};

// Liveness of the worker recorded as `worker_id` ("host:pid") with start time `start_ticks`.
WorkerLiveness worker_liveness(const std::string& worker_id, std::optional<int64_t> start_ticks);

}  // namespace gd::tune
