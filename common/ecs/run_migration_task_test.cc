#include "common/ecs/run_migration_task.h"

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

const char kTdArn[] = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7";
const char kClusterArn[] = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";

std::string TaskArn(const std::string& id) {
  return "arn:aws:ecs:eu-west-1:123456789012:task/prod/" + id;
}

json Service() {
  return {
      {"services",
       {{{"serviceArn", "arn:aws:ecs:eu-west-1:123456789012:service/prod/api"},
         {"status", "ACTIVE"},
         {"taskDefinition", kTdArn},
         {"launchType", "FARGATE"},
         {"platformVersion", "1.4.0"},
         {"networkConfiguration",
          {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}, {"securityGroups", {"sg-1"}}}}}}}}}};
}

json TaskDefinition(json containers = nullptr) {
  if (containers.is_null()) {
    containers = json::parse(R"([{"name":"app","essential":true,
        "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/api",
        "awslogs-region":"eu-west-1","awslogs-stream-prefix":"ecs"}}},
        {"name":"sidecar","essential":false}])");
  }
  return {{"taskDefinition",
           {{"taskDefinitionArn", kTdArn},
            {"family", "api"},
            {"networkMode", "awsvpc"},
            {"containerDefinitions", containers}}}};
}

// A small in-memory ECS cluster: RunTask (with clientToken idempotency),
// ListTasks, DescribeTasks and StopTask over one list of tasks.
struct ClusterSim {
  struct Task {
    json body;
    std::string token;
    // ListTasks calls that still omit it (DescribeTasks answers MISSING meanwhile).
    int unlisted_polls = 0;
  };
  std::vector<Task> tasks;
  double now = 1000;
  int next_id = 1;
  // Called before RunTask creates a task: lets a test simulate another caller.
  std::function<void()> before_run;
  std::function<void()> after_run;
  // How many ListTasks polls a blocking task survives before it stops by itself.
  int blocker_polls_left = -1;
  // DescribeClusters' defaultCapacityProviderStrategy.
  json default_strategy = json::array();
  // Eventual consistency: how many ListTasks calls a new task stays unlisted.
  int new_task_unlisted_polls = 0;

  json& Add(const std::string& token, const std::string& marker_token, double created_at) {
    char id[33];
    std::snprintf(id, sizeof id, "%032x", next_id++);
    json body = {{"taskArn", TaskArn(id)},
                 {"clusterArn", kClusterArn},
                 {"taskDefinitionArn", kTdArn},
                 {"lastStatus", "PROVISIONING"},
                 {"desiredStatus", "RUNNING"},
                 {"startedBy", "ecsmig"},
                 {"createdAt", created_at},
                 {"overrides",
                  {{"containerOverrides",
                    {{{"name", "app"},
                      {"environment", {{{"name", kClientTokenEnv}, {"value", marker_token}}}}}}}}}};
    tasks.push_back({body, token, new_task_unlisted_polls});
    return tasks.back().body;
  }

  int Running() const {
    int n = 0;
    for (const auto& t : tasks) n += t.body["desiredStatus"] == "RUNNING";
    return n;
  }

  void Install(FakeAws& aws) {
    aws.Always("DescribeClusters", [this](const json&) {
      return json{{"clusters",
                   {{{"clusterArn", kClusterArn},
                     {"clusterName", "prod"},
                     {"status", "ACTIVE"},
                     {"defaultCapacityProviderStrategy", default_strategy}}}},
                  {"failures", json::array()}};
    });
    aws.Always("RunTask", [this](const json& req) {
      std::string token = req.value("clientToken", "");
      for (const auto& t : tasks) {
        if (!token.empty() && t.token == token)
          return json{{"tasks", {t.body}}, {"failures", json::array()}};
      }
      if (before_run) {
        auto hook = std::move(before_run);
        before_run = nullptr;
        hook();
      }
      now += 1;
      std::string marker;
      for (const auto& e : req["overrides"]["containerOverrides"][0]["environment"]) {
        if (e["name"] == kClientTokenEnv) marker = e["value"];
      }
      json body = Add(token, marker, now);
      if (after_run) {
        auto hook = std::move(after_run);
        after_run = nullptr;
        hook();
      }
      return json{{"tasks", {body}}, {"failures", json::array()}};
    });
    aws.Always("ListTasks", [this](const json&) {
      if (blocker_polls_left == 0) {
        for (auto& t : tasks) {
          if (t.body["desiredStatus"] == "RUNNING") StopBody(t.body, "done");
          break;
        }
        blocker_polls_left = -1;
      } else if (blocker_polls_left > 0) {
        --blocker_polls_left;
      }
      json arns = json::array();
      for (auto& t : tasks) {
        if (t.unlisted_polls > 0) {
          --t.unlisted_polls;
        } else if (t.body["desiredStatus"] == "RUNNING") {
          arns.push_back(t.body["taskArn"]);
        }
      }
      return json{{"taskArns", arns}};
    });
    aws.Always("DescribeTasks", [this](const json& req) {
      json out = json::array();
      json failures = json::array();
      for (const auto& arn : req["tasks"]) {
        for (const auto& t : tasks) {
          if (t.body["taskArn"] != arn) continue;
          if (t.unlisted_polls > 0) {
            failures.push_back({{"arn", arn}, {"reason", "MISSING"}});
          } else {
            out.push_back(t.body);
          }
        }
      }
      return json{{"tasks", out}, {"failures", failures}};
    });
    aws.Always("StopTask", [this](const json& req) {
      for (auto& t : tasks) {
        if (t.body["taskArn"] == req["task"]) {
          StopBody(t.body, req.value("reason", ""));
          return json{{"task", t.body}};
        }
      }
      throw AwsError("ECS", "StopTask", "InvalidParameterException", "no task", "r", 400);
    });
  }

