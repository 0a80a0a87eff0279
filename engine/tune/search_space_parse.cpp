// Reading and writing search spaces: the TOML grammar of docs/search-spaces.md and the JSON form a
// study stores (search_space.h). Both go through one parameter reader (parse_param), which checks
// keys and value types; the SearchSpace constructor then checks the semantics (ranges, steps,
// conditions). TOML is read with toml++ and converted to JSON objects, keeping the line of every
// key so that errors point into the file.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"
#include "engine/tune/search_space.h"

#include <cstring>
#include "engine/tune/space_error_site.h"

namespace gd::tune {

namespace {

using detail::SpaceErrorSite;
using nlohmann::json;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

ParamType parse_type(const SpaceErrorSite& site, size_t i, const std::string& name, const json& v) {
  if (v.is_string()) {
    const std::string t = v.get<std::string>();
    if (t == "float") return ParamType::Float;
    if (t == "int") return ParamType::Int;
    if (t == "categorical") return ParamType::Categorical;
    if (t == "fixed") return ParamType::Fixed;
  }
  site.fail(i, name, "type", "is " + v.dump() + "; expected \"float\", \"int\", \"categorical\" or \"fixed\"");
}

double get_number(const SpaceErrorSite& site, size_t i, const std::string& name, const std::string& key, const json& v) {
  if (!v.is_number()) site.fail(i, name, key, "must be a number, got " + v.dump());
  return v.get<double>();
}

std::vector<json> get_array(const SpaceErrorSite& site, size_t i, const std::string& name, const std::string& key,
                            const json& v) {
  if (!v.is_array()) site.fail(i, name, key, "must be an array, got " + v.dump());
  return std::vector<json>(v.begin(), v.end());
}

Condition parse_clause(const SpaceErrorSite& site, size_t i, const std::string& name, const std::string& parent,
                       const json& v) {
  const std::string key = "when." + parent;
  Condition c;
  c.parent = parent;
  if (v.is_array()) {
    if (v.empty()) site.fail(i, name, key, "the list of values is empty");
    c.values.assign(v.begin(), v.end());
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() != "min" && it.key() != "max") {
        site.fail(i, name, key, "unknown key '" + it.key() + "' in a range condition (allowed: min, max)");
      }
      if (!it->is_number()) site.fail(i, name, key, it.key() + " must be a number, got " + it->dump());
      (it.key() == "min" ? c.min : c.max) = it->get<double>();
    }
    if (!c.min && !c.max) site.fail(i, name, key, "a range condition needs min and/or max");
  } else if (v.is_string() || v.is_number() || v.is_boolean()) {
    c.values.push_back(v);
  } else {
    site.fail(i, name, key, "must be a value, a list of values or a table { min, max }, got " + v.dump());
  }
  return c;
}

// One parameter from its JSON object (TOML tables are converted first). `with_name`: the object
// carries its own "name" key (JSON form).
ParamSpec parse_param(const SpaceErrorSite& site, size_t i, const std::string& name, const json& obj, bool with_name) {
  if (!obj.is_object()) site.fail(i, name, "", "must be a table of keys (type, low, high, ...), got " + obj.dump());
  auto type_it = obj.find("type");
  if (type_it == obj.end()) site.fail(i, name, "type", "missing (\"float\", \"int\", \"categorical\" or \"fixed\")");
  ParamSpec p;
  p.name = name;
  p.type = parse_type(site, i, name, *type_it);

  std::vector<std::string> allowed = {"type", "when", "description"};
  if (with_name) allowed.push_back("name");
  switch (p.type) {
    case ParamType::Float:
    case ParamType::Int:
      for (const char* k : {"low", "high", "log", "step", "grid"}) allowed.push_back(k);
      break;
    case ParamType::Categorical:
      for (const char* k : {"choices", "grid"}) allowed.push_back(k);
      break;
    case ParamType::Fixed: allowed.push_back("value"); break;
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      site.fail(i, name, it.key(),
                std::string("unknown key for a ") + to_string(p.type) + " parameter (allowed: " + join(allowed) + ")");
    }
  }
  auto need = [&](const char* key) -> const json& {
    auto it = obj.find(key);
    if (it == obj.end()) site.fail(i, name, key, std::string("missing (required for a ") + to_string(p.type) + " parameter)");
    return *it;
  };

  switch (p.type) {
    case ParamType::Float:
    case ParamType::Int:
      p.low = get_number(site, i, name, "low", need("low"));
      p.high = get_number(site, i, name, "high", need("high"));
      if (auto it = obj.find("log"); it != obj.end()) {
        if (!it->is_boolean()) site.fail(i, name, "log", "must be true or false, got " + it->dump());
        p.log = it->get<bool>();
      }
      p.step = p.type == ParamType::Int ? 1.0 : 0.0;
      if (auto it = obj.find("step"); it != obj.end()) {
        p.step = get_number(site, i, name, "step", *it);
        if (p.step <= 0.0) site.fail(i, name, "step", "must be positive, got " + it->dump());
      }
      break;
    case ParamType::Categorical: p.choices = get_array(site, i, name, "choices", need("choices")); break;
    case ParamType::Fixed: p.value = need("value"); break;
  }
  if (auto it = obj.find("grid"); it != obj.end()) {
    p.grid = get_array(site, i, name, "grid", *it);
    if (p.grid.empty()) site.fail(i, name, "grid", "is empty (leave it out to let the grid sampler choose the values)");
  }
  if (auto it = obj.find("description"); it != obj.end()) {
    if (!it->is_string()) site.fail(i, name, "description", "must be a string, got " + it->dump());
    p.description = it->get<std::string>();
  }
  if (auto it = obj.find("when"); it != obj.end()) {
    if (!it->is_object() || it->empty()) {
      site.fail(i, name, "when", "must be a non-empty table { parent = value(s) or { min, max } }, got " + it->dump());
    }
    for (auto c = it->begin(); c != it->end(); ++c) p.when.push_back(parse_clause(site, i, name, c.key(), *c));
  }
  return p;
}

