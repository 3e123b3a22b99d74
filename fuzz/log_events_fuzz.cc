// Fuzzes what fetch-logs reads from CloudWatch Logs: a GetLogEvents answer is
// parsed (accepted, or refused with Error), and its events are printed as in
// GitHub Actions. The property checked is the one that matters: whatever the
// messages hold (CR, LF, "::add-mask::", "::stop-commands::"...), no line the
// runner would read as a workflow command appears outside the stop-commands
// region the printer opens, except the printer's own markers.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/base/error.h"
#include "common/logs/log_stream_reader.h"
#include "common/logs/task_logs.h"
#include "common/testing/fake_aws_logs.h"

namespace {

// The runner splits output on CR, LF and CRLF and trims leading whitespace
// before looking for "::".
void CheckNoLooseCommands(const std::string& output) {
  std::string token;  // non-empty while commands are stopped
  size_t start = 0;
  while (start <= output.size()) {
    size_t end = output.find_first_of("\r\n", start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    start = end + 1;
    size_t first = line.find_first_not_of(" \t\f\v");
    std::string trimmed = first == std::string::npos ? "" : line.substr(first);
    if (!token.empty()) {
      if (trimmed == "::" + token + "::") token.clear();
      continue;
    }
    if (trimmed.rfind("::", 0) != 0) continue;
    if (trimmed.rfind("::stop-commands::", 0) == 0) {
      token = trimmed.substr(17);
      if (token.rfind("ecsmig-logs-", 0) != 0) __builtin_trap();  // not ours
      continue;
    }
    if (trimmed == "::endgroup::" || trimmed.rfind("::group::", 0) == 0) continue;
    __builtin_trap();  // a log line became a command
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json answer = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded()) return 0;
  ecsmig::LogEventsPage page;
  try {
    page = ecsmig::ParseGetLogEventsResponse(answer);
  } catch (const ecsmig::Error&) {
    return 0;
  }
  for (const auto& event : page.events) {
    if (ecsmig::FormatLogTimestamp(event.timestamp).empty()) __builtin_trap();
  }
  ecsmig::FakeToolWorld world;
  world.env.Set("GITHUB_ACTIONS", "true");
  ecsmig::ToolRun run("fetch-logs", world.ctx, "", ecsmig::Verbosity::kNormal);
  ecsmig::TaskLogOptions options;
  options.timestamps = size % 2 == 0;
  ecsmig::LogLinePrinter printer(run, options);
  printer.StartSection("fuzz");
  size_t printed = printer.Print(size % 3 == 0 ? "[app] " : "", page.events);
  printer.EndSection();
  if (printed != page.events.size()) __builtin_trap();
  CheckNoLooseCommands(world.out.str());
  return 0;
}
