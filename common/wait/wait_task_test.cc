#include "common/wait/wait_task.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "common/base/signals.h"
#include "common/testing/fake_aws.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const char kTaskId[] = "0123456789abcdef0123456789abcdef";
const char kTdArn[] = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7";

json TaskDefinition() {
  return json::parse(R"({"taskDefinition":{"family":"api","networkMode":"awsvpc",
      "taskDefinitionArn":")" +
                     std::string(kTdArn) + R"(",
      "containerDefinitions":[
        {"name":"app","essential":true,"logConfiguration":{"logDriver":"awslogs",
          "options":{"awslogs-group":"/ecs/api","awslogs-stream-prefix":"ecs"}}},
        {"name":"sidecar","essential":false}]}})");
}

// A task whose lastStatus follows `statuses` (one per DescribeTasks call,
// the last repeating), ending with `stopped` merged in when STOPPED.
struct TaskScript {
  std::vector<std::string> statuses;
  json stopped = json::object();
  int calls = 0;
  std::function<void(int)> on_call;

  void Install(FakeAws& aws) {
    aws.Always("DescribeTasks", [this](const json& req) {
      EXPECT_EQ(req["tasks"][0], kTaskId);
      int i = std::min<int>(calls, statuses.size() - 1);
      if (on_call) on_call(calls);
      ++calls;
      json task = {
          {"taskArn", std::string("arn:aws:ecs:eu-west-1:123456789012:task/prod/") + kTaskId},
          {"taskDefinitionArn", kTdArn},
          {"lastStatus", statuses[i]},
          {"desiredStatus", statuses[i] == "STOPPED" ? "STOPPED" : "RUNNING"},
          {"containers",
           {{{"name", "app"}, {"lastStatus", statuses[i]}},
            {{"name", "sidecar"}, {"lastStatus", statuses[i]}}}}};
      if (statuses[i] == "STOPPED") task.update(stopped);
      return json{{"tasks", {task}}, {"failures", json::array()}};
    });
  }
};

json ExitCodes(int app, int sidecar) {
  return {{"stopCode", "EssentialContainerExited"},
          {"stoppedReason", "Essential container in task exited"},
          {"startedAt", 100.0},
          {"stoppedAt", 142.4},
          {"containers",
           {{{"name", "app"}, {"exitCode", app}}, {{"name", "sidecar"}, {"exitCode", sidecar}}}}};
}

struct FollowerCounts {
  int polls = 0;
  int drains = 0;
};

class FakeFollower : public TaskLogFollower {
 public:
  explicit FakeFollower(FollowerCounts& counts) : counts_(counts) {}
  void Poll() override { ++counts_.polls; }
  void Drain(std::chrono::steady_clock::time_point,
             std::chrono::steady_clock::time_point) override {
    ++counts_.drains;
  }
  long long events_printed() const override { return 0; }
  std::vector<std::string> Tail(size_t) const override {
    return {"Error: P3009 migrate found failed migrations"};
  }
  void ReadAll() override {}
  bool complete() const override { return true; }
  std::vector<std::string> problems() const override { return {}; }
  long long get_log_events_calls() const override { return 0; }
  bool limit_reached() const override { return false; }

 private:
  FollowerCounts& counts_;
};

class WaitTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetCancelSignalForTesting(0);
    h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  }
  void TearDown() override { SetCancelSignalForTesting(0); }
  int Run(std::vector<std::string> args, LogFollowerFactory follower = nullptr) {
    return h.Run(WaitTaskSpec(h.AwsFactory(), follower), std::move(args));
  }
  std::vector<std::string> Args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--cluster", "prod", "--task", kTaskId};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  ToolHarness h;
  TaskScript script;
};

