#include "common/ecs/resolve_network.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/testing/fake_aws.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const char kTdArn[] = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7";

json Service(json extra = json::object()) {
  json s = {{"serviceArn", "arn:aws:ecs:eu-west-1:123456789012:service/prod/api"},
            {"serviceName", "api"},
            {"status", "ACTIVE"},
            {"taskDefinition", kTdArn},
            {"launchType", "FARGATE"},
            {"platformVersion", "1.4.0"},
            {"networkConfiguration",
             {{"awsvpcConfiguration",
               {{"subnets", {"subnet-1", "subnet-2"}},
                {"securityGroups", {"sg-1"}},
                {"assignPublicIp", "DISABLED"}}}}}};
  s.update(extra);
  return {{"services", {s}}, {"failures", json::array()}};
}

json TaskDefinition(std::string network_mode = "awsvpc") {
  return {{"taskDefinition",
           {{"taskDefinitionArn", kTdArn},
            {"family", "api"},
            {"networkMode", network_mode},
            {"containerDefinitions", {{{"name", "app"}, {"essential", true}}}}}}};
}

json Missing() {
  return json::parse(
      R"({"services":[],"failures":[{"arn":"arn:aws:ecs:eu-west-1:1:service/prod/api","reason":"MISSING"}]})");
}

class ResolveNetworkTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) {
    return h.Run(ResolveNetworkSpec(h.AwsFactory()), std::move(args));
  }
  ToolHarness h;
};

TEST_F(ResolveNetworkTest, ReadsEverythingFromTheService) {
  h.aws.Expect("DescribeServices", Service());
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api"}), 0) << h.err.str();
  auto o = h.Outputs();
  EXPECT_EQ(o["subnets"], "subnet-1,subnet-2");
  EXPECT_EQ(o["security_groups"], "sg-1");
  EXPECT_EQ(o["assign_public_ip"], "DISABLED");
  EXPECT_EQ(json::parse(o["network_configuration"]),
            json::parse(R"({"awsvpcConfiguration":{"subnets":["subnet-1","subnet-2"],
                "securityGroups":["sg-1"],"assignPublicIp":"DISABLED"}})"));
  EXPECT_EQ(o["task_definition"], kTdArn);
  EXPECT_EQ(o["launch_type"], "FARGATE");
  EXPECT_EQ(o["capacity_provider_strategy"], "");
  EXPECT_EQ(o["platform_version"], "1.4.0");
  EXPECT_EQ(o["network_mode"], "awsvpc");
  EXPECT_EQ(o["source"], "service");
  // The service's awsvpcConfiguration and task definition ARN settle every
  // output: one call, no DescribeTaskDefinition.
  EXPECT_EQ(h.aws.requests().size(), 1u);
  EXPECT_EQ(h.aws.CountOf("DescribeServices"), 1u);
}

TEST_F(ResolveNetworkTest, AwsvpcServiceWithOverridesMakesOneCall) {
  h.aws.Expect("DescribeServices", Service());
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--subnets", "subnet-9",
                 "--assign-public-ip", "ENABLED"}),
            0)
      << h.err.str();
  EXPECT_EQ(h.aws.requests().size(), 1u);
  EXPECT_EQ(h.Outputs()["subnets"], "subnet-9");
  EXPECT_EQ(h.Outputs()["task_definition"], kTdArn);
}

TEST_F(ResolveNetworkTest, ServiceWithoutNetworkConfigurationReadsTheTaskDefinition) {
  // Without an awsvpcConfiguration the network mode is open (bridge, host,
  // none, or awsvpc with the subnets to come from --subnets).
  json service = Service();
  service["services"][0].erase("networkConfiguration");
  h.aws.Expect("DescribeServices", service).Expect("DescribeTaskDefinition", TaskDefinition());
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--subnets", "subnet-9"}), 0)
      << h.err.str();
  EXPECT_EQ(h.aws.requests().size(), 2u);
  EXPECT_EQ(h.aws.RequestsOf("DescribeTaskDefinition")[0]["taskDefinition"], kTdArn);
  EXPECT_EQ(h.Outputs()["network_mode"], "awsvpc");
  EXPECT_EQ(h.Outputs()["subnets"], "subnet-9");
}

