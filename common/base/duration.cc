#include "common/base/duration.h"

#include <cstdint>
#include <cstdio>

#include "common/base/error.h"

namespace ecsmig {

std::chrono::milliseconds ParseDuration(std::string_view text, std::string_view flag) {
  auto fail = [&](const std::string& why) -> std::chrono::milliseconds {
    throw UsageError("--" + std::string(flag) + ": '" + std::string(text) +
                     "' is not a duration (" + why + "; write e.g. 90s, 15m, 1h30m)");
  };
  if (text.empty()) return fail("empty");
  if (text == "0") return std::chrono::milliseconds(0);
  // A day is far beyond any sensible CI timeout; the cap keeps arithmetic safe.
  constexpr int64_t kMaxMillis = int64_t{7} * 24 * 3600 * 1000;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return fail("expected a number");
    int64_t number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxMillis) return fail("too long");
      ++i;
    }
    int64_t unit_ms;
    if (text.substr(i, 2) == "ms") {
      unit_ms = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 'h') {
      unit_ms = 3600 * 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit_ms = 60 * 1000;
      ++i;
    } else if (i < text.size() && text[i] == 's') {
      unit_ms = 1000;
      ++i;
    } else {
      return fail("missing unit h, m, s or ms");
    }
    total += number * unit_ms;
    if (total > kMaxMillis) return fail("longer than 7 days");
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
