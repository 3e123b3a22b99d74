#include "common/ecs/ecs.h"

#include <algorithm>
#include <cctype>

#include "common/base/error.h"
#include "common/net/percent_encoding.h"

namespace ecsmig {
namespace {

bool IsNameChar(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }

bool IsName(std::string_view s, size_t max = 255) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), IsNameChar);
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

bool IsTaskId(std::string_view s) {
  if (s.size() == 32 && IsHex(s)) return true;
  // Old-format ids are UUIDs: 8-4-4-4-12 hex.
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string Quote(std::string_view s) {
  std::string shown(s.substr(0, 120));
  for (auto& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return "'" + shown + (s.size() > 120 ? "...'" : "'");
}

[[noreturn]] void Fail(std::string_view flag, std::string_view value, std::string_view what) {
  throw UsageError("--" + std::string(flag) + ": " + Quote(value) + " is not " + std::string(what));
}

std::string ConsoleHost(std::string_view region) {
  if (region.rfind("cn-", 0) == 0) return std::string(region) + ".console.amazonaws.cn";
  if (region.rfind("us-gov-", 0) == 0) return std::string(region) + ".console.amazonaws-us-gov.com";
  return std::string(region) + ".console.aws.amazon.com";
}

// JavaScript's encodeURIComponent, which the consoles' routers decode.
std::string EncodeUriComponent(std::string_view s) { return PercentEncode(s, "!*'()"); }

// CloudWatch's console encodes path parts twice and writes '%' as '$'.
std::string CloudWatchConsoleEncode(std::string_view s) {
  std::string twice = EncodeUriComponent(EncodeUriComponent(s));
  std::replace(twice.begin(), twice.end(), '%', '$');
  return twice;
}

// An answer's value is an ARN of the right kind when the flag validator for
// that kind accepts it (their UsageError is turned into an answer error).
template <typename Validator>
std::string RequireArnAnswer(std::string_view value, std::string_view field, std::string_view what,
                             Validator validate) {
  bool fits = value.rfind("arn:", 0) == 0;
  if (fits) {
    try {
      validate(value);
    } catch (const UsageError&) {
      fits = false;
    }
  }
  if (!fits) {
    throw Error("the AWS answer's " + std::string(field) + " " + Quote(value) + " is not " +
                std::string(what) + "; not trusting it");
  }
  return std::string(value);
}

[[noreturn]] void FailLogName(std::string_view field, std::string_view value,
                              std::string_view what) {
  throw Error("the task definition's " + std::string(field) + " " + Quote(value) + " is not " +
              std::string(what));
}

}  // namespace

std::string RequireTaskArnAnswer(std::string_view value, std::string_view field) {
  return RequireArnAnswer(value, field, "a task ARN", [](std::string_view v) { ParseTaskRef(v); });
}

std::string RequireClusterArnAnswer(std::string_view value, std::string_view field) {
  return RequireArnAnswer(value, field, "a cluster ARN",
                          [](std::string_view v) { ValidateClusterRef(v); });
}

std::string RequireTaskDefinitionArnAnswer(std::string_view value, std::string_view field) {
  return RequireArnAnswer(value, field, "a task definition ARN",
                          [](std::string_view v) { ValidateTaskDefinitionRef(v); });
}

std::string RequireLogGroupName(std::string_view value, std::string_view field) {
  bool fits = !value.empty() && value.size() <= 512 &&
              std::all_of(value.begin(), value.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
              });
  if (!fits) FailLogName(field, value, "a CloudWatch Logs group name");
  return std::string(value);
}

std::string RequireLogStreamName(std::string_view value, std::string_view field) {
  bool fits = !value.empty() && value.size() <= 512 &&
              std::none_of(value.begin(), value.end(), [](unsigned char c) {
                return c == ':' || c == '*' || c < 0x20 || c == 0x7f;
              });
  if (!fits) FailLogName(field, value, "a CloudWatch Logs stream name");
  return std::string(value);
}

EcsArn ParseEcsArn(std::string_view arn, std::string_view flag) {
  // arn:partition:ecs:region:account:type/resource
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) Fail(flag, arn, "an ECS ARN");
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view rest = arn.substr(start);
  size_t slash = rest.find('/');
  EcsArn out;
  if (parts[0] != "arn" || parts[2] != "ecs" || slash == std::string_view::npos || slash == 0 ||
      slash + 1 >= rest.size()) {
    Fail(flag, arn, "an ECS ARN (arn:aws:ecs:REGION:ACCOUNT:TYPE/NAME)");
  }
  out.partition = parts[1];
  out.region = parts[3];
  out.account = parts[4];
  if (out.partition.rfind("aws", 0) != 0 || out.region.empty() ||
      !std::all_of(
          out.region.begin(), out.region.end(),
          [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; }) ||
      out.account.size() != 12 ||
      !std::all_of(out.account.begin(), out.account.end(),
                   [](unsigned char c) { return std::isdigit(c); })) {
    Fail(flag, arn, "an ECS ARN (bad partition, region or account)");
  }
  out.resource_type = rest.substr(0, slash);
  out.resource = rest.substr(slash + 1);
  return out;
}

std::string ValidateClusterRef(std::string_view value, std::string_view flag) {
  if (value.rfind("arn:", 0) == 0) {
    EcsArn arn = ParseEcsArn(value, flag);
    if (arn.resource_type != "cluster" || !IsName(arn.resource)) Fail(flag, value, "a cluster ARN");
    return std::string(value);
  }
  if (!IsName(value)) Fail(flag, value, "a cluster name (letters, digits, - and _) or ARN");
  return std::string(value);
}

