#include "common/aws/endpoints.h"

#include <gtest/gtest.h>

#include "common/base/error.h"

namespace ecsmig {
namespace {

struct RegionCase {
  std::string name;
  std::string flag;
  std::map<std::string, std::string> env;
  std::string profile_region;
  std::string expected;  // "" = UsageError
};

class ResolveRegionTest : public testing::TestWithParam<RegionCase> {};

TEST_P(ResolveRegionTest, FollowsThePrecedence) {
  const RegionCase& c = GetParam();
  MapEnvironment env(c.env);
  bool profile_read = false;
  auto profile = [&] {
    profile_read = true;
    return c.profile_region;
  };
  if (c.expected.empty()) {
    try {
      ResolveRegion(c.flag, env, profile);
      FAIL() << "expected UsageError";
    } catch (const UsageError& e) {
      EXPECT_STREQ(e.what(), "no AWS region: pass --region or set AWS_REGION");
    }
  } else {
    EXPECT_EQ(ResolveRegion(c.flag, env, profile), c.expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ResolveRegionTest,
    testing::Values(
        RegionCase{"FlagWins",
                   "eu-west-1",
                   {{"AWS_REGION", "us-east-1"}, {"AWS_DEFAULT_REGION", "us-east-2"}},
                   "ap-south-1",
                   "eu-west-1"},
        RegionCase{"AwsRegion",
                   "",
                   {{"AWS_REGION", "us-east-1"}, {"AWS_DEFAULT_REGION", "us-east-2"}},
                   "ap-south-1",
                   "us-east-1"},
        RegionCase{"EmptyAwsRegionFallsThrough",
                   "",
                   {{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "us-east-2"}},
                   "",
                   "us-east-2"},
        RegionCase{
            "DefaultRegion", "", {{"AWS_DEFAULT_REGION", "us-east-2"}}, "ap-south-1", "us-east-2"},
        RegionCase{"Profile", "", {}, "ap-south-1", "ap-south-1"},
        RegionCase{"None", "", {}, "", ""}),
    [](const auto& info) { return info.param.name; });

TEST(ResolveRegionTest, NullProfileLookupIsAllowed) {
  MapEnvironment env;
  EXPECT_THROW(ResolveRegion("", env, nullptr), UsageError);
}

struct EndpointCase {
  std::string name;
  AwsService service;
  std::string flag;
  std::map<std::string, std::string> env;
  std::string region;
  std::string expected;
};

class ResolveEndpointTest : public testing::TestWithParam<EndpointCase> {};

TEST_P(ResolveEndpointTest, FollowsThePrecedence) {
  const EndpointCase& c = GetParam();
  MapEnvironment env(c.env);
  EXPECT_EQ(ResolveEndpoint(c.service, c.flag, c.region, env), c.expected);
}

const std::map<std::string, std::string> kAllEnv = {
    {"AWS_ENDPOINT_URL_ECS", "http://ecs.local:1"},
    {"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://logs.local:2"},
    {"AWS_ENDPOINT_URL_STS", "http://sts.local:3"},
    {"AWS_ENDPOINT_URL", "http://all.local:4/"}};

INSTANTIATE_TEST_SUITE_P(
    Table, ResolveEndpointTest,
    testing::Values(EndpointCase{"FlagWins", AwsService::kEcs, "http://flag:9/", kAllEnv,
                                 "eu-west-1", "http://flag:9"},
                    EndpointCase{"EcsVariable", AwsService::kEcs, "", kAllEnv, "eu-west-1",
                                 "http://ecs.local:1"},
                    EndpointCase{"LogsVariable", AwsService::kLogs, "", kAllEnv, "eu-west-1",
                                 "http://logs.local:2"},
                    EndpointCase{"StsVariable", AwsService::kSts, "", kAllEnv, "eu-west-1",
                                 "http://sts.local:3"},
                    EndpointCase{"GlobalVariable",
                                 AwsService::kLogs,
                                 "",
                                 {{"AWS_ENDPOINT_URL", "http://all:4"}},
                                 "eu-west-1",
                                 "http://all:4"},
                    EndpointCase{"IgnoreConfigured",
                                 AwsService::kEcs,
                                 "",
                                 {{"AWS_ENDPOINT_URL_ECS", "http://x"},
                                  {"AWS_ENDPOINT_URL", "http://y"},
                                  {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}},
                                 "eu-west-1",
                                 "https://ecs.eu-west-1.amazonaws.com"},
                    EndpointCase{"IgnoreConfiguredKeepsFlag",
                                 AwsService::kEcs,
                                 "http://flag",
                                 {{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}},
                                 "eu-west-1",
                                 "http://flag"},
                    EndpointCase{"RegionalEcs",
                                 AwsService::kEcs,
                                 "",
                                 {},
                                 "eu-west-1",
                                 "https://ecs.eu-west-1.amazonaws.com"},
                    EndpointCase{"RegionalLogs",
                                 AwsService::kLogs,
                                 "",
                                 {},
                                 "us-east-1",
                                 "https://logs.us-east-1.amazonaws.com"},
                    EndpointCase{"RegionalSts",
                                 AwsService::kSts,
                                 "",
                                 {},
                                 "ap-southeast-2",
                                 "https://sts.ap-southeast-2.amazonaws.com"},
                    EndpointCase{"China",
                                 AwsService::kEcs,
                                 "",
                                 {},
                                 "cn-north-1",
                                 "https://ecs.cn-north-1.amazonaws.com.cn"},
                    EndpointCase{"ChinaLogs",
                                 AwsService::kLogs,
                                 "",
                                 {},
                                 "cn-northwest-1",
                                 "https://logs.cn-northwest-1.amazonaws.com.cn"},
                    EndpointCase{"GovCloud",
                                 AwsService::kSts,
                                 "",
                                 {},
                                 "us-gov-west-1",
                                 "https://sts.us-gov-west-1.amazonaws.com"}),
    [](const auto& info) { return info.param.name; });

TEST(PartitionTest, Partitions) {
  EXPECT_EQ(PartitionFor("eu-west-1"), "aws");
  EXPECT_EQ(PartitionFor("cn-north-1"), "aws-cn");
  EXPECT_EQ(PartitionFor("us-gov-east-1"), "aws-us-gov");
  EXPECT_EQ(PartitionFor("us-east-1"), "aws");
  EXPECT_EQ(DnsSuffixFor("cn-northwest-1"), "amazonaws.com.cn");
  EXPECT_EQ(DnsSuffixFor("us-gov-west-1"), "amazonaws.com");
}

}  // namespace
}  // namespace ecsmig