// ---- TOML -> JSON with line numbers ------------------------------------------------------------

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

json toml_to_json(const toml::node& n, const SpaceErrorSite& site, size_t i, const std::string& name,
                  const std::string& key) {
  if (const auto* v = n.as_integer()) return v->get();
  if (const auto* v = n.as_floating_point()) return v->get();
  if (const auto* v = n.as_boolean()) return v->get();
  if (const auto* v = n.as_string()) return v->get();
  if (const auto* a = n.as_array()) {
    json out = json::array();
    for (const toml::node& e : *a) out.push_back(toml_to_json(e, site, i, name, key));
    return out;
  }
  if (const auto* t = n.as_table()) {
    json out = json::object();
    for (auto&& [k, v] : *t) out[std::string(k.str())] = toml_to_json(v, site, i, name, key);
    return out;
  }
  site.fail(i, name, key, "dates and times are not parameter values");
}

}  // namespace

namespace {

// Debian's toml++ 3.3.0 reaches TOML_UNREACHABLE (undefined behaviour: in a release build, an
// arbitrary jump) when it asks whether a code point in U+00A1..U+0499, U+2C5E..U+3057 (but
// U+3000) or U+FB26..U+FEFE is whitespace: its generated table has no case for them. It asks that
// wherever it scans for the end of a key or value, e.g. for an 'é' in a key or after a malformed
// number, even inside what looks like a string (found by fuzz_search_space). Such text is refused
// here, naming line and column, before toml++ sees it. Inside a "..." string the character can
// still be written as a \u escape, which toml++ decodes without that question.
bool toml_cannot_read(uint32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) || (c >= 0xFB26 && c <= 0xFEFE);
}

void check_toml_text(const std::string& t, const std::string& source) {
  int line = 1, column = 0;
  for (size_t i = 0; i < t.size();) {
    const auto b = static_cast<unsigned char>(t[i]);
    const size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    ++column;
    if (b == '\n') ++line, column = 0;
    if (len > 1 && i + len <= t.size()) {  // malformed UTF-8 is left to toml++, which reports it
      uint32_t c = b & (0x7F >> len);
      for (size_t k = 1; k < len; ++k) c = c << 6 | (static_cast<unsigned char>(t[i + k]) & 0x3F);
      if (toml_cannot_read(c)) {
        char code[16];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
        throw ConfigError(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": character " + code +
                          " ('" + t.substr(i, len) + "') cannot be read safely by this build's TOML library "
                          "(toml++ 3.3.0 misbehaves on U+00A1..U+0499, U+2C5E..U+3057 and U+FB26..U+FEFE); "
                          "inside a \"...\" string write it as \\u" + std::string(code + 2) +
                          ", elsewhere leave it out");
      }
    }
    i += len;
  }
}

}  // namespace

