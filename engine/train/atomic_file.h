#pragma once
// Whole-file reads and crash-safe whole-file writes. Used for checkpoints, metrics.json,
// config.json and history files, so that a run killed mid-write never leaves a half-written file
// where a complete one used to be: readers see either the old contents or the new ones.
#include <string>
#include <vector>

namespace gd {

// Writes `bytes` to `path` atomically: the data go to "<path>.tmp-<pid>", the temp file is
// fsync'ed, renamed over `path`, and the containing directory is fsync'ed so the rename itself is
// durable. On any failure the temp file is removed and gd::Error is thrown naming the path and
// strerror(errno); `path` is then untouched (its old contents, if any, stay in place).
void write_file_atomic(const std::string& path, const std::string& bytes);

// Removes the temp files ("<name>.tmp-<pid>") in `dir` whose writer no longer exists: what a run
// killed mid-write leaves behind (up to a checkpoint's size each). Files of a live process (a
// parallel worker writing into the same directory) are kept. Returns the paths removed; a missing
// directory or an unremovable file is not an error.
std::vector<std::string> remove_stale_temp_files(const std::string& dir);

// Returns the whole contents of `path`. Throws gd::DataError naming the path (and the reason)
// when the file is missing or cannot be read.
std::string read_file(const std::string& path);

}  // namespace gd
