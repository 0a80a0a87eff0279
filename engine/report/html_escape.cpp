// HTML and script-embedding escapes (see html_escape.h).
#include "engine/report/html_escape.h"

#include <cctype>

namespace gd::report {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string json_for_script(const nlohmann::json& j) {
  const std::string raw = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size() + 64);
  for (size_t i = 0; i < raw.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    // '<', '>', '&' and the UTF-8 forms of U+2028 (E2 80 A8) / U+2029 (E2 80 A9) can only occur
    // inside JSON strings, where the \uXXXX escapes mean the same characters.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == 0xE2 && i + 2 < raw.size() && static_cast<unsigned char>(raw[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(raw[i + 2]) == 0xA8 || static_cast<unsigned char>(raw[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(raw[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string slugify(std::string_view text) {
  std::string out;
  bool pending_dash = false;
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 128 && std::isalnum(c)) {
      if (pending_dash && !out.empty()) out += '-';
      pending_dash = false;
      out += static_cast<char>(std::tolower(c));
    } else {
      pending_dash = true;
    }
  }
  return out.empty() ? "section" : out;
}

bool unsafe_in_script(std::string_view text) {
  auto lower_at = [&](size_t i) { return static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))); };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '<') continue;
    if (text.compare(i, 4, "<!--") == 0) return true;
    static constexpr std::string_view kClose = "</script";
    if (i + kClose.size() <= text.size()) {
      bool match = true;
      for (size_t k = 0; k < kClose.size() && match; ++k) match = lower_at(i + k) == kClose[k];
      if (match) return true;
    }
  }
  return false;
}

}  // namespace gd::report
