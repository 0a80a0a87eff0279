#pragma once
// Internal to the search-space code: builds ConfigError messages of the form
//   "<source>:<line>: parameter '<name>', key '<key>': <message>"
// (the line when the space was parsed from a file and the key's line is known).
#include <sstream>
#include <string>

#include "engine/core/error.h"
#include "engine/tune/search_space.h"

namespace gd::tune::detail {

class SpaceErrorSite {
 public:
  SpaceErrorSite(const std::string& source, const SourceLines& lines) : source_(source), lines_(lines) {}

  // Parameter `param` (index into the parameter list) named `name`; `key` may be "" (the
  // parameter as a whole) or "when.<parent>".
  [[noreturn]] void fail(size_t param, const std::string& name, const std::string& key,
                         const std::string& msg) const {
    std::ostringstream os;
    os << source_;
    const int line = line_of(param, key);
    if (line > 0) os << ":" << line;
    os << ": parameter '" << name << "'";
    if (!key.empty()) os << ", key '" << key << "'";
    os << ": " << msg;
    throw ConfigError(os.str());
  }

  // An error about the file as a whole (top-level keys), at `line` when > 0.
  [[noreturn]] void fail_top(int line, const std::string& msg) const {
    std::ostringstream os;
    os << source_;
    if (line > 0) os << ":" << line;
    os << ": " << msg;
    throw ConfigError(os.str());
  }

 private:
  int line_of(size_t param, const std::string& key) const {
    if (param >= lines_.size()) return 0;
    const auto& m = lines_[param];
    auto it = m.find(key);
    if (it == m.end()) it = m.find(key.substr(0, key.find('.')));
    if (it == m.end()) it = m.find("");
    return it == m.end() ? 0 : it->second;
  }

  const std::string& source_;
  const SourceLines& lines_;
};

}  // namespace gd::tune::detail
