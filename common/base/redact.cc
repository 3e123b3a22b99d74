#include "common/base/redact.h"

#include <algorithm>

#include "common/base/error.h"

namespace ecsmig {
namespace {

bool IsSchemeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// Ends the URL itself: whitespace, quotes and angle brackets.
bool EndsUrl(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' ||
         c == '>';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// In text[start, end), a URL's authority after "://": the end of the password
// (the '@' that ends the user info), or npos when the URL has none. A password
// may hold '/', '?', '#' and '@' unescaped, so the user info ends at the first
// '@' whose host part (up to the next '/', '?' or '#') holds no further '@';
// "host:8080/..." is a port, not a password.
size_t PasswordEnd(std::string_view text, size_t colon, size_t end) {
  size_t delimiter = text.find_first_of("/?#", colon + 1);
  if (delimiter > end) delimiter = end;
  size_t digits = delimiter - colon - 1;
  bool is_port = digits > 0 && digits <= 5 &&
                 std::all_of(text.begin() + colon + 1, text.begin() + delimiter, IsDigit);
  for (size_t at = text.find('@', colon + 1); at < end; at = text.find('@', at + 1)) {
    if (is_port && at > delimiter) return std::string_view::npos;
    size_t host_end = text.find_first_of("/?#", at + 1);
    if (host_end > end) host_end = end;
    std::string_view host = text.substr(at + 1, host_end - at - 1);
    if (host.find('@') == std::string_view::npos) return at;
  }
  return std::string_view::npos;
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
    size_t start = sep + 3;
    out.append(text.substr(i, start - i));
    i = start;
    // A scheme is at least one scheme character right before "://".
    if (sep == 0 || !IsSchemeChar(text[sep - 1])) continue;
    size_t end = start;
    while (end < text.size() && !EndsUrl(text[end])) ++end;
    // The user name: up to ':' (a password follows) or '@' (none does).
    size_t colon = text.find_first_of(":/?#@", start);
    if (colon >= end || text[colon] != ':') continue;
    size_t at = PasswordEnd(text, colon, end);
    if (at == std::string_view::npos) continue;
    out.append(text.substr(start, colon + 1 - start));
    out.append(Redactor::kMask);
    i = at;
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
