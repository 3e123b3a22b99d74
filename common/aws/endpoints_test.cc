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
    return SourcedValue{c.profile_region, "region of profile 'p'"};
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

TEST(RegionNameTest, AcceptsEveryPartitionsNames) {
  for (const char* name : {"us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1",
                           "us-isob-east-1", "ap-southeast-5", "il-central-1", "aws-global"}) {
    EXPECT_TRUE(IsRegionName(name)) << name;
  }
}

TEST(RegionNameTest, RefusesWhatIsNoRegion) {
  for (const char* value : {"", "x@127.0.0.1:8080/", "not a region", "US-EAST-1", "us-east-1/",
                            "us_east_1", "-us-east-1", "us-east-1-", "us--east-1", "1us-east",
                            "us-east-1\n", "ecs.us-east-1.amazonaws.com", "us-east-1#"}) {
    EXPECT_FALSE(IsRegionName(value)) << value;
  }
  EXPECT_FALSE(IsRegionName(std::string(64, 'a')));
}

// One check for every source, and the message names the source.
TEST(ResolveRegionTest, ABadValueIsRefusedNamingItsSource) {
  auto message = [](const std::string& flag, std::map<std::string, std::string> vars,
                    const std::string& profile_region) -> std::string {
    MapEnvironment env(vars);
    try {
      ResolveRegion(flag, env, [&] {
        return SourcedValue{profile_region, "region of profile 'dev' in /c"};
      });
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(message("", {{"AWS_REGION", "x@127.0.0.1:9/"}}, ""),
            "AWS_REGION: 'x@127.0.0.1:9/' is not a region name (e.g. us-east-1, eu-central-2, "
            "us-gov-west-1)");
  EXPECT_EQ(
      message("", {{"AWS_DEFAULT_REGION", "not a region"}}, "").rfind("AWS_DEFAULT_REGION: ", 0),
      0u);
  EXPECT_EQ(message("", {}, "US-EAST-1").rfind("region of profile 'dev' in /c: 'US-EAST-1'", 0),
            0u);
  EXPECT_EQ(message("Eu-West-1", {}, "").rfind("--region: ", 0), 0u);
  EXPECT_EQ(message("eu-west-1", {{"AWS_DEFAULT_REGION", "bad one"}}, "")
                .rfind("AWS_DEFAULT_REGION: ", 0),
            0u)
      << "a shadowed value is checked too";
  MapEnvironment env;
  try {
    ResolveRegion("bad region", env, nullptr, "the task's region");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("the task's region: ", 0), 0u);
  }
}

TEST(EndpointUrlTest, AcceptsUrlsWithHostPortAndPath) {
  for (const char* url : {"http://localhost:4566", "https://ecs.eu-west-1.amazonaws.com",
                          "http://127.0.0.1:8080/", "https://vpce-1.ecs.x.vpce.amazonaws.com/base",
                          "http://[::1]:9000", "HTTPS://Example.COM", "http://my_host:1/a/b"}) {
    EXPECT_TRUE(IsEndpointUrl(url)) << url;
  }
}

TEST(EndpointUrlTest, RefusesWhatDoesNotParse) {
  for (const char* url : {"garbage", "", "ftp://host", "http://", "http:///path", "http://host:0",
                          "http://host:65536", "http://host:abc", "http://user:pw@host",
                          "http://host/a b", "http://host/?x=1", "http://host/#f", "http://ho st",
                          "http://[::1", "http://host:", "//host", "http:/host", "http://host\n"}) {
    EXPECT_FALSE(IsEndpointUrl(url)) << url;
  }
}

ProfileSettings ProfileWithEndpoints() {
  ProfileSettings profile;
  profile.label = "profile 'dev' in /c";
  profile.services_label = "services section 'local' in /c";
  profile.endpoint_url = "http://profile-global:1";
  profile.service_endpoint_urls = {{"ecs", "http://services-ecs:2"},
                                   {"cloudwatch_logs", "http://services-logs:3"}};
  return profile;
}

TEST(ResolveEndpointTest, SharedConfigComesAfterTheEnvironment) {
  ProfileSettings profile = ProfileWithEndpoints();
  MapEnvironment env;
  EXPECT_EQ(ResolveEndpoint(AwsService::kEcs, "", "eu-west-1", env, profile),
            "http://services-ecs:2");
  EXPECT_EQ(ResolveEndpoint(AwsService::kLogs, "", "eu-west-1", env, profile),
            "http://services-logs:3");
  EXPECT_EQ(ResolveEndpoint(AwsService::kSts, "", "eu-west-1", env, profile),
            "http://profile-global:1")
      << "no sts key in the services section: the profile's endpoint_url";
  env.Set("AWS_ENDPOINT_URL", "http://env-global:4");
  EXPECT_EQ(ResolveEndpoint(AwsService::kEcs, "", "eu-west-1", env, profile),
            "http://env-global:4");
  env.Set("AWS_ENDPOINT_URL_ECS", "http://env-ecs:5");
  EXPECT_EQ(ResolveEndpoint(AwsService::kEcs, "", "eu-west-1", env, profile), "http://env-ecs:5");
  EXPECT_EQ(ResolveEndpoint(AwsService::kEcs, "http://flag:6", "eu-west-1", env, profile),
            "http://flag:6");
}

TEST(ResolveEndpointTest, IgnoreConfiguredEndpointUrlsFromEitherPlace) {
  ProfileSettings profile = ProfileWithEndpoints();
  MapEnvironment env({{"AWS_ENDPOINT_URL", "http://env-global:4"}});
  profile.ignore_configured_endpoint_urls = "true";
  EXPECT_EQ(ResolveEndpoint(AwsService::kEcs, "", "eu-west-1", env, profile),
            "https://ecs.eu-west-1.amazonaws.com");
  EXPECT_EQ(ResolveEndpoint(AwsService::kEcs, "http://flag:6", "eu-west-1", env, profile),
            "http://flag:6");
  profile.ignore_configured_endpoint_urls = "false";
  env.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  EXPECT_EQ(ResolveEndpoint(AwsService::kLogs, "", "eu-west-1", env, profile),
            "https://logs.eu-west-1.amazonaws.com");
}

TEST(ResolveEndpointTest, ABadUrlIsRefusedNamingItsSourceEvenWhenShadowed) {
  auto message = [](const std::string& flag, std::map<std::string, std::string> vars,
                    const ProfileSettings& profile) -> std::string {
    MapEnvironment env(vars);
    try {
      ResolveEndpoint(AwsService::kEcs, flag, "eu-west-1", env, profile);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  ProfileSettings good = ProfileWithEndpoints();
  EXPECT_EQ(
      message("", {{"AWS_ENDPOINT_URL", "garbage"}}, {}).rfind("AWS_ENDPOINT_URL: 'garbage'", 0),
      0u);
  EXPECT_EQ(
      message("", {{"AWS_ENDPOINT_URL_ECS", "http://ok:1"}, {"AWS_ENDPOINT_URL", "garbage"}}, good)
          .rfind("AWS_ENDPOINT_URL: ", 0),
      0u);
  EXPECT_EQ(message("", {{"AWS_ENDPOINT_URL_ECS", "x y"}}, good).rfind("AWS_ENDPOINT_URL_ECS: ", 0),
            0u);
  ProfileSettings bad_service = good;
  bad_service.service_endpoint_urls["ecs"] = "nope";
  EXPECT_EQ(message("", {}, bad_service)
                .rfind("ecs endpoint_url of services section 'local' in /c: 'nope'", 0),
            0u);
  ProfileSettings bad_global = good;
  bad_global.endpoint_url = "http://[";
  EXPECT_EQ(message("", {}, bad_global).rfind("endpoint_url of profile 'dev' in /c: ", 0), 0u);
  EXPECT_EQ(message("http://flag:1", {}, bad_global).rfind("endpoint_url of profile", 0), 0u);
  EXPECT_EQ(message("", {}, good), "(accepted)");
}

TEST(RegionalEndpointTest, SsoPortal) {
  EXPECT_EQ(RegionalEndpoint(AwsService::kSso, "eu-west-1"),
            "https://portal.sso.eu-west-1.amazonaws.com");
  EXPECT_EQ(RegionalEndpoint(AwsService::kSso, "cn-north-1"),
            "https://portal.sso.cn-north-1.amazonaws.com.cn");
}

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
