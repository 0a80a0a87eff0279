#pragma once
// Small HTML fragments shared by the report sections. Every argument named `text` is plain text
// and is escaped; arguments named `*_html` are trusted fragments.
#include <string>

namespace gd::report {

// <p class="note">text</p>: explanatory text under a heading.
std::string note(const std::string& text);
// A highlighted paragraph saying that something is not available, and why.
std::string absent(const std::string& text);
// <h3>text</h3>
std::string subheading(const std::string& text);
// A two-column responsive grid of fragments (stacks on narrow screens).
std::string grid2(const std::string& left_html, const std::string& right_html);
// Percent with `digits` decimals ("97.31%"); "n/a" for NaN.
std::string percent(double fraction, int digits = 2);
// Fixed-point number ("0.0873"); "n/a" for NaN.
std::string fixed(double v, int digits = 4);
// Integer with thin grouping ("1,234,567").
std::string grouped(long long v);

}  // namespace gd::report
