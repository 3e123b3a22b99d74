#include "common/ecs/default_launch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base/error.h"
#include "common/testing/fake_aws.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const char kClusterArn[] = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";

TEST(DefaultLaunch, ClusterStrategyFirst) {
  ClusterDescription cluster{kClusterArn,
                             json::parse(R"([{"capacityProvider":"FARGATE_SPOT","weight":1}])")};
  ExplicitLaunch launch =
      DefaultLaunch(cluster, json{{"requiresCompatibilities", json::array({"FARGATE"})}});
  EXPECT_EQ(launch.capacity_provider_strategy, cluster.default_capacity_provider_strategy);
  EXPECT_EQ(launch.launch_type, "");
}

TEST(DefaultLaunch, FargateOnlyTaskDefinitionGetsFargateElseEc2) {
  ClusterDescription cluster{kClusterArn, json::array()};
  EXPECT_EQ(DefaultLaunch(cluster, json{{"requiresCompatibilities", {"FARGATE"}}}).launch_type,
            "FARGATE");
  EXPECT_EQ(
      DefaultLaunch(cluster, json{{"requiresCompatibilities", {"EC2", "FARGATE"}}}).launch_type,
      "EC2");
  EXPECT_EQ(DefaultLaunch(cluster, json::object()).launch_type, "EC2");
  EXPECT_EQ(DefaultLaunch(cluster, json{{"requiresCompatibilities", json::array()}}).launch_type,
            "EC2");
  EXPECT_TRUE(DefaultLaunch(cluster, json::object()).capacity_provider_strategy.is_null());
}

TEST(DescribeCluster, ReadsArnAndStrategy) {
  FakeAws aws;
  aws.Expect("DescribeClusters",
             {{"clusters",
               {{{"clusterArn", kClusterArn},
                 {"status", "ACTIVE"},
                 {"defaultCapacityProviderStrategy", {{{"capacityProvider", "FARGATE"}}}}}}}});
  ClusterDescription cluster = DescribeCluster(aws, "prod");
  EXPECT_EQ(cluster.arn, kClusterArn);
  EXPECT_EQ(cluster.default_capacity_provider_strategy.size(), 1u);
  EXPECT_EQ(aws.RequestsOf("DescribeClusters")[0]["clusters"], json({"prod"}));
}

TEST(DescribeCluster, MissingInactiveAndMalformedAreErrors) {
  FakeAws aws;
  aws.Expect("DescribeClusters",
             json::parse(R"({"clusters":[],"failures":[{"arn":"x","reason":"MISSING"}]})"));
  try {
    DescribeCluster(aws, "prod");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'prod' was not found in region eu-west-1"));
    EXPECT_THAT(e.what(), HasSubstr("MISSING"));
  }
  aws.Expect("DescribeClusters",
             {{"clusters", {{{"clusterArn", kClusterArn}, {"status", "INACTIVE"}}}}});
  EXPECT_THROW(DescribeCluster(aws, "prod"), Error);
  aws.Expect("DescribeClusters", {{"clusters", {{{"clusterArn", "prod\n::x"}}}}});
  EXPECT_THROW(DescribeCluster(aws, "prod"), Error);
}

}  // namespace
}  // namespace ecsmig
