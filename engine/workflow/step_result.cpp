// StepResult and its JSON form (step_result.h).
#include "engine/workflow/step_result.h"

#include "engine/core/error.h"

namespace gd::workflow {
namespace {

constexpr std::pair<Format, const char*> kFormats[] = {{Format::Text, "text"},       {Format::Integer, "integer"},
                                                       {Format::Percent, "percent"}, {Format::Points, "points"},
                                                       {Format::Fixed, "fixed"},     {Format::Scientific, "scientific"},
                                                       {Format::Seconds, "seconds"}};

}  // namespace

const char* to_string(Format f) {
  for (const auto& [k, name] : kFormats)
    if (k == f) return name;
  return "text";
}

Format format_from_string(const std::string& s) {
  for (const auto& [k, name] : kFormats)
    if (s == name) return k;
  throw DataError("unknown table column format '" + s + "'");
}

NumberTable& NumberTable::add_row(std::vector<nlohmann::json> cells) {
  GD_CHECK_SHAPE(cells.size() == columns.size(),
                 "table row has " << cells.size() << " cells for " << columns.size() << " columns");
  rows.push_back(std::move(cells));
  return *this;
}

nlohmann::json NumberTable::to_json() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& [name, f] : columns) cols.push_back({{"name", name}, {"format", to_string(f)}});
  nlohmann::json rs = nlohmann::json::array();
  for (const auto& r : rows) rs.push_back(r);
  return {{"columns", cols}, {"rows", rs}};
}

NumberTable NumberTable::from_json(const nlohmann::json& j) {
  NumberTable t;
  try {
    for (const auto& c : j.at("columns"))
      t.columns.emplace_back(c.at("name").get<std::string>(), format_from_string(c.at("format").get<std::string>()));
    for (const auto& r : j.at("rows")) {
      GD_CHECK_T(r.is_array(), DataError, "table row is not an array: " << r.dump());
      t.add_row(r.get<std::vector<nlohmann::json>>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("number table is malformed: ") + e.what());
  } catch (const ShapeError& e) {
    throw DataError(std::string("number table is malformed: ") + e.what());
  }
  return t;
}

nlohmann::json StepResult::to_json() const {
  nlohmann::json cs = nlohmann::json::array();
  for (const NamedCurve& c : curves)
    cs.push_back({{"label", c.label}, {"run_dir", c.run_dir}, {"history", c.history.to_json()}});
  nlohmann::json as = nlohmann::json::array();
  for (const Artefact& a : artefacts) as.push_back({{"label", a.label}, {"path", a.path}});
  return {{"id", id},          {"title", title},       {"done", done},    {"numbers", numbers.to_json()},
          {"curves", cs},      {"decision", decision}, {"artefacts", as}, {"details", details},
          {"seconds", seconds}};
}

StepResult StepResult::from_json(const nlohmann::json& j) {
  const std::string name = j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "?";
  StepResult s;
  try {
    s.id = j.at("id").get<std::string>();
    s.title = j.at("title").get<std::string>();
    s.done = j.at("done").get<std::string>();
    s.numbers = NumberTable::from_json(j.at("numbers"));
    for (const auto& c : j.at("curves"))
      s.curves.push_back(
          {c.at("label").get<std::string>(), c.at("run_dir").get<std::string>(), History::from_json(c.at("history"))});
    s.decision = j.at("decision").get<std::string>();
    for (const auto& a : j.at("artefacts"))
      s.artefacts.push_back({a.at("label").get<std::string>(), a.at("path").get<std::string>()});
    s.details = j.at("details");
    GD_CHECK_T(s.details.is_object(), DataError, "details is not an object");
    s.seconds = j.at("seconds").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError("workflow step '" + name + "' is malformed: " + e.what());
  } catch (const DataError& e) {
    throw DataError("workflow step '" + name + "' is malformed: " + e.what());
  }
  return s;
}

const NamedCurve& StepResult::curve(const std::string& label) const {
  for (const NamedCurve& c : curves)
    if (c.label == label) return c;
  throw DataError("workflow step '" + id + "' has no curve '" + label + "'");
}

}  // namespace gd::workflow
