#include "common/ecs/resolve_network.h"
#include "common/github/cli.h"

int main(int argc, char** argv) {
  return ecsmig::RunProcess(ecsmig::ResolveNetworkSpec(), argc, argv);
}