TEST_F(WaitTaskTest, SuccessPrintsTransitionsAndOutputs) {
  script.statuses = {"PROVISIONING", "PENDING", "PENDING", "RUNNING", "RUNNING", "STOPPED"};
  script.stopped = ExitCodes(0, 7);
  script.Install(h.aws);
  ASSERT_EQ(Run(Args()), 0) << h.err.str();
  EXPECT_THAT(h.err.str(), HasSubstr("is PROVISIONING"));
  EXPECT_THAT(h.err.str(), HasSubstr("PROVISIONING → PENDING ("));
  EXPECT_THAT(h.err.str(), HasSubstr("PENDING → RUNNING ("));
  EXPECT_THAT(h.err.str(), HasSubstr("RUNNING → STOPPED ("));
  auto o = h.Outputs();
  EXPECT_EQ(o["result"], "success");
  EXPECT_EQ(o["exit_code"], "0");
  EXPECT_EQ(o["last_status"], "STOPPED");
  EXPECT_EQ(o["stop_code"], "EssentialContainerExited");
  EXPECT_EQ(o["stopped_reason"], "Essential container in task exited");
  EXPECT_EQ(o["duration_seconds"], "42");
  EXPECT_THAT(h.Summary(), HasSubstr("| `" + std::string(kTaskId) + "` | success | 0 |"));
  EXPECT_EQ(h.last_settings.max_attempts, 10) << "polling gets a larger retry budget";
}

TEST_F(WaitTaskTest, ContainerExitCodeBecomesTheExitCode) {
  for (int code : {1, 137}) {
    ToolHarness fresh;
    fresh.aws.Expect("DescribeTaskDefinition", TaskDefinition());
    TaskScript s;
    s.statuses = {"RUNNING", "STOPPED"};
    s.stopped = ExitCodes(code, 0);
    s.Install(fresh.aws);
    EXPECT_EQ(fresh.Run(WaitTaskSpec(fresh.AwsFactory()), Args()), code) << fresh.err.str();
    EXPECT_EQ(fresh.Outputs()["result"], "failed");
    EXPECT_EQ(fresh.Outputs()["exit_code"], std::to_string(code));
  }
}

// The task definition is read once, when the task ends: an answer that lacks
// one of its essential containers is not trusted (CONTRACT.md, #14), so even
// a task whose every container exited 0 is checked against it.
TEST_F(WaitTaskTest, EveryContainerExitingZeroReadsTheTaskDefinitionOnce) {
  script.statuses = {"RUNNING", "STOPPED"};
  script.stopped = ExitCodes(0, 0);
  script.Install(h.aws);
  ASSERT_EQ(Run(Args()), 0) << h.err.str();
  EXPECT_EQ(h.Outputs()["result"], "success");
  EXPECT_EQ(h.aws.CountOf("DescribeTaskDefinition"), 1u);
  EXPECT_EQ(h.aws.CountOf("DescribeTasks"), 2u);
}

TEST_F(WaitTaskTest, ANonZeroExitReadsWhichContainersAreEssential) {
  script.statuses = {"STOPPED"};
  script.stopped = ExitCodes(0, 7);  // only the non-essential sidecar failed
  script.Install(h.aws);
  ASSERT_EQ(Run(Args()), 0) << h.err.str();
  EXPECT_EQ(h.aws.CountOf("DescribeTaskDefinition"), 1u);
}

TEST_F(WaitTaskTest, WithoutTaskDefinitionAccessEveryContainerCounts) {
  ToolHarness fresh;  // no DescribeTaskDefinition answer queued
  fresh.aws.ExpectError("DescribeTaskDefinition", "AccessDeniedException", "not authorized");
  TaskScript s;
  s.statuses = {"STOPPED"};
  s.stopped = ExitCodes(0, 7);
  s.Install(fresh.aws);
  EXPECT_EQ(fresh.Run(WaitTaskSpec(fresh.AwsFactory()), Args()), 7) << fresh.err.str();
  EXPECT_THAT(fresh.err.str(), HasSubstr("every exit code counts"));
}

TEST_F(WaitTaskTest, ChosenContainerDecides) {
  script.statuses = {"RUNNING", "STOPPED"};
  script.stopped = ExitCodes(0, 3);
  script.Install(h.aws);
  EXPECT_EQ(Run(Args({"--container", "sidecar"})), 3);
  EXPECT_EQ(h.Outputs()["exit_code"], "3");
}

