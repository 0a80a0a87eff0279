// Worker identity and liveness on this host; see study_storage_worker.h.
#include "engine/tune/study_storage_worker.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <vector>

namespace gd::tune {
namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// Fields of /proc/<pid>/stat after the parenthesised command name (which may itself contain spaces
// and parentheses, hence the search for the LAST ')'): [0] = state (field 3), [19] = starttime
// (field 22). Empty when unreadable.
std::vector<std::string> proc_stat_fields(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return {};
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields;
}

}  // namespace

WorkerIdentity this_worker() {
  WorkerIdentity w;
  w.host = host_name();
  w.pid = static_cast<long>(::getpid());
  w.start_ticks = process_start_ticks(w.pid);
  return w;
}

std::optional<int64_t> process_start_ticks(long pid) {
  const std::vector<std::string> f = proc_stat_fields(pid);
  if (f.size() < 20) return std::nullopt;
  try {
    return static_cast<int64_t>(std::stoll(f[19]));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

WorkerLiveness worker_liveness(const std::string& worker_id, std::optional<int64_t> start_ticks) {
  const size_t colon = worker_id.rfind(':');
  if (colon == std::string::npos || colon == 0) return WorkerLiveness::Unknown;
  if (worker_id.substr(0, colon) != host_name()) return WorkerLiveness::Unknown;
  long pid = 0;
  try {
    size_t used = 0;
    pid = std::stol(worker_id.substr(colon + 1), &used);
    if (used != worker_id.size() - colon - 1 || pid <= 0) return WorkerLiveness::Unknown;
  } catch (const std::exception&) {
    return WorkerLiveness::Unknown;
  }
  // kill(pid, 0) probes existence without sending anything; EPERM means it exists (another user).
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return WorkerLiveness::Dead;
  const std::vector<std::string> f = proc_stat_fields(pid);
  if (f.empty()) return WorkerLiveness::Alive;                  // exists, but no /proc to look closer
  if (f[0] == "Z" || f[0] == "X") return WorkerLiveness::Dead;  // zombie: exited, not yet reaped
  if (start_ticks && f.size() >= 20 && f[19] != std::to_string(*start_ticks)) return WorkerLiveness::Dead;
  return WorkerLiveness::Alive;
}

}  // namespace gd::tune
