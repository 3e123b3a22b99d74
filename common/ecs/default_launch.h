// What ECS does with a RunTask that names neither a launch type nor a
// capacity provider strategy, made explicit: run-migration-task sends the
// launch it chose and says so, instead of leaving it to the cluster.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/aws/aws.h"

namespace ecsmig {

// What DescribeClusters says about one cluster.
struct ClusterDescription {
  std::string arn;                                    // checked: a cluster ARN
  nlohmann::json default_capacity_provider_strategy;  // array, empty when none
};

// Calls DescribeClusters for one cluster. A cluster ECS reports in `failures`
// (MISSING) or as INACTIVE throws Error naming it; AWS errors propagate.
ClusterDescription DescribeCluster(AwsJsonService& ecs, const std::string& cluster);

// An explicit launch: a launch type, or a capacity provider strategy.
struct ExplicitLaunch {
  std::string launch_type;                    // "" when a strategy is used
  nlohmann::json capacity_provider_strategy;  // array, or null
  std::string why;                            // for the log: where it came from
};

// ECS's rule for a RunTask with no launch settings: the cluster's default
// capacity provider strategy when it has one; else the EC2 launch type. A
// task definition whose requiresCompatibilities is only FARGATE cannot run on
// EC2 (RunTask would fail), so it gets FARGATE, which is what its author meant.
ExplicitLaunch DefaultLaunch(const ClusterDescription& cluster,
                             const nlohmann::json& task_definition);

}  // namespace ecsmig
