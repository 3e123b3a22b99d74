#include "common/base/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace ecsmig {

RateLimiter::RateLimiter(Clock& clock, double rate_per_second, double burst, double min_rate)
    : clock_(clock),
      max_rate_(std::max(rate_per_second, 0.001)),
      burst_(std::max(burst, 1.0)),
      min_rate_(std::min(std::max(min_rate, 0.001), max_rate_)),
      rate_(max_rate_),
      tokens_(burst_),
      last_(clock.Monotonic()) {}

void RateLimiter::Refill() {
  auto now = clock_.Monotonic();
  if (now > last_) {
    double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
  }
  last_ = now;
}

std::chrono::milliseconds RateLimiter::WaitTime() {
  Refill();
  if (tokens_ >= 1.0) return std::chrono::milliseconds(0);
  double seconds = (1.0 - tokens_) / rate_;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0)));
}

bool RateLimiter::TryAcquire() {
  Refill();
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void RateLimiter::Acquire() {
  while (!TryAcquire()) clock_.SleepFor(std::max(WaitTime(), std::chrono::milliseconds(1)));
}

void RateLimiter::OnThrottled() {
  Refill();
  rate_ = std::max(min_rate_, rate_ / 2);
  // The bucket's saved burst is what got us throttled: spend it.
  tokens_ = std::min(tokens_, 0.0);
}

void RateLimiter::OnSuccess() {
  Refill();
  rate_ = std::min(max_rate_, rate_ + max_rate_ / 20);
}

}  // namespace ecsmig
