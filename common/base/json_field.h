// Reading fields of answers that came over the wire without trusting their
// shape: a field of the wrong type, or a number no integer can hold, is
// "absent", never undefined behaviour (a double such as 1e300 converted to an
// integer type is UB in C++; the log_events fuzzer found one).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ecsmig {

// object[field] when `object` is an object and the field a string, else
// `fallback`.
std::string JsonString(const nlohmann::json& object, const char* field,
                       const std::string& fallback = "");

// `value` as an integer when it is a JSON integer that fits long long, or a
// finite number with no fractional part within long long's range (1.7e12
// written as a double is still a timestamp). Anything else is nullopt.
std::optional<long long> JsonInteger(const nlohmann::json& value);

// JsonInteger of object[field]; nullopt when `object` is not an object or
// has no such field.
std::optional<long long> JsonIntegerField(const nlohmann::json& object, const char* field);

}  // namespace ecsmig
