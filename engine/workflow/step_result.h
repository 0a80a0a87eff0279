#pragma once
// What each step of the workflow produces, and how it is stored in workflow.json: a title, what
// was done, a table of the measured numbers, learning curves, the decision taken (one sentence
// derived from the numbers), the files it left, and step-specific details the report and the later
// steps read (the chosen capacity, the regularised model, the best trial, ...).
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/train/history.h"

namespace gd::workflow {

// How a table column is shown: text, integer (grouped), percent (value is a fraction), points (a
// difference of fractions, as signed percentage points), fixed (4 decimals), scientific (3
// significant digits), seconds (1 decimal).
enum class Format { Text, Integer, Percent, Points, Fixed, Scientific, Seconds };
const char* to_string(Format f);
Format format_from_string(const std::string& s);  // DataError on an unknown name

// A table of numbers: cells are JSON numbers (null = not available) or strings, so workflow.json
// holds the raw values and the report formats them.
struct NumberTable {
  std::vector<std::pair<std::string, Format>> columns;
  std::vector<std::vector<nlohmann::json>> rows;

  // Throws ShapeError when the row has a different number of cells than there are columns.
  NumberTable& add_row(std::vector<nlohmann::json> cells);
  nlohmann::json to_json() const;
  static NumberTable from_json(const nlohmann::json& j);  // DataError on a bad document
};

// A learning curve shown in the report: the per-epoch history of one trained model.
struct NamedCurve {
  std::string label;
  std::string run_dir;
  History history;
};

struct Artefact {
  std::string label;
  std::string path;
};

struct StepResult {
  std::string id;  // problem | baseline | overfit | regularise | tune | final
  std::string title;
  std::string done;  // what was done, plain text
  NumberTable numbers;
  std::vector<NamedCurve> curves;
  std::string decision;  // one sentence, built from the numbers
  std::vector<Artefact> artefacts;
  nlohmann::json details = nlohmann::json::object();
  double seconds = 0.0;  // wall time of the step (of the invocation that ran it)

  nlohmann::json to_json() const;
  // DataError naming the missing or mistyped field.
  static StepResult from_json(const nlohmann::json& j);
  // The curve labelled `label`; DataError naming the step when there is none.
  const NamedCurve& curve(const std::string& label) const;
};

}  // namespace gd::workflow
