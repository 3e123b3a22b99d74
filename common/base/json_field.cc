#include "common/base/json_field.h"

#include <cmath>
#include <limits>

namespace ecsmig {

std::string JsonString(const nlohmann::json& object, const char* field,
                       const std::string& fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

std::optional<long long> JsonInteger(const nlohmann::json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<long long>();
  if (value.is_number_unsigned()) {
    auto u = value.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())) {
      return std::nullopt;
    }
    return static_cast<long long>(u);
  }
  if (!value.is_number_float()) return std::nullopt;
  double d = value.get<double>();
  // 2^63 is exactly representable; every double below it in magnitude with
  // no fraction converts exactly.
  constexpr double kLimit = 9223372036854775808.0;
  if (!std::isfinite(d) || std::trunc(d) != d || d >= kLimit || d < -kLimit) return std::nullopt;
  return static_cast<long long>(d);
}

std::optional<long long> JsonIntegerField(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(field);
  if (it == object.end()) return std::nullopt;
  return JsonInteger(*it);
}

}  // namespace ecsmig
