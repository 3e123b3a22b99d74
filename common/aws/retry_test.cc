#include "common/aws/retry.h"

#include <gtest/gtest.h>

#include "common/base/error.h"

namespace ecsmig {
namespace {

using std::chrono::milliseconds;

TEST(ClassifyTest, ThrottlingCodes) {
  for (const char* code :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "EC2ThrottledException"}) {
    EXPECT_EQ(ClassifyAwsError(code, 400), RetryReason::kThrottling) << code;
  }
}

TEST(ClassifyTest, TransientCodesAndStatuses) {
  for (const char* code :
       {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}) {
    EXPECT_EQ(ClassifyAwsError(code, 400), RetryReason::kTransient) << code;
  }
  for (int status : {500, 502, 503, 504}) {
    EXPECT_EQ(ClassifyAwsError("InternalFailure", status), RetryReason::kTransient) << status;
  }
}

TEST(ClassifyTest, ClientErrorsAreFinal) {
  EXPECT_EQ(ClassifyAwsError("ClusterNotFoundException", 400), RetryReason::kNone);
  EXPECT_EQ(ClassifyAwsError("AccessDeniedException", 400), RetryReason::kNone);
  EXPECT_EQ(ClassifyAwsError("InvalidParameterException", 400), RetryReason::kNone);
  EXPECT_EQ(ClassifyAwsError("NotImplemented", 501), RetryReason::kNone);
  EXPECT_EQ(ClassifyAwsError("throttling", 400), RetryReason::kNone);  // codes are exact
}

TEST(ClassifyTest, ErrorsThrownByCalls) {
  EXPECT_EQ(ClassifyError(AwsError("ECS", "RunTask", "ThrottlingException", "", "", 400)),
            RetryReason::kThrottling);
  EXPECT_EQ(ClassifyError(AwsError("ECS", "RunTask", "ServerException", "", "", 500)),
            RetryReason::kTransient);
  EXPECT_EQ(ClassifyError(AwsError("ECS", "RunTask", "MalformedResponse", "", "", 200)),
            RetryReason::kMalformedResponse);
  EXPECT_EQ(ClassifyError(TransportError("reset")), RetryReason::kTransient);
  EXPECT_EQ(ClassifyError(TransportError("slow", true)), RetryReason::kTimeout);
  EXPECT_EQ(ClassifyError(UsageError("bad")), RetryReason::kNone);
}

TEST(MaxAttemptsTest, ConfiguredThenEnvironmentThenThree) {
  MapEnvironment env;
  EXPECT_EQ(ResolveMaxAttempts(0, env), 3);
  env.Set("AWS_MAX_ATTEMPTS", "7");
  EXPECT_EQ(ResolveMaxAttempts(0, env), 7);
  EXPECT_EQ(ResolveMaxAttempts(12, env), 12);
  env.Set("AWS_MAX_ATTEMPTS", "20");
  EXPECT_EQ(ResolveMaxAttempts(12, env), 20) << "a polling tool's budget is a floor";
  for (const char* bad : {"0", "-1", "x", "3x"}) {
    env.Set("AWS_MAX_ATTEMPTS", bad);
    EXPECT_THROW(ResolveMaxAttempts(0, env), UsageError) << bad;
    EXPECT_THROW(ResolveMaxAttempts(10, env), UsageError) << bad;
  }
}

TEST(HttpOptionsTest, DefaultsThenEnvironment) {
  MapEnvironment env;
  HttpOptions defaults = ResolveHttpOptions(env);
  EXPECT_EQ(defaults.connect_timeout, std::chrono::seconds(3));
  EXPECT_EQ(defaults.total_timeout, std::chrono::seconds(30));
  env.Set("ECSMIG_HTTP_TIMEOUT", "1500ms");
  env.Set("ECSMIG_CONNECT_TIMEOUT", "1s");
  HttpOptions set = ResolveHttpOptions(env);
  EXPECT_EQ(set.connect_timeout, std::chrono::seconds(1));
  EXPECT_EQ(set.total_timeout, std::chrono::milliseconds(1500));
}

TEST(HttpOptionsTest, BadValuesNameTheVariable) {
  for (const char* name : {"ECSMIG_HTTP_TIMEOUT", "ECSMIG_CONNECT_TIMEOUT"}) {
    for (const char* bad : {"0", "0s", "10", "fast", "-1s", "1x"}) {
      MapEnvironment env;
      env.Set(name, bad);
      try {
        ResolveHttpOptions(env);
        ADD_FAILURE() << name << "=" << bad << " was accepted";
      } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(std::string(name) + ": '" + bad + "'", 0), 0u)
            << e.what();
      }
    }
  }
}

