#include "common/ecs/ecs_task.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base/error.h"
#include "common/testing/fake_aws.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

json TaskDef(json containers, std::string network_mode = "awsvpc") {
  return {{"family", "api"},
          {"taskDefinitionArn", "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7"},
          {"networkMode", network_mode},
          {"containerDefinitions", containers}};
}

TEST(NetworkIds, ValidatesSubnetsAndSecurityGroups) {
  EXPECT_EQ(ValidateSubnetId("subnet-0abc123"), "subnet-0abc123");
  EXPECT_EQ(ValidateSecurityGroupId("sg-12ab"), "sg-12ab");
  EXPECT_THROW(ValidateSubnetId("subnet-"), UsageError);
  EXPECT_THROW(ValidateSubnetId("subnet-XYZ"), UsageError);
  EXPECT_THROW(ValidateSubnetId("sg-123"), UsageError);
  EXPECT_THROW(ValidateSecurityGroupId("subnet-123"), UsageError);
  EXPECT_THROW(ValidateSecurityGroupId("sg-12 34"), UsageError);
  EXPECT_EQ(ValidateAssignPublicIp("enabled"), "ENABLED");
  EXPECT_THROW(ValidateAssignPublicIp("yes"), UsageError);
}

TEST(NetworkConfiguration, BuildsWhatRunTaskTakesAndParsesItBack) {
  AwsvpcSettings settings{{"subnet-1", "subnet-2"}, {"sg-1"}, "DISABLED"};
  json built = BuildNetworkConfiguration(settings);
  EXPECT_EQ(built, json::parse(R"({"awsvpcConfiguration":{"subnets":["subnet-1","subnet-2"],
      "securityGroups":["sg-1"],"assignPublicIp":"DISABLED"}})"));
  AwsvpcSettings parsed = ParseNetworkConfiguration(built);
  EXPECT_EQ(parsed.subnets, settings.subnets);
  EXPECT_EQ(parsed.security_groups, settings.security_groups);
  EXPECT_EQ(parsed.assign_public_ip, "DISABLED");
}

TEST(NetworkConfiguration, RejectsMalformedObjects) {
  EXPECT_THROW(ParseNetworkConfiguration(json::array()), UsageError);
  EXPECT_THROW(ParseNetworkConfiguration(json::parse(R"({"subnets":["subnet-1"]})")), UsageError);
  EXPECT_THROW(
      ParseNetworkConfiguration(json::parse(R"({"awsvpcConfiguration":{"subnets":"subnet-1"}})")),
      UsageError);
  EXPECT_THROW(ParseNetworkConfiguration(
                   json::parse(R"({"awsvpcConfiguration":{"subnets":["subnet-zz"]}})")),
               UsageError);
  EXPECT_THROW(
      ParseNetworkConfiguration(json::parse(R"({"awsvpcConfiguration":{"subnet":["subnet-1"]}})")),
      UsageError);
}

TEST(CapacityProviderStrategy, ParsesAndValidates) {
  json s = ParseCapacityProviderStrategy(R"([{"capacityProvider":"FARGATE_SPOT","weight":1}])");
  EXPECT_EQ(s[0]["capacityProvider"], "FARGATE_SPOT");
  EXPECT_THROW(ParseCapacityProviderStrategy("[]"), UsageError);
  EXPECT_THROW(ParseCapacityProviderStrategy("{"), UsageError);
  EXPECT_THROW(ParseCapacityProviderStrategy(R"([{"weight":1}])"), UsageError);
  EXPECT_THROW(ParseCapacityProviderStrategy(R"([{"capacityProvider":"x","weight":-1}])"),
               UsageError);
  EXPECT_THROW(ParseCapacityProviderStrategy(R"([{"capacityProvider":"x","colour":1}])"),
               UsageError);
}

