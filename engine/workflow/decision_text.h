#pragma once
// Numbers inside the workflow's decision sentences and progress lines, formatted one way
// everywhere: percentages of fractions, signed percentage-point differences, losses, counts.
#include <cstdint>
#include <string>

namespace gd::workflow {

std::string pct(double fraction, int digits = 2);      // 0.98723 -> "98.72%"; NaN -> "n/a"
std::string pp(double fraction_diff, int digits = 2);  // 0.0025 -> "+0.25 pp"; NaN -> "n/a"
std::string loss_text(double v);                       // 4 decimals; NaN -> "n/a"
std::string count(int64_t n);                          // 54000 -> "54,000"
std::string sci(double v);                             // 3 significant digits: "0.0005", "2.1e-05"

}  // namespace gd::workflow
