#include "common/logs/fetch_logs.h"

#include <gtest/gtest.h>

#include "common/base/error.h"
#include "common/base/signals.h"
#include "common/github/github.h"
#include "common/testing/fake_aws_logs.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kTaskId = "0123456789abcdef0123456789abcdef";
constexpr const char* kTaskArn =
    "arn:aws:ecs:eu-west-1:123456789012:task/migrate/0123456789abcdef0123456789abcdef";
constexpr const char* kTdArn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7";

json Container(const std::string& name, const std::string& group, const std::string& region = "",
               const std::string& driver = "awslogs") {
  json c = {{"name", name}, {"essential", true}};
  if (driver == "awslogs") {
    json options = {{"awslogs-group", group}, {"awslogs-stream-prefix", "ecs"}};
    if (!region.empty()) options["awslogs-region"] = region;
    c["logConfiguration"] = {{"logDriver", "awslogs"}, {"options", options}};
  } else if (!driver.empty()) {
    c["logConfiguration"] = {{"logDriver", driver}, {"options", json::object()}};
  }
  return c;
}

class FetchLogsTest : public ::testing::Test {
 protected:
  void SetUp() override { SetCancelSignalForTesting(0); }
  void TearDown() override { SetCancelSignalForTesting(0); }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "fetch-logs");
    ToolSpec spec = FetchLogsSpec(
        [this](AwsService service, const AwsSettings&, ToolRun&, const std::string& region) {
          return world.MakeClient(service == AwsService::kEcs ? "ecs" : "logs", region);
        });
    return RunTool(spec, args, world.ctx);
  }

  // A task in `statuses` order (one per DescribeTasks), then the last forever.
  void ScriptTask(std::vector<std::string> statuses, std::vector<json> containers,
                  bool started = true) {
    world.ecs["DescribeTasks"] = [this, statuses, started](const json& request) {
      EXPECT_EQ(request["cluster"], "migrate");
      size_t i = std::min(describe_calls++, statuses.size() - 1);
      json task = {{"taskArn", kTaskArn},
                   {"taskDefinitionArn", kTdArn},
                   {"lastStatus", statuses[i]},
                   {"containers", json::array()}};
      if (started) task["startedAt"] = 1767225000.5;
      if (statuses[i] == "STOPPED") {
        task["stoppedAt"] = 1767225100.0;  // long before the fake clock's now
        task["stoppedReason"] = "Essential container in task exited";
      }
      return json{{"tasks", {task}}, {"failures", json::array()}};
    };
    world.ecs["DescribeTaskDefinition"] = [containers](const json& request) {
      EXPECT_EQ(request["taskDefinition"], kTdArn);
      return json{{"taskDefinition",
                   {{"taskDefinitionArn", kTdArn}, {"containerDefinitions", containers}}}};
    };
  }

  std::map<std::string, std::string> Outputs() {
    std::map<std::string, std::string> out;
    for (auto& [k, v] : ParseOutputFile(world.fs.files["/gh/output"])) out[k] = v;
    return out;
  }

  FakeToolWorld world;
  size_t describe_calls = 0;
};

