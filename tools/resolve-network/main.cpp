#include "common/cli.h"
#include "common/resolve_network.h"

int main(int argc, char** argv) {
  return ecsmig::RunProcess(ecsmig::ResolveNetworkSpec(), argc, argv);
}
