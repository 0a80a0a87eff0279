#pragma once
// Escaping for the two places report text goes: HTML text/attributes and the JSON data block
// inside a <script> element.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gd::report {

// Text safe inside element content and inside single- or double-quoted attribute values:
// & < > " ' become entities. Bytes are otherwise passed through (the document is UTF-8).
std::string html_escape(std::string_view text);

// JSON text safe inside <script type="application/json">: the serialisation of `j` with every
// '<', '>' and '&' written as \u003c, \u003e, \u0026 (so no string can contain "</script" or
// "<!--") and U+2028 / U+2029 as \u2028 / \u2029 (line separators that older JavaScript parsers
// reject in string literals). Invalid UTF-8 in strings becomes U+FFFD instead of throwing.
// JSON.parse of the result gives back the original values.
std::string json_for_script(const nlohmann::json& j);

// A string usable as an HTML id: lowercase ASCII letters, digits and '-', from the letters and
// digits of `text` (runs of anything else become one '-'); "section" when nothing is left.
std::string slugify(std::string_view text);

// True when `text` contains "</script" or "<!--" in any letter case: such text must not be
// placed inside a <script> element verbatim.
bool unsafe_in_script(std::string_view text);

}  // namespace gd::report