TEST_F(FetchLogsTest, BadInputExitsTwoBeforeAnyAwsCall) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--cluster", "migrate"},
      {"--task", kTaskId},
      {"--cluster", "migrate", "--task", "not-a-task"},
      {"--cluster", "bad cluster", "--task", kTaskId},
      {"--cluster", "other", "--task", kTaskArn},
      {"--cluster", "migrate", "--task", kTaskId, "--log-group", "g", "--log-stream", "s"},
      {"--log-group", "g"},
      {"--log-stream", "s"},
      {"--log-group", "bad group!", "--log-stream", "s"},
      {"--log-group", "g", "--log-stream", "a:b"},
      {"--log-group", "g", "--log-stream", "s", "--container", "app"},
      {"--log-group", "g", "--log-stream", "s", "--since", "yesterday"},
      {"--log-group", "g", "--log-stream", "s", "--stream-timeout", "2 minutes"},
      {"--log-group", "g", "--log-stream", "s", "--max-events", "0"},
      {"--log-group", "g", "--log-stream", "s", "--max-events", "ten"},
      {"--log-group", "g", "--log-stream", "s", "--redact", "(unclosed"},
      {"--log-group", "g", "--log-stream", "s", "--redact", ""},
      {"--log-group", "g", "--log-stream", "s", "--output-file", ""},
      {"--log-group", "g", "--log-stream", "s", "--region", "Not A Region"},
      {"--log-group", "g", "--log-stream", "s", "--no-such-flag"},
      {"--cluster", "migrate", "--task", kTaskArn, "--region", "us-east-1"},
  };
  for (const auto& args : cases) {
    world.err.str("");
    EXPECT_EQ(Run(args), kExitUsage) << testing::PrintToString(args);
    EXPECT_TRUE(world.calls.empty()) << testing::PrintToString(args);
    EXPECT_TRUE(world.clients_made.empty()) << testing::PrintToString(args);
    std::string err = world.err.str();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

TEST_F(FetchLogsTest, DirectStreamPrintsLinesThenOutputsOnStdout) {
  world.logs.AppendNumbered("/ecs/api", "ecs/app/x", 0, 12345);
  EXPECT_EQ(Run({"--log-group", "/ecs/api", "--log-stream", "ecs/app/x"}), 0) << world.err.str();
  std::string out = world.out.str();
  size_t outputs_at = out.find("log_group=/ecs/api\n");
  ASSERT_NE(outputs_at, std::string::npos);
  EXPECT_EQ(out.rfind("line 12344\n", outputs_at), outputs_at - std::string("line 12344\n").size());
  EXPECT_NE(out.find("events=12345\n", outputs_at), std::string::npos);
  EXPECT_NE(out.find("log_stream=ecs/app/x\n", outputs_at), std::string::npos);
  EXPECT_NE(out.find("console_url=https://eu-west-1.console.aws.amazon.com/cloudwatch/"),
            std::string::npos);
  EXPECT_EQ(world.logs.get_calls(), 3);  // ceil(12345 / 10000) + 1
  // The group is looked up first: no task will create it (#15 item 14).
  EXPECT_EQ(world.calls, (std::vector<std::string>{"DescribeLogStreams", "GetLogEvents",
                                                   "GetLogEvents", "GetLogEvents"}));
}

TEST_F(FetchLogsTest, TaskLogsAreFoundFromTheTaskDefinition) {
  world.env.Set("GITHUB_OUTPUT", "/gh/output");
  ScriptTask({"STOPPED"}, {Container("app", "/ecs/api")});
  world.logs.Append("/ecs/api", std::string("ecs/app/") + kTaskId,
                    {"Applying migration 1", "done"});
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId}), 0) << world.err.str();
  EXPECT_EQ(world.out.str(), "Applying migration 1\ndone\n");
  auto outputs = Outputs();
  EXPECT_EQ(outputs["log_group"], "/ecs/api");
  EXPECT_EQ(outputs["log_stream"], std::string("ecs/app/") + kTaskId);
  EXPECT_EQ(outputs["events"], "2");
  EXPECT_NE(outputs["console_url"].find("log-events"), std::string::npos);
  EXPECT_EQ(world.calls, (std::vector<std::string>{"DescribeTasks", "DescribeTaskDefinition",
                                                   "GetLogEvents", "GetLogEvents"}));
}

TEST_F(FetchLogsTest, SeveralContainersAreFollowedWithPrefixesAndListedInOutputs) {
  world.env.Set("GITHUB_OUTPUT", "/gh/output");
  ScriptTask({"STOPPED"}, {Container("app", "/ecs/api"), Container("worker", "/ecs/worker"),
                           Container("router", "", "", "awsfirelens")});
  world.logs.Append("/ecs/api", std::string("ecs/app/") + kTaskId, {"a"});
  world.logs.Append("/ecs/worker", std::string("ecs/worker/") + kTaskId, {"w"});
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskArn}), 0) << world.err.str();
  EXPECT_EQ(world.out.str(), "[app] a\n[worker] w\n");
  auto outputs = Outputs();
  EXPECT_EQ(outputs["log_group"], "/ecs/api\n/ecs/worker");
  EXPECT_EQ(outputs["log_stream"], std::string("ecs/app/") + kTaskId + "\necs/worker/" + kTaskId);
  EXPECT_EQ(outputs["events"], "2");
  EXPECT_NE(world.err.str().find("container 'router' does not log"), std::string::npos);
}

