// The AWS SDKs' "standard" retry mode: which failures are retried, full-jitter
// exponential backoff, and the client-wide retry quota (token bucket). Sleeping
// goes through Clock and jitter through Random, so tests run on FakeClock.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <type_traits>

#include "common/aws/profile_settings.h"
#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/error.h"
#include "common/base/random.h"
#include "common/net/backoff.h"
#include "common/net/http.h"

namespace ecsmig {

enum class RetryReason {
  kNone,               // not retryable: give up now
  kThrottling,         // Throttling, TooManyRequestsException, ...
  kTransient,          // 5xx, RequestTimeout, a connection error
  kTimeout,            // the transport timed out (costs more quota)
  kMalformedResponse,  // a 200 whose body does not parse
};

bool IsThrottlingCode(std::string_view code);
bool IsTransientCode(std::string_view code);
// A service error: throttling codes, transient codes, then HTTP 500/502/503/504.
RetryReason ClassifyAwsError(std::string_view code, int http_status);

// Standard mode's client-wide token bucket: a retry costs 5 (10 after a
// timeout), a success refunds what its retries took (or adds 1 when it needed
// none), capped at the initial 500. An empty bucket means no more retries.
class RetryQuota {
 public:
  static constexpr int kCapacity = 500;
  static constexpr int kRetryCost = 5;
  static constexpr int kTimeoutCost = 10;
  static constexpr int kNoRetryIncrement = 1;

  // Takes the cost of one retry; false (and nothing taken) when not enough is left.
  bool TryAcquire(RetryReason reason, int& acquired);
  void Release(int amount);
  int available() const { return available_; }

 private:
  int available_ = kCapacity;
};

struct RetryOptions {
  int max_attempts = 3;  // attempts in all, the first included
  // The SDKs' standard mode (botocore's retries/standard.py): a throttled call
  // waits on a 1 s scale, any other retryable failure on a 50 ms one. Retrying
  // a throttled ECS call after ~100 ms mostly meets the same empty bucket.
  std::chrono::milliseconds throttling_base_delay{1000};
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_backoff{20000};
  // Deadline mode (e.g. fetch-logs: "never a failure while the deadline
  // allows"): retryable failures are retried with no attempt limit and without
  // the quota, as long as the next attempt would start before the deadline.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// AWS_MAX_ATTEMPTS, else the profile's max_attempts, else 3; a `configured`
// value > 0 (a polling tool's larger budget) is a floor. On a value that is
// not a positive integer, throws UsageError naming its source, whatever
// `configured` is.
int ResolveMaxAttempts(int configured, const Environment& env, const ProfileSettings& profile = {});

// AWS_RETRY_MODE, else the profile's retry_mode: "standard", "legacy" or
// "adaptive" (all retried as standard mode does). On any other value, throws
// UsageError naming its source.
void CheckRetryMode(const Environment& env, const ProfileSettings& profile = {});

// Timeouts of one HTTP attempt: ECSMIG_CONNECT_TIMEOUT (default 3s) and
// ECSMIG_HTTP_TIMEOUT (the whole attempt, answer included; default 30s). An
// attempt that runs out is a retryable timeout: an answer slower than this is
// treated like a lost one. On a value that is not a positive duration, throws
// UsageError naming the variable.
HttpOptions ResolveHttpOptions(const Environment& env);

// The retry bookkeeping of one call (one operation, all its attempts).
class Retrier {
 public:
  Retrier(const RetryOptions& options, RetryQuota& quota, Clock& clock, Random& random)
      : options_(options), quota_(quota), clock_(clock), random_(random) {}

  // After attempt number attempt() failed for `reason`: returns the delay to
  // sleep before the next attempt (and counts it), or nullopt to give up.
  std::optional<std::chrono::milliseconds> NextDelay(RetryReason reason);
  // Sleeps NextDelay's answer on the clock; false to give up.
  bool BackoffAndContinue(RetryReason reason);
  // The call succeeded: refunds the quota.
  void OnSuccess();

  // 1-based number of the attempt being made.
  int attempt() const { return attempt_; }
  // FullJitterBackoff: uniform in [0, min(max_backoff, base * 2^(retry-1))],
  // base by `reason` (throttling_base_delay for kThrottling, else base_delay).
  std::chrono::milliseconds Backoff(int retry, RetryReason reason);

 private:
  const RetryOptions options_;
  RetryQuota& quota_;
  Clock& clock_;
  Random& random_;
  int attempt_ = 1;
  int acquired_ = 0;
};

// An error a call threw: AwsError by code and status, TransportError as
// kTimeout/kTransient, anything else kNone. For callers that retry whole
// operations themselves (e.g. under a deadline) with a Retrier.
RetryReason ClassifyError(const Error& error);

// Runs `call` until it returns, retrying what ClassifyError deems retryable
// under `options` (a deadline makes it "retry while the deadline allows");
// rethrows the last error when retries end. For whole operations a caller
// wants to survive longer than one AwsJsonService::Call's own retries.
template <typename Call>
auto WithRetries(const RetryOptions& options, RetryQuota& quota, Clock& clock, Random& random,
                 Call&& call) -> decltype(call()) {
  Retrier retrier(options, quota, clock, random);
  while (true) {
    try {
      if constexpr (std::is_void_v<decltype(call())>) {
        call();
        retrier.OnSuccess();
        return;
      } else {
        auto result = call();
        retrier.OnSuccess();
        return result;
      }
    } catch (const Error& error) {
      if (!retrier.BackoffAndContinue(ClassifyError(error))) throw;
    }
  }
}
}  // namespace ecsmig
