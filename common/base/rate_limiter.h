// Client-side pacing for calls many CI jobs share: one token bucket for every
// stream a run follows (CloudWatch Logs throttles GetLogEvents per account and
// region). Backing off when it throttles anyway is net/backoff.h's.
#pragma once

#include <chrono>

#include "common/base/clock.h"

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

}  // namespace ecsmig
