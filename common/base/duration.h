// Durations as users write them: "90s", "15m", "1h", "1h30m", "500ms".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ecsmig {

// Parses a non-empty sequence of <digits><unit> with units h, m, s, ms (a bare
// "0" is also accepted). On error, throws UsageError naming `flag` and the text.
std::chrono::milliseconds ParseDuration(std::string_view text, std::string_view flag = "duration");

// "1h2m3s", "45s", "1.5s" for sub-minute durations with milliseconds.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace ecsmig
