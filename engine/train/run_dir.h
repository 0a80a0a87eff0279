#pragma once
// Output directory of a training run (checkpoints, config.json, metrics.json, history files).
#include <ctime>
#include <optional>
#include <string>

namespace gd {

// Returns `tag` with every character outside [A-Za-z0-9_.-] replaced by '_' (model spec strings
// contain commas, parentheses, colons ...), cut to 64 characters; "model" when `tag` is empty.
std::string sanitize_run_tag(const std::string& tag);

// Creates the run directory and returns its path.
//   * `out` non-empty: that directory is created with its parents if needed and returned; an
//     existing directory is accepted (resuming a run writes into it).
//   * `out` empty: "<runs_root>/<sanitized arch_tag>-<YYYYmmdd-HHMMSS>" in local time, with
//     "-2", "-3", ... appended when that name exists. The returned directory is always one this
//     call created itself (mkdir is atomic), so an existing run -- or a concurrent one started in
//     the same second -- is never reused.
// `now` overrides the clock (tests). Throws gd::Error naming the path and strerror on failure,
// e.g. when a path component is a regular file.
std::string make_run_dir(const std::string& out, const std::string& arch_tag,
                         const std::string& runs_root = "runs",
                         std::optional<std::time_t> now = std::nullopt);

}  // namespace gd
