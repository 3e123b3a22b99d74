// Durations as users write them: "90s", "15m", "1h", "1h30m", "500ms".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ecsmig {

// Parses a non-empty sequence of <digits><unit> with units h, m, s, ms, each
// at most once, largest first (a bare "0" is also accepted); at most 7 days.
// The one duration parser of the suite. On error, throws UsageError naming
// `flag`, the text and what is wrong with it (fractional, unknown unit,
// missing unit, unit repeated or out of order, negative, too long).
std::chrono::milliseconds ParseDuration(std::string_view text, std::string_view flag = "duration");

// "1h2m3s", "45s", "1.5s" for sub-minute durations with milliseconds.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace ecsmig
