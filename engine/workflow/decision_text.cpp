// Number formatting for decisions and progress lines (decision_text.h).
#include "engine/workflow/decision_text.h"

#include <cmath>
#include <cstdio>

#include "engine/report/html_fragments.h"

namespace gd::workflow {

std::string pct(double f, int digits) {
  if (!std::isfinite(f)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, "%.*f%%", digits, 100.0 * f);
  return b;
}

std::string pp(double d, int digits) {
  if (!std::isfinite(d)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, "%+.*f pp", digits, 100.0 * d);
  return b;
}

std::string loss_text(double v) {
  if (!std::isfinite(v)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

std::string count(int64_t n) { return report::grouped(n); }

std::string sci(double v) {
  if (!std::isfinite(v)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

}  // namespace gd::workflow
