#include "common/base/env.h"

#include <algorithm>
#include <cstdlib>

namespace ecsmig {

std::string Environment::GetOr(const std::string& name, const std::string& fallback) const {
  auto value = Get(name);
  return value && !value->empty() ? *value : fallback;
}

bool Environment::IsTrue(const std::string& name) const {
  std::string v = GetOr(name);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true" || v == "1" || v == "yes";
}

std::optional<std::string> ProcessEnvironment::Get(const std::string& name) const {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::optional<std::string> MapEnvironment::Get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ecsmig
