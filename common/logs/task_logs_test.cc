#include "common/logs/task_logs.h"

#include <gtest/gtest.h>

#include "common/base/error.h"
#include "common/base/signals.h"
#include "common/github/cli.h"
#include "common/testing/fake_aws_logs.h"

namespace ecsmig {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

LogTarget Target(const std::string& container, const std::string& stream,
                 const std::string& region = "eu-west-1") {
  LogTarget t;
  t.container = container;
  t.log_driver = "awslogs";
  t.awslogs = true;
  t.group = "/ecs/api";
  t.stream = stream;
  t.region = region;
  return t;
}

class FollowerTest : public ::testing::Test {
 protected:
  void SetUp() override { SetCancelSignalForTesting(0); }
  std::unique_ptr<TaskLogFollower> Make(std::vector<LogTarget> targets,
                                        TaskLogOptions options = {}) {
    run = std::make_unique<ToolRun>("fetch-logs", world.ctx, "", Verbosity::kNormal);
    return MakeTaskLogFollower(
        *run, [this](const std::string& region) { return world.MakeClient("logs", region); },
        std::move(targets), options);
  }
  std::vector<std::string> OutLines() { return Lines(world.out.str()); }

  FakeToolWorld world;
  std::unique_ptr<ToolRun> run;
};

TEST_F(FollowerTest, PollPrintsEveryEventOnceAcrossPagesAndPolls) {
  world.logs.AppendNumbered("/ecs/api", "ecs/app/t", 0, 25000);
  auto follower = Make({Target("app", "ecs/app/t")});
  follower->Poll();
  EXPECT_EQ(world.logs.get_calls(), 4);
  follower->Poll();  // nothing new: one call, nothing printed
  world.logs.AppendNumbered("/ecs/api", "ecs/app/t", 25000, 7);
  follower->Poll();
  auto lines = OutLines();
  ASSERT_EQ(lines.size(), 25007u);
  for (int i = 0; i < 25007; ++i) ASSERT_EQ(lines[i], "line " + std::to_string(i));
  EXPECT_EQ(follower->events_printed(), 25007);
  EXPECT_TRUE(follower->complete());
}

TEST_F(FollowerTest, SeveralContainersArePrefixedAndEachReadInOrder) {
  world.logs.Append("/ecs/api", "ecs/app/t", {"a1", "a2"});
  world.logs.Append("/ecs/api", "ecs/sidecar/t", {"s1"});
  auto follower = Make({Target("app", "ecs/app/t"), Target("sidecar", "ecs/sidecar/t")});
  follower->Poll();
  EXPECT_EQ(OutLines(), (std::vector<std::string>{"[app] a1", "[app] a2", "[sidecar] s1"}));
}

TEST_F(FollowerTest, ContainersWithoutAwslogsGetANoticeNotAnError) {
  LogTarget firelens;
  firelens.container = "router";
  firelens.log_driver = "awsfirelens";
  TaskLogOptions options;
  options.task_console_url = "https://console.example/task";
  world.logs.Append("/ecs/api", "ecs/app/t", {"only app"});
  auto follower = Make({firelens, Target("app", "ecs/app/t")}, options);
  follower->Poll();
  EXPECT_EQ(OutLines(), (std::vector<std::string>{"only app"}));  // one stream: no prefix
  EXPECT_NE(world.err.str().find("container 'router' does not log to CloudWatch Logs"),
            std::string::npos);
  EXPECT_NE(world.err.str().find("https://console.example/task"), std::string::npos);
  EXPECT_TRUE(follower->complete());
}

TEST_F(FollowerTest, TimestampsAreIsoUtcWithMilliseconds) {
  world.logs.Append("/ecs/api", "s", {"hello"}, 1767225600123);
  TaskLogOptions options;
  options.timestamps = true;
  auto follower = Make({Target("app", "s")}, options);
  follower->Poll();
  EXPECT_EQ(OutLines(), (std::vector<std::string>{"2026-01-01T00:00:00.123Z hello"}));
  EXPECT_EQ(FormatLogTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatLogTimestamp(-1), "1969-12-31T23:59:59.999Z");
}

TEST_F(FollowerTest, LinesAreRedactedBeforePrinting) {
  world.logs.Append("/ecs/api", "s",
                    {"connecting to postgresql://app:s3cr3t-pw@db.internal:5432/app",
                     "token=hunter2hunter2 ok", "card 4111-1111-1111-1111"});
  auto follower = Make({Target("app", "s")});
  run->log().AddMask("hunter2hunter2");
  run->redactor().AddPattern(R"(\d{4}-\d{4}-\d{4}-\d{4})");
  follower->Poll();
  std::string out = world.out.str();
  EXPECT_EQ(out.find("s3cr3t-pw"), std::string::npos);
  EXPECT_EQ(out.find("hunter2hunter2"), std::string::npos);
  EXPECT_EQ(out.find("4111"), std::string::npos);
  EXPECT_EQ(OutLines(),
            (std::vector<std::string>{"connecting to postgresql://app:***@db.internal:5432/app",
                                      "token=*** ok", "card ***"}));
  // The tail for the step summary is redacted too.
  EXPECT_EQ(follower->Tail(1), (std::vector<std::string>{"card ***"}));
}

TEST_F(FollowerTest, InActionsLogLinesCannotRunWorkflowCommands) {
  world.env.Set("GITHUB_ACTIONS", "true");
  world.logs.Append("/ecs/api", "s",
                    {"::add-mask::nothing", "harmless\r::set-output name=x::y", "  ::error::fake",
                     "tabs\tand ünïcödé"});
  auto follower = Make({Target("app", "s")});
  follower->Poll();
  auto lines = OutLines();
  ASSERT_EQ(lines.size(), 6u);
  ASSERT_EQ(lines[0].rfind("::stop-commands::", 0), 0u) << lines[0];
  std::string token = lines[0].substr(std::string("::stop-commands::").size());
  EXPECT_GE(token.size(), 32u);
  EXPECT_EQ(lines[5], "::" + token + "::");
  // The messages themselves are intact (CR kept, tabs and unicode kept).
  EXPECT_EQ(lines[1], "::add-mask::nothing");
  EXPECT_EQ(lines[2], "harmless\r::set-output name=x::y");
  EXPECT_EQ(lines[4], "tabs\tand ünïcödé");
  // Each page gets a fresh token.
  world.logs.Append("/ecs/api", "s", {"next page"});
  follower->Poll();
  lines = OutLines();
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_NE(lines[6], "::stop-commands::" + token);
}

TEST_F(FollowerTest, OutsideActionsOrIntoAFileNoCommandsAreAdded) {
  world.logs.Append("/ecs/api", "s", {"::warning::x"});
  TaskLogOptions options;
  options.output_file = "/tmp/logs.txt";
  world.env.Set("GITHUB_ACTIONS", "true");
  auto follower = Make({Target("app", "s")}, options);
  follower->Poll();
  EXPECT_EQ(world.out.str(), "");
  EXPECT_EQ(world.fs.files["/tmp/logs.txt"], "::warning::x\n");
}

TEST_F(FollowerTest, VeryLongMessagesArePrintedWhole) {
  std::string big(256 * 1024, 'x');
  big[1000] = '\t';
  big.back() = 'Z';
  world.logs.Append("/ecs/api", "s", {big, "after"});
  auto follower = Make({Target("app", "s")});
  follower->Poll();
  EXPECT_EQ(world.out.str(), big + "\nafter\n");
}

TEST_F(FollowerTest, MaxEventsStopsReading) {
  world.logs.AppendNumbered("/ecs/api", "s", 0, 50);
  TaskLogOptions options;
  options.max_events = 7;
  auto follower = Make({Target("app", "s")}, options);
  follower->ReadAll();
  EXPECT_EQ(OutLines().size(), 7u);
  EXPECT_TRUE(follower->limit_reached());
  EXPECT_TRUE(follower->complete());
  EXPECT_EQ(world.logs.get_calls(), 1);
}

TEST_F(FollowerTest, TailKeepsOnlyTheLastLines) {
  world.logs.AppendNumbered("/ecs/api", "s", 0, 1000);
  TaskLogOptions options;
  options.tail_lines = 50;
  auto follower = Make({Target("app", "s")}, options);
  follower->Poll();
  auto tail = follower->Tail(50);
  ASSERT_EQ(tail.size(), 50u);
  EXPECT_EQ(tail.front(), "line 950");
  EXPECT_EQ(tail.back(), "line 999");
  EXPECT_EQ(follower->Tail(500).size(), 50u);
  EXPECT_EQ(follower->Tail(2), (std::vector<std::string>{"line 998", "line 999"}));
}

TEST_F(FollowerTest, ThrottlingOnAThirdOfCallsNeverLosesOrRepeatsALine) {
  world.logs.AppendNumbered("/ecs/api", "a", 0, 20000);
  world.logs.AppendNumbered("/ecs/api", "b", 0, 20000);
  world.logs.page_cap = 1000;
  world.logs.throttle_every = 3;
  auto follower = Make({Target("a", "a"), Target("b", "b")});
  follower->ReadAll();
  auto lines = OutLines();
  ASSERT_EQ(lines.size(), 40000u);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_EQ(lines[i], "[a] line " + std::to_string(i));
    ASSERT_EQ(lines[20000 + i], "[b] line " + std::to_string(i));
  }
  EXPECT_TRUE(follower->complete());
  EXPECT_GT(world.clock.total_slept(), milliseconds(0));
}

