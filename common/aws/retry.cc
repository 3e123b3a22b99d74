#include "common/aws/retry.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "common/base/duration.h"
#include "common/base/error.h"

namespace ecsmig {

bool IsThrottlingCode(std::string_view code) {
  static constexpr std::array<std::string_view, 13> kCodes = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "EC2ThrottledException"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

bool IsTransientCode(std::string_view code) {
  return code == "RequestTimeout" || code == "RequestTimeoutException" ||
         code == "PriorRequestNotComplete";
}

RetryReason ClassifyAwsError(std::string_view code, int http_status) {
  if (IsThrottlingCode(code)) return RetryReason::kThrottling;
  if (IsTransientCode(code)) return RetryReason::kTransient;
  if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504) {
    return RetryReason::kTransient;
  }
  return RetryReason::kNone;
}

bool RetryQuota::TryAcquire(RetryReason reason, int& acquired) {
  int cost = reason == RetryReason::kTimeout ? kTimeoutCost : kRetryCost;
  if (available_ < cost) return false;
  available_ -= cost;
  acquired += cost;
  return true;
}

void RetryQuota::Release(int amount) { available_ = std::min(kCapacity, available_ + amount); }

namespace {

// A positive integer, or 0 when `value` is empty; else UsageError naming `source`.
int PositiveInteger(const SourcedValue& setting) {
  const std::string& text = setting.value;
  int value = 0;
  if (text.empty()) return 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    throw UsageError(setting.source + ": '" + text + "' is not a positive integer");
  }
  return value;
}

}  // namespace

int ResolveMaxAttempts(int configured, const Environment& env, const ProfileSettings& profile) {
  // Both are checked: a malformed value is refused even where the other wins.
  int from_profile = PositiveInteger(profile.Setting("max_attempts", profile.max_attempts));
  int value = PositiveInteger({env.GetOr("AWS_MAX_ATTEMPTS"), "AWS_MAX_ATTEMPTS"});
  if (value == 0) value = from_profile;
  if (configured > 0) return std::max(configured, value);
  return value > 0 ? value : 3;
}

void CheckRetryMode(const Environment& env, const ProfileSettings& profile) {
  for (const SourcedValue& setting : {SourcedValue{env.GetOr("AWS_RETRY_MODE"), "AWS_RETRY_MODE"},
                                      profile.Setting("retry_mode", profile.retry_mode)}) {
    const std::string& mode = setting.value;
    if (!mode.empty() && mode != "standard" && mode != "legacy" && mode != "adaptive") {
      throw UsageError(setting.source + ": '" + mode +
                       "' is not a retry mode (standard, legacy or adaptive)");
    }
  }
}

namespace {

std::chrono::milliseconds TimeoutFromEnv(const Environment& env, const std::string& name,
                                         std::chrono::milliseconds fallback) {
  std::string text = env.GetOr(name);
  if (text.empty()) return fallback;
  std::chrono::milliseconds value{0};
  try {
    value = ParseDuration(text, name);
  } catch (const UsageError&) {
    value = std::chrono::milliseconds(0);
  }
  if (value <= std::chrono::milliseconds(0)) {
    throw UsageError(name + ": '" + text + "' is not a positive duration (e.g. 10s, 500ms)");
  }
  return value;
}

}  // namespace

HttpOptions ResolveHttpOptions(const Environment& env) {
  HttpOptions options;
  options.connect_timeout = TimeoutFromEnv(env, "ECSMIG_CONNECT_TIMEOUT", options.connect_timeout);
  options.total_timeout = TimeoutFromEnv(env, "ECSMIG_HTTP_TIMEOUT", options.total_timeout);
  return options;
}

std::chrono::milliseconds Retrier::Backoff(int retry, RetryReason reason) {
  std::chrono::milliseconds base =
      reason == RetryReason::kThrottling ? options_.throttling_base_delay : options_.base_delay;
  return FullJitterBackoff(retry, base, options_.max_backoff, random_);
}

std::optional<std::chrono::milliseconds> Retrier::NextDelay(RetryReason reason) {
  if (reason == RetryReason::kNone) return std::nullopt;
  std::chrono::milliseconds delay = Backoff(attempt_, reason);
  if (options_.deadline) {
    if (clock_.Monotonic() + delay >= *options_.deadline) return std::nullopt;
  } else {
    if (attempt_ >= options_.max_attempts) return std::nullopt;
    if (!quota_.TryAcquire(reason, acquired_)) return std::nullopt;
  }
  ++attempt_;
  return delay;
}

bool Retrier::BackoffAndContinue(RetryReason reason) {
  std::optional<std::chrono::milliseconds> delay = NextDelay(reason);
  if (!delay) return false;
  if (delay->count() > 0) clock_.SleepFor(*delay);
  return true;
}

void Retrier::OnSuccess() {
  quota_.Release(acquired_ > 0 ? acquired_ : RetryQuota::kNoRetryIncrement);
  acquired_ = 0;
}

}  // namespace ecsmig

namespace ecsmig {
RetryReason ClassifyError(const Error& error) {
  if (const auto* aws = dynamic_cast<const AwsError*>(&error)) {
    if (aws->code() == "MalformedResponse") return RetryReason::kMalformedResponse;
    return ClassifyAwsError(aws->code(), aws->http_status());
  }
  if (const auto* transport = dynamic_cast<const TransportError*>(&error)) {
    return transport->timed_out() ? RetryReason::kTimeout : RetryReason::kTransient;
  }
  return RetryReason::kNone;
}
}  // namespace ecsmig
