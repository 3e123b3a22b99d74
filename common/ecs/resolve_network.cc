#include "common/ecs/resolve_network.h"

#include "common/base/error.h"
#include "common/ecs/ecs.h"

namespace ecsmig {
namespace {

using nlohmann::json;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// True for "arn:...:task-definition/FAMILY:REVISION": one revision already.
bool IsRevisionArn(const std::string& ref) {
  if (ref.rfind("arn:", 0) != 0) return false;
  try {
    ValidateTaskDefinitionRef(ref);  // an ARN passes only with its :REVISION
  } catch (const UsageError&) {
    return false;
  }
  return true;
}

}  // namespace

ResolvedLaunch ResolveLaunch(AwsJsonService& ecs, const LaunchInputs& inputs, Logger& log,
                             TaskDefinitionDetail detail) {
  ResolvedLaunch out;
  bool service_read = false;
  bool service_awsvpc = false;
  AwsvpcSettings base;
  if (!inputs.service.empty()) {
    ServiceDescription service = DescribeService(ecs, inputs.cluster, inputs.service);
    if (service.usable) {
      service_read = true;
      out.service_arn = service.arn;
      out.task_definition = service.task_definition;
      out.launch_type = service.launch_type;
      out.capacity_provider_strategy = service.capacity_provider_strategy;
      out.platform_version = service.platform_version;
      if (service.awsvpc) {
        base = *service.awsvpc;
        service_awsvpc = true;
      }
      if (service.status == "DRAINING") {
        log.Warning("service " + inputs.service +
                    " is DRAINING (being deleted); using its settings");
      }
      log.Info("read service " + (service.arn.empty() ? inputs.service : service.arn));
    } else {
      std::string what = "service '" + inputs.service + "' " +
                         (service.not_usable_why == "INACTIVE"
                              ? std::string("is INACTIVE (deleted)")
                              : "was not found (" + service.not_usable_why + ")") +
                         " in cluster '" + inputs.cluster + "'";
      if (!inputs.HasExplicitValues() && inputs.task_definition.empty()) {
        throw Error(what +
                    ": pass --subnets and --security-groups to launch without a service, or fix "
                    "--service/--cluster to name the live service");
      }
      log.Notice(what + "; falling back to the explicit values");
    }
  }

  // Explicit values override field by field.
  AwsvpcSettings merged = base;
  if (!inputs.network.subnets.empty()) merged.subnets = inputs.network.subnets;
  if (!inputs.network.security_groups.empty())
    merged.security_groups = inputs.network.security_groups;
  if (!inputs.network.assign_public_ip.empty())
    merged.assign_public_ip = inputs.network.assign_public_ip;
  if (merged.assign_public_ip.empty()) merged.assign_public_ip = "DISABLED";
  // A launch type and a strategy exclude each other: whichever the user gave wins.
  if (!inputs.launch_type.empty()) {
    out.launch_type = inputs.launch_type;
    out.capacity_provider_strategy = nullptr;
  } else if (!inputs.capacity_provider_strategy.is_null()) {
    out.capacity_provider_strategy = inputs.capacity_provider_strategy;
    out.launch_type.clear();
  }
  if (!inputs.platform_version.empty()) out.platform_version = inputs.platform_version;
  if (!inputs.task_definition.empty()) {
    if (!out.task_definition.empty()) {
      log.Info("using --task-definition " + inputs.task_definition + " instead of the service's " +
               out.task_definition);
    }
    out.task_definition = inputs.task_definition;
  }

  if (!service_read) {
    out.source = "inputs";
  } else {
    out.source = inputs.HasExplicitValues() || !inputs.task_definition.empty() ? "service+inputs"
                                                                               : "service";
  }

  bool settled = detail == TaskDefinitionDetail::kIfUnsettled && service_read && service_awsvpc &&
                 inputs.task_definition.empty() && IsRevisionArn(out.task_definition);
  if (settled) {
    out.network_mode = "awsvpc";
    out.network_required = true;
  } else if (!out.task_definition.empty()) {
    out.task_definition_json = DescribeTaskDefinition(ecs, out.task_definition);
    if (out.task_definition_json.contains("taskDefinitionArn") &&
        out.task_definition_json["taskDefinitionArn"].is_string()) {
      // Pin the revision: the task runs exactly what was described.
      out.task_definition = out.task_definition_json["taskDefinitionArn"].get<std::string>();
    }
    out.network_mode = NetworkMode(out.task_definition_json);
    out.network_required = out.network_mode == "awsvpc";
  }

  out.network = merged;
  if (!out.network_required) {
    if (inputs.HasNetworkValues()) {
      log.Warning("task definition uses network mode '" + out.network_mode +
                  "': --subnets/--security-groups/--assign-public-ip are ignored");
    }
    out.network = AwsvpcSettings{};
    out.network_configuration = nullptr;
    return out;
  }
  if (merged.subnets.empty()) {
    std::string why =
        out.network_mode.empty() ? std::string("a task without a service") : "network mode awsvpc";
    throw Error(why + " needs subnets: pass --subnets (and --security-groups)" +
                (inputs.service.empty() ? std::string(", or --service to reuse a service's") : ""));
  }
  if (merged.security_groups.empty()) {
    log.Warning("no security groups given: ECS uses the VPC's default security group");
  }
  out.network_configuration = BuildNetworkConfiguration(merged);
  return out;
}

void AddNetworkOptions(cxxopts::Options& options) {
  options.add_options("Network")("subnets", "subnet ids, comma-separated (override the service's)",
                                 cxxopts::value<std::string>(), "a,b")(
      "security-groups", "security group ids, comma-separated (override the service's)",
      cxxopts::value<std::string>(),
      "x,y")("assign-public-ip", "ENABLED or DISABLED", cxxopts::value<std::string>(), "MODE");
}

AwsvpcSettings ReadNetworkOptions(const cxxopts::ParseResult& args) {
  AwsvpcSettings settings;
  if (args.count("subnets")) {
    settings.subnets = SplitList(args["subnets"].as<std::string>());
    if (settings.subnets.empty()) throw UsageError("--subnets must not be empty");
    for (const auto& s : settings.subnets) ValidateSubnetId(s);
  }
  if (args.count("security-groups")) {
    settings.security_groups = SplitList(args["security-groups"].as<std::string>());
    if (settings.security_groups.empty()) throw UsageError("--security-groups must not be empty");
    for (const auto& g : settings.security_groups) ValidateSecurityGroupId(g);
  }
  if (args.count("assign-public-ip")) {
    settings.assign_public_ip = ValidateAssignPublicIp(args["assign-public-ip"].as<std::string>());
  }
  return settings;
}

void WriteLaunchOutputs(const ResolvedLaunch& launch, OutputWriter& outputs) {
  outputs.Set("subnets", Join(launch.network.subnets));
  outputs.Set("security_groups", Join(launch.network.security_groups));
  outputs.Set("assign_public_ip", launch.network.assign_public_ip);
  outputs.Set("network_configuration",
              launch.network_configuration.is_null() ? "" : launch.network_configuration.dump());
  outputs.Set("task_definition", launch.task_definition);
  outputs.Set("launch_type", launch.launch_type);
  outputs.Set("capacity_provider_strategy", launch.capacity_provider_strategy.is_null()
                                                ? ""
                                                : launch.capacity_provider_strategy.dump());
  outputs.Set("platform_version", launch.platform_version);
  outputs.Set("network_mode", launch.network_mode);
  outputs.Set("source", launch.source);
}

ToolSpec ResolveNetworkSpec(AwsClientFactory aws_factory) {
  ToolSpec spec;
  spec.name = "resolve-network";
  spec.summary = "Find how a one-off ECS task must be launched, from the live service";
  spec.add_options = [](cxxopts::Options& options) {
    options.add_options()("cluster", "cluster name or ARN (required)",
                          cxxopts::value<std::string>(),
                          "NAME|ARN")("service", "service whose launch settings to reuse",
                                      cxxopts::value<std::string>(), "NAME|ARN");
    AddNetworkOptions(options);
    AddAwsOptions(options);
  };
  spec.run = [aws_factory](ToolRun& run, const cxxopts::ParseResult& args) {
    LaunchInputs inputs;
    inputs.cluster = ValidateClusterRef(RequireText(args, "cluster"));
    if (args.count("service")) inputs.service = ValidateServiceRef(RequireText(args, "service"));
    inputs.network = ReadNetworkOptions(args);
    if (inputs.service.empty() && !inputs.HasNetworkValues()) {
      throw UsageError("give --service, or --subnets and --security-groups to launch without one");
    }
    if (inputs.service.empty() && inputs.network.subnets.empty()) {
      throw UsageError("--subnets is required without --service");
    }
    AwsSettings settings = ReadAwsOptions(args);

    if (inputs.service.empty()) {
      // Nothing to read: the explicit values are the answer.
      ResolvedLaunch launch;
      launch.source = "inputs";
      launch.network = inputs.network;
      if (launch.network.assign_public_ip.empty()) launch.network.assign_public_ip = "DISABLED";
      launch.network_configuration = BuildNetworkConfiguration(launch.network);
      WriteLaunchOutputs(launch, run.outputs());
      run.log().Info("network from inputs: subnets " + Join(launch.network.subnets));
      return kExitOk;
    }
    std::unique_ptr<AwsJsonService> ecs = aws_factory(AwsService::kEcs, settings, run);
    ResolvedLaunch launch =
        ResolveLaunch(*ecs, inputs, run.log(), TaskDefinitionDetail::kIfUnsettled);
    WriteLaunchOutputs(launch, run.outputs());
    run.log().Info("source " + launch.source + ", task definition " +
                   (launch.task_definition.empty() ? "(none)" : launch.task_definition) +
                   (launch.network_required ? ", subnets " + Join(launch.network.subnets)
                                            : ", network mode " + launch.network_mode));
    return kExitOk;
  };
  return spec;
}

}  // namespace ecsmig