TEST_F(FollowerTest, PollUnderThrottlingReturnsAndResumesLater) {
  world.logs.AppendNumbered("/ecs/api", "s", 0, 30);
  world.logs.page_cap = 10;
  world.logs.inject = {"", "ThrottlingException"};
  auto follower = Make({Target("app", "s")});
  follower->Poll();  // first page, then throttled: returns without sleeping long
  EXPECT_EQ(follower->events_printed(), 10);
  EXPECT_LT(world.clock.total_slept(), milliseconds(1000));
  follower->Poll();  // still inside the backoff: no call
  EXPECT_EQ(world.logs.get_calls(), 2);
  world.clock.Advance(milliseconds(30000));
  follower->Poll();
  EXPECT_EQ(follower->events_printed(), 30);
  auto lines = OutLines();
  for (int i = 0; i < 30; ++i) ASSERT_EQ(lines[i], "line " + std::to_string(i));
}

TEST_F(FollowerTest, ErrorsLongerThanThePatienceFail) {
  world.logs.AppendNumbered("/ecs/api", "s", 0, 3);
  world.logs.throttle_every = 1;
  TaskLogOptions options;
  options.retry_patience = milliseconds(60000);
  auto follower = Make({Target("app", "s")}, options);
  try {
    follower->ReadAll();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("giving up"), std::string::npos) << e.what();
  }
  EXPECT_GE(world.clock.total_slept(), milliseconds(60000));
}

