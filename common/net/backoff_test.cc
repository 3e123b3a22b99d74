#include "common/net/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>

namespace ecsmig {
namespace {

using std::chrono::milliseconds;

// Answers NextDouble() == `value` (for the values a 53-bit fraction holds).
class FixedRandom : public Random {
 public:
  explicit FixedRandom(double value) : bits_(static_cast<uint64_t>(value * 0x1.0p53) << 11) {}
  uint64_t NextU64() override { return bits_; }

 private:
  uint64_t bits_;
};

TEST(BackoffCeiling, DoublesFromTheBaseUpToTheCap) {
  EXPECT_EQ(BackoffCeiling(1, milliseconds(100), milliseconds(20000)), milliseconds(100));
  EXPECT_EQ(BackoffCeiling(2, milliseconds(100), milliseconds(20000)), milliseconds(200));
  EXPECT_EQ(BackoffCeiling(8, milliseconds(100), milliseconds(20000)), milliseconds(12800));
  EXPECT_EQ(BackoffCeiling(9, milliseconds(100), milliseconds(20000)), milliseconds(20000));
  EXPECT_EQ(BackoffCeiling(4, milliseconds(500), milliseconds(8000)), milliseconds(4000));
  EXPECT_EQ(BackoffCeiling(5, milliseconds(500), milliseconds(8000)), milliseconds(8000));
}

TEST(BackoffCeiling, NoOverflowAndNoRetryBelowTheFirst) {
  EXPECT_EQ(BackoffCeiling(INT_MAX, milliseconds(100), milliseconds(20000)), milliseconds(20000));
  EXPECT_EQ(BackoffCeiling(1000, milliseconds(1), milliseconds(3600000)), milliseconds(3600000));
  EXPECT_EQ(BackoffCeiling(0, milliseconds(100), milliseconds(20000)), milliseconds(100));
  EXPECT_EQ(BackoffCeiling(-5, milliseconds(100), milliseconds(20000)), milliseconds(100));
}

TEST(FullJitterBackoff, IsTheDrawTimesTheCeilingRoundedDown) {
  FixedRandom zero(0), half(0.5), most(0.999);
  EXPECT_EQ(FullJitterBackoff(3, milliseconds(100), milliseconds(20000), zero), milliseconds(0));
  EXPECT_EQ(FullJitterBackoff(3, milliseconds(100), milliseconds(20000), half), milliseconds(200));
  EXPECT_EQ(FullJitterBackoff(3, milliseconds(100), milliseconds(20000), most), milliseconds(399));
  EXPECT_EQ(FullJitterBackoff(30, milliseconds(100), milliseconds(20000), half),
            milliseconds(10000));
}

TEST(FullJitterBackoff, SpreadsOverTheWholeRange) {
  SeededRandom random(11);
  int64_t least = INT64_MAX, most = 0;
  for (int i = 0; i < 500; ++i) {
    int64_t delay = FullJitterBackoff(4, milliseconds(100), milliseconds(20000), random).count();
    ASSERT_GE(delay, 0);
    ASSERT_LE(delay, 800);
    least = std::min(least, delay);
    most = std::max(most, delay);
  }
  EXPECT_LT(least, 80);
  EXPECT_GT(most, 720);
}

TEST(EqualJitterBackoff, StaysInTheUpperHalf) {
  FixedRandom zero(0), half(0.5), most(0.999);
  EXPECT_EQ(EqualJitterBackoff(2, milliseconds(100), milliseconds(5000), zero), milliseconds(100));
  EXPECT_EQ(EqualJitterBackoff(2, milliseconds(100), milliseconds(5000), half), milliseconds(150));
  EXPECT_EQ(EqualJitterBackoff(2, milliseconds(100), milliseconds(5000), most), milliseconds(199));
  EXPECT_EQ(EqualJitterBackoff(40, milliseconds(100), milliseconds(5000), zero),
            milliseconds(2500));
}

TEST(Backoff, GrowsExponentiallyWithJitterAndIsCapped) {
  SeededRandom random(7);
  Backoff backoff(random, milliseconds(100), milliseconds(5000));
  long long ceiling = 100;
  for (int i = 0; i < 12; ++i) {
    long long wait = backoff.Next().count();
    long long cap = std::min<long long>(ceiling, 5000);
    EXPECT_GE(wait, cap / 2) << i;
    EXPECT_LE(wait, cap) << i;
    ceiling *= 2;
  }
  EXPECT_EQ(backoff.failures(), 12);
  backoff.Reset();
  EXPECT_LE(backoff.Next().count(), 100);
}

}  // namespace
}  // namespace ecsmig
