#include <iostream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "common/github/cli.h"

namespace ecsmig {

int RunProcess(const ToolSpec& spec, int argc, char** argv) {
#if defined(__GLIBC__)
  // A fixed mmap threshold: glibc otherwise raises it after the first large
  // free, so each later response body and page of log events (~1 MB) comes
  // from the heap and its pages stay resident. Fixed, they are mapped and
  // returned as they go: fetch-logs of 100 000 events peaks ~2 MB lower
  // (bench/logs), at no measurable cost in time.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  ProcessEnvironment env;
  SystemClock clock;
  RealFileSystem fs;
  SecureRandom random;
  ToolContext ctx(env, clock, fs, random, std::cout, std::cerr,
                  [] { return MakeCurlHttpClient(); });
  std::vector<std::string> args(argv, argv + argc);
  return RunTool(spec, args, ctx);
}

}  // namespace ecsmig
