// Exponential backoff with jitter: the one schedule of every client that
// retries (the AWS SDKs' standard retry mode in aws/retry.h, the GitHub REST
// client, the CloudWatch Logs follower). The n-th retry's ceiling is
// base * 2^(n-1), capped; the wait is drawn below it from Random, so tests
// replay it with SeededRandom. Each caller keeps its own base, cap, and
// decision of whether to retry at all.
#pragma once

#include <chrono>

#include "common/base/random.h"

namespace ecsmig {

// min(cap, base * 2^(retry-1)) for the 1-based `retry` (below 1 counts as 1),
// without overflow for any `retry`.
std::chrono::milliseconds BackoffCeiling(int retry, std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap);

// Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog):
// uniform in [0, BackoffCeiling(retry, base, cap)].
std::chrono::milliseconds FullJitterBackoff(int retry, std::chrono::milliseconds base,
                                            std::chrono::milliseconds cap, Random& random);

// Equal jitter: uniform in [ceiling/2, ceiling], for a poll that must not
// come straight back.
std::chrono::milliseconds EqualJitterBackoff(int retry, std::chrono::milliseconds base,
                                             std::chrono::milliseconds cap, Random& random);

// Counts failures in a row and answers EqualJitterBackoff for the next one,
// for a loop that retries without an attempt limit of its own.
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
