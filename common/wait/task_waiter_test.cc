// wait-task against ECS as it really behaves (#14): MISSING right after
// RunTask, the Fargate stop sequence, stops from outside, answers not to be
// trusted, and throttling that outlasts the retries (#15).
#include "common/wait/task_waiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "common/base/signals.h"
#include "common/testing/fake_aws.h"
#include "common/wait/wait_task.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const char kTaskId[] = "fedcba9876543210fedcba9876543210";
const char kTaskArn[] =
    "arn:aws:ecs:eu-west-1:123456789012:task/prod/fedcba9876543210fedcba9876543210";
const char kTdArn[] = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7";

json TaskDefinition() {
  return json{
      {"taskDefinition",
       {{"family", "api"},
        {"taskDefinitionArn", kTdArn},
        {"containerDefinitions",
         {{{"name", "app"}, {"essential", true}}, {{"name", "sidecar"}, {"essential", false}}}}}}};
}

json Container(const std::string& name, const std::string& status, std::optional<int> code = {}) {
  json c = {{"name", name}, {"lastStatus", status}};
  if (code) c["exitCode"] = *code;
  return c;
}

// One DescribeTasks task object.
json Task(const std::string& status, json containers, const std::string& stop_code = "",
          const std::string& reason = "") {
  bool ending = status != "PROVISIONING" && status != "PENDING" && status != "RUNNING";
  json task = {{"taskArn", kTaskArn},
               {"taskDefinitionArn", kTdArn},
               {"lastStatus", status},
               {"desiredStatus", ending || !stop_code.empty() ? "STOPPED" : "RUNNING"},
               {"startedAt", 100.0},
               {"containers", std::move(containers)}};
  if (!stop_code.empty()) task["stopCode"] = stop_code;
  if (!reason.empty()) task["stoppedReason"] = reason;
  if (status == "STOPPED") task["stoppedAt"] = 170.0;
  if (ending) task["executionStoppedAt"] = 140.0;
  return task;
}

json Answer(const json& task) { return {{"tasks", {task}}, {"failures", json::array()}}; }
json Missing() {
  return {{"tasks", json::array()}, {"failures", {{{"arn", kTaskArn}, {"reason", "MISSING"}}}}};
}

json Running() {
  return Task("RUNNING", {Container("app", "RUNNING"), Container("sidecar", "RUNNING")});
}
// The essential container has exited; the sidecar is being stopped; the task
// is still far from STOPPED.
json Exited(const std::string& status, int code) {
  return Task(status, {Container("app", "STOPPED", code), Container("sidecar", "RUNNING")},
              "EssentialContainerExited", "Essential container in task exited");
}

// DescribeTasks answers in turn (the last one repeats); counts calls.
struct Answers {
  std::vector<json> answers;
  int calls = 0;
  void Install(FakeAws& aws) {
    aws.Always("DescribeTasks", [this](const json&) {
      json a = answers[std::min<size_t>(calls, answers.size() - 1)];
      ++calls;
      return a.contains("taskArn") ? Answer(a) : a;
    });
  }
};

class TaskWaiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetCancelSignalForTesting(0);
    h.aws.Always("DescribeTaskDefinition", [](const json&) { return TaskDefinition(); });
  }
  void TearDown() override { SetCancelSignalForTesting(0); }
  int Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--cluster", "prod", "--task", kTaskId};
    args.insert(args.end(), extra.begin(), extra.end());
    return h.Run(WaitTaskSpec(h.AwsFactory()), args);
  }
  ToolHarness h;
  Answers script;
};

TEST(MissingBackoff, StartsAtOneSecondAndDoublesUpToTheSixSecondPoll) {
  EXPECT_EQ(MissingBackoff(0), std::chrono::seconds(1));
  EXPECT_EQ(MissingBackoff(1), std::chrono::seconds(2));
  EXPECT_EQ(MissingBackoff(2), std::chrono::seconds(4));
  EXPECT_EQ(MissingBackoff(3), std::chrono::seconds(6));
  EXPECT_EQ(MissingBackoff(40), std::chrono::seconds(6));
}

TEST_F(TaskWaiterTest, BacksOffThroughTheMissingWindow) {
  script.answers = {Missing(), Missing(), Running(), Exited("DEACTIVATING", 0)};
  script.Install(h.aws);
  ASSERT_EQ(Run(), 0) << h.err.str();
  EXPECT_EQ(h.Outputs()["result"], "success");
  EXPECT_THAT(h.err.str(), HasSubstr("not visible yet (MISSING"));
  // 1 s, then 2 s before the task was visible; then one 6 s poll.
  EXPECT_GE(h.clock.total_slept(), std::chrono::seconds(9));
  EXPECT_LT(h.clock.total_slept(), std::chrono::seconds(10));
}

