#include "common/base/rate_limiter.h"

#include <gtest/gtest.h>

namespace ecsmig {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiter, AllowsTheBurstThenPacesAtTheRate) {
  FakeClock clock;
  RateLimiter limiter(clock, 5, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.TryAcquire()) << i;
  EXPECT_FALSE(limiter.TryAcquire());
  EXPECT_EQ(limiter.WaitTime(), milliseconds(200));
  clock.Advance(milliseconds(199));
  EXPECT_FALSE(limiter.TryAcquire());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.TryAcquire());
}

TEST(RateLimiter, AcquireSleepsOnTheClockSoManyCallsTakeTheirTime) {
  FakeClock clock;
  RateLimiter limiter(clock, 5, 5);
  for (int i = 0; i < 105; ++i) limiter.Acquire();
  // 5 from the burst, then 100 at 5/s.
  EXPECT_GE(clock.total_slept(), milliseconds(19900));
  EXPECT_LE(clock.total_slept(), milliseconds(20200));
}

TEST(RateLimiter, ThrottlingHalvesTheRateAndSuccessesRestoreIt) {
  FakeClock clock;
  RateLimiter limiter(clock, 4, 4, 0.5);
  limiter.OnThrottled();
  EXPECT_DOUBLE_EQ(limiter.rate(), 2);
  limiter.OnThrottled();
  limiter.OnThrottled();
  limiter.OnThrottled();
  EXPECT_DOUBLE_EQ(limiter.rate(), 0.5);  // never below the floor
  // The saved burst is spent: the next call waits.
  EXPECT_FALSE(limiter.TryAcquire());
  for (int i = 0; i < 100; ++i) limiter.OnSuccess();
  EXPECT_DOUBLE_EQ(limiter.rate(), 4);  // never above the configured rate
}

}  // namespace
}  // namespace ecsmig