  static void StopBody(json& body, const std::string& reason) {
    body["desiredStatus"] = "STOPPED";
    body["lastStatus"] = "STOPPED";
    body["stoppedReason"] = reason;
  }
};

class RunMigrationTaskTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) {
    return h.Run(RunMigrationTaskSpec(h.AwsFactory()), std::move(args));
  }
  void ExpectServiceReads() {
    h.aws.Expect("DescribeServices", Service()).Expect("DescribeTaskDefinition", TaskDefinition());
  }
  ToolHarness h;
  ClusterSim sim;
};

TEST_F(RunMigrationTaskTest, StartsFromTheServiceSettings) {
  ExpectServiceReads();
  sim.Install(h.aws);
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command",
                 R"(["npx","prisma","migrate","deploy"])", "--tag", "team=db"}),
            0)
      << h.err.str();
  ASSERT_EQ(h.aws.CountOf("RunTask"), 1u);
  json req = h.aws.RequestsOf("RunTask")[0];
  EXPECT_EQ(req["cluster"], "prod");
  EXPECT_EQ(req["taskDefinition"], kTdArn);
  EXPECT_EQ(req["count"], 1);
  EXPECT_EQ(req["launchType"], "FARGATE");
  EXPECT_EQ(req["platformVersion"], "1.4.0");
  EXPECT_EQ(req["startedBy"], "ecsmig");
  EXPECT_EQ(req["networkConfiguration"]["awsvpcConfiguration"]["subnets"], json({"subnet-1"}));
  EXPECT_EQ(req["overrides"]["containerOverrides"][0]["name"], "app");
  EXPECT_EQ(req["overrides"]["containerOverrides"][0]["command"],
            json({"npx", "prisma", "migrate", "deploy"}));
  EXPECT_EQ(req["tags"], json::parse(R"([{"key":"team","value":"db"}])"));
  EXPECT_EQ(req["clientToken"].get<std::string>().size(), 64u);
  EXPECT_FALSE(req.contains("capacityProviderStrategy"));

  auto o = h.Outputs();
  std::string arn = sim.tasks[0].body["taskArn"];
  EXPECT_EQ(o["task_arn"], arn);
  EXPECT_EQ(o["task_id"], arn.substr(arn.rfind('/') + 1));
  EXPECT_EQ(o["cluster"], kClusterArn);
  EXPECT_EQ(o["task_definition"], kTdArn);
  EXPECT_EQ(o["container"], "app");
  EXPECT_EQ(o["log_group"], "/ecs/api");
  EXPECT_EQ(o["log_stream"], "ecs/app/" + o["task_id"]);
  EXPECT_THAT(o["console_url"], HasSubstr("eu-west-1.console.aws.amazon.com"));
  EXPECT_THAT(o["console_url"], HasSubstr(o["task_id"]));
  EXPECT_THAT(h.err.str(), HasSubstr(arn));
  EXPECT_THAT(h.Summary(), HasSubstr(o["task_id"]));
}

TEST_F(RunMigrationTaskTest, StringCommandRunsUnderShAndEnvIsMasked) {
  ExpectServiceReads();
  sim.Install(h.aws);
  h.env.Set("GITHUB_ACTIONS", "true");
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "npx prisma migrate deploy",
                 "--env", "DATABASE_URL=postgres://u:hunter2secret@db/x,y", "-v"}),
            0)
      << h.err.str();
  json req = h.aws.RequestsOf("RunTask")[0];
  EXPECT_EQ(req["overrides"]["containerOverrides"][0]["command"],
            json({"sh", "-c", "npx prisma migrate deploy"}));
  json env = req["overrides"]["containerOverrides"][0]["environment"];
  EXPECT_EQ(env[0],
            json::parse(R"({"name":"DATABASE_URL","value":"postgres://u:hunter2secret@db/x,y"})"));
  EXPECT_THAT(h.err.str(), HasSubstr("::add-mask::postgres://u:hunter2secret@db/x,y"));
  std::string without_mask_line = h.err.str();
  without_mask_line.erase(0, without_mask_line.find('\n', without_mask_line.find("::add-mask::")));
  EXPECT_THAT(without_mask_line, Not(HasSubstr("hunter2secret")));
}

TEST_F(RunMigrationTaskTest, ClientTokenIsStableAcrossRetriesInOneAttempt) {
  h.env.Set("GITHUB_RUN_ID", "555");
  h.env.Set("GITHUB_RUN_ATTEMPT", "1");
  h.env.Set("GITHUB_JOB", "migrate");
  sim.Install(h.aws);
  for (int i = 0; i < 2; ++i) {
    ExpectServiceReads();
    ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "migrate"}), 0)
        << h.err.str();
  }
  auto runs = h.aws.RequestsOf("RunTask");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["clientToken"], runs[1]["clientToken"]);
  EXPECT_EQ(sim.tasks.size(), 1u)
      << "the retry got the first task back, and did not wait for itself";
}

