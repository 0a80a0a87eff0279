// Small shared HTML fragments and number formats (see html_fragments.h).
#include "engine/report/html_fragments.h"

#include <cmath>
#include <cstdio>

#include "engine/report/html_escape.h"

namespace gd::report {

std::string note(const std::string& text) { return "<p class=\"note\">" + html_escape(text) + "</p>\n"; }

std::string absent(const std::string& text) { return "<p class=\"note absent\">" + html_escape(text) + "</p>\n"; }

std::string subheading(const std::string& text) { return "<h3>" + html_escape(text) + "</h3>\n"; }

std::string grid2(const std::string& left_html, const std::string& right_html) {
  return "<div class=\"grid-2\">\n<div>" + left_html + "</div>\n<div>" + right_html + "</div>\n</div>\n";
}

std::string percent(double fraction, int digits) {
  if (std::isnan(fraction)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%%", digits, 100.0 * fraction);
  return buf;
}

std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string grouped(long long v) {
  const unsigned long long mag = v < 0 ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
  const std::string digits = std::to_string(mag);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

}  // namespace gd::report
