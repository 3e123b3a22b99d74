// resolve-network: how a one-off task must be launched, read from the live
// ECS service, with explicit values as fallback or field-by-field override.
// run-migration-task calls ResolveLaunch as a library.
#pragma once

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "common/aws/aws.h"
#include "common/ecs/ecs_task.h"
#include "common/github/cli.h"

namespace ecsmig {

// What the user said. Empty fields were not given.
struct LaunchInputs {
  std::string cluster;
  std::string service;
  AwsvpcSettings network;  // --subnets, --security-groups, --assign-public-ip
  std::string launch_type;
  nlohmann::json capacity_provider_strategy;  // null when not given
  std::string platform_version;
  // run-migration-task --task-definition: wins over the service's.
  std::string task_definition;

  bool HasNetworkValues() const {
    return !network.subnets.empty() || !network.security_groups.empty() ||
           !network.assign_public_ip.empty();
  }
  bool HasExplicitValues() const {
    return HasNetworkValues() || !launch_type.empty() || !capacity_provider_strategy.is_null() ||
           !platform_version.empty();
  }
};

// How to launch.
struct ResolvedLaunch {
  std::string source;  // "service", "inputs", "service+inputs"
  std::string service_arn;
  std::string task_definition;           // the ARN when one was read, else as given
  nlohmann::json task_definition_json;   // the described task definition, or null
  std::string network_mode;              // "" when no task definition was read or settled
  bool network_required = true;          // false for bridge/host/none network modes
  AwsvpcSettings network;                // merged; assign_public_ip defaults to DISABLED
  nlohmann::json network_configuration;  // RunTask's networkConfiguration, or null
  std::string launch_type;
  nlohmann::json capacity_provider_strategy;  // array or null
  std::string platform_version;
};

// Whether ResolveLaunch must describe the task definition.
enum class TaskDefinitionDetail {
  // Always (run-migration-task needs its containers and log configuration).
  kRequired,
  // Only when the service's answer leaves the launch open (resolve-network):
  // a service with an awsvpcConfiguration runs an awsvpc task definition (ECS
  // refuses a network configuration for any other network mode), and its
  // taskDefinition is already the ARN of one revision, so DescribeServices
  // settles every output and DescribeTaskDefinition is skipped.
  kIfUnsettled,
};

// Reads the service (when inputs.service is set) and the task definition,
// merges explicit values over the service's. A missing or INACTIVE service
// falls back to the explicit values with a notice; with no explicit values
// (and no --task-definition) it throws Error (exit 1) naming both fixes. An
// awsvpc task without subnets throws Error. AWS errors propagate. With
// kIfUnsettled, task_definition_json may stay null (see TaskDefinitionDetail).
ResolvedLaunch ResolveLaunch(AwsJsonService& ecs, const LaunchInputs& inputs, Logger& log,
                             TaskDefinitionDetail detail = TaskDefinitionDetail::kRequired);

// --subnets, --security-groups, --assign-public-ip.
void AddNetworkOptions(cxxopts::Options& options);
// Reads and validates them. On error, throws UsageError.
AwsvpcSettings ReadNetworkOptions(const cxxopts::ParseResult& args);

// Writes subnets, security_groups, assign_public_ip, network_configuration,
// task_definition, launch_type, capacity_provider_strategy, platform_version,
// network_mode, source.
void WriteLaunchOutputs(const ResolvedLaunch& launch, OutputWriter& outputs);

ToolSpec ResolveNetworkSpec(AwsClientFactory aws_factory = RealAwsClientFactory());

}  // namespace ecsmig
