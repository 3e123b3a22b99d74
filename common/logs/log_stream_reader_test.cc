#include "common/logs/log_stream_reader.h"

#include <gtest/gtest.h>

#include "common/base/error.h"
#include "common/base/rate_limiter.h"
#include "common/testing/fake_aws_logs.h"

namespace ecsmig {
namespace {

using nlohmann::json;

struct Collected {
  std::vector<std::string> messages;
  std::function<void(const std::vector<LogEvent>&)> sink() {
    return [this](const std::vector<LogEvent>& events) {
      for (const auto& e : events) messages.push_back(e.message);
    };
  }
};

class ReaderTest : public ::testing::Test {
 protected:
  std::unique_ptr<AwsJsonService> client() { return world.MakeClient("logs", "eu-west-1"); }
  FakeToolWorld world;
};

TEST(ParseGetLogEventsResponse, ReadsEventsAndToken) {
  json answer = json::parse(R"({"events":[{"timestamp":1700000000123,"ingestionTime":1700000000200,
      "message":"hello\tworld ✓"},{"timestamp":2,"message":"x"}],
      "nextForwardToken":"f/2","nextBackwardToken":"b/0"})");
  LogEventsPage page = ParseGetLogEventsResponse(answer);
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[0].timestamp, 1700000000123);
  EXPECT_EQ(page.events[0].ingestion_time, 1700000000200);
  EXPECT_EQ(page.events[0].message, "hello\tworld ✓");
  EXPECT_EQ(page.events[1].ingestion_time, 0);
  EXPECT_EQ(page.next_forward_token, "f/2");
}

TEST(ParseGetLogEventsResponse, ToleratesMissingOptionalParts) {
  EXPECT_TRUE(ParseGetLogEventsResponse(json::object()).events.empty());
  EXPECT_EQ(ParseGetLogEventsResponse(json::parse(R"({"events":null})")).next_forward_token, "");
  EXPECT_EQ(ParseGetLogEventsResponse(json::parse(R"({"events":[{"timestamp":1.7e12}]})"))
                .events.at(0)
                .timestamp,
            1700000000000LL);
  EXPECT_EQ(ParseGetLogEventsResponse(json::parse(R"({"events":[{"timestamp":1}]})"))
                .events.at(0)
                .message,
            "");
}

TEST(ParseGetLogEventsResponse, RejectsMalformedAnswers) {
  for (const char* bad :
       {R"([])", R"("x")", R"({"events":{}})", R"({"events":[1]})", R"({"events":[{"message":5}]})",
        R"({"events":[{"timestamp":"x"}]})",
        // the log_events fuzzer's finding: no integer holds these
        R"({"events":[{"timestamp":1e300}]})", R"({"events":[{"ingestionTime":-1e300}]})",
        R"({"events":[{"timestamp":18446744073709551615}]})"}) {
    EXPECT_THROW(ParseGetLogEventsResponse(json::parse(bad)), Error) << bad;
  }
}

TEST_F(ReaderTest, FollowsTheForwardTokenUntilItComesBackUnchanged) {
  world.logs.AppendNumbered("/ecs/api", "ecs/app/t1", 0, 25000);
  auto logs = client();
  LogStreamReader reader(*logs, "/ecs/api", "ecs/app/t1");
  Collected got;
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kCaughtUp);
  // ceil(25000 / 10000) + 1 calls: the fewest GetLogEvents can do.
  EXPECT_EQ(world.logs.get_calls(), 4);
  ASSERT_EQ(got.messages.size(), 25000u);
  for (int i = 0; i < 25000; ++i) ASSERT_EQ(got.messages[i], "line " + std::to_string(i));
  const auto& requests = world.logs.get_requests();
  EXPECT_EQ(requests[0].value("limit", 0), 10000);
  EXPECT_TRUE(requests[0].value("startFromHead", false));
  EXPECT_FALSE(requests[0].contains("nextToken"));
  EXPECT_FALSE(requests[0].contains("startTime"));
  EXPECT_EQ(requests[1]["nextToken"], "f/10000");
  EXPECT_EQ(requests[3]["nextToken"], "f/25000");

  // New events after the end: read from the cursor, never from the start.
  world.logs.AppendNumbered("/ecs/api", "ecs/app/t1", 25000, 3);
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  ASSERT_EQ(got.messages.size(), 25003u);
  EXPECT_EQ(got.messages.back(), "line 25002");
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kCaughtUp);
}

TEST_F(ReaderTest, AnEmptyPageWithAMovedTokenIsNotTheEnd) {
  world.logs.empty_page_quirk = true;
  world.logs.AppendNumbered("g", "s", 0, 3);
  auto logs = client();
  LogStreamReader reader(*logs, "g", "s");
  Collected got;
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  EXPECT_TRUE(got.messages.empty());
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  EXPECT_EQ(got.messages.size(), 3u);
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kCaughtUp);
}

TEST_F(ReaderTest, AMissingStreamIsNotFoundAndLaterReadFromItsStart) {
  auto logs = client();
  LogStreamReader reader(*logs, "g", "late");
  Collected got;
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kNotFound);
  world.logs.AppendNumbered("g", "late", 0, 2);
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  EXPECT_EQ(got.messages, (std::vector<std::string>{"line 0", "line 1"}));
}

TEST_F(ReaderTest, StartTimeIsSentOnEveryCallSoTokensKeepTheirMeaning) {
  world.logs.Append("g", "s", {"old", "older"}, 1000);
  world.logs.Append("g", "s", {"new1", "new2", "new3"}, 5000);
  world.logs.page_cap = 2;
  auto logs = client();
  LogStreamReader reader(*logs, "g", "s", 5000);
  Collected got;
  while (reader.FetchPage(got.sink()) == LogStreamReader::Result::kEvents) {
  }
  EXPECT_EQ(got.messages, (std::vector<std::string>{"new1", "new2", "new3"}));
  for (const auto& request : world.logs.get_requests()) EXPECT_EQ(request["startTime"], 5000);
}

TEST_F(ReaderTest, ErrorsLeaveTheCursorSoARetryHasNoGapOrDuplicate) {
  world.logs.AppendNumbered("g", "s", 0, 5);
  world.logs.page_cap = 2;
  auto logs = client();
  RateLimiter limiter(world.clock, 5, 5);
  LogStreamReader reader(*logs, "g", "s", -1, &limiter);
  Collected got;
  EXPECT_EQ(reader.FetchPage(got.sink()), LogStreamReader::Result::kEvents);
  world.logs.inject = {"ThrottlingException"};
  try {
    reader.FetchPage(got.sink());
    FAIL() << "no error";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "ThrottlingException");
  }
  EXPECT_LT(limiter.rate(), 5);  // the limiter heard about it
  world.logs.inject = {"AccessDeniedException"};
  EXPECT_THROW(reader.FetchPage(got.sink()), AwsError);
  while (reader.FetchPage(got.sink()) == LogStreamReader::Result::kEvents) {
  }
  EXPECT_EQ(got.messages,
            (std::vector<std::string>{"line 0", "line 1", "line 2", "line 3", "line 4"}));
}

TEST(RetryableCodes, ThrottlingAndServerTroubleOnly) {
  EXPECT_TRUE(IsRetryableCode("ThrottlingException"));
  EXPECT_TRUE(IsRetryableCode("ServiceUnavailableException"));
  EXPECT_FALSE(IsRetryableCode("AccessDeniedException"));
  EXPECT_FALSE(IsRetryableCode("ResourceNotFoundException"));
  EXPECT_TRUE(IsNotFoundCode("ResourceNotFoundException"));
}

}  // namespace
}  // namespace ecsmig