TEST_F(WaitTaskTest, UnknownContainerIsAnErrorListingNames) {
  script.statuses = {"RUNNING"};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args({"--container", "db"})), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("app, sidecar"));
  EXPECT_EQ(h.aws.CountOf("DescribeTaskDefinition"), 0u) << "the task lists its containers";
}

TEST_F(WaitTaskTest, MissingExitCodeIsFailure) {
  script.statuses = {"RUNNING", "STOPPED"};
  script.stopped = {{"stopCode", "EssentialContainerExited"},
                    {"containers", {{{"name", "app"}}, {{"name", "sidecar"}}}}};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args()), 1);
  EXPECT_EQ(h.Outputs()["result"], "failed");
  EXPECT_EQ(h.Outputs()["exit_code"], "");
  EXPECT_THAT(h.err.str(), HasSubstr("without an exit code"));
}

TEST_F(WaitTaskTest, TaskFailedToStartIsInfraFailure) {
  h.env.Set("GITHUB_ACTIONS", "true");
  script.statuses = {"PROVISIONING", "PENDING", "STOPPED"};
  script.stopped = {
      {"stopCode", "TaskFailedToStart"},
      {"stoppedReason", "CannotPullContainerError: pull image manifest has been retried 5 time(s)"},
      {"containers",
       {{{"name", "app"}, {"reason", "CannotPullContainerError: access denied"}},
        {{"name", "sidecar"}}}}};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args()), 125);
  auto o = h.Outputs();
  EXPECT_EQ(o["result"], "infra-failure");
  EXPECT_EQ(o["stop_code"], "TaskFailedToStart");
  EXPECT_THAT(h.err.str(), HasSubstr("::error "));
  EXPECT_THAT(h.err.str(), HasSubstr("TaskFailedToStart"));
  EXPECT_THAT(h.err.str(), HasSubstr("access denied"));
  EXPECT_THAT(h.Summary(), HasSubstr("infra-failure"));
  EXPECT_THAT(h.Summary(), HasSubstr("access denied"));
}

TEST_F(WaitTaskTest, TimeoutLeavesTheTaskRunningUnlessAsked) {
  script.statuses = {"RUNNING"};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args({"--timeout", "30s"})), 124);
  EXPECT_EQ(h.Outputs()["result"], "timeout");
  EXPECT_EQ(h.aws.CountOf("StopTask"), 0u);
  EXPECT_THAT(h.err.str(), HasSubstr("--stop-on-timeout"));
  EXPECT_LE(h.clock.total_slept(), std::chrono::seconds(30));
  EXPECT_GE(h.clock.total_slept(), std::chrono::seconds(30));
}

TEST_F(WaitTaskTest, StopOnTimeoutStopsWithRunReason) {
  h.env.Set("GITHUB_REPOSITORY", "acme/api");
  h.env.Set("GITHUB_RUN_ID", "777");
  h.env.Set("GITHUB_RUN_ATTEMPT", "2");
  script.statuses = {"RUNNING"};
  script.Install(h.aws);
  h.aws.Expect("StopTask", json::object());
  EXPECT_EQ(Run(Args({"--timeout", "1m", "--stop-on-timeout"})), 124);
  ASSERT_EQ(h.aws.CountOf("StopTask"), 1u);
  json stop = h.aws.RequestsOf("StopTask")[0];
  EXPECT_EQ(stop["task"], kTaskId);
  EXPECT_EQ(stop["cluster"], "prod");
  EXPECT_THAT(stop["reason"].get<std::string>(), HasSubstr("acme/api 777 attempt 2"));
}

TEST_F(WaitTaskTest, StartTimeoutWhenNeverRunning) {
  script.statuses = {"PROVISIONING", "PENDING"};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args({"--start-timeout", "20s"})), 124);
  EXPECT_THAT(h.err.str(), HasSubstr("did not reach RUNNING"));
  EXPECT_EQ(h.Outputs()["last_status"], "PENDING");
  EXPECT_LE(h.clock.total_slept(), std::chrono::seconds(20));
}

