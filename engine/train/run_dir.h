#pragma once
// Output directory of a training run (checkpoints, config.json, metrics.json, history files).
#include <ctime>
#include <optional>
#include <string>
#include <vector>

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

// The run files (checkpoint.ckpt, model.ckpt, metrics.json, history.json) that exist in `dir`;
// empty when it is absent or holds none. gpu_train refuses an --out that holds a run, which it
// would otherwise overwrite.
std::vector<std::string> run_files_in(const std::string& dir);

// Throws ConfigError when `out` (an --out given by the user) holds a run that is not the one being
// resumed (`resume`: the checkpoint path, or empty), naming the files that would be overwritten.
void check_out_dir_is_free(const std::string& out, const std::string& resume);

}  // namespace gd