std::string ValidateServiceRef(std::string_view value, std::string_view flag) {
  if (value.rfind("arn:", 0) == 0) {
    EcsArn arn = ParseEcsArn(value, flag);
    std::string_view name = arn.resource;
    size_t slash = name.find('/');
    if (slash != std::string_view::npos) {
      if (!IsName(name.substr(0, slash))) Fail(flag, value, "a service ARN");
      name = name.substr(slash + 1);
    }
    if (arn.resource_type != "service" || !IsName(name)) Fail(flag, value, "a service ARN");
    return std::string(value);
  }
  if (!IsName(value)) Fail(flag, value, "a service name (letters, digits, - and _) or ARN");
  return std::string(value);
}

std::string ValidateTaskDefinitionRef(std::string_view value, std::string_view flag) {
  std::string_view family_rev = value;
  if (value.rfind("arn:", 0) == 0) {
    EcsArn arn = ParseEcsArn(value, flag);
    if (arn.resource_type != "task-definition") Fail(flag, value, "a task definition ARN");
    family_rev = value.substr(value.size() - arn.resource.size());
    if (family_rev.find(':') == std::string_view::npos) {
      Fail(flag, value, "a task definition ARN (it needs :REVISION)");
    }
  }
  size_t colon = family_rev.find(':');
  std::string_view family = family_rev.substr(0, colon);
  if (!IsName(family)) Fail(flag, value, "a task definition (FAMILY[:REVISION] or ARN)");
  if (colon != std::string_view::npos) {
    std::string_view revision = family_rev.substr(colon + 1);
    if (revision.empty() || revision.size() > 9 ||
        !std::all_of(revision.begin(), revision.end(),
                     [](unsigned char c) { return std::isdigit(c); }) ||
        revision[0] == '0') {
      Fail(flag, value, "a task definition (the revision must be a positive number)");
    }
  }
  return std::string(value);
}

std::string ValidateContainerName(std::string_view value, std::string_view flag) {
  if (!IsName(value)) Fail(flag, value, "a container name (letters, digits, - and _)");
  return std::string(value);
}

std::string ClusterName(std::string_view cluster_ref) {
  size_t slash = cluster_ref.rfind('/');
  if (cluster_ref.rfind("arn:", 0) == 0 && slash != std::string_view::npos) {
    return std::string(cluster_ref.substr(slash + 1));
  }
  return std::string(cluster_ref);
}

TaskRef ParseTaskRef(std::string_view value, std::string_view flag) {
  TaskRef ref;
  ref.value = std::string(value);
  if (value.rfind("arn:", 0) == 0) {
    EcsArn arn = ParseEcsArn(value, flag);
    if (arn.resource_type != "task") Fail(flag, value, "a task ARN");
    ref.region = arn.region;
    size_t slash = arn.resource.find('/');
    if (slash == std::string::npos) {
      ref.task_id = arn.resource;
    } else {
      ref.cluster = arn.resource.substr(0, slash);
      ref.task_id = arn.resource.substr(slash + 1);
      if (!IsName(ref.cluster)) Fail(flag, value, "a task ARN (bad cluster name)");
    }
    if (!IsTaskId(ref.task_id)) Fail(flag, value, "a task ARN (bad task id)");
    return ref;
  }
  if (!IsTaskId(value)) Fail(flag, value, "a task ARN or id (32 hex characters)");
  ref.task_id = std::string(value);
  return ref;
}

std::vector<LogTarget> DeriveLogTargets(const nlohmann::json& task_definition,
                                        std::string_view task_id, std::string_view default_region) {
  std::vector<LogTarget> targets;
  auto containers = task_definition.find("containerDefinitions");
  if (containers == task_definition.end() || !containers->is_array()) return targets;
  for (const auto& container : *containers) {
    if (!container.is_object()) continue;
    LogTarget target;
    target.container = container.value("name", "");
    target.essential = container.value("essential", true);
    target.region = std::string(default_region);
    auto config = container.find("logConfiguration");
    if (config != container.end() && config->is_object()) {
      target.log_driver = config->value("logDriver", "");
      auto options = config->find("options");
      if (target.log_driver == "awslogs" && options != config->end() && options->is_object()) {
        target.group = options->value("awslogs-group", "");
        std::string region = options->value("awslogs-region", "");
        if (!region.empty()) target.region = region;
        std::string prefix = options->value("awslogs-stream-prefix", "");
        if (!prefix.empty()) {
          target.stream = prefix + "/" + target.container + "/" + std::string(task_id);
        }
        target.awslogs = !target.group.empty();
      }
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

std::string TaskConsoleUrl(std::string_view region, std::string_view cluster_name,
                           std::string_view task_id) {
  return "https://" + ConsoleHost(region) + "/ecs/v2/clusters/" + EncodeUriComponent(cluster_name) +
         "/tasks/" + EncodeUriComponent(task_id) + "/configuration?region=" + std::string(region);
}

std::string LogStreamConsoleUrl(std::string_view region, std::string_view group,
                                std::string_view stream) {
  std::string url = "https://" + ConsoleHost(region) +
                    "/cloudwatch/home?region=" + std::string(region) +
                    "#logsV2:log-groups/log-group/" + CloudWatchConsoleEncode(group);
  if (!stream.empty()) url += "/log-events/" + CloudWatchConsoleEncode(stream);
  return url;
}

}  // namespace ecsmig