class RetrierTest : public testing::Test {
 protected:
  FakeClock clock_;
  SeededRandom random_{42};
  RetryQuota quota_;
};

TEST_F(RetrierTest, GivesUpAfterMaxAttempts) {
  RetryOptions options;
  options.max_attempts = 3;
  Retrier retrier(options, quota_, clock_, random_);
  EXPECT_EQ(retrier.attempt(), 1);
  EXPECT_TRUE(retrier.NextDelay(RetryReason::kThrottling).has_value());
  EXPECT_EQ(retrier.attempt(), 2);
  EXPECT_TRUE(retrier.NextDelay(RetryReason::kTransient).has_value());
  EXPECT_EQ(retrier.attempt(), 3);
  EXPECT_FALSE(retrier.NextDelay(RetryReason::kThrottling).has_value());
  EXPECT_EQ(retrier.attempt(), 3);
}

TEST_F(RetrierTest, NonRetryableGivesUpAtOnceAndTakesNoQuota) {
  Retrier retrier(RetryOptions{}, quota_, clock_, random_);
  EXPECT_FALSE(retrier.NextDelay(RetryReason::kNone).has_value());
  EXPECT_EQ(quota_.available(), RetryQuota::kCapacity);
}

// The ceiling of each retry's delay, and that jitter spreads over all of it.
void ExpectFullJitter(Retrier& retrier, RetryReason reason, int64_t base_ms) {
  for (int retry = 1; retry <= 20; ++retry) {
    int64_t ceiling = std::min<int64_t>(20000, base_ms << std::min(retry - 1, 30));
    int64_t max_seen = 0;
    for (int sample = 0; sample < 200; ++sample) {
      int64_t delay = retrier.Backoff(retry, reason).count();
      EXPECT_GE(delay, 0);
      EXPECT_LE(delay, ceiling) << "retry " << retry;
      max_seen = std::max(max_seen, delay);
    }
    EXPECT_GT(max_seen, ceiling / 2) << "retry " << retry;
  }
}

TEST_F(RetrierTest, BackoffIsFullJitterWithinExponentialBoundsAndCap) {
  RetryOptions options;
  options.base_delay = milliseconds(100);
  options.max_backoff = milliseconds(20000);
  Retrier retrier(options, quota_, clock_, random_);
  ExpectFullJitter(retrier, RetryReason::kTransient, 100);
}

// botocore's standard mode: throttling backs off on a 1 s scale, everything
// else on 50 ms (retries/standard.py, ExponentialBackoff's base scales).
TEST_F(RetrierTest, ThrottlingBacksOffOnASecondScaleOtherFailuresOnFiftyMilliseconds) {
  Retrier retrier(RetryOptions{}, quota_, clock_, random_);
  ExpectFullJitter(retrier, RetryReason::kThrottling, 1000);
  ExpectFullJitter(retrier, RetryReason::kTransient, 50);
  ExpectFullJitter(retrier, RetryReason::kTimeout, 50);
  ExpectFullJitter(retrier, RetryReason::kMalformedResponse, 50);
}

TEST_F(RetrierTest, BackoffAndContinueSleepsOnTheClock) {
  RetryOptions options;
  options.max_attempts = 5;
  Retrier retrier(options, quota_, clock_, random_);
  milliseconds expected{0};
  while (true) {
    auto before = clock_.total_slept();
    if (!retrier.BackoffAndContinue(RetryReason::kThrottling)) break;
    expected += clock_.total_slept() - before;
  }
  EXPECT_EQ(retrier.attempt(), 5);
  EXPECT_EQ(clock_.total_slept(), expected);
  EXPECT_LE(clock_.total_slept(), milliseconds(1000 + 2000 + 4000 + 8000));
}

TEST_F(RetrierTest, QuotaChargesFiveOrTenAndRefundsOnSuccess) {
  RetryOptions options;
  options.max_attempts = 10;
  Retrier retrier(options, quota_, clock_, random_);
  ASSERT_TRUE(retrier.NextDelay(RetryReason::kThrottling));
  EXPECT_EQ(quota_.available(), 495);
  ASSERT_TRUE(retrier.NextDelay(RetryReason::kTimeout));
  EXPECT_EQ(quota_.available(), 485);
  retrier.OnSuccess();
  EXPECT_EQ(quota_.available(), 500);
}

