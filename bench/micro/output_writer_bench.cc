// GITHUB_OUTPUT writer throughput with common/github/github.h FormatOutputRecord: the
// runner-safe key=value / heredoc encoding every tool output goes through.
#include <benchmark/benchmark.h>

#include <string>

#include "common/base/random.h"
#include "common/github/github.h"

namespace ecsmig {
namespace {

// A one-line fact (task_arn=...): the simple key=value form.
void BM_FormatSimpleRecord(benchmark::State& state) {
  SecureRandom random;
  const std::string value =
      "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef";
  for (auto _ : state) {
    benchmark::DoNotOptimize(FormatOutputRecord("task_arn", value, random));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(value.size()));
}
BENCHMARK(BM_FormatSimpleRecord);

// A multi-line value (a log tail of state.range(0) bytes): heredoc with a
// random delimiter, which must be checked against the value.
void BM_FormatMultilineRecord(benchmark::State& state) {
  SecureRandom random;
  std::string value;
  while (value.size() < static_cast<size_t>(state.range(0))) {
    value += "2026-11-22T05:00:00Z prisma:info Applying migration `20261122_add_index`\n";
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(FormatOutputRecord("log_tail", value, random));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(value.size()));
}
BENCHMARK(BM_FormatMultilineRecord)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20);

}  // namespace
}  // namespace ecsmig