TEST_F(RunMigrationTaskTest, ExplicitClientTokenIsUsed) {
  ExpectServiceReads();
  sim.Install(h.aws);
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x", "--client-token",
                 "my-token-1"}),
            0);
  EXPECT_EQ(h.aws.RequestsOf("RunTask")[0]["clientToken"], "my-token-1");
}

TEST_F(RunMigrationTaskTest, RunTaskFailuresAreErrorsWithReasonAndArn) {
  ExpectServiceReads();
  h.aws.Expect("ListTasks", {{"taskArns", json::array()}});
  h.aws.Expect(
      "RunTask",
      json::parse(R"({"tasks":[],"failures":[{"arn":"arn:aws:ecs:eu-west-1:1:container-instance/x",
      "reason":"RESOURCE:MEMORY"}]})"));
  EXPECT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--start-retry-for", "0s"}),
      1);
  EXPECT_THAT(h.err.str(), HasSubstr("RESOURCE:MEMORY"));
  EXPECT_THAT(h.err.str(), HasSubstr("container-instance/x"));
  EXPECT_FALSE(h.Outputs().count("task_arn"));
}

TEST_F(RunMigrationTaskTest, IfRunningFailNamesTheRunningTask) {
  ExpectServiceReads();
  sim.Install(h.aws);
  std::string blocker = sim.Add("other", "other", 5)["taskArn"];
  EXPECT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--if-running", "fail"}), 1);
  EXPECT_THAT(h.err.str(), HasSubstr(blocker));
  EXPECT_EQ(h.aws.CountOf("RunTask"), 0u);
}

TEST_F(RunMigrationTaskTest, IfRunningWaitWaitsForTheOtherTaskToStop) {
  ExpectServiceReads();
  sim.Install(h.aws);
  std::string blocker = sim.Add("other", "other", 5)["taskArn"];
  sim.blocker_polls_left = 3;
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 0) << h.err.str();
  EXPECT_EQ(h.aws.CountOf("RunTask"), 1u);
  EXPECT_GE(h.clock.total_slept(), std::chrono::seconds(15));
  EXPECT_THAT(h.err.str(), HasSubstr("waiting for 1 running task(s)"));
  EXPECT_THAT(h.err.str(), HasSubstr(blocker));
  // The RunTask came only after the blocker stopped.
  EXPECT_EQ(sim.tasks[0].body["desiredStatus"], "STOPPED");
  EXPECT_EQ(sim.Running(), 1);
}

TEST_F(RunMigrationTaskTest, IfRunningWaitIsBoundedByWaitTimeout) {
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.Add("other", "other", 5);
  EXPECT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--wait-timeout", "1m"}), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("still running after 1m"));
  EXPECT_EQ(h.aws.CountOf("RunTask"), 0u);
  EXPECT_LE(h.clock.total_slept(), std::chrono::minutes(1));
}

TEST_F(RunMigrationTaskTest, IfRunningIgnoreStartsWithoutLookingAtTheGroup) {
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.Add("other", "other", 5);
  ASSERT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--if-running", "ignore"}), 0)
      << h.err.str();
  EXPECT_EQ(sim.Running(), 2);
  EXPECT_EQ(h.aws.CountOf("ListTasks"), 0u);
  EXPECT_EQ(h.aws.CountOf("DescribeTasks"), 0u);
}

TEST_F(RunMigrationTaskTest, TaskDefinitionWithIgnoreMakesTwoCalls) {
  // The bench's start step: DescribeTaskDefinition (container, network mode,
  // awslogs outputs) and RunTask, nothing else.
  h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  sim.Install(h.aws);
  ASSERT_EQ(Run({"--cluster", "prod", "--task-definition", kTdArn, "--container", "app",
                 "--command", R"(["npx","prisma","migrate","deploy"])", "--network-configuration",
                 R"({"awsvpcConfiguration":{"subnets":["subnet-1"],"securityGroups":["sg-1"]}})",
                 "--launch-type", "FARGATE", "--if-running", "ignore"}),
            0)
      << h.err.str();
  ASSERT_EQ(h.aws.requests().size(), 2u);
  EXPECT_EQ(h.aws.requests()[0].operation, "DescribeTaskDefinition");
  EXPECT_EQ(h.aws.requests()[1].operation, "RunTask");
  EXPECT_EQ(h.aws.RequestsOf("RunTask")[0]["clientToken"].get<std::string>().size(), 64u)
      << "the idempotency token is still sent";
  auto o = h.Outputs();
  EXPECT_EQ(o["log_group"], "/ecs/api");
  EXPECT_EQ(o["log_stream"], "ecs/app/" + o["task_id"]);
}