// CONTRACT.md's defaults: --start-timeout 10m, --timeout 30m.
TEST_F(WaitTaskTest, StartTimeoutDefaultsToTenMinutes) {
  script.statuses = {"PENDING"};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args()), 124);
  EXPECT_THAT(h.err.str(), HasSubstr("did not reach RUNNING"));
  EXPECT_EQ(h.clock.total_slept(), std::chrono::minutes(10));
}

TEST_F(WaitTaskTest, TimeoutDefaultsToThirtyMinutes) {
  script.statuses = {"RUNNING"};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args()), 124);
  EXPECT_EQ(h.Outputs()["result"], "timeout");
  EXPECT_EQ(h.clock.total_slept(), std::chrono::minutes(30));
}

TEST_F(WaitTaskTest, StartTimeoutDoesNotApplyOnceRunning) {
  script.statuses = {"PENDING", "RUNNING"};
  script.on_call = [](int) {};
  script.Install(h.aws);
  EXPECT_EQ(Run(Args({"--start-timeout", "5s", "--timeout", "2m"})), 124);
  EXPECT_THAT(h.err.str(), HasSubstr("--timeout 2m"));
}

TEST_F(WaitTaskTest, SigtermStopsTheTaskWhenAsked) {
  script.statuses = {"PENDING", "RUNNING"};
  script.on_call = [](int call) {
    if (call == 3) SetCancelSignalForTesting(SIGTERM);
  };
  script.Install(h.aws);
  h.aws.Expect("StopTask", json::object());
  EXPECT_EQ(Run(Args({"--stop-on-cancel"})), 143);
  EXPECT_EQ(h.Outputs()["result"], "cancelled");
  ASSERT_EQ(h.aws.CountOf("StopTask"), 1u);
  EXPECT_THAT(h.aws.RequestsOf("StopTask")[0]["reason"].get<std::string>(), HasSubstr("SIGTERM"));
}

TEST_F(WaitTaskTest, SigintWithoutStopOnCancelLeavesTheTask) {
  script.statuses = {"RUNNING"};
  script.on_call = [](int call) {
    if (call == 1) SetCancelSignalForTesting(SIGINT);
  };
  script.Install(h.aws);
  EXPECT_EQ(Run(Args()), 130);
  EXPECT_EQ(h.Outputs()["result"], "cancelled");
  EXPECT_EQ(h.aws.CountOf("StopTask"), 0u);
}

TEST_F(WaitTaskTest, UnknownTaskIsAnErrorNotAnEndlessWait) {
  h.aws.Always("DescribeTasks", [](const json&) {
    return json::parse(R"({"tasks":[],"failures":[{"arn":"x","reason":"MISSING"}]})");
  });
  EXPECT_EQ(Run(Args()), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("MISSING"));
  EXPECT_EQ(h.clock.total_slept(), std::chrono::minutes(1)) << "--missing-grace's default";
}

// Each DescribeTasks answer takes this long (the clock advances during the call).
constexpr long long kLatencyMs = 80;

// `aws ecs wait tasks-stopped` calls at once, then sleeps 6 s after each
// answer: call k is sent at k × (6 s + latency). A stop at `stop_ms` is seen
// by the first call sent at or after it; calls are counted from 1.
int AwsWaiterCalls(long long stop_ms) {
  const long long period = 6000 + kLatencyMs;
  return static_cast<int>((stop_ms + period - 1) / period) + 1;
}

class WaitTaskCallsTest : public WaitTaskTest, public ::testing::WithParamInterface<long long> {};