TEST_F(FetchLogsTest, ContainerSelectsOneAndAnUnknownOneFails) {
  ScriptTask({"STOPPED"}, {Container("app", "/ecs/api"), Container("worker", "/ecs/worker")});
  world.logs.Append("/ecs/worker", std::string("ecs/worker/") + kTaskId, {"w"});
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId, "--container", "worker"}), 0);
  EXPECT_EQ(world.out.str().substr(0, 2), "w\n");
  world.err.str("");
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId, "--container", "nope"}), 1);
  EXPECT_NE(world.err.str().find("containers: app, worker"), std::string::npos) << world.err.str();
}

TEST_F(FetchLogsTest, AContainerWithoutAwslogsIsANoticeNotAnError) {
  world.env.Set("GITHUB_OUTPUT", "/gh/output");
  ScriptTask({"STOPPED"}, {Container("app", "", "", "awsfirelens")});
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId}), 0) << world.err.str();
  EXPECT_NE(world.err.str().find("awsfirelens"), std::string::npos);
  EXPECT_NE(world.err.str().find("/ecs/v2/clusters/migrate/tasks/"), std::string::npos);
  EXPECT_EQ(Outputs()["events"], "0");
  EXPECT_NE(Outputs()["console_url"].find("/ecs/v2/clusters/migrate/tasks/"), std::string::npos);
}

TEST_F(FetchLogsTest, AnotherAwslogsRegionGetsItsOwnClient) {
  ScriptTask({"STOPPED"}, {Container("app", "/ecs/api", "us-west-2")});
  world.logs.Append("/ecs/api", std::string("ecs/app/") + kTaskId, {"x"});
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId}), 0) << world.err.str();
  EXPECT_EQ(world.clients_made, (std::vector<std::string>{"ecs:eu-west-1", "logs:us-west-2"}));
  EXPECT_EQ(world.logs.calls_by_region["us-west-2"], 2);
}

TEST_F(FetchLogsTest, ATaskThatNeverStartedHasNoLogsToWaitFor) {
  ScriptTask({"STOPPED"}, {Container("app", "/ecs/api")}, /*started=*/false);
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId}), 0) << world.err.str();
  EXPECT_EQ(world.logs.get_calls(), 0);
  EXPECT_NE(world.err.str().find("stopped without starting"), std::string::npos);
}

// Right after RunTask, ECS's DescribeTasks answers MISSING for a moment
// (eventual consistency): fetch-logs asks again, as wait-task does.
TEST_F(FetchLogsTest, AMissingTaskIsAskedForAgainWithinTheMissingGrace) {
  ScriptTask({"STOPPED"}, {Container("app", "/ecs/api")});
  auto found = world.ecs["DescribeTasks"];
  int missing_answers = 2;
  world.ecs["DescribeTasks"] = [&, found](const json& request) {
    if (missing_answers-- > 0) {
      return json{{"tasks", json::array()},
                  {"failures", {{{"arn", kTaskArn}, {"reason", "MISSING"}}}}};
    }
    return found(request);
  };
  world.logs.Append("/ecs/api", std::string("ecs/app/") + kTaskId, {"done"});
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId, "--follow"}), 0) << world.err.str();
  EXPECT_EQ(world.out.str().rfind("done\n", 0), 0u) << world.out.str();
  EXPECT_NE(world.err.str().find("not visible yet"), std::string::npos) << world.err.str();
  EXPECT_GE(world.clock.total_slept(), std::chrono::seconds(3)) << "1 s, then 2 s";
}