TEST_F(RunMigrationTaskTest, TaskDefinitionWithWaitAlsoListsTheGroup) {
  h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  sim.Install(h.aws);
  ASSERT_EQ(Run({"--cluster", "prod", "--task-definition", kTdArn, "--command", "x", "--subnets",
                 "subnet-1"}),
            0)
      << h.err.str();
  // Before RunTask (wait for others), and after it (the race check).
  EXPECT_EQ(h.aws.CountOf("ListTasks"), 2u);
  EXPECT_EQ(h.aws.CountOf("RunTask"), 1u);
}

TEST_F(RunMigrationTaskTest, ConcurrentCallsRunOneMigrationAtATime) {
  // Another caller's RunTask lands just before ours: its task is older. Ours
  // must stop itself before running, wait for the other, then start again.
  ExpectServiceReads();
  sim.Install(h.aws);
  std::string other_arn;
  sim.before_run = [&] {
    sim.now += 0.5;
    other_arn = sim.Add("theirs", "theirs", sim.now)["taskArn"];
    sim.blocker_polls_left = 4;
  };
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 0) << h.err.str();
  ASSERT_EQ(sim.tasks.size(), 3u);
  const json& loser = sim.tasks[1].body;
  EXPECT_EQ(loser["desiredStatus"], "STOPPED");
  EXPECT_THAT(loser["stoppedReason"].get<std::string>(), HasSubstr(kRaceStopReason));
  EXPECT_THAT(loser["stoppedReason"].get<std::string>(), HasSubstr(other_arn));
  EXPECT_EQ(sim.tasks[0].body["desiredStatus"], "STOPPED") << "the older one finished first";
  EXPECT_EQ(sim.Running(), 1);
  auto runs = h.aws.RequestsOf("RunTask");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_NE(runs[0]["clientToken"], runs[1]["clientToken"]);
  EXPECT_EQ(h.Outputs()["task_arn"], sim.tasks[2].body["taskArn"]);
}

TEST_F(RunMigrationTaskTest, YoungerConcurrentTaskIsLeftAlone) {
  // Our RunTask lands first; the other caller's task is younger and stops
  // itself (its own check). We keep ours.
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.after_run = [&] { sim.Add("theirs", "theirs", sim.now + 0.5); };
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 0) << h.err.str();
  EXPECT_EQ(h.aws.CountOf("StopTask"), 0u);
  EXPECT_EQ(h.Outputs()["task_arn"], sim.tasks[0].body["taskArn"]);
}

TEST_F(RunMigrationTaskTest, ConcurrentStartNotListedYetIsCaughtOnceOursIsListed) {
  // Both RunTasks land while ListTasks omits new tasks: the check right after
  // RunTask sees neither. It must list again until ours shows (theirs, older,
  // shows too), stop ours, and with --if-running fail exit 1.
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.new_task_unlisted_polls = 1;
  std::string other_arn;
  sim.before_run = [&] {
    sim.now += 0.5;
    other_arn = sim.Add("theirs", "theirs", sim.now)["taskArn"];
  };
  EXPECT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--if-running", "fail"}), 1);
  ASSERT_EQ(sim.tasks.size(), 2u);
  const json& ours = sim.tasks[1].body;
  EXPECT_EQ(ours["desiredStatus"], "STOPPED");
  EXPECT_THAT(ours["stoppedReason"].get<std::string>(), HasSubstr(kRaceStopReason));
  EXPECT_THAT(ours["stoppedReason"].get<std::string>(), HasSubstr(other_arn));
  EXPECT_EQ(sim.tasks[0].body["desiredStatus"], "RUNNING") << "the older one is left alone";
  EXPECT_THAT(h.err.str(), HasSubstr("not listed yet"));
  EXPECT_THAT(h.err.str(), HasSubstr("started concurrently"));
  EXPECT_EQ(h.aws.CountOf("ListTasks"), 3u) << "before RunTask, then twice until ours shows";
  EXPECT_FALSE(h.Outputs().count("task_arn"));
}

TEST_F(RunMigrationTaskTest, ConcurrentStartNotListedYetIsWaitedForWithIfRunningWait) {
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.new_task_unlisted_polls = 1;
  sim.before_run = [&] {
    sim.now += 0.5;
    sim.Add("theirs", "theirs", sim.now);
    sim.blocker_polls_left = 4;
  };
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 0) << h.err.str();
  ASSERT_EQ(sim.tasks.size(), 3u);
  EXPECT_EQ(sim.tasks[1].body["desiredStatus"], "STOPPED");
  EXPECT_EQ(sim.tasks[0].body["desiredStatus"], "STOPPED") << "the older one finished first";
  EXPECT_EQ(sim.Running(), 1);
  EXPECT_EQ(h.Outputs()["task_arn"], sim.tasks[2].body["taskArn"]);
}

TEST_F(RunMigrationTaskTest, OwnTaskNeverListedWarnsAfterTheGraceAndGoesOn) {
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.new_task_unlisted_polls = 1000;
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 0) << h.err.str();
  EXPECT_THAT(h.err.str(), HasSubstr("still does not list task"));
  EXPECT_GE(h.clock.total_slept(), std::chrono::seconds(60));
  EXPECT_LE(h.clock.total_slept(), std::chrono::seconds(61));
  EXPECT_EQ(h.aws.CountOf("StopTask"), 0u);
  EXPECT_EQ(h.Outputs()["task_arn"], sim.tasks[0].body["taskArn"]);
}