TEST_F(TaskWaiterTest, ATaskThatNeverExistedFailsWithinTheGrace) {
  script.answers = {Missing()};
  script.Install(h.aws);
  EXPECT_EQ(Run({"--missing-grace", "20s"}), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("not known to cluster prod (MISSING for 20"));
  EXPECT_EQ(h.clock.total_slept(), std::chrono::seconds(20));
  EXPECT_EQ(script.calls, 7) << "at 0, 1, 3, 7, 13, 19 and 20 s: then the grace is over";
  EXPECT_TRUE(h.Outputs().empty());
}

TEST_F(TaskWaiterTest, TheGraceDefaultsToOneMinute) {
  script.answers = {Missing()};
  script.Install(h.aws);
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(h.clock.total_slept(), std::chrono::minutes(1));
}

TEST_F(TaskWaiterTest, AnotherFailureReasonIsNotRetried) {
  script.answers = {
      {{"tasks", json::array()}, {"failures", {{{"arn", kTaskArn}, {"reason", "ACCESS_DENIED"}}}}}};
  script.Install(h.aws);
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(script.calls, 1);
  EXPECT_THAT(h.err.str(), HasSubstr("ACCESS_DENIED"));
}

TEST_F(TaskWaiterTest, EndsAtTheContainersExitWhileTheTaskDeprovisions) {
  script.answers = {Running(), Exited("DEACTIVATING", 0), Exited("DEPROVISIONING", 0)};
  script.Install(h.aws);
  ASSERT_EQ(Run(), 0) << h.err.str();
  EXPECT_EQ(script.calls, 2) << "no poll after the exit was seen";
  auto o = h.Outputs();
  EXPECT_EQ(o["result"], "success");
  EXPECT_EQ(o["last_status"], "DEACTIVATING");
  EXPECT_EQ(o["exit_code"], "0");
  EXPECT_EQ(o["stop_code"], "EssentialContainerExited");
  EXPECT_EQ(o["duration_seconds"], "40") << "startedAt to executionStoppedAt";
  EXPECT_EQ(o["task_arn"], kTaskArn);
}

TEST_F(TaskWaiterTest, ANonZeroExitIsReportedBeforeStoppedToo) {
  script.answers = {Exited("STOPPING", 3)};
  script.Install(h.aws);
  EXPECT_EQ(Run(), 3);
  EXPECT_EQ(h.Outputs()["result"], "failed");
  EXPECT_EQ(h.Outputs()["last_status"], "STOPPING");
}

TEST_F(TaskWaiterTest, UntilStoppedWaitsForStopped) {
  json stopped = Exited("STOPPED", 0);
  stopped["containers"][1] = Container("sidecar", "STOPPED", 143);
  script.answers = {Running(), Exited("DEACTIVATING", 0), Exited("DEPROVISIONING", 0), stopped};
  script.Install(h.aws);
  ASSERT_EQ(Run({"--until-stopped"}), 0) << h.err.str();
  EXPECT_EQ(script.calls, 4);
  EXPECT_EQ(h.Outputs()["last_status"], "STOPPED");
  EXPECT_EQ(h.Outputs()["duration_seconds"], "70");
  EXPECT_THAT(h.err.str(), HasSubstr("DEPROVISIONING → STOPPED ("));
}

TEST_F(TaskWaiterTest, ADesiredStopAloneIsNotTheResult) {
  // A stop from outside has begun: the containers still run; their exit decides.
  json stopping =
      Task("DEACTIVATING", {Container("app", "RUNNING"), Container("sidecar", "RUNNING")},
           "UserInitiated", "Task stopped by user");
  stopping.erase("executionStoppedAt");
  json exited =
      Task("STOPPING", {Container("app", "STOPPED", 0), Container("sidecar", "STOPPED", 0)},
           "UserInitiated", "deploy rolled back by alice");
  script.answers = {stopping, exited};
  script.Install(h.aws);
  EXPECT_EQ(Run(), 125) << h.err.str();
  EXPECT_EQ(script.calls, 2);
  auto o = h.Outputs();
  EXPECT_EQ(o["result"], "stopped");
  EXPECT_EQ(o["exit_code"], "0");
  EXPECT_EQ(o["stop_code"], "UserInitiated");
  EXPECT_EQ(o["stopped_reason"], "deploy rolled back by alice");
  EXPECT_THAT(h.err.str(),
              HasSubstr("stopped from outside by a person or program calling StopTask"));
  EXPECT_THAT(h.err.str(), HasSubstr("deploy rolled back by alice"));
  EXPECT_THAT(h.Summary(), HasSubstr("| stopped | 0 |"));
  EXPECT_EQ(h.aws.CountOf("StopTask"), 0u);
}