TEST_F(FollowerTest, ErrorsThatRetryingCannotCurePropagate) {
  world.logs.inject = {"AccessDeniedException"};
  auto follower = Make({Target("app", "s")});
  EXPECT_THROW(follower->ReadAll(), AwsError);
}

TEST_F(FollowerTest, ReadAllWaitsForAStreamCreatedLate) {
  world.logs.before_get = [this](long long call, const nlohmann::json&) {
    if (call == 4) world.logs.Append("/ecs/api", "late", {"first", "second"});
  };
  auto follower = Make({Target("app", "late")});
  follower->ReadAll();
  EXPECT_EQ(OutLines(), (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(follower->complete());
  EXPECT_NE(world.err.str().find("waiting for log stream late"), std::string::npos);
}

TEST_F(FollowerTest, AStreamThatNeverAppearsIsGivenUpAfterTheTimeout) {
  TaskLogOptions options;
  options.stream_timeout = milliseconds(30000);
  auto follower = Make({Target("app", "never")}, options);
  follower->ReadAll();
  EXPECT_FALSE(follower->complete());
  EXPECT_GE(world.clock.total_slept(), milliseconds(30000));
  EXPECT_LE(world.clock.total_slept(), milliseconds(40000));
  ASSERT_EQ(follower->problems().size(), 1u);
  EXPECT_NE(follower->problems()[0].find("did not appear"), std::string::npos);
}

TEST_F(FollowerTest, DrainReadsLinesThatArriveAfterTheTaskStopped) {
  world.logs.AppendNumbered("/ecs/api", "s", 0, 5);
  auto follower = Make({Target("app", "s")});
  follower->Poll();
  // Ingestion lag: the last lines land a few seconds after STOPPED.
  int appended = 0;
  world.logs.before_get = [&](long long, const nlohmann::json&) {
    if (appended < 3 && world.clock.total_slept() >= milliseconds(1500 * (appended + 1))) {
      world.logs.AppendNumbered("/ecs/api", "s", 5 + appended, 1);
      ++appended;
    }
  };
  auto start = world.clock.Monotonic();
  follower->Drain(world.clock.Monotonic() + milliseconds(120000), world.clock.Monotonic());
  auto lines = OutLines();
  ASSERT_EQ(lines.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(lines[i], "line " + std::to_string(i));
  EXPECT_TRUE(follower->complete());
  // It stayed for the grace period after the last change, not much longer.
  EXPECT_GE(world.clock.Monotonic() - start, milliseconds(5000));
  EXPECT_LE(world.clock.Monotonic() - start, milliseconds(15000));
}

// The error line lands 8 s after the exit (apache/airflow#43717: ~10 s), well
// after 5 s of quiet: the drain holds until not_before and still prints it.
TEST_F(FollowerTest, DrainWaitsForTheLogDeliveryAllowanceBeforeSettling) {
  world.logs.AppendNumbered("/ecs/api", "s", 0, 3);
  auto follower = Make({Target("app", "s")});
  follower->Poll();
  bool appended = false;
  world.logs.before_get = [&](long long, const nlohmann::json&) {
    if (!appended && world.clock.total_slept() >= milliseconds(8000)) {
      world.logs.Append("/ecs/api", "s", {"Error: P3018"});
      appended = true;
    }
  };
  auto start = world.clock.Monotonic();
  follower->Drain(start + milliseconds(120000), start + kLogDeliveryAllowance);
  EXPECT_EQ(OutLines().back(), "Error: P3018");
  EXPECT_GE(world.clock.Monotonic() - start, kLogDeliveryAllowance);
  EXPECT_LE(world.clock.Monotonic() - start, milliseconds(15000));
}

TEST(LogTailNotBefore, TheAllowanceCountsFromTheContainersExit) {
  FakeClock clock;
  const double now_s = std::chrono::duration<double>(clock.Now().time_since_epoch()).count();
  auto task = [](const char* field, double at) { return nlohmann::json{{field, at}}; };
  const auto now = clock.Monotonic();
  EXPECT_EQ(LogTailNotBefore(clock, task("executionStoppedAt", now_s - 3)), now + seconds(7));
  // executionStoppedAt is the exit; stoppedAt (tens of seconds later) only without it.
  nlohmann::json both = {{"executionStoppedAt", now_s - 40}, {"stoppedAt", now_s - 1}};
  EXPECT_EQ(LogTailNotBefore(clock, both), now);
  EXPECT_EQ(LogTailNotBefore(clock, task("stoppedAt", now_s - 4)), now + seconds(6));
  EXPECT_EQ(LogTailNotBefore(clock, task("executionStoppedAt", now_s - 60)), now);
  EXPECT_EQ(LogTailNotBefore(clock, nlohmann::json::object()), now);
  // A local clock behind AWS's: the exit looks like the future; the whole allowance, no more.
  EXPECT_EQ(LogTailNotBefore(clock, task("executionStoppedAt", now_s + 30)),
            now + kLogDeliveryAllowance);
}

TEST_F(FollowerTest, DrainStopsAtTheDeadlineAndSaysSo) {
  world.logs.AppendNumbered("/ecs/api", "s", 0, 5);
  world.logs.throttle_every = 1;
  auto follower = Make({Target("app", "s")});
  follower->Drain(world.clock.Monotonic() + milliseconds(10000), world.clock.Monotonic());
  EXPECT_FALSE(follower->complete());
  EXPECT_LE(world.clock.total_slept(), milliseconds(12000));
}

TEST_F(FollowerTest, DrainGivesUpOnStreamsThatNeverAppearedSoon) {
  world.logs.Append("/ecs/api", "s", {"x"});
  auto follower = Make({Target("app", "s"), Target("sidecar", "missing")});
  follower->Drain(world.clock.Monotonic() + milliseconds(600000), world.clock.Monotonic());
  EXPECT_FALSE(follower->complete());
  EXPECT_LE(world.clock.total_slept(), milliseconds(25000));
  EXPECT_EQ(OutLines(), (std::vector<std::string>{"[app] x"}));
}

TEST_F(FollowerTest, PollNeverGivesUpOnAMissingStreamWhileTheTaskRuns) {
  TaskLogOptions options;
  options.stream_timeout = milliseconds(10000);
  auto follower = Make({Target("app", "slow-image-pull")}, options);
  for (int i = 0; i < 60; ++i) {  // 3 minutes of PENDING
    follower->Poll();
    world.clock.Advance(milliseconds(3000));
  }
  EXPECT_TRUE(follower->problems().size() == 1 &&
              follower->problems()[0].find("did not appear") == std::string::npos);
  world.logs.Append("/ecs/api", "slow-image-pull", {"started at last"});
  world.clock.Advance(milliseconds(10000));
  follower->Poll();
  EXPECT_EQ(OutLines(), (std::vector<std::string>{"started at last"}));
  // After a long wait, Drain still takes one more look before giving up.
  auto other = Make({Target("app", "never")}, options);
  other->Poll();
  world.clock.Advance(milliseconds(600000));
  world.logs.Append("/ecs/api", "never", {"just in time"});
  other->Drain(world.clock.Monotonic() + milliseconds(60000), world.clock.Monotonic());
  EXPECT_NE(world.out.str().find("just in time"), std::string::npos);
}

TEST_F(FollowerTest, OneClientPerRegion) {
  world.logs.Append("/ecs/api", "a", {"a"});
  world.logs.Append("/ecs/api", "b", {"b"});
  world.logs.Append("/ecs/api", "c", {"c"});
  auto follower = Make({Target("a", "a", "eu-west-1"), Target("b", "b", "us-east-2"),
                        Target("c", "c", "eu-west-1")});
  follower->Poll();
  EXPECT_EQ(world.clients_made, (std::vector<std::string>{"logs:eu-west-1", "logs:us-east-2"}));
  EXPECT_EQ(world.logs.calls_by_region["us-east-2"], 2);
}

TEST_F(FollowerTest, CallsAreSharedThroughOneRateLimiter) {
  for (const char* s : {"a", "b", "c", "d"}) world.logs.AppendNumbered("/ecs/api", s, 0, 100);
  world.logs.page_cap = 10;
  TaskLogOptions options;
  options.calls_per_second = 5;
  auto follower =
      Make({Target("a", "a"), Target("b", "b"), Target("c", "c"), Target("d", "d")}, options);
  follower->ReadAll();
  // 4 streams x 11 calls = 44 calls at 5/s after a burst of 5: about 7.8 s.
  EXPECT_EQ(world.logs.get_calls(), 44);
  EXPECT_GE(world.clock.total_slept(), milliseconds(7700));
  EXPECT_EQ(follower->events_printed(), 400);
}

TEST_F(FollowerTest, ReadAllFoldsEachContainerInActions) {
  world.env.Set("GITHUB_ACTIONS", "true");
  world.logs.Append("/ecs/api", "a", {"a"});
  world.logs.Append("/ecs/api", "b", {"b"});
  auto follower = Make({Target("app", "a"), Target("side", "b")});
  follower->ReadAll();
  auto lines = OutLines();
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0], "::group::app (/ecs/api a)");
  EXPECT_EQ(lines[2], "[app] a");
  EXPECT_EQ(lines[4], "::endgroup::");
  EXPECT_EQ(lines[5], "::group::side (/ecs/api b)");
  EXPECT_EQ(lines[9], "::endgroup::");
}

}  // namespace
}  // namespace ecsmig
