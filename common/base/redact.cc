#include "common/base/redact.h"

#include <algorithm>

#include "common/base/error.h"

namespace ecsmig {
namespace {

bool IsSchemeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

bool EndsUserinfo(char c) {
  return c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         c == '"' || c == '\'' || c == '<' || c == '>';
}

void ReplaceAll(std::string& text, std::string_view needle) {
  if (needle.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), Redactor::kMask);
    pos += Redactor::kMask.size();
  }
}

}  // namespace

std::string RedactUrlCredentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t sep = text.find("://", i);
    if (sep == std::string_view::npos) break;
    // A scheme is at least one scheme character right before "://".
    if (sep == 0 || !IsSchemeChar(text[sep - 1])) {
      out.append(text.substr(i, sep + 3 - i));
      i = sep + 3;
      continue;
    }
    size_t start = sep + 3;
    size_t end = start;
    size_t at = std::string_view::npos;
    // The authority ends at / ? # or whitespace; the LAST '@' in it ends the userinfo
    // (passwords may contain an unescaped '@').
    while (end < text.size() && !EndsUserinfo(text[end])) {
      if (text[end] == '@') at = end;
      ++end;
    }
    out.append(text.substr(i, start - i));
    if (at != std::string_view::npos) {
      std::string_view userinfo = text.substr(start, at - start);
      size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        out.append(userinfo.substr(0, colon + 1));
        out.append(Redactor::kMask);
      } else {
        out.append(userinfo);  // a user name alone is no secret
      }
      i = at;
    } else {
      i = start;
    }
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

void Redactor::AddSecret(std::string_view secret) {
  auto add = [this](std::string_view value) {
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    if (value.size() < 4) return;
    if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
    secrets_.emplace_back(value);
    // Longest first, so a secret containing another is masked whole.
    std::stable_sort(
        secrets_.begin(), secrets_.end(),
        [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  };
  add(secret);
  if (secret.find('\n') != std::string_view::npos) {
    size_t start = 0;
    while (start <= secret.size()) {
      size_t end = secret.find('\n', start);
      if (end == std::string_view::npos) end = secret.size();
      add(secret.substr(start, end - start));
      start = end + 1;
    }
  }
}

void Redactor::AddPattern(const std::string& pattern, std::string_view flag) {
  try {
    patterns_.emplace_back(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    throw UsageError("--" + std::string(flag) + ": '" + pattern +
                     "' is not a valid regular expression (" + e.what() + ")");
  }
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out = RedactUrlCredentials(text);
  for (const auto& secret : secrets_) ReplaceAll(out, secret);
  for (const auto& pattern : patterns_) {
    out = std::regex_replace(out, pattern, std::string(kMask));
  }
  return out;
}

}  // namespace ecsmig
