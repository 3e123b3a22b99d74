#include "common/net/backoff.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ecsmig {
namespace {

// In double: powers of two are exact, and 2^62 ms already exceeds any cap.
double CeilingMillis(int retry, std::chrono::milliseconds base, std::chrono::milliseconds cap) {
  int exponent = std::clamp(retry - 1, 0, 62);
  return std::min(static_cast<double>(cap.count()),
                  static_cast<double>(base.count()) * std::ldexp(1.0, exponent));
}

}  // namespace

std::chrono::milliseconds BackoffCeiling(int retry, std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap) {
  return std::chrono::milliseconds(static_cast<int64_t>(CeilingMillis(retry, base, cap)));
}

std::chrono::milliseconds FullJitterBackoff(int retry, std::chrono::milliseconds base,
                                            std::chrono::milliseconds cap, Random& random) {
  double ceiling = CeilingMillis(retry, base, cap);
  return std::chrono::milliseconds(static_cast<int64_t>(random.NextDouble() * ceiling));
}

std::chrono::milliseconds EqualJitterBackoff(int retry, std::chrono::milliseconds base,
                                             std::chrono::milliseconds cap, Random& random) {
  double ceiling = CeilingMillis(retry, base, cap);
  return std::chrono::milliseconds(
      static_cast<int64_t>(ceiling / 2 + random.NextDouble() * ceiling / 2));
}

std::chrono::milliseconds Backoff::Next() {
  ++failures_;
  return EqualJitterBackoff(failures_, base_, cap_, random_);
}

}  // namespace ecsmig