TEST_F(RetrierTest, SuccessWithoutRetryAddsOneUpToCapacity) {
  quota_.Release(0);
  int taken = 0;
  ASSERT_TRUE(quota_.TryAcquire(RetryReason::kTransient, taken));
  EXPECT_EQ(quota_.available(), 495);
  Retrier retrier(RetryOptions{}, quota_, clock_, random_);
  retrier.OnSuccess();
  EXPECT_EQ(quota_.available(), 496);
  for (int i = 0; i < 10; ++i) Retrier(RetryOptions{}, quota_, clock_, random_).OnSuccess();
  EXPECT_EQ(quota_.available(), 500);
}

TEST_F(RetrierTest, EmptyQuotaStopsRetries) {
  RetryOptions options;
  options.max_attempts = 1000;
  int retries = 0;
  Retrier retrier(options, quota_, clock_, random_);
  while (retrier.NextDelay(RetryReason::kTransient)) ++retries;
  EXPECT_EQ(retries, RetryQuota::kCapacity / RetryQuota::kRetryCost);
  EXPECT_EQ(quota_.available(), 0);
  // Another call cannot retry either, until successes refill the bucket.
  Retrier next(options, quota_, clock_, random_);
  EXPECT_FALSE(next.NextDelay(RetryReason::kThrottling).has_value());
  next.OnSuccess();
  EXPECT_EQ(quota_.available(), 1);
}

TEST_F(RetrierTest, TimeoutsExhaustTheQuotaTwiceAsFast) {
  RetryOptions options;
  options.max_attempts = 1000;
  int retries = 0;
  Retrier retrier(options, quota_, clock_, random_);
  while (retrier.NextDelay(RetryReason::kTimeout)) ++retries;
  EXPECT_EQ(retries, RetryQuota::kCapacity / RetryQuota::kTimeoutCost);
}

TEST_F(RetrierTest, DeadlineModeRetriesWithoutLimitUntilTheDeadline) {
  RetryOptions options;
  options.max_attempts = 3;  // ignored under a deadline
  options.deadline = clock_.Monotonic() + std::chrono::minutes(10);
  Retrier retrier(options, quota_, clock_, random_);
  int retries = 0;
  while (retrier.BackoffAndContinue(RetryReason::kThrottling)) ++retries;
  EXPECT_GT(retries, 30);  // 10 minutes of up-to-20 s sleeps
  EXPECT_LT(clock_.Monotonic(), *options.deadline);
  EXPECT_GT(clock_.Monotonic(), *options.deadline - std::chrono::seconds(20));
  EXPECT_EQ(quota_.available(), RetryQuota::kCapacity);  // the quota is not consulted
  EXPECT_FALSE(retrier.NextDelay(RetryReason::kNone).has_value());
}

TEST_F(RetrierTest, WithRetriesRetriesUntilSuccess) {
  int calls = 0;
  RetryOptions options;
  options.max_attempts = 5;
  int result = WithRetries(options, quota_, clock_, random_, [&] {
    if (++calls < 4)
      throw AwsError("CloudWatch Logs", "GetLogEvents", "ThrottlingException", "", "", 400);
    return 42;
  });
  EXPECT_EQ(result, 42);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(quota_.available(), RetryQuota::kCapacity);
}

TEST_F(RetrierTest, WithRetriesRethrowsFinalErrorsAtOnce) {
  int calls = 0;
  EXPECT_THROW(WithRetries(RetryOptions{}, quota_, clock_, random_,
                           [&] {
                             ++calls;
                             throw AwsError("ECS", "RunTask", "AccessDeniedException", "", "", 400);
                           }),
               AwsError);
  EXPECT_EQ(calls, 1);
}

TEST_F(RetrierTest, WithRetriesUnderADeadlineKeepsGoingThenRethrows) {
  RetryOptions options;
  options.deadline = clock_.Monotonic() + std::chrono::minutes(2);
  int calls = 0;
  EXPECT_THROW(WithRetries(options, quota_, clock_, random_,
                           [&] {
                             ++calls;
                             throw TransportError("connection reset");
                           }),
               TransportError);
  EXPECT_GT(calls, 5);
  EXPECT_LT(clock_.Monotonic(), *options.deadline);
}

}  // namespace
}  // namespace ecsmig
