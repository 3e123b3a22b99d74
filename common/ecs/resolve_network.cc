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

namespace {

// What DescribeServices contributed before the explicit values are merged in.
struct ServiceBase {
  bool read = false;       // a usable service was read
  bool awsvpc = false;     // it has an awsvpcConfiguration
  AwsvpcSettings network;  // that configuration, or empty
};

// Reads the service named by inputs.service into `out` (ARN, task definition,
// launch type or strategy, platform version). A missing or INACTIVE service
// is a notice when explicit values can stand in for it, else an Error.
ServiceBase ReadServiceLaunch(AwsJsonService& ecs, const LaunchInputs& inputs, Logger& log,
                              ResolvedLaunch& out) {
  ServiceBase base;
  if (inputs.service.empty()) return base;
  ServiceDescription service = DescribeService(ecs, inputs.cluster, inputs.service);
  if (!service.usable) {
    std::string what =
        "service '" + inputs.service + "' " +
        (service.not_usable_why == "INACTIVE" ? std::string("is INACTIVE (deleted)")
                                              : "was not found (" + service.not_usable_why + ")") +
        " in cluster '" + inputs.cluster + "'";
    if (!inputs.HasExplicitValues() && inputs.task_definition.empty()) {
      throw Error(what +
                  ": pass --subnets and --security-groups to launch without a service, or fix "
                  "--service/--cluster to name the live service");
    }
    log.Notice(what + "; falling back to the explicit values");
    return base;
  }
  base.read = true;
  out.service_arn = service.arn;
  out.task_definition = service.task_definition;
  out.launch_type = service.launch_type;
  out.capacity_provider_strategy = service.capacity_provider_strategy;
  out.platform_version = service.platform_version;
  if (service.awsvpc) {
    base.network = *service.awsvpc;
    base.awsvpc = true;
  }
  if (service.status == "DRAINING") {
    log.Warning("service " + inputs.service + " is DRAINING (being deleted); using its settings");
  }
  log.Info("read service " + (service.arn.empty() ? inputs.service : service.arn));
  return base;
}

// The service's network with each explicit value over it; assignPublicIp
// defaults to DISABLED.
AwsvpcSettings MergeNetwork(const AwsvpcSettings& base, const AwsvpcSettings& explicit_values) {
  AwsvpcSettings merged = base;
  if (!explicit_values.subnets.empty()) merged.subnets = explicit_values.subnets;
  if (!explicit_values.security_groups.empty())
    merged.security_groups = explicit_values.security_groups;
  if (!explicit_values.assign_public_ip.empty())
    merged.assign_public_ip = explicit_values.assign_public_ip;
  if (merged.assign_public_ip.empty()) merged.assign_public_ip = "DISABLED";
  return merged;
}

// Explicit launch type or strategy, platform version and task definition
// over the service's, field by field.
void OverrideLaunchSettings(const LaunchInputs& inputs, Logger& log, ResolvedLaunch& out) {
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
}

std::string LaunchSource(const LaunchInputs& inputs, const ServiceBase& base) {
  if (!base.read) return "inputs";
  return inputs.HasExplicitValues() || !inputs.task_definition.empty() ? "service+inputs"
                                                                       : "service";
}

// Learns the network mode: from the service alone when it settles it (see
// TaskDefinitionDetail), else by describing the task definition, whose
// revision ARN then pins out.task_definition.
void SettleNetworkMode(AwsJsonService& ecs, const LaunchInputs& inputs, const ServiceBase& base,
                       TaskDefinitionDetail detail, ResolvedLaunch& out) {
  bool settled = detail == TaskDefinitionDetail::kIfUnsettled && base.read && base.awsvpc &&
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
}

// Sets out.network and out.network_configuration from the merged settings:
// none for a network mode other than awsvpc, else subnets are required.
void ApplyNetwork(const LaunchInputs& inputs, const AwsvpcSettings& merged, Logger& log,
                  ResolvedLaunch& out) {
  out.network = merged;
  if (!out.network_required) {
    if (inputs.HasNetworkValues()) {
      log.Warning("task definition uses network mode '" + out.network_mode +
                  "': --subnets/--security-groups/--assign-public-ip are ignored");
    }
    out.network = AwsvpcSettings{};
    out.network_configuration = nullptr;
    return;
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
}

}  // namespace

ResolvedLaunch ResolveLaunch(AwsJsonService& ecs, const LaunchInputs& inputs, Logger& log,
                             TaskDefinitionDetail detail) {
  ResolvedLaunch out;
  const ServiceBase base = ReadServiceLaunch(ecs, inputs, log, out);
  const AwsvpcSettings merged = MergeNetwork(base.network, inputs.network);
  OverrideLaunchSettings(inputs, log, out);
  out.source = LaunchSource(inputs, base);
  SettleNetworkMode(ecs, inputs, base, detail, out);
  ApplyNetwork(inputs, merged, log, out);
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