TEST(DescribeService, ReadsLaunchSettingsAndFailures) {
  FakeAws aws;
  aws.Expect("DescribeServices",
             json::parse(R"({"services":[{"serviceArn":"arn:s","status":"ACTIVE",
      "taskDefinition":"arn:td:3","capacityProviderStrategy":[{"capacityProvider":"FARGATE"}],
      "launchType":"FARGATE","platformVersion":"1.4.0",
      "networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-1"],"securityGroups":["sg-1"],
      "assignPublicIp":"ENABLED"}}}],"failures":[]})"));
  ServiceDescription s = DescribeService(aws, "c", "api");
  EXPECT_TRUE(s.usable);
  EXPECT_EQ(s.task_definition, "arn:td:3");
  EXPECT_EQ(s.launch_type, "") << "a strategy wins over the launch type";
  EXPECT_EQ(s.capacity_provider_strategy[0]["capacityProvider"], "FARGATE");
  ASSERT_TRUE(s.awsvpc);
  EXPECT_EQ(s.awsvpc->assign_public_ip, "ENABLED");
  EXPECT_EQ(aws.RequestsOf("DescribeServices")[0],
            json::parse(R"({"cluster":"c","services":["api"]})"));

  aws.Expect("DescribeServices",
             json::parse(R"({"services":[],"failures":[{"arn":"arn:x","reason":"MISSING"}]})"));
  ServiceDescription missing = DescribeService(aws, "c", "nope");
  EXPECT_FALSE(missing.usable);
  EXPECT_EQ(missing.not_usable_why, "MISSING");

  aws.Expect("DescribeServices", json::parse(R"({"services":[{"status":"INACTIVE"}]})"));
  EXPECT_EQ(DescribeService(aws, "c", "old").not_usable_why, "INACTIVE");
}

TEST(SelectContainer, PicksTheOnlyEssentialOrTheRequested) {
  json td = TaskDef(json::parse(R"([{"name":"app"},{"name":"sidecar","essential":false}])"));
  EXPECT_EQ(SelectContainer(td, ""), "app");
  EXPECT_EQ(SelectContainer(td, "sidecar"), "sidecar");
  try {
    SelectContainer(td, "web");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("app, sidecar"));
    EXPECT_EQ(e.exit_code(), 1);
  }
}

