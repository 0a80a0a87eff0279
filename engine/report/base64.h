#pragma once
// Standard base64 (RFC 4648, alphabet A-Z a-z 0-9 + /, '=' padding, no line breaks), for data URIs.
#include <string>
#include <string_view>

namespace gd::report {

std::string base64_encode(std::string_view bytes);

}  // namespace gd::report