TEST_F(RunMigrationTaskTest, OwnTaskThatAlreadyStoppedIsNotWaitedFor) {
  // A command that ends at once: ListTasks (desired RUNNING) never lists it.
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.after_run = [&] {
    ClusterSim::StopBody(sim.tasks.back().body, "Essential container exited");
  };
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 0) << h.err.str();
  EXPECT_EQ(h.clock.total_slept(), std::chrono::milliseconds(0));
  EXPECT_EQ(h.aws.CountOf("ListTasks"), 2u);
  EXPECT_EQ(h.Outputs()["task_arn"], sim.tasks[0].body["taskArn"]);
}

TEST_F(RunMigrationTaskTest, ReusedStoppedTaskIsReportedNotRestarted) {
  ExpectServiceReads();
  sim.Install(h.aws);
  json& earlier = sim.Add("tok-1", "tok-1", 5);
  ClusterSim::StopBody(earlier, "Essential container in task exited");
  ASSERT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--client-token", "tok-1"}),
      0);
  EXPECT_EQ(sim.tasks.size(), 1u);
  EXPECT_EQ(h.Outputs()["task_arn"], earlier["taskArn"]);
  EXPECT_THAT(h.err.str(), HasSubstr("earlier try"));
}

TEST_F(RunMigrationTaskTest, TaskDefinitionAloneWithNetworkFlags) {
  h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  sim.Install(h.aws);
  ASSERT_EQ(Run({"--cluster", "prod", "--task-definition", "api:7", "--subnets", "subnet-a1",
                 "--security-groups", "sg-b2", "--launch-type", "FARGATE"}),
            0)
      << h.err.str();
  json req = h.aws.RequestsOf("RunTask")[0];
  EXPECT_EQ(h.aws.CountOf("DescribeServices"), 0u);
  EXPECT_EQ(req["networkConfiguration"]["awsvpcConfiguration"]["subnets"], json({"subnet-a1"}));
  EXPECT_EQ(req["launchType"], "FARGATE");
  EXPECT_FALSE(req["overrides"]["containerOverrides"][0].contains("command"));
}

TEST_F(RunMigrationTaskTest, NetworkConfigurationJsonAndStrategy) {
  h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  sim.Install(h.aws);
  ASSERT_EQ(Run({"--cluster", "prod", "--task-definition", "api", "--network-configuration",
                 R"({"awsvpcConfiguration":{"subnets":["subnet-1"],"assignPublicIp":"ENABLED"}})",
                 "--capacity-provider-strategy", R"([{"capacityProvider":"FARGATE_SPOT"}])",
                 "--command", "x"}),
            0)
      << h.err.str();
  json req = h.aws.RequestsOf("RunTask")[0];
  EXPECT_EQ(req["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], "ENABLED");
  EXPECT_EQ(req["capacityProviderStrategy"][0]["capacityProvider"], "FARGATE_SPOT");
  EXPECT_FALSE(req.contains("launchType"));
}

TEST_F(RunMigrationTaskTest, AmbiguousContainerListsNames) {
  h.aws.Expect("DescribeServices", Service())
      .Expect("DescribeTaskDefinition",
              TaskDefinition(json::parse(R"([{"name":"web"},{"name":"worker"}])")));
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("web, worker"));
  EXPECT_EQ(h.aws.CountOf("RunTask"), 0u);
}

TEST_F(RunMigrationTaskTest, UnknownContainerListsNames) {
  ExpectServiceReads();
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x", "--container", "db"}),
            1);
  EXPECT_THAT(h.err.str(), HasSubstr("app, sidecar"));
}

TEST_F(RunMigrationTaskTest, DryRunPrintsMaskedRequestAndStartsNothing) {
  sim.Install(h.aws);  // DescribeClusters: the dry run's cluster output is its ARN
  h.aws.Expect("DescribeServices", Service())
      .Expect("DescribeTaskDefinition", TaskDefinition(json::parse(R"([{"name":"app"}])")));
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "migrate", "--env",
                 "TOKEN=abc", "--dry-run", "--output", "/tmp/ignored-by-fake-fs"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.aws.CountOf("RunTask"), 0u);
  EXPECT_EQ(h.aws.CountOf("ListTasks"), 0u);
  json printed = json::parse(h.out.str());
  EXPECT_EQ(printed["overrides"]["containerOverrides"][0]["environment"][0]["value"], "***");
  EXPECT_EQ(printed["taskDefinition"], kTdArn);
  EXPECT_THAT(h.out.str(), Not(HasSubstr("abc")));
  EXPECT_THAT(h.err.str(), HasSubstr("no awslogs"));
}