TEST(SelectContainer, AmbiguityListsTheEssentialContainers) {
  json td = TaskDef(json::parse(R"([{"name":"app","essential":true},{"name":"worker"}])"));
  try {
    SelectContainer(td, "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("app, worker"));
    EXPECT_THAT(e.what(), HasSubstr("--container"));
  }
}

TEST(NetworkMode, DefaultsToBridge) {
  EXPECT_EQ(NetworkMode(json::object()), "bridge");
  EXPECT_EQ(NetworkMode(TaskDef(json::array(), "host")), "host");
}

TEST(ClientToken, StableWithinAnAttemptAndNewOnReRun) {
  MapEnvironment env(
      {{"GITHUB_RUN_ID", "100"}, {"GITHUB_RUN_ATTEMPT", "1"}, {"GITHUB_JOB", "migrate"}});
  SeededRandom random(1);
  ClientTokenParts parts{"prod", "api", "app", R"(["npx","prisma","migrate","deploy"])", "ecsmig"};
  std::string token = DeriveClientToken(env, random, parts);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(DeriveClientToken(env, random, parts), token) << "a retried step reuses the token";
  ClientTokenParts other_command = parts;
  other_command.command_json = R"(["npx","prisma","db","seed"])";
  EXPECT_NE(DeriveClientToken(env, random, other_command), token);
  ClientTokenParts other_cluster = parts;
  other_cluster.cluster = "staging";
  EXPECT_NE(DeriveClientToken(env, random, other_cluster), token);
  env.Set("GITHUB_RUN_ATTEMPT", "2");
  EXPECT_NE(DeriveClientToken(env, random, parts), token) << "a re-run starts a new task";
}

TEST(ClientToken, RandomOutsideActions) {
  MapEnvironment env;
  SeededRandom random(1);
  ClientTokenParts parts{"prod", "api", "app", "", "ecsmig"};
  std::string a = DeriveClientToken(env, random, parts);
  std::string b = DeriveClientToken(env, random, parts);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
}

TEST(Sha256Hex, MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CreatedBefore, OrdersByCreatedAtThenArn) {
  json a{{"taskArn", "arn:b"}, {"createdAt", 10.5}};
  json b{{"taskArn", "arn:a"}, {"createdAt", 11.0}};
  json c{{"taskArn", "arn:a"}, {"createdAt", 10.5}};
  EXPECT_TRUE(CreatedBefore(a, b));
  EXPECT_FALSE(CreatedBefore(b, a));
  EXPECT_TRUE(CreatedBefore(c, a)) << "same instant: the ARN decides";
  EXPECT_FALSE(CreatedBefore(a, c));
}

TEST(ListRunningTasks, FollowsPages) {
  FakeAws aws;
  aws.Expect("ListTasks", {{"taskArns", {"a"}}, {"nextToken", "t"}});
  aws.Expect("ListTasks", {{"taskArns", {"b"}}});
  EXPECT_EQ(ListRunningTasks(aws, "c", "ecsmig"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(aws.RequestsOf("ListTasks")[1]["nextToken"], "t");
  EXPECT_EQ(aws.RequestsOf("ListTasks")[0]["desiredStatus"], "RUNNING");
  EXPECT_EQ(aws.RequestsOf("ListTasks")[0]["startedBy"], "ecsmig");
}

json Stopped(json containers, std::string stop_code = "EssentialContainerExited",
             std::string reason = "Essential container in task exited") {
  return {{"lastStatus", "STOPPED"},
          {"stopCode", stop_code},
          {"stoppedReason", reason},
          {"containers", containers}};
}

TEST(ClassifyStoppedTask, SuccessOnlyWhenEveryDecidingContainerExitedZero) {
  TaskOutcome ok = ClassifyStoppedTask(
      Stopped(json::parse(R"([{"name":"app","exitCode":0},{"name":"side","exitCode":3}])")),
      {"app"}, "");
  EXPECT_EQ(ok.result, TaskResult::kSuccess);
  EXPECT_EQ(ok.exit_code, 0);

  TaskOutcome failed = ClassifyStoppedTask(
      Stopped(json::parse(R"([{"name":"app","exitCode":0},{"name":"side","exitCode":3}])")),
      {"app", "side"}, "");
  EXPECT_EQ(failed.result, TaskResult::kFailed);
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.container, "side");

  TaskOutcome chosen = ClassifyStoppedTask(
      Stopped(json::parse(R"([{"name":"app","exitCode":137},{"name":"side","exitCode":0}])")),
      {"app", "side"}, "side");
  EXPECT_EQ(chosen.exit_code, 0);
}

TEST(ClassifyStoppedTask, MissingExitCodeIsNeverSuccess) {
  TaskOutcome out = ClassifyStoppedTask(Stopped(json::parse(R"([{"name":"app"}])")), {"app"}, "");
  EXPECT_EQ(out.result, TaskResult::kFailed);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_FALSE(out.container_exit_code);
  EXPECT_THAT(out.explanation, HasSubstr("without an exit code"));

  TaskOutcome null_code =
      ClassifyStoppedTask(Stopped(json::parse(R"([{"name":"app","exitCode":null}])")), {}, "");
  EXPECT_EQ(null_code.exit_code, 1);

  TaskOutcome no_containers = ClassifyStoppedTask(Stopped(json::array()), {}, "");
  EXPECT_EQ(no_containers.result, TaskResult::kFailed);
}

TEST(ClassifyStoppedTask, ExitCodesPassThrough) {
  for (int code : {1, 2, 137, 255}) {
    TaskOutcome out = ClassifyStoppedTask(
        Stopped(json::array({json{{"name", "app"}, {"exitCode", code}}})), {"app"}, "");
    EXPECT_EQ(out.exit_code, code);
    EXPECT_EQ(out.result, TaskResult::kFailed);
  }
  TaskOutcome odd = ClassifyStoppedTask(
      Stopped(json::array({json{{"name", "app"}, {"exitCode", 300}}})), {"app"}, "");
  EXPECT_EQ(odd.exit_code, 1);
}

// An exit code no int holds must not wrap: 4294967296 once read as 0, success.
TEST(ClassifyStoppedTask, ExitCodesNoIntHoldsAreMissingNotZero) {
  for (const char* code : {"4294967296", "1e300", "0.5", "\"0\""}) {
    json task = Stopped(json::parse(std::string(R"([{"name":"app","exitCode":)") + code + "}]"));
    TaskOutcome out = ClassifyStoppedTask(task, {"app"}, "");
    EXPECT_EQ(out.result, TaskResult::kFailed) << code;
    EXPECT_EQ(out.exit_code, 1) << code;
    EXPECT_FALSE(out.container_exit_code) << code;
    EXPECT_FALSE(EveryContainerExitedZero(task)) << code;
  }
}

TEST(TaskTimestamp, EpochSecondsBetween1970And2200Only) {
  json task = {{"startedAt", 1764400000.25},
               {"zero", 0},
               {"text", "1764400000"},
               {"negative", -1},
               {"far", 1e300},
               {"year2200", 7258118400.0}};
  EXPECT_EQ(TaskTimestamp(task, "startedAt"), 1764400000.25);
  EXPECT_EQ(TaskTimestamp(task, "zero"), 0.0);
  EXPECT_EQ(TaskTimestamp(task, "missing"), std::nullopt);
  EXPECT_EQ(TaskTimestamp(task, "text"), std::nullopt);
  EXPECT_EQ(TaskTimestamp(task, "negative"), std::nullopt);
  EXPECT_EQ(TaskTimestamp(task, "far"), std::nullopt);
  EXPECT_EQ(TaskTimestamp(task, "year2200"), std::nullopt);
  EXPECT_EQ(TaskTimestamp(json::array(), "startedAt"), std::nullopt);
}

TEST(EveryContainerExitedZero, OnlyWhenEveryListedContainerReportsZero) {
  EXPECT_TRUE(EveryContainerExitedZero(
      Stopped(json::parse(R"([{"name":"app","exitCode":0},{"name":"side","exitCode":0}])"))));
  EXPECT_FALSE(EveryContainerExitedZero(
      Stopped(json::parse(R"([{"name":"app","exitCode":0},{"name":"side","exitCode":2}])"))));
  EXPECT_FALSE(EveryContainerExitedZero(
      Stopped(json::parse(R"([{"name":"app","exitCode":0},{"name":"side"}])"))));
  EXPECT_FALSE(EveryContainerExitedZero(Stopped(json::array())));
  EXPECT_FALSE(EveryContainerExitedZero(json::array()));
}

TEST(ClassifyStoppedTask, InfrastructureFailuresAre125WithTheReasons) {
  TaskOutcome pull = ClassifyStoppedTask(
      Stopped(json::parse(
                  R"([{"name":"app","reason":"CannotPullContainerError: pull access denied"}])"),
              "TaskFailedToStart",
              "CannotPullContainerError: pull image manifest has been retried"),
      {"app"}, "");
  EXPECT_EQ(pull.result, TaskResult::kInfraFailure);
  EXPECT_EQ(pull.exit_code, 125);
  EXPECT_EQ(pull.stop_code, "TaskFailedToStart");
  EXPECT_EQ(pull.container_reason, "CannotPullContainerError: pull access denied");
  EXPECT_THAT(pull.explanation, HasSubstr("TaskFailedToStart"));
  EXPECT_THAT(pull.explanation, HasSubstr("pull access denied"));

  TaskOutcome init =
      ClassifyStoppedTask(Stopped(json::parse(R"([{"name":"app"}])"), "TaskFailedToStart",
                                  "ResourceInitializationError: unable to pull secrets"),
                          {"app"}, "");
  EXPECT_EQ(init.result, TaskResult::kInfraFailure);

  TaskOutcome oom = ClassifyStoppedTask(
      Stopped(json::parse(
          R"([{"name":"app","exitCode":137,"reason":"OutOfMemoryError: Container killed due to memory usage"}])")),
      {"app"}, "");
  EXPECT_EQ(oom.result, TaskResult::kInfraFailure);
  EXPECT_EQ(*oom.container_exit_code, 137);
}

// Every value of botocore's TaskStopCode enum, each with a stoppedReason as
// ECS writes it, and the app's exit code 0 then 143 (SIGTERM, as StopTask,
// a scale-in or a Spot interruption sends).
TEST(ClassifyStoppedTask, EachStopCodeOfTheEcsModel) {
  struct Case {
    const char* stop_code;
    const char* stopped_reason;
    TaskResult after_exit_0;
    TaskResult after_exit_143;
  };
  const Case cases[] = {
      {"TaskFailedToStart", "ResourceInitializationError: unable to pull secrets",
       TaskResult::kInfraFailure, TaskResult::kInfraFailure},
      {"EssentialContainerExited", "Essential container in task exited", TaskResult::kSuccess,
       TaskResult::kFailed},
      {"UserInitiated", "Task stopped by user", TaskResult::kStoppedFromOutside,
       TaskResult::kStoppedFromOutside},
      {"ServiceSchedulerInitiated",
       "Scaling activity initiated by (deployment ecs-svc/5078843562845452312)",
       TaskResult::kStoppedFromOutside, TaskResult::kStoppedFromOutside},
      {"SpotInterruption", "Your Spot Task was interrupted.", TaskResult::kStoppedFromOutside,
       TaskResult::kStoppedFromOutside},
      {"TerminationNotice",
       "Task is stopping because ECS is performing maintenance on the underlying infrastructure "
       "hosting the task.",
       TaskResult::kStoppedFromOutside, TaskResult::kStoppedFromOutside},
  };
  for (const Case& c : cases) {
    for (int code : {0, 143}) {
      TaskOutcome out =
          ClassifyStoppedTask(Stopped(json::array({json{{"name", "app"}, {"exitCode", code}}}),
                                      c.stop_code, c.stopped_reason),
                              {"app"}, "");
      TaskResult expected = code == 0 ? c.after_exit_0 : c.after_exit_143;
      EXPECT_EQ(out.result, expected) << c.stop_code << " " << code;
      EXPECT_EQ(out.stop_code, c.stop_code);
      EXPECT_EQ(out.stopped_reason, c.stopped_reason);
      int expected_exit = expected == TaskResult::kSuccess  ? 0
                          : expected == TaskResult::kFailed ? code
                                                            : 125;
      EXPECT_EQ(out.exit_code, expected_exit) << c.stop_code << " " << code;
      bool outside = expected == TaskResult::kStoppedFromOutside;
      EXPECT_EQ(out.stopped_by.empty(), !outside) << c.stop_code;
      EXPECT_EQ(OutsideStopper(c.stop_code).empty(), !outside) << c.stop_code;
      if (outside) {
        EXPECT_EQ(out.container_exit_code, code) << c.stop_code;
        EXPECT_EQ(out.container, "app");
        EXPECT_THAT(out.explanation, HasSubstr("stopped from outside by " + out.stopped_by));
        EXPECT_THAT(out.explanation, HasSubstr(std::string("(stopCode ") + c.stop_code + ")"));
        EXPECT_THAT(out.explanation, HasSubstr(c.stopped_reason));
        EXPECT_THAT(out.explanation,
                    HasSubstr("the container then exited with code " + std::to_string(code)));
      }
    }
  }
  EXPECT_THAT(OutsideStopper("UserInitiated"), HasSubstr("StopTask"));
  EXPECT_THAT(OutsideStopper("ServiceSchedulerInitiated"), HasSubstr("service scheduler"));
  EXPECT_THAT(OutsideStopper("SpotInterruption"), HasSubstr("Spot interruption"));
  EXPECT_THAT(OutsideStopper("TerminationNotice"), HasSubstr("termination notice"));
  EXPECT_STREQ(TaskResultName(TaskResult::kStoppedFromOutside), "stopped");
}

TEST(ClassifyStoppedTask, AStopFromOutsideReportsTheFirstNonZeroDecidingExitCode) {
  json containers = json::parse(
      R"([{"name":"app","exitCode":0},{"name":"worker","exitCode":137},{"name":"side","exitCode":1}])");
  TaskOutcome out = ClassifyStoppedTask(Stopped(containers, "UserInitiated", "deploy rolled back"),
                                        {"app", "worker"}, "");
  EXPECT_EQ(out.result, TaskResult::kStoppedFromOutside);
  EXPECT_EQ(out.exit_code, 125);
  EXPECT_EQ(out.container, "worker");
  EXPECT_EQ(out.container_exit_code, 137);

  // --container: only the chosen one counts.
  TaskOutcome chosen = ClassifyStoppedTask(
      Stopped(containers, "SpotInterruption", "Your Spot Task was interrupted."), {"app", "worker"},
      "app");
  EXPECT_EQ(chosen.result, TaskResult::kStoppedFromOutside);
  EXPECT_EQ(chosen.container_exit_code, 0);
  EXPECT_EQ(chosen.exit_code, 125);
}

TEST(ClassifyStoppedTask, AStopFromOutsideWinsOverAnInfrastructureReasonAndKeepsIt) {
  // Stopped while its image was still being pulled: no exit code, no stoppedReason.
  TaskOutcome out = ClassifyStoppedTask(
      Stopped(json::parse(
                  R"([{"name":"app","reason":"CannotPullContainerError: pull access denied"}])"),
              "UserInitiated", ""),
      {"app"}, "");
  EXPECT_EQ(out.result, TaskResult::kStoppedFromOutside);
  EXPECT_EQ(out.exit_code, 125);
  EXPECT_FALSE(out.container_exit_code);
  EXPECT_EQ(out.container_reason, "CannotPullContainerError: pull access denied");
  EXPECT_THAT(out.explanation, HasSubstr("(no reason given)"));
  EXPECT_THAT(out.explanation, Not(HasSubstr("then exited")));
}

// Newer SDKs list InfrastructureHealth (the Python SDK v4's TaskStopCode),
// which this machine's botocore model does not: AWS adds stop codes, and every
// one besides EssentialContainerExited and TaskFailedToStart is a stop the
// task did not make itself. An unknown code is never success either.
TEST(ClassifyStoppedTask, InfrastructureHealthAndStopCodesEcsAddsLaterAreStopsFromOutside) {
  for (const char* code : {"InfrastructureHealth", "SomethingNew"}) {
    for (int exit_code : {0, 2}) {
      TaskOutcome out = ClassifyStoppedTask(
          Stopped(json::array({json{{"name", "app"}, {"exitCode", exit_code}}}), code, "why"),
          {"app"}, "");
      EXPECT_EQ(out.result, TaskResult::kStoppedFromOutside) << code << " " << exit_code;
      EXPECT_EQ(out.exit_code, 125);
      EXPECT_EQ(out.container_exit_code, exit_code);
      EXPECT_THAT(out.explanation, HasSubstr(std::string("(stopCode ") + code + ")"));
    }
  }
  EXPECT_THAT(OutsideStopper("InfrastructureHealth"), HasSubstr("unhealthy"));
  EXPECT_THAT(OutsideStopper("SomethingNew"), HasSubstr("does not know"));
  EXPECT_EQ(OutsideStopper(""), "");
}

TEST(ContainersExitedAt, ExecutionStoppedAtElseStoppedAtElseNone) {
  EXPECT_EQ(ContainersExitedAt(json{{"executionStoppedAt", 100.0}, {"stoppedAt", 130.0}}), 100.0);
  EXPECT_EQ(ContainersExitedAt(json{{"stoppedAt", 130.0}}), 130.0);
  EXPECT_EQ(ContainersExitedAt(json{{"executionStoppedAt", "soon"}, {"stoppedAt", 130.0}}), 130.0);
  EXPECT_FALSE(ContainersExitedAt(json{{"lastStatus", "RUNNING"}}));
}

}  // namespace
}  // namespace ecsmig