TEST_P(WaitTaskCallsTest, NeverMoreDescribeTasksCallsThanTheAwsWaiter) {
  const long long stop_ms = GetParam();
  const auto start = h.clock.Monotonic();
  script.statuses = {"RUNNING"};
  script.on_call = [&](int) {
    if (h.clock.Monotonic() - start >= std::chrono::milliseconds(stop_ms))
      script.statuses = {"STOPPED"};
    h.clock.Advance(std::chrono::milliseconds(kLatencyMs));
  };
  script.stopped = ExitCodes(0, 0);
  script.Install(h.aws);
  ASSERT_EQ(Run(Args({"--timeout", "2h"})), 0) << h.err.str();
  EXPECT_LE(script.calls, AwsWaiterCalls(stop_ms)) << "stop at " << stop_ms << " ms";
  // ...and not needlessly fewer: the stop is noticed within one interval.
  EXPECT_LE(h.clock.Monotonic() - start,
            std::chrono::milliseconds(stop_ms + 6250 + 2 * kLatencyMs));
}

INSTANTIATE_TEST_SUITE_P(StopTimes, WaitTaskCallsTest,
                         ::testing::Values(0, 500, 5000, 6000, 6079, 6080, 6100, 6200, 11999, 12000,
                                           12160, 59000, 180000, 600000, 3600000));

TEST(PollInterval, SixSecondsAfterTheAnswerPlusJitterThatOnlyDelays) {
  SeededRandom random(3);
  std::chrono::milliseconds low(7000), high(0);
  for (int i = 0; i < 500; ++i) {
    auto interval = PollInterval(random);
    low = std::min(low, interval);
    high = std::max(high, interval);
  }
  EXPECT_GE(low, std::chrono::milliseconds(6000));
  EXPECT_LT(high, std::chrono::milliseconds(6250));
  EXPECT_GT(high - low, std::chrono::milliseconds(200)) << "jitter spreads the calls";
}

TEST_F(WaitTaskTest, FollowLogsPollsDrainsAndPutsTheTailInTheSummary) {
  script.statuses = {"PENDING", "RUNNING", "RUNNING", "STOPPED"};
  script.stopped = ExitCodes(1, 0);
  script.Install(h.aws);
  FollowerCounts counts;
  int made = 0;
  std::vector<LogTarget> seen;
  LogFollowerFactory factory = [&](ToolRun&, const AwsSettings&, std::vector<LogTarget> targets) {
    seen = targets;
    ++made;
    return std::unique_ptr<TaskLogFollower>(new FakeFollower(counts));
  };
  EXPECT_EQ(Run(Args({"--follow-logs"}), factory), 1);
  EXPECT_EQ(made, 1);
  // Once after each of the 3 DescribeTasks before STOPPED, and every 2 s in
  // the 3 intervals between them (at 2 s and 4 s; at 6 s the next
  // DescribeTasks is due and the logs are read after it).
  EXPECT_EQ(counts.polls, 3 + 3 * 2);
  EXPECT_EQ(counts.drains, 1);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].stream, std::string("ecs/app/") + kTaskId);
  EXPECT_THAT(h.Summary(), HasSubstr("P3009"));
}

TEST_F(WaitTaskTest, BadInputExitsTwoBeforeAnyAwsCall) {
  std::vector<std::vector<std::string>> cases = {
      {"--cluster", "prod"},
      {"--task", kTaskId},
      {"--cluster", "prod", "--task", "not-a-task"},
      {"--cluster", "prod", "--task", kTaskId, "--timeout", "forever"},
      {"--cluster", "prod", "--task", kTaskId, "--start-timeout", "10x"},
      {"--cluster", "prod", "--task", kTaskId, "--timeout", "0"},
      {"--cluster", "prod", "--task", kTaskId, "--missing-grace", "0s"},
      {"--cluster", "prod", "--task", kTaskId, "--missing-grace", "soon"},
      {"--cluster", "prod", "--task",
       std::string("arn:aws:ecs:eu-west-1:123456789012:task/staging/") + kTaskId},
      {"--cluster", "prod", "--task", kTaskId, "--follow-logs"},
      {"--cluster", "prod", "--task", kTaskId, "--container", "bad name!"},
  };
  for (const auto& args : cases) {
    h.err.str("");
    EXPECT_EQ(Run(args), 2) << ::testing::PrintToString(args) << h.err.str();
  }
  EXPECT_EQ(h.clients_built, 0);
  EXPECT_TRUE(h.aws.requests().empty());
}

}  // namespace
}  // namespace ecsmig
