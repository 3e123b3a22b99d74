// CLI conventions shared by every tool, and the one boundary where exceptions
// become exit codes (bloaty-style: a thin main, errors thrown inside, caught once).
#pragma once

#include <cxxopts.hpp>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/filesystem.h"
#include "common/base/random.h"
#include "common/base/redact.h"
#include "common/github/github.h"
#include "common/net/http.h"

namespace ecsmig {

// Every side effect a tool may have. The process main wires the real ones;
// tests wire fakes and drive tools through the same argv path.
class ToolContext {
 public:
  ToolContext(Environment& env, Clock& clock, FileSystem& fs, Random& random, std::ostream& out,
              std::ostream& err, std::function<std::unique_ptr<HttpClient>()> http_factory)
      : env(env),
        clock(clock),
        fs(fs),
        random(random),
        out(out),
        err(err),
        http_factory_(std::move(http_factory)) {}

  Environment& env;
  Clock& clock;
  FileSystem& fs;
  Random& random;
  std::ostream& out;  // standard output: outputs when no file is given, fetch-logs lines
  std::ostream& err;  // standard error: human logs and workflow commands

  // The run's one HTTP client, created on first use and reused (keep-alive).
  HttpClient& http();

 private:
  std::function<std::unique_ptr<HttpClient>()> http_factory_;
  std::unique_ptr<HttpClient> http_;
};

// What one run of a tool has once its flags are parsed: logging, outputs,
// step summary and the redactor they all share.
class ToolRun {
 public:
  ToolRun(std::string tool, ToolContext& ctx, std::string output_path, Verbosity verbosity);

  ToolContext& ctx() { return ctx_; }
  Logger& log() { return log_; }
  OutputWriter& outputs() { return outputs_; }
  StepSummary& summary() { return summary_; }
  Redactor& redactor() { return redactor_; }
  const std::string& tool() const { return tool_; }

 private:
  std::string tool_;
  ToolContext& ctx_;
  Redactor redactor_;
  Logger log_;
  OutputWriter outputs_;
  StepSummary summary_;
};

struct ToolSpec {
  std::string name;     // e.g. "wait-task"
  std::string summary;  // one line for --help
  // What -v adds, for --help, when the tool's detail is not an HTTP trace.
  std::string verbose_help;
  std::string details;  // printed after the options by --help: outputs, exit codes
  // Adds the tool's own options (common ones are added by RunTool).
  std::function<void(cxxopts::Options&)> add_options;
  // Does the work; returns the exit code. Throws Error/UsageError on failure.
  std::function<int(ToolRun&, const cxxopts::ParseResult&)> run;
};

// Parses argv (argv[0] is the program name), handles --help/--version and the
// common flags (--output, -v/--verbose, -q/--quiet), refuses a value flag given
// twice (unless its help says "(repeatable") and an outputs file that cannot be
// appended to (exit 2, before the tool runs), runs the tool and maps
// exceptions to exit codes with one line on stderr: UsageError and flag errors
// → 2, Error → its code, anything else → 1. The outputs set so far are written
// whether the tool returned or threw (each record whole, in one append); the
// step summary is best-effort (a warning when it cannot be written).
int RunTool(const ToolSpec& spec, const std::vector<std::string>& argv, ToolContext& ctx);

// main() for a tool binary: wires the real environment, clock, filesystem,
// randomness, stdout/stderr and libcurl, then calls RunTool (process.cc).
// The HTTP client is made on first use: a run that sends nothing never
// creates it (detect-schema-change's static binary does not even load
// libcurl then: common/net/curl_on_demand.c).
int RunProcess(const ToolSpec& spec, int argc, char** argv);

// ---- Flag value helpers (each throws UsageError naming the flag) ----

// Splits "a,b , c" or newline-separated lists; trims; drops empties.
std::vector<std::string> SplitList(const std::string& text);
// A non-empty value without control characters.
std::string RequireText(const cxxopts::ParseResult& args, const std::string& flag);
// "K=V" → {K, V}; K must be a valid environment/tag key.
std::pair<std::string, std::string> ParseKeyValue(const std::string& text, const std::string& flag);
// Value must be one of `choices`.
std::string RequireChoice(const std::string& value, const std::string& flag,
                          const std::vector<std::string>& choices);

}  // namespace ecsmig