TEST_F(RunMigrationTaskTest, BadInputExitsTwoBeforeAnyAwsCall) {
  std::vector<std::vector<std::string>> cases = {
      {"--service", "api", "--command", "x"},
      {"--cluster", "prod", "--command", "x"},
      {"--cluster", "prod", "--service", "api"},
      {"--cluster", "prod", "--service", "api", "--command", "[\"npx\", "},
      {"--cluster", "prod", "--service", "api", "--command", "[\"npx\", 1]"},
      {"--cluster", "prod", "--service", "api", "--command", "[]"},
      {"--cluster", "prod", "--service", "api", "--command", "  "},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--env", "NOVALUE"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--env", "=v"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--tag", "novalue"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--tag", "aws:x=1"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--started-by", "has space"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--started-by",
       std::string(129, 'a')},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--client-token",
       std::string(65, 'a')},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--if-running", "maybe"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--wait-timeout", "soon"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--launch-type", "LAMBDA"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--launch-type", "FARGATE",
       "--capacity-provider-strategy", R"([{"capacityProvider":"x"}])"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--network-configuration", "{"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--network-configuration",
       R"({"awsvpcConfiguration":{"subnets":["subnet-1"]}})", "--subnets", "subnet-2"},
      {"--cluster", "prod", "--task-definition", "bad def!", "--command", "x"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--subnets", "net-1"},
      {"--cluster", "prod", "--service", "api", "--command", "x", "--env",
       std::string(kClientTokenEnv) + "=x"},
  };
  for (const auto& args : cases) {
    h.err.str("");
    EXPECT_EQ(Run(args), 2) << ::testing::PrintToString(args) << h.err.str();
  }
  EXPECT_EQ(h.clients_built, 0);
  EXPECT_TRUE(h.aws.requests().empty());
}

// ---- Capacity, the explicit launch, the token, cancels and answer shapes ----

json CapacityFailure() {
  return {{"tasks", json::array()},
          {"failures",
           {{{"arn", kClusterArn},
             {"reason",
              "Capacity is unavailable at this time. Please try again later or in a different "
              "availability zone"}}}}};
}

class RunMigrationTaskMoreTest : public RunMigrationTaskTest {
 protected:
  void SetUp() override { SetCancelSignalForTesting(0); }
  void TearDown() override { SetCancelSignalForTesting(0); }
  // A Fargate-only task definition read by --task-definition alone.
  void ExpectFargateOnlyTaskDefinition() {
    json td = TaskDefinition();
    td["taskDefinition"]["requiresCompatibilities"] = {"FARGATE"};
    h.aws.Expect("DescribeTaskDefinition", td);
  }
  int RunTaskDefinitionAlone(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--cluster",    "prod",    "--task-definition", kTdArn,
                                     "--command",    "migrate", "--subnets",         "subnet-1",
                                     "--if-running", "ignore"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }
};

TEST_F(RunMigrationTaskMoreTest, TwoCapacityFailuresThenSuccessStartOneTaskWithOneToken) {
  ExpectServiceReads();
  sim.Install(h.aws);
  h.aws.Expect("RunTask", CapacityFailure()).Expect("RunTask", CapacityFailure());
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 0) << h.err.str();
  std::vector<json> calls = h.aws.RequestsOf("RunTask");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(sim.tasks.size(), 1u);
  EXPECT_EQ(calls[0]["clientToken"], calls[2]["clientToken"]) << "nothing started: same token";
  EXPECT_THAT(h.err.str(), HasSubstr("Capacity is unavailable"));
  EXPECT_EQ(h.Outputs()["task_arn"], sim.tasks[0].body["taskArn"]);
}

TEST_F(RunMigrationTaskMoreTest, CapacityFailuresOutlastingTheWindowFailWithTheReason) {
  ExpectServiceReads();
  sim.Install(h.aws);
  for (int i = 0; i < 50; ++i) h.aws.Expect("RunTask", CapacityFailure());
  auto before = h.clock.Monotonic();
  EXPECT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--start-retry-for", "20s"}),
      1);
  auto waited = std::chrono::duration_cast<std::chrono::seconds>(h.clock.Monotonic() - before);
  EXPECT_GE(waited.count(), 20);
  EXPECT_LE(waited.count(), 21);
  EXPECT_THAT(h.err.str(), HasSubstr("Capacity is unavailable at this time"));
  EXPECT_THAT(h.err.str(), HasSubstr("nothing was started"));
  EXPECT_FALSE(h.Outputs().count("task_arn"));
  EXPECT_TRUE(sim.tasks.empty());
  size_t calls = h.aws.CountOf("RunTask");
  EXPECT_GE(calls, 3u);
  EXPECT_LE(calls, 8u) << "backoff, not a busy loop";
}

TEST_F(RunMigrationTaskMoreTest, OtherFailuresAreNotRetried) {
  ExpectServiceReads();
  sim.Install(h.aws);
  h.aws.Expect("RunTask", json::parse(R"({"tasks":[],"failures":[{"reason":"ATTRIBUTE"}]})"));
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 1);
  EXPECT_EQ(h.aws.CountOf("RunTask"), 1u);
  EXPECT_THAT(h.err.str(), HasSubstr("ATTRIBUTE"));
}

