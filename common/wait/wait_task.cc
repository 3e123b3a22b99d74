#include "common/wait/wait_task.h"

#include <algorithm>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/base/signals.h"
#include "common/wait/task_waiter.h"

namespace ecsmig {
namespace {

using std::chrono::milliseconds;

void AddWaitTaskOptions(cxxopts::Options& options) {
  options.add_options()("cluster", "cluster name or ARN (required)", cxxopts::value<std::string>(),
                        "NAME|ARN")("task", "task ARN or id (required)",
                                    cxxopts::value<std::string>(), "ARN|ID")(
      "timeout", "give up after this long (default: 30m)", cxxopts::value<std::string>(),
      "DURATION")("start-timeout", "give up if not RUNNING after this long (default: 10m)",
                  cxxopts::value<std::string>(), "DURATION")(
      "missing-grace",
      "how long DescribeTasks may answer MISSING right after RunTask before the task counts as "
      "not found (default: 1m)",
      cxxopts::value<std::string>(), "DURATION")(
      "until-stopped",
      "wait until the task is STOPPED (default: end once its essential containers have exited)")(
      "container", "container whose exit code counts (default: every essential container)",
      cxxopts::value<std::string>(), "NAME")("stop-on-timeout", "stop the task on a timeout")(
      "stop-on-cancel", "stop the task on SIGINT/SIGTERM")(
      "follow-logs", "stream the containers' logs while waiting");
  AddAwsOptions(options);
}

milliseconds PositiveDuration(const cxxopts::ParseResult& args, const std::string& flag,
                              milliseconds fallback) {
  milliseconds value =
      args.count(flag) ? ParseDuration(args[flag].as<std::string>(), flag) : fallback;
  if (value.count() <= 0) throw UsageError("--" + flag + " must be greater than zero");
  return value;
}

// Every flag, checked before any AWS call.
WaitOptions ParseWaitOptions(const cxxopts::ParseResult& args, bool have_follower) {
  WaitOptions options;
  options.cluster = ValidateClusterRef(RequireText(args, "cluster"));
  options.task = ParseTaskRef(RequireText(args, "task"));
  if (!options.task.cluster.empty() && options.task.cluster != ClusterName(options.cluster)) {
    throw UsageError("--task: the ARN names cluster '" + options.task.cluster + "', not '" +
                     ClusterName(options.cluster) + "'");
  }
  options.timeout = PositiveDuration(args, "timeout", options.timeout);
  options.start_timeout = PositiveDuration(args, "start-timeout", options.start_timeout);
  options.missing_grace = PositiveDuration(args, "missing-grace", options.missing_grace);
  if (args.count("container"))
    options.container = ValidateContainerName(RequireText(args, "container"));
  options.until_stopped = args.count("until-stopped") > 0;
  options.stop_on_timeout = args.count("stop-on-timeout") > 0;
  options.stop_on_cancel = args.count("stop-on-cancel") > 0;
  options.follow_logs = args.count("follow-logs") > 0;
  if (options.follow_logs && !have_follower) {
    throw UsageError("--follow-logs is not available in this build");
  }
  options.aws = ReadAwsOptions(args);
  return options;
}

// The one line that says how the task ended.
void LogOutcome(Logger& log, const WaitOutcome& outcome) {
  if (outcome.result == "success") {
    log.Info("task succeeded: " + outcome.explanation + " after " +
             std::to_string(outcome.duration_seconds) + "s");
    return;
  }
  std::string prefix = outcome.result == "infra-failure"
                           ? "infrastructure failure (the task did not run its command properly)"
                       : outcome.result == "failed"  ? "task failed"
                       : outcome.result == "stopped" ? "task stopped from outside"
                       : outcome.result == "timeout" ? "timeout"
                       : outcome.result == "unknown" ? "result unknown"
                                                     : "cancelled";
  std::string message = prefix + ": " + outcome.explanation;
  if (outcome.result == "infra-failure" || outcome.result == "failed") {
    if (!outcome.stop_code.empty() && message.find(outcome.stop_code) == std::string::npos) {
      message += "; stopCode " + outcome.stop_code;
    }
    if (!outcome.stopped_reason.empty() &&
        message.find(outcome.stopped_reason) == std::string::npos) {
      message += "; stoppedReason: " + outcome.stopped_reason;
    }
  }
  log.Error(message);
}

void WriteOutputs(OutputWriter& o, const WaitOutcome& outcome) {
  if (!outcome.task_arn.empty()) o.Set("task_arn", outcome.task_arn);
  o.Set("exit_code", outcome.container_exit_code);
  o.Set("last_status", outcome.last_status);
  o.Set("stop_code", outcome.stop_code);
  o.Set("stopped_reason", outcome.stopped_reason);
  o.Set("result", outcome.result);
  o.Set("duration_seconds", std::to_string(outcome.duration_seconds));
}

std::string LogTailMarkdown(const std::vector<std::string>& tail) {
  if (tail.empty()) return "";
  std::string md =
      "\n<details><summary>Last " + std::to_string(tail.size()) + " log lines</summary>\n\n```\n";
  for (const auto& line : tail) {
    std::string safe = line;
    // A line of backticks would end the fence early.
    for (size_t p = 0; (p = safe.find("```", p)) != std::string::npos; p += 3) safe[p] = '\'';
    md += safe + "\n";
  }
  return md + "```\n</details>\n";
}

std::string SummaryMarkdown(const std::string& task_id, const WaitOutcome& outcome) {
  std::string reason = outcome.stopped_reason;
  if (!outcome.container_reason.empty()) {
    reason += (reason.empty() ? "" : "; ") + outcome.container_reason;
  }
  if (outcome.result == "stopped") reason = "stopped by " + outcome.stopped_by + ": " + reason;
  if (outcome.result == "timeout" || outcome.result == "cancelled" || outcome.result == "unknown") {
    reason = outcome.explanation;
  }
  std::string md = "| Task | Result | Exit code | Duration | Stop code | Reason |\n";
  md += "| --- | --- | --- | --- | --- | --- |\n";
  md += "| `" + MarkdownEscape(task_id) + "` | " + MarkdownEscape(outcome.result) + " | " +
        MarkdownEscape(outcome.container_exit_code.empty() ? "-" : outcome.container_exit_code) +
        " | " + std::to_string(outcome.duration_seconds) + "s | " +
        MarkdownEscape(outcome.stop_code.empty() ? "-" : outcome.stop_code) + " | " +
        MarkdownEscape(reason.empty() ? "-" : reason) + " |\n";
  return md + LogTailMarkdown(outcome.log_tail);
}

}  // namespace

milliseconds PollInterval(Random& random) {
  return milliseconds(6000 + static_cast<long long>(250.0 * random.NextDouble()));
}

std::string StopReason(const Environment& env, const std::string& why) {
  std::string reason = "ecsmig wait-task: " + why;
  std::string run_id = env.GetOr("GITHUB_RUN_ID");
  if (!run_id.empty()) {
    reason += " (workflow run ";
    std::string repo = env.GetOr("GITHUB_REPOSITORY");
    if (!repo.empty()) reason += repo + " ";
    reason += run_id;
    std::string attempt = env.GetOr("GITHUB_RUN_ATTEMPT");
    if (!attempt.empty()) reason += " attempt " + attempt;
    reason += ")";
  }
  if (reason.size() > 255) reason.resize(255);  // StopTask's limit
  return reason;
}

WaitOutcome WaitForTask(AwsJsonService& ecs, ToolRun& run, const WaitOptions& options,
                        const LogFollowerFactory& follower_factory) {
  return TaskWaiter(ecs, run, options, follower_factory).Wait();
}

ToolSpec WaitTaskSpec(AwsClientFactory aws_factory, LogFollowerFactory follower_factory) {
  ToolSpec spec;
  spec.name = "wait-task";
  spec.summary = "Wait for an ECS task to stop and report how it ended";
  spec.add_options = AddWaitTaskOptions;
  spec.run = [aws_factory, follower_factory](ToolRun& run, const cxxopts::ParseResult& args) {
    InstallCancelHandlers();
    WaitOptions options = ParseWaitOptions(args, follower_factory != nullptr);
    AwsSettings ecs_settings = options.aws;
    // Polling for half an hour meets throttling sooner or later; it must not end the wait.
    if (ecs_settings.max_attempts == 0) ecs_settings.max_attempts = 10;
    std::unique_ptr<AwsJsonService> ecs = aws_factory(AwsService::kEcs, ecs_settings, run);
    TaskLogAnalysis analysis;  // diagnosis and migration timing (#17)
    options.analysis = &analysis;
    WaitOutcome outcome = WaitForTask(*ecs, run, options, follower_factory);
    LogOutcome(run.log(), outcome);
    WriteOutputs(run.outputs(), outcome);
    analysis.WriteOutputs(run.outputs(), options.follow_logs);
    analysis.Report(run.log());
    run.summary().Append(analysis.SummaryMarkdown(outcome.result != "success") +
                         SummaryMarkdown(options.task.task_id, outcome));
    return outcome.exit_code;
  };
  return spec;
}

}  // namespace ecsmig
