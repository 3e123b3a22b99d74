#include "common/github/cli.h"

#include <algorithm>
#include <optional>

#include "common/base/error.h"

namespace ecsmig {
namespace {

void AddCommonOptions(cxxopts::Options& options, const std::string& verbose_help) {
  options.add_options("Common")("output",
                                "append outputs to FILE (default: $GITHUB_OUTPUT, else stdout)",
                                cxxopts::value<std::string>(), "FILE")(
      "v,verbose", verbose_help.empty() ? "more detail on standard error (requests to AWS, if any, "
                                          "are traced without credentials)"
                                        : verbose_help)("q,quiet", "only errors")(
      "h,help", "print this help and exit")("version", "print the version and exit");
}

std::string FirstLine(std::string text) {
  size_t newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  return text;
}

}  // namespace

HttpClient& ToolContext::http() {
  if (!http_) {
    if (!http_factory_) throw Error("internal: no HTTP client configured");
    http_ = http_factory_();
  }
  return *http_;
}

ToolRun::ToolRun(std::string tool, ToolContext& ctx, std::string output_path, Verbosity verbosity)
    : tool_(tool),
      ctx_(ctx),
      log_(tool, ctx.err, ctx.env.GetOr("GITHUB_ACTIONS") == "true", verbosity, redactor_),
      outputs_(ctx.fs, ctx.random, std::move(output_path), ctx.out),
      summary_(
          ctx.fs, ctx.env.GetOr("GITHUB_STEP_SUMMARY"), redactor_, [this] { outputs_.Flush(); },
          [this](const std::string& problem) { log_.Warning(problem); }) {}

namespace {

// A flag whose help says "(repeatable" may be given more than once; any
// other flag that takes a value, at most once (the last would silently win).
void RefuseRepeatedFlags(const cxxopts::Options& options, const cxxopts::ParseResult& args) {
  for (const auto& group : options.groups()) {
    for (const auto& option : options.group_help(group).options) {
      if (option.is_boolean || option.desc.find("(repeatable") != std::string::npos) continue;
      const std::string& name = option.l.empty() ? option.s : option.l.front();
      if (args.count(name) > 1) throw UsageError("--" + name + " given more than once");
    }
  }
}

// Parses argv; on a usage error, says so on one line and returns nullopt.
std::optional<cxxopts::ParseResult> ParseFlags(const ToolSpec& spec, cxxopts::Options& options,
                                               const std::vector<std::string>& argv,
                                               ToolContext& ctx) {
  // Until flags are parsed we cannot know -q or the output path, so errors here
  // go to stderr plainly (still one line, still exit 2).
  try {
    std::vector<const char*> raw;
    raw.reserve(argv.size());
    for (const auto& a : argv) raw.push_back(a.c_str());
    cxxopts::ParseResult args = options.parse(static_cast<int>(raw.size()), raw.data());
    if (!args.unmatched().empty()) {
      throw UsageError("unexpected argument '" + args.unmatched().front() + "'");
    }
    RefuseRepeatedFlags(options, args);
    return args;
  } catch (const cxxopts::exceptions::exception& e) {
    ctx.err << spec.name << ": error: " << EscapeLogText(FirstLine(e.what())) << " (see --help)\n";
  } catch (const UsageError& e) {
    ctx.err << spec.name << ": error: " << EscapeLogText(e.what()) << " (see --help)\n";
  }
  return std::nullopt;
}

// Runs the tool; an exception becomes its exit code and one error line.
int RunAndReport(const ToolSpec& spec, ToolRun& run, const cxxopts::ParseResult& args) {
  try {
    if (args.count("output") && run.outputs().path().empty())
      throw UsageError("--output: empty file name");
    run.outputs().CheckAppendable(args.count("output") ? "--output" : "GITHUB_OUTPUT");
    return spec.run(run, args);
  } catch (const cxxopts::exceptions::exception& e) {
    run.log().EndGroup();
    run.log().Error(FirstLine(e.what()));
    return kExitUsage;
  } catch (const Error& e) {
    run.log().EndGroup();
    run.log().Error(FirstLine(e.what()));
    return e.exit_code();
  } catch (const std::exception& e) {
    run.log().EndGroup();
    run.log().Error(std::string("internal error: ") + FirstLine(e.what()));
    return kExitFailed;
  }
}

// Writes the outputs known when the tool ended, whether it succeeded or
// threw: a fact learned before a failure (a started task's ARN) is never
// dropped. Outputs that cannot be written fail a run that had succeeded.
int WriteOutputs(ToolRun& run, int code) {
  try {
    run.outputs().Flush();
    return code;
  } catch (const std::exception& e) {
    run.log().Error(std::string("could not write the outputs: ") + FirstLine(e.what()));
    return code == kExitOk ? kExitFailed : code;
  }
}

}  // namespace

int RunTool(const ToolSpec& spec, const std::vector<std::string>& argv, ToolContext& ctx) {
  cxxopts::Options options(spec.name, spec.summary);
  options.set_width(100);
  AddCommonOptions(options, spec.verbose_help);
  if (spec.add_options) spec.add_options(options);

  std::optional<cxxopts::ParseResult> parsed = ParseFlags(spec, options, argv, ctx);
  if (!parsed) return kExitUsage;
  const cxxopts::ParseResult& args = *parsed;
  if (args.count("help")) {
    ctx.out << options.help() << (spec.details.empty() ? "" : "\n" + spec.details + "\n")
            << std::flush;
    return kExitOk;
  }
  if (args.count("version")) {
    ctx.out << spec.name << " (ecsmig) " << ECSMIG_VERSION << "\n" << std::flush;
    return kExitOk;
  }

  Verbosity verbosity = Verbosity::kNormal;
  if (args.count("verbose")) verbosity = Verbosity::kVerbose;
  if (args.count("quiet")) verbosity = Verbosity::kQuiet;
  std::string output_path =
      args.count("output") ? args["output"].as<std::string>() : ctx.env.GetOr("GITHUB_OUTPUT");

  ToolRun run(spec.name, ctx, output_path, verbosity);
  int code = RunAndReport(spec, run, args);
  run.log().EndGroup();
  return WriteOutputs(run, code);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::string current;
  auto push = [&] {
    size_t b = current.find_first_not_of(" \t\r");
    size_t e = current.find_last_not_of(" \t\r");
    if (b != std::string::npos) items.push_back(current.substr(b, e - b + 1));
    current.clear();
  };
  for (char c : text) {
    if (c == ',' || c == '\n') {
      push();
    } else {
      current += c;
    }
  }
  push();
  return items;
}

std::string RequireText(const cxxopts::ParseResult& args, const std::string& flag) {
  if (!args.count(flag)) throw UsageError("--" + flag + " is required");
  std::string value = args[flag].as<std::string>();
  if (value.empty()) throw UsageError("--" + flag + " must not be empty");
  if (std::any_of(value.begin(), value.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    throw UsageError("--" + flag + " must not contain control characters");
  }
  return value;
}

std::pair<std::string, std::string> ParseKeyValue(const std::string& text,
                                                  const std::string& flag) {
  size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    // The text is not echoed: a value given without its key may be a secret.
    throw UsageError("--" + flag + ": expected KEY=VALUE (a non-empty key, then '=')");
  }
  std::string key = text.substr(0, equals);
  bool valid = std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '/' || c == '@';
  });
  if (!valid) throw UsageError("--" + flag + ": '" + key + "' is not a valid key");
  return {key, text.substr(equals + 1)};
}

std::string RequireChoice(const std::string& value, const std::string& flag,
                          const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return value;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  throw UsageError("--" + flag + ": '" + value + "' is not one of " + list);
}

}  // namespace ecsmig