TEST_F(ResolveNetworkTest, TaskDefinitionWithoutRevisionIsDescribedAndPinned) {
  h.aws.Expect("DescribeServices", Service({{"taskDefinition", "api"}}))
      .Expect("DescribeTaskDefinition", TaskDefinition());
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api"}), 0) << h.err.str();
  EXPECT_EQ(h.aws.requests().size(), 2u);
  EXPECT_EQ(h.aws.RequestsOf("DescribeTaskDefinition")[0]["taskDefinition"], "api");
  EXPECT_EQ(h.Outputs()["task_definition"], kTdArn);
}

TEST_F(ResolveNetworkTest, ExplicitValuesOverrideFieldByField) {
  h.aws.Expect("DescribeServices", Service());
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--security-groups", "sg-9,sg-8",
                 "--assign-public-ip", "ENABLED"}),
            0)
      << h.err.str();
  auto o = h.Outputs();
  EXPECT_EQ(o["subnets"], "subnet-1,subnet-2") << "not overridden: the service's";
  EXPECT_EQ(o["security_groups"], "sg-9,sg-8");
  EXPECT_EQ(o["assign_public_ip"], "ENABLED");
  EXPECT_EQ(o["source"], "service+inputs");
}

TEST_F(ResolveNetworkTest, CapacityProviderStrategyOmitsLaunchType) {
  h.aws.Expect("DescribeServices",
               Service({{"capacityProviderStrategy",
                         {{{"capacityProvider", "FARGATE_SPOT"}, {"weight", 1}}}}}));
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api"}), 0) << h.err.str();
  auto o = h.Outputs();
  EXPECT_EQ(o["launch_type"], "");
  EXPECT_EQ(json::parse(o["capacity_provider_strategy"])[0]["capacityProvider"], "FARGATE_SPOT");
}

TEST_F(ResolveNetworkTest, BridgeModeNeedsNoNetworkConfiguration) {
  json service = Service();
  service["services"][0].erase("networkConfiguration");
  service["services"][0]["launchType"] = "EC2";
  h.aws.Expect("DescribeServices", service)
      .Expect("DescribeTaskDefinition", TaskDefinition("bridge"));
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api"}), 0) << h.err.str();
  auto o = h.Outputs();
  EXPECT_EQ(o["network_configuration"], "");
  EXPECT_EQ(o["network_mode"], "bridge");
  EXPECT_EQ(o["launch_type"], "EC2");
  EXPECT_EQ(h.aws.requests().size(), 2u);
}

TEST_F(ResolveNetworkTest, MissingServiceFallsBackToInputsWithNotice) {
  h.aws.Expect("DescribeServices", Missing());
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--subnets", "subnet-5"}), 0)
      << h.err.str();
  auto o = h.Outputs();
  EXPECT_EQ(o["source"], "inputs");
  EXPECT_EQ(o["subnets"], "subnet-5");
  EXPECT_EQ(o["task_definition"], "");
  EXPECT_THAT(h.err.str(), HasSubstr("not found (MISSING)"));
}

TEST_F(ResolveNetworkTest, InactiveServiceFallsBackToo) {
  h.aws.Expect("DescribeServices", Service({{"status", "INACTIVE"}}));
  ASSERT_EQ(Run({"--cluster", "prod", "--service", "api", "--subnets", "subnet-5"}), 0);
  EXPECT_EQ(h.Outputs()["source"], "inputs");
  EXPECT_THAT(h.err.str(), HasSubstr("INACTIVE"));
}