TEST_F(TaskWaiterTest, EveryStopFromOutsideIsStoppedWhateverTheExitCode) {
  const std::vector<std::pair<std::string, std::string>> stops = {
      {"SpotInterruption", "Fargate Spot interruption"},
      {"ServiceSchedulerInitiated", "ECS service scheduler"},
      {"TerminationNotice", "termination notice"},
      {"UserInitiated", "StopTask"},
      // Newer than botocore's model, and one ECS has yet to add: trusted, never success.
      {"InfrastructureHealth", "unhealthy"},
      {"SomethingNew", "does not know"}};
  for (const auto& [code, who] : stops) {
    for (int exit_code : {0, 143}) {
      ToolHarness fresh;
      fresh.aws.Always("DescribeTaskDefinition", [](const json&) { return TaskDefinition(); });
      Answers answers;
      answers.answers = {Task(
          "DEPROVISIONING",
          {Container("app", "STOPPED", exit_code), Container("sidecar", "STOPPED")}, code, "why")};
      answers.Install(fresh.aws);
      EXPECT_EQ(
          fresh.Run(WaitTaskSpec(fresh.AwsFactory()), {"--cluster", "prod", "--task", kTaskId}),
          125)
          << code << fresh.err.str();
      EXPECT_EQ(fresh.Outputs()["result"], "stopped") << code;
      EXPECT_EQ(fresh.Outputs()["exit_code"], std::to_string(exit_code));
      EXPECT_THAT(fresh.err.str(), HasSubstr(who)) << code;
    }
  }
}

TEST_F(TaskWaiterTest, ATaskThatFailedToStartIsReportedWithoutWaitingForStopped) {
  script.answers = {Task("DEPROVISIONING",
                         {{{"name", "app"},
                           {"lastStatus", "STOPPED"},
                           {"reason", "CannotPullContainerError: pull access denied"}},
                          Container("sidecar", "STOPPED")},
                         "TaskFailedToStart", "CannotPullContainerError: pull access denied")};
  script.answers[0].erase("startedAt");
  script.Install(h.aws);
  EXPECT_EQ(Run(), 125);
  EXPECT_EQ(h.Outputs()["result"], "infra-failure");
  EXPECT_EQ(script.calls, 1);
}

TEST_F(TaskWaiterTest, AnAnswerAboutAnotherTaskIsAskedAgain) {
  json other = Running();
  other["taskArn"] =
      "arn:aws:ecs:eu-west-1:123456789012:task/prod/00000000000000000000000000000000";
  script.answers = {other, Exited("DEACTIVATING", 0)};
  script.Install(h.aws);
  ASSERT_EQ(Run(), 0) << h.err.str();
  EXPECT_THAT(h.err.str(), HasSubstr("another task (00000000000000000000000000000000"));
  EXPECT_EQ(script.calls, 2);
}

TEST_F(TaskWaiterTest, TwoDistrustedAnswersInARowEndTheWaitWithNoOutputs) {
  json other = Running();
  other["taskArn"] = "arn:aws:ecs:eu-west-1:123456789012:task/staging/" + std::string(kTaskId);
  script.answers = {other};
  script.Install(h.aws);
  EXPECT_EQ(Run(), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("twice in a row"));
  EXPECT_EQ(script.calls, 2);
  EXPECT_TRUE(h.Outputs().empty());
}

TEST_F(TaskWaiterTest, AnAnswerMissingAnEssentialContainerIsNotTrusted) {
  json partial = Task("DEACTIVATING", json::array({Container("sidecar", "STOPPED", 0)}),
                      "EssentialContainerExited", "Essential container in task exited");
  script.answers = {partial};
  script.Install(h.aws);
  EXPECT_EQ(Run(), 1) << "never success from an answer without the essential container";
  EXPECT_THAT(h.err.str(), HasSubstr("no essential container app"));
  EXPECT_EQ(script.calls, 2);
}

