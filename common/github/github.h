// The GitHub Actions layer shared by every tool: step outputs, workflow
// commands (annotations, groups, masks), human logs and the step summary.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/filesystem.h"
#include "common/base/random.h"
#include "common/base/redact.h"

namespace ecsmig {

// ---- Step outputs ----------------------------------------------------------

// One `key=value` record, or the heredoc form `key<<DELIM\nvalue\nDELIM\n` when
// the value holds LF or CR (the runner splits records on LF; CR would survive
// on Linux but not on a Windows runner). The delimiter is
// "ghadelimiter_<random hex>" as in @actions/core, regenerated until it does not
// occur in the value. Keys must be snake_case; otherwise throws Error (a bug).
std::string FormatOutputRecord(std::string_view key, std::string_view value, Random& random);

// Parses a GITHUB_OUTPUT file by the runner's rules (actions/runner
// FileCommandManager): split on LF, skip empty lines, `=` before any `<<` is the
// simple form, else heredoc up to a line exactly equal to the delimiter.
// On malformed input, throws Error. Used by tests and fuzzers to prove
// FormatOutputRecord round-trips.
std::vector<std::pair<std::string, std::string>> ParseOutputFile(std::string_view text);

// Collects a tool's outputs and appends them to their destination in one
// write, so a failing tool never leaves half a record and concurrent tools
// never interleave. Destination: `path` (from --output or $GITHUB_OUTPUT), or
// `stdout_stream` when path is empty.
class OutputWriter {
 public:
  OutputWriter(FileSystem& fs, Random& random, std::string path, std::ostream& stdout_stream)
      : fs_(fs), random_(random), path_(std::move(path)), stdout_(stdout_stream) {}

  // Later values for the same key replace earlier ones (the runner would
  // also take the last one; we avoid writing it twice).
  void Set(std::string_view key, std::string_view value);
  void SetBool(std::string_view key, bool value) { Set(key, value ? "true" : "false"); }
  // Appends every pending record and clears them, on a new line when the
  // file's last line has no newline. On error, throws Error.
  void Flush();
  // Refuses, before any side effect, an outputs file that cannot be appended
  // to (missing directory, a directory, no permission): throws UsageError
  // naming `source` ("--output", "GITHUB_OUTPUT"). Creates the file when
  // missing, as the runner does.
  void CheckAppendable(std::string_view source);
  const std::vector<std::pair<std::string, std::string>>& pending() const { return pending_; }
  const std::string& path() const { return path_; }

 private:
  FileSystem& fs_;
  Random& random_;
  std::string path_;
  std::ostream& stdout_;
  std::vector<std::pair<std::string, std::string>> pending_;
};

// ---- Workflow commands -----------------------------------------------------

// The one escaping for text from outside the tool (file names, AWS answers,
// error messages) before it is logged: control characters become visible
// escapes (\n, \r, \t is kept, others \xHH), and the runner's old command
// prefix "##[" becomes "##\[", so no logged value can start a line of its own
// or be read as a workflow command.
std::string EscapeLogText(std::string_view text);

// The toolkit's escaping: message data escapes % CR LF; property values also : and ,.
std::string EscapeCommandData(std::string_view data);
std::string EscapeCommandProperty(std::string_view value);

struct AnnotationProperties {
  std::string title;
  std::string file;
  int line = 0;  // 0 = none
  int col = 0;   // 0 = none; 1-based, like line
};

// "::name key=value,...::data" (no trailing newline).
std::string FormatWorkflowCommand(std::string_view name, const AnnotationProperties& props,
                                  std::string_view data);

// ---- Logger ------------------------------------------------------------------

enum class Verbosity { kQuiet, kNormal, kVerbose };

// Human-readable progress on stderr, prefixed with the tool's name. Inside
// GitHub Actions, errors/warnings/notices also become annotations and groups
// fold long output. Every message passes through the Redactor, then
// EscapeLogText: one message is one line, never a workflow command.
class Logger {
 public:
  Logger(std::string tool, std::ostream& err, bool in_actions, Verbosity verbosity,
         Redactor& redactor)
      : tool_(std::move(tool)),
        err_(err),
        in_actions_(in_actions),
        verbosity_(verbosity),
        redactor_(redactor) {}

  void Info(std::string_view message);
  void Verbose(std::string_view message);
  void Notice(std::string_view message, const AnnotationProperties& props = {});
  void Warning(std::string_view message, const AnnotationProperties& props = {});
  void Error(std::string_view message, const AnnotationProperties& props = {});
  // Registers a secret with the redactor and, in Actions, announces it with
  // ::add-mask:: before anything could print it.
  void AddMask(std::string_view secret);
  void StartGroup(std::string_view title);
  void EndGroup();
  // A line without the tool's prefix (redacted and escaped; one that would
  // start with "::", even after blanks, which the runner skips, gets "| "
  // in front); to stderr.
  void Raw(std::string_view line);

  bool in_actions() const { return in_actions_; }
  Verbosity verbosity() const { return verbosity_; }
  bool verbose() const { return verbosity_ == Verbosity::kVerbose; }
  const std::string& tool() const { return tool_; }
  Redactor& redactor() { return redactor_; }

 private:
  void Annotate(std::string_view kind, std::string_view message, const AnnotationProperties& props);
  // Redacted, then escaped: what every logged message becomes.
  std::string Clean(std::string_view text) const;

  std::string tool_;
  std::ostream& err_;
  bool in_actions_;
  Verbosity verbosity_;
  Redactor& redactor_;
  bool in_group_ = false;
};

// ---- Step summary ------------------------------------------------------------

// Appends Markdown to $GITHUB_STEP_SUMMARY (no-op when unset), redacted.
// The summary is best-effort: with `on_failure` set, a write that fails is
// reported there (a warning) and the summary is disabled for the rest of the
// run, never an exception; `before_write` runs before each write (ToolRun
// writes the outputs known so far: outputs come first).
class StepSummary {
 public:
  StepSummary(FileSystem& fs, std::string path, const Redactor& redactor,
              std::function<void()> before_write = nullptr,
              std::function<void(const std::string&)> on_failure = nullptr)
      : fs_(fs),
        path_(std::move(path)),
        redactor_(redactor),
        before_write_(std::move(before_write)),
        on_failure_(std::move(on_failure)) {}
  bool enabled() const { return !path_.empty(); }
  void Append(std::string_view markdown);

 private:
  FileSystem& fs_;
  std::string path_;
  const Redactor& redactor_;
  std::function<void()> before_write_;
  std::function<void(const std::string&)> on_failure_;
};

// Escapes text for a Markdown table cell or inline text (|, `, <, >, newlines).
std::string MarkdownEscape(std::string_view text);

}  // namespace ecsmig