TEST(IsCapacityFailure, FargateCapacityAndEc2Resources) {
  EXPECT_TRUE(IsCapacityFailure("Capacity is unavailable at this time. Please try again later"));
  EXPECT_TRUE(IsCapacityFailure("RESOURCE:MEMORY"));
  EXPECT_TRUE(IsCapacityFailure("RESOURCE:CPU"));
  EXPECT_FALSE(IsCapacityFailure("MISSING"));
  EXPECT_FALSE(IsCapacityFailure("AGENT"));
  EXPECT_FALSE(IsCapacityFailure(""));
}

TEST_F(RunMigrationTaskMoreTest, FargateOnlyTaskDefinitionWithoutLaunchSettingsRunsOnFargate) {
  ExpectFargateOnlyTaskDefinition();
  sim.Install(h.aws);
  ASSERT_EQ(RunTaskDefinitionAlone(), 0) << h.err.str();
  json req = h.aws.RequestsOf("RunTask")[0];
  EXPECT_EQ(req["launchType"], "FARGATE");
  EXPECT_FALSE(req.contains("capacityProviderStrategy"));
  EXPECT_THAT(h.err.str(), HasSubstr("launch type FARGATE"));
}

TEST_F(RunMigrationTaskMoreTest, ClusterDefaultStrategyIsUsedWhenNoLaunchSettings) {
  ExpectFargateOnlyTaskDefinition();
  sim.Install(h.aws);
  sim.default_strategy =
      json::parse(R"([{"capacityProvider":"FARGATE_SPOT","weight":1,"base":0}])");
  ASSERT_EQ(RunTaskDefinitionAlone(), 0) << h.err.str();
  json req = h.aws.RequestsOf("RunTask")[0];
  EXPECT_EQ(req["capacityProviderStrategy"], sim.default_strategy);
  EXPECT_FALSE(req.contains("launchType"));
  EXPECT_THAT(h.err.str(), HasSubstr("default capacity provider strategy"));
}

TEST_F(RunMigrationTaskMoreTest, TaskDefinitionWithoutCompatibilitiesGetsEc2) {
  h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  sim.Install(h.aws);
  ASSERT_EQ(RunTaskDefinitionAlone(), 0) << h.err.str();
  EXPECT_EQ(h.aws.RequestsOf("RunTask")[0]["launchType"], "EC2");
}

TEST_F(RunMigrationTaskMoreTest, ExplicitLaunchTypeSkipsDescribeClusters) {
  h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  sim.Install(h.aws);
  ASSERT_EQ(RunTaskDefinitionAlone({"--launch-type", "FARGATE"}), 0) << h.err.str();
  EXPECT_EQ(h.aws.CountOf("DescribeClusters"), 0u);
}

// The token each of two runs sends, with `env` set for the second.
std::pair<std::string, std::string> TokensOfTwoRuns(
    const std::vector<std::string>& first, const std::vector<std::string>& second,
    const std::vector<std::pair<std::string, std::string>>& env_second = {}) {
  std::string tokens[2];
  for (int i = 0; i < 2; ++i) {
    ToolHarness h;
    ClusterSim sim;
    h.env.Set("GITHUB_RUN_ID", "42");
    h.env.Set("GITHUB_RUN_ATTEMPT", "1");
    h.env.Set("GITHUB_JOB", "migrate");
    if (i == 1)
      for (const auto& [k, v] : env_second) h.env.Set(k, v);
    h.aws.Expect("DescribeServices", Service()).Expect("DescribeTaskDefinition", TaskDefinition());
    sim.Install(h.aws);
    const auto& args = i == 0 ? first : second;
    EXPECT_EQ(h.Run(RunMigrationTaskSpec(h.AwsFactory()), args), 0) << h.err.str();
    tokens[i] = h.aws.RequestsOf("RunTask").at(0)["clientToken"];
  }
  return {tokens[0], tokens[1]};
}

TEST(RunMigrationTaskToken, MatrixLegsThatStartDifferentTasksGetDifferentTokens) {
  std::vector<std::string> base = {"--service", "api", "--command", "x", "--if-running", "ignore"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  auto [same1, same2] = TokensOfTwoRuns(with({"--cluster", "prod"}), with({"--cluster", "prod"}));
  EXPECT_EQ(same1, same2) << "a retried step gets the same token";
  auto [a, b] = TokensOfTwoRuns(with({"--cluster", "prod"}), with({"--cluster", "staging"}));
  EXPECT_NE(a, b) << "other cluster";
  auto [c, d] = TokensOfTwoRuns(with({"--cluster", "prod", "--env", "DB=one"}),
                                with({"--cluster", "prod", "--env", "DB=two"}));
  EXPECT_NE(c, d) << "other env";
  auto [e, f] = TokensOfTwoRuns(with({"--cluster", "prod", "--tag", "leg=1"}),
                                with({"--cluster", "prod", "--tag", "leg=2"}));
  EXPECT_NE(e, f) << "other tags";
  auto [g, k] = TokensOfTwoRuns(with({"--cluster", "prod"}), with({"--cluster", "prod"}),
                                {{"GITHUB_RUN_ATTEMPT", "2"}});
  EXPECT_NE(g, k) << "a re-run of the job starts a new task";
}

TEST_F(RunMigrationTaskMoreTest, SignalDuringRunTaskWritesOutputsThenExits143) {
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.after_run = [] { SetCancelSignalForTesting(SIGTERM); };
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 143);
  ASSERT_EQ(sim.tasks.size(), 1u);
  auto o = h.Outputs();
  EXPECT_EQ(o["task_arn"], sim.tasks[0].body["taskArn"]);
  EXPECT_EQ(o["log_group"], "/ecs/api");
  EXPECT_EQ(h.aws.CountOf("StopTask"), 0u);
  EXPECT_EQ(sim.tasks[0].body["desiredStatus"], "RUNNING");
}