SearchSpace SearchSpace::from_toml_string(const std::string& text, const std::string& source) {
  check_toml_text(text, source);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigError(source + ":" + std::to_string(e.source().begin.line) + ":" +
                      std::to_string(e.source().begin.column) + ": TOML syntax error: " + std::string(e.description()));
  }
  SourceLines no_lines;
  const SpaceErrorSite top(source, no_lines);
  std::string description;
  const toml::table* params_table = nullptr;
  for (auto&& [k, v] : root) {
    const std::string key(k.str());
    if (key == "description") {
      if (!v.is_string()) top.fail_top(line_of(v), "description must be a string");
      description = v.as_string()->get();
    } else if (key == "params") {
      if (!v.is_table()) top.fail_top(line_of(v), "'params' must be a table ([params.NAME] sections)");
      params_table = v.as_table();
    } else {
      top.fail_top(static_cast<int>(k.source().begin.line),
                   "unknown top-level key '" + key + "' (allowed: description, params)");
    }
  }
  if (params_table == nullptr || params_table->empty()) {
    top.fail_top(0, "no parameters: define at least one [params.NAME] section");
  }

  // toml++ keeps a table's keys sorted by name; the space's order is the order in the file.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [k, v] : *params_table) entries.emplace_back(&k, &v);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& sa = a.first->source().begin;
    const auto& sb = b.first->source().begin;
    return sa.line != sb.line ? sa.line < sb.line : sa.column < sb.column;
  });

  SourceLines lines(entries.size());
  std::vector<ParamSpec> params;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string name(entries[i].first->str());
    const toml::node& node = *entries[i].second;
    lines[i][""] = static_cast<int>(entries[i].first->source().begin.line);
    const SpaceErrorSite site(source, lines);
    if (const toml::table* t = node.as_table()) {
      for (auto&& [k, v] : *t) {
        lines[i][std::string(k.str())] = static_cast<int>(k.source().begin.line);
        if (k.str() == "when" && v.is_table()) {
          for (auto&& [ck, cv] : *v.as_table()) {
            lines[i]["when." + std::string(ck.str())] = static_cast<int>(ck.source().begin.line);
          }
        }
      }
      params.push_back(parse_param(site, i, name, toml_to_json(node, site, i, name, ""), false));
    } else if (node.is_array()) {
      site.fail(i, name, "", "a bare array is ambiguous; write type = \"categorical\" with choices = [...]");
    } else {
      // Shorthand: `name = value` under [params] is a fixed parameter.
      ParamSpec p;
      p.name = name;
      p.type = ParamType::Fixed;
      p.value = toml_to_json(node, site, i, name, "value");
      params.push_back(std::move(p));
    }
  }
  return SearchSpace(std::move(params), source, description, lines);
}

SearchSpace SearchSpace::from_toml_file(const std::string& path) {
  return from_toml_string(gd::read_file(path), path);
}

SearchSpace SearchSpace::from_json(const json& j, const std::string& source) {
  SourceLines no_lines;
  const SpaceErrorSite top(source, no_lines);
  if (!j.is_object()) top.fail_top(0, "a search space must be a JSON object {\"params\": [...]}, got " + j.dump());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "params" && it.key() != "description") {
      top.fail_top(0, "unknown key '" + it.key() + "' (allowed: description, params)");
    }
  }
  std::string description;
  if (auto it = j.find("description"); it != j.end()) {
    if (!it->is_string()) top.fail_top(0, "description must be a string");
    description = it->get<std::string>();
  }
  auto it = j.find("params");
  if (it == j.end() || !it->is_array() || it->empty()) {
    top.fail_top(0, "'params' must be a non-empty array of parameter objects");
  }
  std::vector<ParamSpec> params;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& obj = (*it)[i];
    auto name_it = obj.is_object() ? obj.find("name") : obj.end();
    if (!obj.is_object() || name_it == obj.end() || !name_it->is_string()) {
      top.fail_top(0, "parameter #" + std::to_string(i) + " must be an object with a string \"name\", got " + obj.dump());
    }
    params.push_back(parse_param(top, i, name_it->get<std::string>(), obj, true));
  }
  return SearchSpace(std::move(params), source, description);
}

json SearchSpace::to_json() const {
  json list = json::array();
  for (const ParamSpec& p : params_) {
    json o = json::object();
    o["name"] = p.name;
    o["type"] = to_string(p.type);
    switch (p.type) {
      case ParamType::Float:
      case ParamType::Int:
        if (p.type == ParamType::Int) {
          o["low"] = static_cast<int64_t>(p.low);
          o["high"] = static_cast<int64_t>(p.high);
          o["step"] = static_cast<int64_t>(p.step);
        } else {
          o["low"] = p.low;
          o["high"] = p.high;
          if (p.step > 0.0) o["step"] = p.step;
        }
        o["log"] = p.log;
        break;
      case ParamType::Categorical: o["choices"] = p.choices; break;
      case ParamType::Fixed: o["value"] = p.value; break;
    }
    if (!p.grid.empty()) o["grid"] = p.grid;
    if (!p.description.empty()) o["description"] = p.description;
    if (!p.when.empty()) {
      json w = json::object();
      for (const Condition& c : p.when) {
        if (c.is_range()) {
          json r = json::object();
          if (c.min) r["min"] = *c.min;
          if (c.max) r["max"] = *c.max;
          w[c.parent] = r;
        } else {
          w[c.parent] = c.values;
        }
      }
      o["when"] = w;
    }
    list.push_back(std::move(o));
  }
  json out = json::object();
  if (!description_.empty()) out["description"] = description_;
  out["params"] = std::move(list);
  return out;
}

}  // namespace gd::tune
