#include "common/base/clock.h"

#include <algorithm>
#include <thread>

#include "common/base/signals.h"

namespace ecsmig {

std::chrono::system_clock::time_point SystemClock::Now() const {
  return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point SystemClock::Monotonic() const {
  return std::chrono::steady_clock::now();
}

void SystemClock::SleepFor(std::chrono::milliseconds duration) {
  // Sleep in slices so a cancellation signal is noticed within 50 ms.
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (CancelSignal() == 0) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    auto slice = std::min<std::chrono::steady_clock::duration>(deadline - now,
                                                               std::chrono::milliseconds(50));
    std::this_thread::sleep_for(slice);
  }
}

}  // namespace ecsmig