TEST_F(TaskWaiterTest, ValuesThatBecomeOutputsMustHaveTheirDocumentedShape) {
  json bad_status = Exited("DEACTIVATING", 0);
  bad_status["lastStatus"] = "STOPPED\n::warning::injected";
  json bad_code = Exited("DEACTIVATING", 0);
  bad_code["stopCode"] = "Whatever\n::warning::injected";
  json bad_arn = Exited("DEACTIVATING", 0);
  bad_arn["taskArn"] = std::string(kTaskId);
  json bad_reason = Exited("DEACTIVATING", 0);
  bad_reason["stoppedReason"] = 7;
  for (const json& answer : {bad_status, bad_code, bad_arn, bad_reason}) {
    ToolHarness fresh;
    fresh.aws.Always("DescribeTaskDefinition", [](const json&) { return TaskDefinition(); });
    Answers answers;
    answers.answers = {answer};
    answers.Install(fresh.aws);
    EXPECT_EQ(fresh.Run(WaitTaskSpec(fresh.AwsFactory()), {"--cluster", "prod", "--task", kTaskId}),
              1)
        << answer.dump();
    EXPECT_TRUE(fresh.Outputs().empty()) << answer.dump();
    EXPECT_THAT(fresh.err.str(), Not(HasSubstr("\n::warning::injected")));
  }
}

TEST_F(TaskWaiterTest, ThrottlingThatOutlastsTheRetriesWritesWhatIsKnown) {
  h.aws.Expect("DescribeTasks", Answer(Running()));
  h.aws.ExpectError("DescribeTasks", "ThrottlingException", "Rate exceeded");
  EXPECT_EQ(Run(), 1);
  auto o = h.Outputs();
  EXPECT_EQ(o["result"], "unknown");
  EXPECT_EQ(o["task_arn"], kTaskArn);
  EXPECT_EQ(o["last_status"], "RUNNING");
  EXPECT_EQ(o["exit_code"], "");
  EXPECT_THAT(h.err.str(), HasSubstr("ThrottlingException"));
  EXPECT_THAT(h.err.str(), HasSubstr("the task may still be running"));
  EXPECT_THAT(h.Summary(), HasSubstr("may still be running"));
}

TEST_F(TaskWaiterTest, CancelledWhileTheTaskIsStillMissing) {
  int calls = 0;
  h.aws.Always("DescribeTasks", [&](const json&) {
    if (++calls == 2) SetCancelSignalForTesting(SIGINT);
    return Missing();
  });
  h.aws.Expect("StopTask", json::object());
  EXPECT_EQ(Run({"--stop-on-cancel"}), 130);
  EXPECT_EQ(h.Outputs()["result"], "cancelled");
  EXPECT_EQ(h.aws.CountOf("StopTask"), 1u) << "a task inside its MISSING window may well exist";
  EXPECT_THAT(h.err.str(), HasSubstr("not visible yet"));
}

TEST_F(TaskWaiterTest, TheFinishHookSeesTheOutcomeBeforeTheOutputs) {
  script.answers = {Exited("DEACTIVATING", 2)};
  script.Install(h.aws);
  WaitOptions options;
  options.cluster = "prod";
  options.task = ParseTaskRef(kTaskId);
  int hooked = 0;
  options.on_finish = [&](WaitOutcome& outcome, const TaskLogFollower* follower) {
    ++hooked;
    EXPECT_EQ(outcome.result, "failed");
    EXPECT_EQ(follower, nullptr);
  };
  ToolSpec spec;
  spec.name = "wait-hook";
  spec.add_options = [](cxxopts::Options&) {};
  spec.run = [&](ToolRun& run, const cxxopts::ParseResult&) {
    auto ecs = h.AwsFactory()(AwsService::kEcs, AwsSettings{}, run);
    return WaitForTask(*ecs, run, options, nullptr).exit_code;
  };
  EXPECT_EQ(h.Run(spec, {}), 2);
  EXPECT_EQ(hooked, 1);
}

TEST(OutsideStopper, NamesWhoStoppedTheTaskOnlyForStopsFromOutside) {
  EXPECT_THAT(OutsideStopper("SpotInterruption"), HasSubstr("Spot"));
  EXPECT_THAT(OutsideStopper("UserInitiated"), HasSubstr("StopTask"));
  EXPECT_EQ(OutsideStopper("EssentialContainerExited"), "");
  EXPECT_EQ(OutsideStopper("TaskFailedToStart"), "");
  EXPECT_EQ(OutsideStopper(""), "");
}

}  // namespace
}  // namespace ecsmig
