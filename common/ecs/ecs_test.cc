#include "common/ecs/ecs.h"

#include <gtest/gtest.h>

#include "common/base/error.h"

namespace ecsmig {
namespace {

TEST(ParseTaskRef, AcceptsLongOldAndBareForms) {
  TaskRef a =
      ParseTaskRef("arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef");
  EXPECT_EQ(a.cluster, "prod");
  EXPECT_EQ(a.task_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(a.region, "eu-west-1");
  TaskRef b =
      ParseTaskRef("arn:aws:ecs:us-east-1:123456789012:task/12345678-1234-1234-1234-123456789012");
  EXPECT_EQ(b.cluster, "");
  EXPECT_EQ(b.task_id, "12345678-1234-1234-1234-123456789012");
  TaskRef c = ParseTaskRef("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c.task_id, c.value);
}

TEST(ParseTaskRef, RejectsMalformed) {
  for (const char* bad :
       {"", "abc", "arn:aws:ecs:us-east-1:123:task/x/0123456789abcdef0123456789abcdef",
        "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "arn:aws:s3:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdeg", "$(rm -rf /)", "arn:aws:ecs"}) {
    EXPECT_THROW(ParseTaskRef(bad), UsageError) << bad;
  }
}

TEST(Validate, ClusterServiceTaskDefinitionContainer) {
  EXPECT_EQ(ValidateClusterRef("prod-cluster_1"), "prod-cluster_1");
  EXPECT_NO_THROW(ValidateClusterRef("arn:aws:ecs:us-east-1:123456789012:cluster/prod"));
  EXPECT_THROW(ValidateClusterRef("prod cluster"), UsageError);
  EXPECT_THROW(ValidateClusterRef(""), UsageError);
  EXPECT_NO_THROW(ValidateServiceRef("arn:aws:ecs:us-east-1:123456789012:service/prod/api"));
  EXPECT_NO_THROW(ValidateServiceRef("arn:aws:ecs:us-east-1:123456789012:service/api"));
  EXPECT_THROW(ValidateServiceRef("api;ls"), UsageError);
  EXPECT_NO_THROW(ValidateTaskDefinitionRef("api"));
  EXPECT_NO_THROW(ValidateTaskDefinitionRef("api:12"));
  EXPECT_NO_THROW(
      ValidateTaskDefinitionRef("arn:aws:ecs:us-east-1:123456789012:task-definition/api:12"));
  EXPECT_THROW(ValidateTaskDefinitionRef("api:"), UsageError);
  EXPECT_THROW(ValidateTaskDefinitionRef("api:0"), UsageError);
  EXPECT_THROW(ValidateTaskDefinitionRef("api:x"), UsageError);
  EXPECT_THROW(ValidateTaskDefinitionRef("arn:aws:ecs:us-east-1:123456789012:task-definition/api"),
               UsageError);
  EXPECT_THROW(ValidateContainerName("a b"), UsageError);
  EXPECT_EQ(ClusterName("arn:aws:ecs:us-east-1:123456789012:cluster/prod"), "prod");
  EXPECT_EQ(ClusterName("prod"), "prod");
}

TEST(DeriveLogTargets, AwslogsWithPrefixRegionAndOthers) {
  auto td = nlohmann::json::parse(R"({"containerDefinitions": [
    {"name": "app", "essential": true, "logConfiguration": {"logDriver": "awslogs",
      "options": {"awslogs-group": "/ecs/api", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs"}}},
    {"name": "router", "essential": false, "logConfiguration": {"logDriver": "awsfirelens"}},
    {"name": "plain"}
  ]})");
  auto targets = DeriveLogTargets(td, "abc123", "us-east-1");
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_TRUE(targets[0].awslogs);
  EXPECT_EQ(targets[0].group, "/ecs/api");
  EXPECT_EQ(targets[0].stream, "ecs/app/abc123");
  EXPECT_EQ(targets[0].region, "eu-west-1");
  EXPECT_FALSE(targets[1].awslogs);
  EXPECT_EQ(targets[1].log_driver, "awsfirelens");
  EXPECT_FALSE(targets[1].essential);
  EXPECT_FALSE(targets[2].awslogs);
  EXPECT_EQ(targets[2].region, "us-east-1");
}

TEST(ConsoleUrls, PartitionAwareAndEncoded) {
  EXPECT_EQ(TaskConsoleUrl("us-east-1", "prod", "abc"),
            "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/abc/"
            "configuration?region=us-east-1");
  EXPECT_EQ(LogStreamConsoleUrl("cn-north-1", "/ecs/api", "ecs/app/abc"),
            "https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1"
            "#logsV2:log-groups/log-group/$252Fecs$252Fapi/log-events/ecs$252Fapp$252Fabc");
}

}  // namespace
}  // namespace ecsmig

namespace ecsmig {
namespace {

TEST(AnswerShapes, ArnsOfTheRightKindPass) {
  EXPECT_EQ(RequireTaskArnAnswer("arn:aws:ecs:us-east-1:123456789012:task/prod/"
                                 "0123456789abcdef0123456789abcdef"),
            "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef");
  EXPECT_NO_THROW(RequireClusterArnAnswer("arn:aws:ecs:us-east-1:123456789012:cluster/prod"));
  EXPECT_NO_THROW(
      RequireTaskDefinitionArnAnswer("arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"));
  EXPECT_NO_THROW(RequireLogGroupName("/ecs/api#1"));
  EXPECT_NO_THROW(RequireLogStreamName("ecs/app/0123"));
}

TEST(AnswerShapes, AnythingElseIsAnErrorExit1) {
  const char* bad_task_arns[] = {"", "0123456789abcdef0123456789abcdef", "task/x",
                                 "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                                 "arn:aws:ecs:us-east-1:123456789012:task/prod/x\n::warning::x"};
  for (const char* bad : bad_task_arns) {
    try {
      RequireTaskArnAnswer(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const UsageError&) {
      ADD_FAILURE() << "an answer is not the user's input: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitFailed);
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(RequireClusterArnAnswer("prod"), Error);
  EXPECT_THROW(RequireClusterArnAnswer("arn:aws:ecs:us-east-1:123456789012:task/prod/x"), Error);
  EXPECT_THROW(RequireTaskDefinitionArnAnswer("api:7"), Error);
  EXPECT_THROW(
      RequireTaskDefinitionArnAnswer("arn:aws:ecs:us-east-1:123456789012:task-definition/api"),
      Error);
  EXPECT_THROW(RequireLogGroupName(""), Error);
  EXPECT_THROW(RequireLogGroupName("/ecs/api name"), Error);
  EXPECT_THROW(RequireLogGroupName(std::string(513, 'a')), Error);
  EXPECT_THROW(RequireLogStreamName("a:b"), Error);
  EXPECT_THROW(RequireLogStreamName("a*"), Error);
  EXPECT_THROW(RequireLogStreamName("a\nb"), Error);
}

}  // namespace
}  // namespace ecsmig