TEST_F(FetchLogsTest, ATaskStillMissingAfterTheGraceIsNotKnown) {
  world.ecs["DescribeTasks"] = [](const json&) {
    return json{{"tasks", json::array()},
                {"failures", {{{"arn", kTaskArn}, {"reason", "MISSING"}}}}};
  };
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId, "--missing-grace", "10s"}), 1);
  EXPECT_NE(world.err.str().find("not known to cluster migrate (MISSING for 10"), std::string::npos)
      << world.err.str();
  EXPECT_LE(world.clock.total_slept(), std::chrono::seconds(10));
  EXPECT_EQ(world.logs.get_calls(), 0);
}

TEST_F(FetchLogsTest, MissingGraceMustBePositive) {
  for (const char* bad : {"0", "soon"}) {
    world.err.str("");
    EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId, "--missing-grace", bad}), kExitUsage);
    EXPECT_TRUE(world.calls.empty());
    EXPECT_NE(world.err.str().find("missing-grace"), std::string::npos) << world.err.str();
  }
}

TEST_F(FetchLogsTest, FollowReadsWhileTheTaskRunsAndDrainsAfterItStops) {
  world.env.Set("GITHUB_OUTPUT", "/gh/output");
  ScriptTask({"PENDING", "RUNNING", "RUNNING", "RUNNING", "STOPPED"},
             {Container("app", "/ecs/api")});
  std::string stream = std::string("ecs/app/") + kTaskId;
  int next = 0;
  // Each GetLogEvents sees a few more lines, including after STOPPED.
  world.logs.before_get = [&](long long call, const json&) {
    if (call <= 12) {
      world.logs.AppendNumbered("/ecs/api", stream, next, 3);
      next += 3;
    }
  };
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId, "--follow", "--poll-interval", "1s"}),
            0)
      << world.err.str();
  std::vector<std::string> lines;
  std::string out = world.out.str();
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    lines.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), static_cast<size_t>(next));
  for (int i = 0; i < next; ++i) EXPECT_EQ(lines[i], "line " + std::to_string(i));
  EXPECT_EQ(Outputs()["events"], std::to_string(next));
  EXPECT_EQ(next, 36);
  EXPECT_NE(world.err.str().find("is RUNNING"), std::string::npos);
  EXPECT_NE(world.err.str().find("is STOPPED"), std::string::npos);
}

TEST_F(FetchLogsTest, AStreamThatNeverAppearsFailsAfterTheStreamTimeout) {
  world.logs.CreateGroup("g");
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "missing", "--stream-timeout", "20s"}), 1);
  EXPECT_NE(world.err.str().find("did not appear"), std::string::npos) << world.err.str();
  EXPECT_GE(world.clock.total_slept(), milliseconds(20000));
}

// CONTRACT.md: --stream-timeout defaults to 2m.
TEST_F(FetchLogsTest, AStreamThatNeverAppearsIsWaitedForTwoMinutesByDefault) {
  world.logs.CreateGroup("g");
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "missing"}), 1);
  EXPECT_NE(world.err.str().find("did not appear"), std::string::npos) << world.err.str();
  EXPECT_GE(world.clock.total_slept(), milliseconds(120000));
  EXPECT_LT(world.clock.total_slept(), milliseconds(130000));
}

// #15 item 14: with --log-group + --log-stream no task will create the group.
TEST_F(FetchLogsTest, AGroupThatDoesNotExistFailsAtOnceNamingGroupAndRegion) {
  EXPECT_EQ(Run({"--log-group", "/ecs/typo", "--log-stream", "s"}), 1);
  std::string err = world.err.str();
  EXPECT_NE(err.find("log group /ecs/typo does not exist in region eu-west-1"), std::string::npos)
      << err;
  EXPECT_EQ(world.clock.total_slept(), milliseconds(0));
  EXPECT_EQ(world.logs.get_calls(), 0);
}

// A task's group may not exist yet (it is created by the task): waited for.
TEST_F(FetchLogsTest, ATaskWhoseGroupIsMissingIsNotLookedUp) {
  ScriptTask({"STOPPED"}, {Container("app", "/ecs/later")});
  EXPECT_EQ(Run({"--cluster", "migrate", "--task", kTaskId, "--stream-timeout", "1s"}), 1);
  EXPECT_EQ(std::count(world.calls.begin(), world.calls.end(), "DescribeLogStreams"), 0);
}

