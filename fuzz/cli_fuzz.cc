// Fuzzes the parsers of flag values users type: durations, ECS identifiers,
// KEY=VALUE pairs and lists. Each must either accept or throw UsageError,
// never crash or throw anything else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/ecs/ecs.h"
#include "common/github/cli.h"

template <typename F>
static void Expect(F&& f) {
  try {
    f();
  } catch (const ecsmig::UsageError&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Expect([&] {
    auto d = ecsmig::ParseDuration(text, "timeout");
    if (d.count() < 0) __builtin_trap();
    (void)ecsmig::FormatDuration(d);
  });
  Expect([&] { (void)ecsmig::ParseTaskRef(text); });
  Expect([&] { (void)ecsmig::ValidateClusterRef(text); });
  Expect([&] { (void)ecsmig::ValidateServiceRef(text); });
  Expect([&] { (void)ecsmig::ValidateTaskDefinitionRef(text); });
  Expect([&] { (void)ecsmig::ParseKeyValue(text, "env"); });
  (void)ecsmig::SplitList(text);
  return 0;
}
