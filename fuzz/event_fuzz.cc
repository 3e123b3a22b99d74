// Fuzzes the GitHub event payload parser: any bytes either parse or raise
// UsageError (exit 2), never another exception or a crash. The first byte
// picks the event name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/base/error.h"
#include "common/github/github_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kNames[] = {"push", "pull_request", "pull_request_target",
                                                "merge_group", "workflow_dispatch"};
  std::string_view name = kNames[data[0] % (sizeof kNames / sizeof kNames[0])];
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    ecsmig::EventRange r = ecsmig::ParseEventPayload(name, payload);
    if (r.kind != ecsmig::EventRange::Kind::kNone) {
      if (!ecsmig::IsFullSha(r.head_sha)) abort();
      if (!r.first_push && !ecsmig::IsFullSha(r.base_sha)) abort();
      if (r.first_push && !r.base_sha.empty()) abort();
    }
  } catch (const ecsmig::UsageError&) {
  }
  return 0;
}
