#include "common/wait/wait_task.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <optional>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/base/signals.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// Statuses at or after RUNNING: the task has started (or is past trying).
bool IsStartedStatus(const std::string& status) {
  return status == "RUNNING" || status == "DEACTIVATING" || status == "STOPPING" ||
         status == "DEPROVISIONING" || status == "STOPPED";
}

std::string Seconds(milliseconds d) { return FormatDuration(d); }

std::string SignalName(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

void StopTask(AwsJsonService& ecs, ToolRun& run, const WaitOptions& options,
              const std::string& why) {
  std::string reason = StopReason(run.ctx().env, why);
  try {
    ecs.Call("StopTask",
             {{"cluster", options.cluster}, {"task", options.task.value}, {"reason", reason}});
    run.log().Info("stopped task " + options.task.value + ": " + reason);
  } catch (const Error& e) {
    // The wait already failed; say the task may still run rather than hide the first error.
    run.log().Warning(std::string("could not stop the task: ") + e.what());
  }
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
  Clock& clock = run.ctx().clock;
  Logger& log = run.log();
  const auto start = clock.Monotonic();
  auto elapsed = [&] {
    return std::chrono::duration_cast<milliseconds>(clock.Monotonic() - start);
  };

  WaitOutcome out;
  std::string last_status;
  bool started = false;
  bool first = true;
  std::vector<std::string> essential;
  std::unique_ptr<TaskLogFollower> follower;
  json task;
  // Described once, and only when needed: a task whose containers all exited
  // 0 is decided by DescribeTasks alone.
  std::optional<json> task_definition;
  auto load_task_definition = [&]() -> const json& {
    if (!task_definition) {
      std::string td_arn = JsonString(task, "taskDefinitionArn", std::string());
      task_definition = td_arn.empty() ? json() : DescribeTaskDefinition(ecs, td_arn);
    }
    return *task_definition;
  };
  auto finish_duration = [&] {
    auto started_at = TaskTimestamp(task, "startedAt");
    auto stopped_at = TaskTimestamp(task, "stoppedAt");
    if (started_at && stopped_at && *stopped_at >= *started_at) {
      out.duration_seconds = std::llround(*stopped_at - *started_at);
    } else {
      out.duration_seconds = std::llround(elapsed().count() / 1000.0);
    }
  };
  auto end_early = [&](const std::string& result, int code, const std::string& why, bool stop) {
    out.result = result;
    out.exit_code = code;
    out.last_status = last_status;
    out.explanation = why;
    if (stop) {
      StopTask(ecs, run, options, why);
    } else if (last_status != "STOPPED") {
      log.Warning("task " + options.task.value + " keeps running (" +
                  (result == "timeout" ? "--stop-on-timeout" : "--stop-on-cancel") + " stops it)");
    }
    finish_duration();
    return out;
  };

  while (true) {
    std::string failure;
    std::optional<json> described =
        DescribeOneTask(ecs, options.cluster, options.task.value, &failure);
    const auto answered = clock.Monotonic();
    if (!described) {
      throw Error("task " + options.task.value + " is not known to cluster " + options.cluster +
                  " (" + failure + "): check --cluster and --task");
    }
    task = std::move(*described);
    std::string status = JsonString(task, "lastStatus", std::string());

    if (first) {
      first = false;
      MaskOverrideEnvironment(task, log);
      if (!options.container.empty()) {
        // The task lists its containers; the task definition only when it does not.
        std::vector<std::string> names;
        if (task.contains("containers") && task["containers"].is_array()) {
          for (const auto& c : task["containers"])
            names.push_back(JsonString(c, "name", std::string()));
        }
        if (names.empty()) names = ContainerNames(load_task_definition());
        if (std::find(names.begin(), names.end(), options.container) == names.end()) {
          std::string list;
          for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
          throw Error("container '" + options.container + "' is not in task " + options.task.value +
                      "; its containers are: " + list);
        }
      }
      if (options.follow_logs && follower_factory) {
        std::vector<LogTarget> targets;
        for (auto& target :
             DeriveLogTargets(load_task_definition(), options.task.task_id, ecs.region())) {
          if (options.container.empty() || target.container == options.container) {
            targets.push_back(std::move(target));
          }
        }
        follower = follower_factory(run, options.aws, std::move(targets));
      }
      log.Info("task " + options.task.value + " is " + status);
    } else if (status != last_status) {
      log.Info(last_status + " → " + status + " (" + Seconds(elapsed()) + ")");
    }
    last_status = status;
    if (IsStartedStatus(status) || task.contains("startedAt")) started = true;

    if (status == "STOPPED") {
      if (follower) {
        follower->Drain(clock.Monotonic() + std::chrono::minutes(2));
      }
      // Which containers are essential matters only when one did not exit 0.
      if (options.container.empty() && !EveryContainerExitedZero(task)) {
        try {
          essential = ContainerNames(load_task_definition(), true);
        } catch (const AwsError& e) {
          // Without ecs:DescribeTaskDefinition every container counts: a
          // failed sidecar then fails the step, never the other way round.
          if (e.code().find("AccessDenied") == std::string::npos) throw;
          log.Warning(std::string("cannot tell which containers are essential, so every exit "
                                  "code counts: ") +
                      e.what());
        }
      }
      TaskOutcome outcome = ClassifyStoppedTask(task, essential, options.container);
      out.result = TaskResultName(outcome.result);
      out.exit_code = outcome.exit_code;
      out.last_status = status;
      out.stop_code = outcome.stop_code;
      out.stopped_reason = outcome.stopped_reason;
      out.container_reason = outcome.container_reason;
      out.container_exit_code =
          outcome.container_exit_code ? std::to_string(*outcome.container_exit_code) : "";
      out.explanation = outcome.explanation;
      if (follower && outcome.result != TaskResult::kSuccess) out.log_tail = follower->Tail(50);
      finish_duration();
      return out;
    }
    if (follower) follower->Poll();

    out.stop_code = JsonString(task, "stopCode", std::string());
    out.stopped_reason = JsonString(task, "stoppedReason", std::string());
    milliseconds now = elapsed();
    if (now >= options.timeout) {
      return end_early("timeout", kExitTimeout,
                       "task did not stop within --timeout " + Seconds(options.timeout) +
                           " (last status " + status + ")",
                       options.stop_on_timeout);
    }
    if (!started && now >= options.start_timeout) {
      return end_early("timeout", kExitTimeout,
                       "task did not reach RUNNING within --start-timeout " +
                           Seconds(options.start_timeout) + " (last status " + status + ")",
                       options.stop_on_timeout);
    }
    milliseconds until_deadline = options.timeout - now;
    if (!started) until_deadline = std::min(until_deadline, options.start_timeout - now);
    // Sleep until the next call is due (or the deadline), reading the logs
    // every kLogPollInterval meanwhile so they follow the task closely.
    const auto wake = std::max(
        clock.Monotonic() + milliseconds(1),
        std::min(answered + PollInterval(run.ctx().random), clock.Monotonic() + until_deadline));
    while (CancelSignal() == 0) {
      auto left = std::chrono::duration_cast<milliseconds>(wake - clock.Monotonic());
      if (left <= milliseconds(0)) break;
      clock.SleepFor(follower ? std::min(left, kLogPollInterval) : left);
      // (Not when the next DescribeTasks is about due: the logs are read after it.)
      if (follower && CancelSignal() == 0 && wake - clock.Monotonic() > milliseconds(500)) {
        follower->Poll();
      }
    }
    if (int sig = CancelSignal()) {
      return end_early("cancelled", sig == SIGINT ? kExitSigInt : kExitSigTerm,
                       "cancelled by " + SignalName(sig) + " while the task was " + last_status,
                       options.stop_on_cancel);
    }
  }
}

ToolSpec WaitTaskSpec(AwsClientFactory aws_factory, LogFollowerFactory follower_factory) {
  ToolSpec spec;
  spec.name = "wait-task";
  spec.summary = "Wait for an ECS task to stop and report how it ended";
  spec.add_options = [](cxxopts::Options& options) {
    options.add_options()("cluster", "cluster name or ARN (required)",
                          cxxopts::value<std::string>(), "NAME|ARN")(
        "task", "task ARN or id (required)", cxxopts::value<std::string>(), "ARN|ID")(
        "timeout", "give up after this long (default: 30m)", cxxopts::value<std::string>(),
        "DURATION")("start-timeout", "give up if not RUNNING after this long (default: 10m)",
                    cxxopts::value<std::string>(), "DURATION")(
        "container", "container whose exit code counts (default: every essential container)",
        cxxopts::value<std::string>(), "NAME")("stop-on-timeout", "stop the task on a timeout")(
        "stop-on-cancel", "stop the task on SIGINT/SIGTERM")(
        "follow-logs", "stream the containers' logs while waiting");
    AddAwsOptions(options);
  };
  spec.run = [aws_factory, follower_factory](ToolRun& run, const cxxopts::ParseResult& args) {
    InstallCancelHandlers();
    WaitOptions options;
    options.cluster = ValidateClusterRef(RequireText(args, "cluster"));
    options.task = ParseTaskRef(RequireText(args, "task"));
    if (!options.task.cluster.empty() && options.task.cluster != ClusterName(options.cluster)) {
      throw UsageError("--task: the ARN names cluster '" + options.task.cluster + "', not '" +
                       ClusterName(options.cluster) + "'");
    }
    if (args.count("timeout"))
      options.timeout = ParseDuration(args["timeout"].as<std::string>(), "timeout");
    if (args.count("start-timeout")) {
      options.start_timeout =
          ParseDuration(args["start-timeout"].as<std::string>(), "start-timeout");
    }
    if (options.timeout.count() <= 0) throw UsageError("--timeout must be greater than zero");
    if (options.start_timeout.count() <= 0)
      throw UsageError("--start-timeout must be greater than zero");
    if (args.count("container"))
      options.container = ValidateContainerName(RequireText(args, "container"));
    options.stop_on_timeout = args.count("stop-on-timeout") > 0;
    options.stop_on_cancel = args.count("stop-on-cancel") > 0;
    options.follow_logs = args.count("follow-logs") > 0;
    if (options.follow_logs && !follower_factory) {
      throw UsageError("--follow-logs is not available in this build");
    }
    options.aws = ReadAwsOptions(args);

    AwsSettings ecs_settings = options.aws;
    // Polling for half an hour meets throttling sooner or later; it must not end the wait.
    if (ecs_settings.max_attempts == 0) ecs_settings.max_attempts = 10;
    std::unique_ptr<AwsJsonService> ecs = aws_factory(AwsService::kEcs, ecs_settings, run);
    WaitOutcome outcome = WaitForTask(*ecs, run, options, follower_factory);

    if (outcome.result == "success") {
      run.log().Info("task succeeded: " + outcome.explanation + " after " +
                     std::to_string(outcome.duration_seconds) + "s");
    } else {
      std::string prefix =
          outcome.result == "infra-failure"
              ? "infrastructure failure (the task did not run its command properly)"
          : outcome.result == "failed"  ? "task failed"
          : outcome.result == "timeout" ? "timeout"
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
      run.log().Error(message);
    }
    OutputWriter& o = run.outputs();
    o.Set("exit_code", outcome.container_exit_code);
    o.Set("last_status", outcome.last_status);
    o.Set("stop_code", outcome.stop_code);
    o.Set("stopped_reason", outcome.stopped_reason);
    o.Set("result", outcome.result);
    o.Set("duration_seconds", std::to_string(outcome.duration_seconds));

    std::string md = "| Task | Result | Exit code | Duration | Stop code | Reason |\n";
    md += "| --- | --- | --- | --- | --- | --- |\n";
    std::string reason = outcome.stopped_reason;
    if (!outcome.container_reason.empty()) {
      reason += (reason.empty() ? "" : "; ") + outcome.container_reason;
    }
    if (outcome.result == "timeout" || outcome.result == "cancelled") reason = outcome.explanation;
    md += "| `" + MarkdownEscape(options.task.task_id) + "` | " + MarkdownEscape(outcome.result) +
          " | " +
          MarkdownEscape(outcome.container_exit_code.empty() ? "-" : outcome.container_exit_code) +
          " | " + std::to_string(outcome.duration_seconds) + "s | " +
          MarkdownEscape(outcome.stop_code.empty() ? "-" : outcome.stop_code) + " | " +
          MarkdownEscape(reason.empty() ? "-" : reason) + " |\n";
    if (!outcome.log_tail.empty()) {
      md += "\n<details><summary>Last " + std::to_string(outcome.log_tail.size()) +
            " log lines</summary>\n\n```\n";
      for (const auto& line : outcome.log_tail) {
        std::string safe = line;
        // A line of backticks would end the fence early.
        for (size_t p = 0; (p = safe.find("```", p)) != std::string::npos; p += 3) safe[p] = '\'';
        md += safe + "\n";
      }
      md += "```\n</details>\n";
    }
    run.summary().Append(md);
    return outcome.exit_code;
  };
  return spec;
}

}  // namespace ecsmig