TEST_F(RunMigrationTaskMoreTest, SignalDuringRunTaskWithStopOnCancelStopsTheTask) {
  ExpectServiceReads();
  sim.Install(h.aws);
  sim.after_run = [] { SetCancelSignalForTesting(SIGINT); };
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x", "--stop-on-cancel"}),
            130);
  ASSERT_EQ(sim.tasks.size(), 1u);
  EXPECT_EQ(h.Outputs()["task_arn"], sim.tasks[0].body["taskArn"]);
  EXPECT_EQ(sim.tasks[0].body["desiredStatus"], "STOPPED");
  EXPECT_THAT(sim.tasks[0].body["stoppedReason"].get<std::string>(), HasSubstr("SIGINT"));
}

TEST_F(RunMigrationTaskMoreTest, SignalWhileWaitingForCapacityStartsNothing) {
  ExpectServiceReads();
  sim.Install(h.aws);
  h.aws.ExpectCall("RunTask", [](const json&) {
    SetCancelSignalForTesting(SIGTERM);
    return CapacityFailure();
  });
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 143);
  EXPECT_EQ(h.aws.CountOf("RunTask"), 1u);
  EXPECT_FALSE(h.Outputs().count("task_arn"));
  EXPECT_THAT(h.err.str(), HasSubstr("nothing was started"));
}

TEST_F(RunMigrationTaskMoreTest, TaskArnThatIsNotAnArnIsAnErrorNotAnOutput) {
  ExpectServiceReads();
  h.aws.Expect("ListTasks", {{"taskArns", json::array()}});
  h.aws.Expect("RunTask", json::parse(R"({"tasks":[{"taskArn":"task/x\n::warning::INJECTED",
      "lastStatus":"PROVISIONING","desiredStatus":"RUNNING"}],"failures":[]})"));
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x"}), 1);
  EXPECT_FALSE(h.Outputs().count("task_arn"));
  EXPECT_THAT(h.err.str(), HasSubstr("is not a task ARN"));
  EXPECT_THAT(h.err.str(), Not(HasSubstr("\n::warning::INJECTED")));
}

TEST_F(RunMigrationTaskMoreTest, ClusterArnThatIsNotAnArnIsAnError) {
  ExpectServiceReads();
  std::string arn = TaskArn(std::string(32, 'a'));
  h.aws.Expect("RunTask", {{"tasks",
                            {{{"taskArn", arn},
                              {"clusterArn", "prod"},
                              {"lastStatus", "PROVISIONING"},
                              {"desiredStatus", "RUNNING"}}}},
                           {"failures", json::array()}});
  EXPECT_EQ(
      Run({"--cluster", "prod", "--service", "api", "--command", "x", "--if-running", "ignore"}),
      1);
  EXPECT_FALSE(h.Outputs().count("cluster"));
  EXPECT_EQ(h.Outputs()["task_arn"], arn) << "which task started";
  EXPECT_THAT(h.err.str(), HasSubstr("clusterArn"));
}

TEST_F(RunMigrationTaskMoreTest, DryRunWritesTheClusterArn) {
  sim.Install(h.aws);
  ExpectServiceReads();
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--command", "x", "--dry-run"}), 0)
      << h.err.str();
  EXPECT_EQ(h.Outputs()["cluster"], kClusterArn);
  EXPECT_EQ(h.aws.CountOf("RunTask"), 0u);
}

TEST_F(RunMigrationTaskMoreTest, MissingClusterIsNamed) {
  h.aws.Expect("DescribeTaskDefinition", TaskDefinition());
  h.aws.Expect("DescribeClusters",
               json::parse(R"({"clusters":[],"failures":[{"arn":"x","reason":"MISSING"}]})"));
  EXPECT_EQ(RunTaskDefinitionAlone(), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("cluster 'prod' was not found"));
  EXPECT_EQ(h.aws.CountOf("RunTask"), 0u);
}

TEST(ParseCommand, JsonArrayOrShellString) {
  EXPECT_EQ(ParseCommand(R"(["a","b c"])"), json({"a", "b c"}));
  EXPECT_EQ(ParseCommand("echo [x]"), json({"sh", "-c", "echo [x]"}));
  EXPECT_EQ(ParseCommand("  [\"a\"]  "), json({"a"}));
  EXPECT_THROW(ParseCommand("[a]"), UsageError);
  EXPECT_EQ(ParseCommand(R"({"a":1})"), json({"sh", "-c", R"({"a":1})"}));
}

}  // namespace
}  // namespace ecsmig
