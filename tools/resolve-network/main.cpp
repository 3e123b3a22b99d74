#include "common/ecs/resolve_network.h"
#include "common/github/cli.h"

int main(int argc, char** argv) {
  ecsmig::ToolSpec spec = ecsmig::ResolveNetworkSpec();
  spec.details =
      "Outputs: subnets, security_groups, assign_public_ip, network_configuration, "
      "task_definition, launch_type or capacity_provider_strategy, platform_version, source.\n"
      "Exit codes: 0 resolved; 1 an AWS error, or no service and no explicit values; 2 bad input.";
  return ecsmig::RunProcess(spec, argc, argv);
}