TEST_F(ResolveNetworkTest, MissingServiceWithoutFallbackNamesBothFixes) {
  h.aws.Expect("DescribeServices", Missing());
  EXPECT_EQ(Run({"--cluster", "prod", "--service", "api"}), 1);
  EXPECT_THAT(h.err.str(), HasSubstr("--subnets"));
  EXPECT_THAT(h.err.str(), HasSubstr("--service/--cluster"));
  EXPECT_TRUE(h.Outputs().empty());
}

TEST_F(ResolveNetworkTest, InputsOnlyMakesNoAwsCall) {
  ASSERT_EQ(
      Run({"--cluster", "prod", "--subnets", "subnet-1, subnet-2", "--security-groups", "sg-1"}), 0)
      << h.err.str();
  EXPECT_EQ(h.clients_built, 0);
  EXPECT_EQ(h.Outputs()["source"], "inputs");
  EXPECT_EQ(h.Outputs()["subnets"], "subnet-1,subnet-2");
}

TEST_F(ResolveNetworkTest, BadInputExitsTwoBeforeAnyAwsCall) {
  std::vector<std::vector<std::string>> cases = {
      {"--cluster", "prod"},
      {"--service", "api"},
      {"--cluster", "prod", "--service", "api", "--subnets", "subnet-XYZ"},
      {"--cluster", "prod", "--service", "api", "--security-groups", "group-1"},
      {"--cluster", "prod", "--service", "api", "--assign-public-ip", "maybe"},
      {"--cluster", "prod", "--security-groups", "sg-1"},
      {"--cluster", "bad cluster", "--service", "api"},
      {"--cluster", "prod", "--service", "api", "--bogus"},
      {"--cluster", "prod", "--service", "api", "--subnets", ""},
  };
  for (const auto& args : cases) {
    h.err.str("");
    EXPECT_EQ(Run(args), 2) << ::testing::PrintToString(args) << h.err.str();
  }
  EXPECT_EQ(h.clients_built, 0);
  EXPECT_TRUE(h.aws.requests().empty());
}

// ResolveLaunch called as a library (run-migration-task's way).
class ResolveLaunchTest : public ::testing::Test {
 protected:
  ResolvedLaunch Resolve(const std::string& service, const std::string& task_definition) {
    LaunchInputs inputs;
    inputs.cluster = "prod";
    inputs.service = service;
    inputs.task_definition = task_definition;
    return ResolveLaunch(aws, inputs, log);
  }
  FakeAws aws;
  std::ostringstream err;
  Redactor redactor;
  Logger log{"t", err, false, Verbosity::kNormal, redactor};
};

TEST_F(ResolveLaunchTest, TaskDefinitionOverrideIsDescribedAndPinned) {
  aws.Expect("DescribeServices", Service());
  aws.Expect("DescribeTaskDefinition", TaskDefinition());
  ResolvedLaunch launch = Resolve("api", "migrate");
  EXPECT_EQ(aws.RequestsOf("DescribeTaskDefinition")[0]["taskDefinition"], "migrate");
  EXPECT_EQ(launch.task_definition, kTdArn) << "the described revision is pinned";
  EXPECT_EQ(launch.source, "service+inputs");
}

TEST_F(ResolveLaunchTest, RequiredDetailAlwaysDescribesTheTaskDefinition) {
  // run-migration-task needs the containers and their log configuration.
  aws.Expect("DescribeServices", Service());
  aws.Expect("DescribeTaskDefinition", TaskDefinition());
  ResolvedLaunch launch = Resolve("api", "");
  EXPECT_EQ(aws.requests().size(), 2u);
  EXPECT_EQ(launch.task_definition_json["family"], "api");
  EXPECT_EQ(launch.network_mode, "awsvpc");
}

TEST_F(ResolveLaunchTest, AwsvpcWithoutSubnetsIsAnError) {
  aws.Expect("DescribeTaskDefinition", TaskDefinition());
  EXPECT_THROW(Resolve("", "api"), Error);
}

}  // namespace
}  // namespace ecsmig
