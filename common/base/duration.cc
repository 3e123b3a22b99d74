#include "common/base/duration.h"

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>

#include "common/base/error.h"

namespace ecsmig {

namespace {

struct DurationUnit {
  std::string_view name;
  int64_t millis;
};
// Largest first: a duration names each unit at most once, in this order.
constexpr DurationUnit kUnits[] = {{"h", 3600 * 1000}, {"m", 60 * 1000}, {"s", 1000}, {"ms", 1}};
// A week is far beyond any sensible CI timeout; the cap keeps arithmetic safe.
constexpr int64_t kMaxMillis = int64_t{7} * 24 * 3600 * 1000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Why `text` is not a duration, or "" when it is one (its value in `total`).
std::string ParseDurationParts(std::string_view text, int64_t& total) {
  total = 0;
  size_t i = 0;
  int previous_unit = -1;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      if (text[i] == '-') return "negative durations are not allowed";
      if (IsLetter(text[i])) return "missing number before '" + std::string(text.substr(i)) + "'";
      return "unexpected '" + std::string(text.substr(i, 1)) + "'";
    }
    int64_t number = 0;
    size_t digits_start = i;
    while (i < text.size() && IsDigit(text[i])) {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxMillis) return "longer than 7 days";
      ++i;
    }
    std::string_view digits = text.substr(digits_start, i - digits_start);
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
      return "fractional values are not supported (write e.g. 1m30s or 500ms)";
    }
    size_t unit_start = i;
    while (i < text.size() && IsLetter(text[i])) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      if (i == text.size()) return "missing unit after " + std::string(digits);
      return "unexpected '" + std::string(text.substr(i, 1)) + "' after " + std::string(digits);
    }
    int index = -1;
    for (int u = 0; u < static_cast<int>(std::size(kUnits)); ++u) {
      if (kUnits[u].name == unit) index = u;
    }
    if (index < 0) return "unknown unit '" + std::string(unit) + "' (units: h, m, s, ms)";
    if (index == previous_unit) return "unit '" + std::string(unit) + "' repeated";
    if (index < previous_unit) {
      return "unit '" + std::string(unit) + "' after '" + std::string(kUnits[previous_unit].name) +
             "' (write units from h down to ms)";
    }
    previous_unit = index;
    total += number * kUnits[index].millis;
    if (total > kMaxMillis) return "longer than 7 days";
  }
  return "";
}

}  // namespace

std::chrono::milliseconds ParseDuration(std::string_view text, std::string_view flag) {
  if (text == "0") return std::chrono::milliseconds(0);
  int64_t total = 0;
  std::string why = text.empty() ? "empty" : ParseDurationParts(text, total);
  if (!why.empty()) {
    throw UsageError("--" + std::string(flag) + ": '" + std::string(text.substr(0, 40)) +
                     (text.size() > 40 ? "..." : "") + "' is not a duration: " + why +
                     "; write e.g. 90s, 15m, 1h30m");
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms < 0) ms = 0;
  char buffer[64];
  if (ms < 60 * 1000) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", static_cast<double>(ms) / 1000.0);
    return buffer;
  }
  int64_t s = ms / 1000;
  int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h > 0) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm%02llds", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(sec));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(m),
                  static_cast<long long>(sec));
  }
  return buffer;
}

}  // namespace ecsmig
