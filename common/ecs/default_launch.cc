#include "common/ecs/default_launch.h"

#include "common/base/error.h"
#include "common/base/json_field.h"
#include "common/ecs/ecs.h"

namespace ecsmig {

using nlohmann::json;

ClusterDescription DescribeCluster(AwsJsonService& ecs, const std::string& cluster) {
  json response = ecs.Call("DescribeClusters", {{"clusters", json::array({cluster})}});
  const json* found = nullptr;
  if (response.contains("clusters") && response["clusters"].is_array() &&
      !response["clusters"].empty()) {
    found = &response["clusters"][0];
  }
  if (found == nullptr || !found->is_object()) {
    std::string reason = "MISSING";
    if (response.contains("failures") && response["failures"].is_array() &&
        !response["failures"].empty()) {
      reason = JsonString(response["failures"][0], "reason", reason);
    }
    throw Error("cluster '" + ClusterName(cluster) + "' was not found in region " + ecs.region() +
                " (DescribeClusters: " + reason + ")");
  }
  ClusterDescription out;
  out.arn = RequireClusterArnAnswer(JsonString(*found, "clusterArn", std::string()));
  std::string status = JsonString(*found, "status", std::string());
  if (status == "INACTIVE") {
    throw Error("cluster " + out.arn + " is INACTIVE (deleted); no task can start there");
  }
  out.default_capacity_provider_strategy = json::array();
  auto strategy = found->find("defaultCapacityProviderStrategy");
  if (strategy != found->end() && strategy->is_array()) {
    out.default_capacity_provider_strategy = *strategy;
  }
  return out;
}

ExplicitLaunch DefaultLaunch(const ClusterDescription& cluster, const json& task_definition) {
  ExplicitLaunch launch;
  if (!cluster.default_capacity_provider_strategy.empty()) {
    launch.capacity_provider_strategy = cluster.default_capacity_provider_strategy;
    launch.why = "the cluster's default capacity provider strategy";
    return launch;
  }
  bool fargate_only = false;
  auto required = task_definition.find("requiresCompatibilities");
  if (required != task_definition.end() && required->is_array() && !required->empty()) {
    fargate_only = true;
    for (const auto& item : *required) fargate_only = fargate_only && item == "FARGATE";
  }
  if (fargate_only) {
    launch.launch_type = "FARGATE";
    launch.why =
        "the task definition requires FARGATE and the cluster has no default capacity provider "
        "strategy (ECS would use EC2 and refuse it)";
  } else {
    launch.launch_type = "EC2";
    launch.why = "the cluster has no default capacity provider strategy, so ECS uses EC2";
  }
  return launch;
}

}  // namespace ecsmig
