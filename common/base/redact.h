// Removes secrets from text before anything prints it: values the tool masked
// (env overrides, credentials), credentials in URLs, and user patterns.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

class Redactor {
 public:
  static constexpr std::string_view kMask = "***";

  // Masks every occurrence of `secret` (and of each of its lines when it has
  // several). Values shorter than 4 characters are not masked: masking "1"
  // would destroy every number in a log, and such values protect nothing.
  void AddSecret(std::string_view secret);
  // Masks every match of an ECMAScript regex. On a bad pattern, throws UsageError.
  void AddPattern(const std::string& pattern, std::string_view flag = "redact");

  // `text` with URL credentials (scheme://user:password@host → scheme://user:***@host,
  // the password holding '/', '?', '#' or '@' unescaped or not; "host:PORT/" is
  // read as a port), secrets and patterns replaced by ***.
  std::string Redact(std::string_view text) const;

  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  std::vector<std::string> secrets_;
  std::vector<std::regex> patterns_;
};

// Only the URL-credential rule, exposed for tests and for callers without secrets.
std::string RedactUrlCredentials(std::string_view text);

}  // namespace ecsmig
