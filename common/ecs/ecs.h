// ECS vocabulary shared by the ECS and Logs tools: identifiers as users type
// them (names, ARNs, ids), where a container's awslogs output goes, and
// console links.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

// A parsed arn:PARTITION:ecs:REGION:ACCOUNT:RESOURCE.
struct EcsArn {
  std::string partition, region, account;
  std::string resource_type;  // "task", "cluster", "service", "task-definition", ...
  std::string resource;       // everything after "<type>/"
};

// On a malformed ARN, throws UsageError naming `flag`.
EcsArn ParseEcsArn(std::string_view arn, std::string_view flag);

// --cluster NAME|ARN: returns the value to send (unchanged) after validating it.
std::string ValidateClusterRef(std::string_view value, std::string_view flag = "cluster");
// --service NAME|ARN.
std::string ValidateServiceRef(std::string_view value, std::string_view flag = "service");
// --task-definition FAMILY[:REV]|ARN.
std::string ValidateTaskDefinitionRef(std::string_view value,
                                      std::string_view flag = "task-definition");
// --container NAME.
std::string ValidateContainerName(std::string_view value, std::string_view flag = "container");

// The cluster's short name from a name or ARN ("arn:...:cluster/prod" → "prod").
std::string ClusterName(std::string_view cluster_ref);

struct TaskRef {
  std::string value;    // what to send to ECS (the ARN or id as given)
  std::string task_id;  // the id alone
  std::string cluster;  // cluster name from a long-format ARN, else ""
  std::string region;   // region from an ARN, else ""
};
// --task ARN|ID. Accepts arn:...:task/CLUSTER/ID, the old arn:...:task/ID, or
// a bare id (32 hex characters or a UUID). On error, throws UsageError.
TaskRef ParseTaskRef(std::string_view value, std::string_view flag = "task");

// ---- Values from AWS answers that become outputs ------------------------------
// Each returns `value` when it has its documented shape; otherwise it throws
// Error (exit 1) naming `field` and the value (escaped), so that a malformed
// or hostile answer never becomes an output.

// arn:PARTITION:ecs:REGION:ACCOUNT:task/[CLUSTER/]ID.
std::string RequireTaskArnAnswer(std::string_view value, std::string_view field = "taskArn");
// arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME.
std::string RequireClusterArnAnswer(std::string_view value, std::string_view field = "clusterArn");
// arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION.
std::string RequireTaskDefinitionArnAnswer(std::string_view value,
                                           std::string_view field = "taskDefinitionArn");
// A CloudWatch Logs group name: 1..512 of [.-_/#A-Za-z0-9].
std::string RequireLogGroupName(std::string_view value, std::string_view field = "awslogs-group");
// A CloudWatch Logs stream name: 1..512 characters, no ':' or '*', no control character.
std::string RequireLogStreamName(std::string_view value, std::string_view field = "log stream");

// Where one container of a task sends its logs.
struct LogTarget {
  std::string container;
  std::string log_driver;  // "awslogs", "awsfirelens", "" (none), ...
  bool awslogs = false;    // true when log_driver is awslogs with a group
  std::string group;
  std::string stream;  // "<prefix>/<container>/<task-id>"; "" without a prefix
  std::string region;  // awslogs-region, else `default_region`
  bool essential = true;
};

// One LogTarget per container definition of `task_definition` (the
// DescribeTaskDefinition "taskDefinition" object), for task `task_id`.
std::vector<LogTarget> DeriveLogTargets(const nlohmann::json& task_definition,
                                        std::string_view task_id, std::string_view default_region);

// Console links (partition-aware: aws, aws-cn, aws-us-gov).
std::string TaskConsoleUrl(std::string_view region, std::string_view cluster_name,
                           std::string_view task_id);
std::string LogStreamConsoleUrl(std::string_view region, std::string_view group,
                                std::string_view stream);

}  // namespace ecsmig
