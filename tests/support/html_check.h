#pragma once
// A strict well-formedness check for the HTML the report builder writes (header-only; used by the
// report tests). It tokenises the document like a browser's tree builder would see it and fails on
// anything our generator must never produce: an unbalanced or mismatched element, a malformed or
// unquoted-with-special-characters attribute, a raw '<' in text, or a <script>/<style> whose raw
// text is closed early. Void elements (meta, img, br, ...) need no end tag.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace gd::test {

struct HtmlCheck {
  std::string error;              // empty when well-formed
  std::vector<std::string> tags;  // start tags in document order (lowercase names)
  std::vector<std::string> scripts;  // raw text of every <script> element
};

inline HtmlCheck check_html(const std::string& h) {
  HtmlCheck out;
  std::vector<std::string> stack;
  auto fail = [&](size_t pos, const std::string& what) {
    out.error = what + " at offset " + std::to_string(pos) + ": \"" + h.substr(pos, 60) + "\"";
    return out;
  };
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':'; };
  static const std::vector<std::string> kVoid = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                                 "link", "meta", "source", "track", "wbr"};
  size_t i = 0;
  while (i < h.size()) {
    if (h[i] != '<') {
      ++i;
      continue;
    }
    if (h.compare(i, 4, "<!--") == 0) {
      const size_t e = h.find("-->", i + 4);
      if (e == std::string::npos) return fail(i, "unterminated comment");
      i = e + 3;
      continue;
    }
    if (h.compare(i, 2, "<!") == 0) {  // doctype
      const size_t e = h.find('>', i);
      if (e == std::string::npos) return fail(i, "unterminated declaration");
      i = e + 1;
      continue;
    }
    const bool closing = i + 1 < h.size() && h[i + 1] == '/';
    size_t p = i + (closing ? 2 : 1);
    const size_t name_start = p;
    while (p < h.size() && is_name(h[p])) ++p;
    if (p == name_start) return fail(i, "raw '<' in text");
    const std::string name = lower(h.substr(name_start, p - name_start));
    if (closing) {
      while (p < h.size() && std::isspace(static_cast<unsigned char>(h[p]))) ++p;
      if (p >= h.size() || h[p] != '>') return fail(i, "malformed end tag");
      if (stack.empty() || stack.back() != name)
        return fail(i, "end tag </" + name + "> does not match <" + (stack.empty() ? "nothing" : stack.back()) + ">");
      stack.pop_back();
      i = p + 1;
      continue;
    }
    // Attributes.
    bool self_closing = false;
    for (;;) {
      while (p < h.size() && std::isspace(static_cast<unsigned char>(h[p]))) ++p;
      if (p >= h.size()) return fail(i, "unterminated start tag");
      if (h[p] == '>') break;
      if (h.compare(p, 2, "/>") == 0) {
        self_closing = true;
        ++p;
        break;
      }
      const size_t a = p;
      while (p < h.size() && is_name(h[p])) ++p;
      if (p == a) return fail(p, "malformed attribute in <" + name + ">");
      if (p < h.size() && h[p] == '=') {
        ++p;
        if (p < h.size() && (h[p] == '"' || h[p] == '\'')) {
          const char q = h[p];
          const size_t e = h.find(q, p + 1);
          if (e == std::string::npos) return fail(p, "unterminated attribute value");
          if (h.substr(p + 1, e - p - 1).find('<') != std::string::npos) return fail(p, "raw '<' in attribute value");
          p = e + 1;
        } else {
          const size_t v = p;
          while (p < h.size() && !std::isspace(static_cast<unsigned char>(h[p])) && h[p] != '>' &&
                 std::string("\"'=<`").find(h[p]) == std::string::npos)
            ++p;
          if (p == v) return fail(p, "empty unquoted attribute value");
        }
      }
    }
    out.tags.push_back(name);
    i = p + 1;
    if (name == "script" || name == "style") {
      const std::string end = "</" + name;
      size_t e = i;
      for (;; ++e) {
        e = h.find("</", e);
        if (e == std::string::npos) return fail(i, "unterminated <" + name + ">");
        if (lower(h.substr(e, end.size())) == end) break;
      }
      if (name == "script") out.scripts.push_back(h.substr(i, e - i));
      const size_t gt = h.find('>', e);
      if (gt == std::string::npos || gt != e + end.size()) return fail(e, "malformed </" + name + ">");
      i = gt + 1;
      continue;
    }
    if (!self_closing && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) stack.push_back(name);
  }
  if (!stack.empty()) {
    out.error = "unclosed <" + stack.back() + "> at the end of the document";
  }
  return out;
}

// Number of start tags named `name` (lowercase).
inline size_t count_tags(const HtmlCheck& c, const std::string& name) {
  return static_cast<size_t>(std::count(c.tags.begin(), c.tags.end(), name));
}

}  // namespace gd::test
