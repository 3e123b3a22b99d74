#include <iostream>

#include "common/github/cli.h"

namespace ecsmig {

int RunOfflineProcess(const ToolSpec& spec, int argc, char** argv) {
  ProcessEnvironment env;
  SystemClock clock;
  RealFileSystem fs;
  SecureRandom random;
  ToolContext ctx(env, clock, fs, random, std::cout, std::cerr, nullptr);
  std::vector<std::string> args(argv, argv + argc);
  return RunTool(spec, args, ctx);
}

}  // namespace ecsmig
