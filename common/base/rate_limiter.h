// Client-side pacing for calls many CI jobs share: one token bucket for every
// stream a run follows (CloudWatch Logs throttles GetLogEvents per account and
// region), and exponential backoff with full jitter for when it throttles anyway.
#pragma once

#include <chrono>

#include "common/base/clock.h"
#include "common/base/random.h"

namespace ecsmig {

// A token bucket on the Clock's monotonic time. The rate adapts: each
// throttling answer halves it (down to `min_rate`), each success adds back a
// twentieth of the configured rate, so jobs sharing an account settle below
// the account's limit instead of hammering it. Thread-compatible.
class RateLimiter {
 public:
  // `rate_per_second` > 0 tokens refill per second, up to `burst` >= 1.
  RateLimiter(Clock& clock, double rate_per_second, double burst, double min_rate = 0.2);

  // Waits on the clock until a token is available, then takes it.
  void Acquire();
  // Takes a token when one is available now; returns whether it did.
  bool TryAcquire();
  // How long until a token is available (0 when one is).
  std::chrono::milliseconds WaitTime();

  void OnThrottled();
  void OnSuccess();
  double rate() const { return rate_; }

 private:
  void Refill();

  Clock& clock_;
  const double max_rate_;
  const double burst_;
  const double min_rate_;
  double rate_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

// Exponential backoff with full jitter (AWS architecture blog): the n-th wait
// is uniform in [base*2^n / 2, base*2^n], capped at `cap`.
class Backoff {
 public:
  Backoff(Random& random, std::chrono::milliseconds base, std::chrono::milliseconds cap)
      : random_(random), base_(base), cap_(cap) {}
  // The wait before the next attempt; counts one more failure.
  std::chrono::milliseconds Next();
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  Random& random_;
  std::chrono::milliseconds base_, cap_;
  int failures_ = 0;
};

}  // namespace ecsmig