// #15 item 4: log lines in the outputs file would be read back as outputs.
TEST_F(FetchLogsTest, OutputFileThatIsTheOutputsFileIsRefused) {
  world.env.Set("GITHUB_OUTPUT", "/gh/output");
  world.logs.Append("g", "s", {"task_arn=attacker"});
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "s", "--output-file", "/gh/output"}), 2);
  EXPECT_NE(world.err.str().find("is the outputs file"), std::string::npos) << world.err.str();
  EXPECT_TRUE(world.calls.empty());
  EXPECT_EQ(world.fs.files["/gh/output"], "");
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "s", "--output", "/gh/o2", "--output-file",
                 "/gh/o2"}),
            2);
}

TEST_F(FetchLogsTest, SinceMaxEventsTimestampsOutputFileAndRedact) {
  world.env.Set("GITHUB_OUTPUT", "/gh/output");
  auto now_ms =
      std::chrono::duration_cast<milliseconds>(world.clock.Now().time_since_epoch()).count();
  world.logs.Append("g", "s", {"too old"}, now_ms - 3600 * 1000);
  world.logs.Append("g", "s", {"key=abc123 one", "two", "three"}, now_ms - 60 * 1000);
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "s", "--since", "10m", "--max-events", "2",
                 "--timestamps", "--output-file", "/tmp/x.log", "--redact", "abc\\d+"}),
            0)
      << world.err.str();
  EXPECT_EQ(world.out.str(), "");
  EXPECT_EQ(world.fs.files["/tmp/x.log"],
            "2025-12-31T23:59:00.000Z key=*** one\n2025-12-31T23:59:00.001Z two\n");
  EXPECT_EQ(Outputs()["events"], "2");
  EXPECT_EQ(world.logs.get_requests()[0]["startTime"], now_ms - 600 * 1000);
}

TEST_F(FetchLogsTest, SummaryShowsTheLastLinesRedacted) {
  world.env.Set("GITHUB_STEP_SUMMARY", "/gh/summary");
  world.logs.AppendNumbered("g", "s", 0, 60);
  world.logs.Append("g", "s", {"DATABASE_URL=postgresql://u:topsecret@db/x", "```fence"});
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "s", "--summary"}), 0);
  std::string summary = world.fs.files["/gh/summary"];
  EXPECT_EQ(summary.find("topsecret"), std::string::npos);
  EXPECT_NE(summary.find("postgresql://u:***@db/x"), std::string::npos);
  EXPECT_EQ(summary.find("line 11\n"), std::string::npos);
  EXPECT_NE(summary.find("line 12\n"), std::string::npos);
  EXPECT_NE(summary.find("````text"), std::string::npos);  // longer than any run inside
}

TEST_F(FetchLogsTest, ThrottlingIsRetriedNotFatal) {
  world.logs.AppendNumbered("g", "s", 0, 30000);
  world.logs.throttle_every = 3;
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "s"}), 0) << world.err.str();
  EXPECT_NE(world.out.str().find("line 29999\nlog_group=g\n"), std::string::npos);
}

TEST_F(FetchLogsTest, AccessDeniedFailsWithTheAwsMessage) {
  world.logs.CreateGroup("g");
  world.logs.inject = {"AccessDeniedException"};
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "s"}), 1);
  EXPECT_NE(world.err.str().find("AccessDeniedException"), std::string::npos);
}

TEST_F(FetchLogsTest, InterruptedFollowExitsWithTheSignalCode) {
  world.logs.Append("g", "s", {"x"});
  world.logs.before_get = [](long long call, const json&) {
    if (call == 3) SetCancelSignalForTesting(15);
  };
  EXPECT_EQ(Run({"--log-group", "g", "--log-stream", "s", "--follow"}), kExitSigTerm);
  EXPECT_EQ(world.out.str().substr(0, 2), "x\n");
}

}  // namespace
}  // namespace ecsmig
