#include "common/github/markdown.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace ecsmig {
namespace {

// Valid UTF-8, invalid bytes replaced as nlohmann::json (files_json) does.
std::string ValidUtf8(std::string_view text) {
  std::string dumped = nlohmann::json(std::string(text))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(dumped).get<std::string>();
}

bool IsAsciiPunctuation(unsigned char c) {
  return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
         (c >= 0x7b && c <= 0x7e);
}

}  // namespace

std::string MarkdownText(std::string_view text) {
  std::string out;
  for (unsigned char c : ValidUtf8(text)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else if (IsAsciiPunctuation(c)) {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace ecsmig
