#include "common/logs/fetch_logs.h"

#include <algorithm>
#include <cmath>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/base/signals.h"
#include "common/ecs/ecs.h"
#include "common/ecs/ecs_task.h"
#include "common/logs/diagnosis.h"
#include "common/logs/task_logs.h"

namespace ecsmig {
namespace {

using std::chrono::milliseconds;

constexpr size_t kSummaryLines = 50;
// A task stopped less than this long ago may still have lines on their way
// into CloudWatch: read it like a follow that just saw STOPPED.
constexpr std::chrono::seconds kRecentlyStopped{60};

void AddOptions(cxxopts::Options& options) {
  options.add_options("Source")("cluster", "the task's cluster (with --task)",
                                cxxopts::value<std::string>(), "NAME|ARN")(
      "task", "the task whose logs to print", cxxopts::value<std::string>(), "ARN|ID")(
      "container", "only this container (default: every container that logs with awslogs)",
      cxxopts::value<std::string>(),
      "NAME")("log-group", "read this group directly (with --log-stream; no ECS calls)",
              cxxopts::value<std::string>(), "NAME")(
      "log-stream", "the stream to read in --log-group", cxxopts::value<std::string>(), "NAME");
  options.add_options("Reading")(
      "follow",
      "keep reading until the task stops, then drain the last lines (with --log-group: until "
      "interrupted)")("since", "only events newer than DURATION ago (e.g. 15m)",
                      cxxopts::value<std::string>(), "DURATION")(
      "max-events", "stop after N events", cxxopts::value<std::string>(), "N")(
      "timestamps", "prefix each line with its event time (ISO-8601 UTC, milliseconds)")(
      "output-file", "append the log lines to FILE instead of standard output",
      cxxopts::value<std::string>(),
      "FILE")("redact", "also mask every match of this ECMAScript REGEX (repeatable)",
              cxxopts::value<std::string>(), "REGEX")(
      "stream-timeout", "wait this long for a stream that does not exist yet (default 2m)",
      cxxopts::value<std::string>(),
      "DURATION")("poll-interval", "pause between reads while following (default 3s)",
                  cxxopts::value<std::string>(), "DURATION")(
      "drain-grace",
      "after the task stops, keep reading until nothing new came for this long (default 5s)",
      cxxopts::value<std::string>(),
      "DURATION")("missing-grace",
                  "how long DescribeTasks may answer MISSING right after RunTask before the task "
                  "counts as not found (default: 1m)",
                  cxxopts::value<std::string>(), "DURATION")(
      "summary", "append the last 50 lines (redacted) to $GITHUB_STEP_SUMMARY");
  AddAwsOptions(options);
}

std::string OptionalText(const cxxopts::ParseResult& args, const std::string& flag) {
  if (!args.count(flag)) return "";
  return RequireText(args, flag);
}

milliseconds DurationFlag(const cxxopts::ParseResult& args, const std::string& flag,
                          milliseconds fallback) {
  if (!args.count(flag)) return fallback;
  return ParseDuration(args[flag].as<std::string>(), flag);
}

long long ParseMaxEvents(const std::string& text) {
  bool digits =
      !text.empty() && text.size() <= 15 &&
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
  long long value = digits ? std::stoll(text) : 0;
  if (!digits || value < 1) {
    throw UsageError("--max-events: '" + text + "' is not a positive whole number");
  }
  return value;
}

// Log lines appended to the outputs file would be read back as outputs
// (`task_arn=...` in a log line overriding the real one): the same file by
// any name (a symbolic or hard link, a relative path) is refused.
void RefuseOutputsFileAsLogFile(ToolRun& run, const std::string& output_file) {
  const std::string& outputs = run.outputs().path();
  if (outputs.empty()) return;
  bool same = output_file == outputs;
  if (!same) {
    auto log_id = run.ctx().fs.Identity(output_file);
    same = log_id && log_id == run.ctx().fs.Identity(outputs);
  }
  if (same) {
    throw UsageError("--output-file: '" + output_file +
                     "' is the outputs file; log lines written there would be read as outputs");
  }
}

// What the user asked for, validated before any AWS call.
struct Request {
  bool by_task = false;
  std::string cluster;
  TaskRef task;
  std::string container;
  std::string log_group, log_stream;
  bool follow = false;
  bool summary = false;
  milliseconds poll_interval{3000};
  milliseconds missing_grace{60000};
  TaskLogOptions log_options;
};

Request ReadRequest(ToolRun& run, const cxxopts::ParseResult& args) {
  Request request;
  std::string cluster = OptionalText(args, "cluster");
  std::string task = OptionalText(args, "task");
  std::string container = OptionalText(args, "container");
  std::string group = OptionalText(args, "log-group");
  std::string stream = OptionalText(args, "log-stream");
  bool task_source = !cluster.empty() || !task.empty();
  bool direct_source = !group.empty() || !stream.empty();
  if (task_source && direct_source) {
    throw UsageError("give either --cluster and --task, or --log-group and --log-stream, not both");
  }
  if (!task_source && !direct_source) {
    throw UsageError("say whose logs: --cluster and --task, or --log-group and --log-stream");
  }
  if (task_source) {
    if (cluster.empty()) throw UsageError("--task needs --cluster");
    if (task.empty()) throw UsageError("--cluster needs --task");
    request.by_task = true;
    request.cluster = ValidateClusterRef(cluster, "cluster");
    request.task = ParseTaskRef(task, "task");
    if (!request.task.cluster.empty() && request.task.cluster != ClusterName(request.cluster)) {
      throw UsageError("--task belongs to cluster '" + request.task.cluster + "', not '" +
                       ClusterName(request.cluster) + "'");
    }
    if (!container.empty()) request.container = ValidateContainerName(container, "container");
  } else {
    if (!container.empty()) throw UsageError("--container goes with --cluster and --task");
    if (group.empty()) throw UsageError("--log-stream needs --log-group");
    if (stream.empty()) throw UsageError("--log-group needs --log-stream");
    request.log_group = ValidateLogGroupName(group);
    request.log_stream = ValidateLogStreamName(stream);
  }

  request.follow = args.count("follow") > 0;
  request.summary = args.count("summary") > 0;
  TaskLogOptions& options = request.log_options;
  options.timestamps = args.count("timestamps") > 0;
  options.stream_timeout = DurationFlag(args, "stream-timeout", milliseconds(120000));
  options.drain_grace = DurationFlag(args, "drain-grace", milliseconds(5000));
  request.poll_interval = DurationFlag(args, "poll-interval", milliseconds(3000));
  if (request.poll_interval < milliseconds(100)) {
    throw UsageError("--poll-interval: must be at least 100ms");
  }
  options.poll_interval = std::min(request.poll_interval, milliseconds(2000));
  request.missing_grace = DurationFlag(args, "missing-grace", request.missing_grace);
  if (request.missing_grace.count() <= 0)
    throw UsageError("--missing-grace must be greater than zero");
  if (args.count("since")) {
    milliseconds since = ParseDuration(args["since"].as<std::string>(), "since");
    auto now_ms =
        std::chrono::duration_cast<milliseconds>(run.ctx().clock.Now().time_since_epoch()).count();
    options.since_ms = std::max<long long>(0, now_ms - since.count());
  }
  if (args.count("max-events")) {
    options.max_events = ParseMaxEvents(args["max-events"].as<std::string>());
  }
  if (args.count("output-file")) {
    options.output_file = RequireText(args, "output-file");
    RefuseOutputsFileAsLogFile(run, options.output_file);
  }
  for (const auto& kv : args.arguments()) {
    if (kv.key() != "redact") continue;
    if (kv.value().empty()) throw UsageError("--redact must not be empty");
    run.redactor().AddPattern(kv.value(), "redact");
  }
  options.tail_lines = kSummaryLines;
  return request;
}

// Retryable trouble while polling the task's status is not a reason to stop
// following: the next poll asks again.
bool IsTransient(const Error& e) {
  if (const auto* aws = dynamic_cast<const AwsError*>(&e)) {
    return IsRetryableCode(aws->code()) || aws->http_status() >= 500;
  }
  return dynamic_cast<const TransportError*>(&e) != nullptr;
}

// The task, from the shared ECS helper, which asks again while ECS answers
// MISSING (right after RunTask) for up to --missing-grace.
nlohmann::json DescribeTask(ToolRun& run, AwsJsonService& ecs, const Request& request) {
  std::optional<nlohmann::json> task = DescribeTaskWithinGrace(
      run, ecs, request.cluster, request.task.value, request.missing_grace, "--missing-grace");
  if (!task)
    throw Error("interrupted while the task was not visible yet",
                CancelSignal() == 15 ? kExitSigTerm : kExitSigInt);
  return *task;
}

void WriteSummary(ToolRun& run, const std::string& title, const std::vector<std::string>& lines) {
  if (!run.summary().enabled()) return;
  size_t longest_run = 0;
  for (const auto& line : lines) {
    size_t current = 0;
    for (char c : line) {
      current = c == '`' ? current + 1 : 0;
      longest_run = std::max(longest_run, current);
    }
  }
  std::string fence(std::max<size_t>(3, longest_run + 1), '`');
  std::string markdown = "### " + MarkdownEscape(title) + "\n\n";
  if (lines.empty()) {
    markdown += "_No log lines._\n";
  } else {
    markdown += fence + "text\n";
    for (const auto& line : lines) {
      std::string clean = line;
      std::replace(clean.begin(), clean.end(), '\r', ' ');
      markdown += clean + "\n";
    }
    markdown += fence + "\n";
  }
  run.summary().Append(markdown);
}

std::string JoinLines(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "\n" : "") + values[i];
  return out;
}

// The diagnosis and the applied migrations: outputs, a notice, and (with
// --summary) the lead of the step summary.
void WriteAnalysis(ToolRun& run, const TaskLogAnalysis& analysis, bool summary) {
  analysis.WriteOutputs(run.outputs(), /*log_read=*/true);
  analysis.Report(run.log());
  std::string lead = summary ? analysis.SummaryMarkdown(/*failed=*/true) : "";
  if (!lead.empty() && run.summary().enabled()) run.summary().Append(lead);
}

int Interrupted(ToolRun& run) {
  int signal_number = CancelSignal();
  run.log().Warning("interrupted; stopped reading logs");
  return signal_number == 15 ? kExitSigTerm : kExitSigInt;
}

// Where the lines come from: the streams to read and, with --task, the task
// (null with --log-group) and the ECS client that watches it.
struct LogSource {
  std::vector<LogTarget> targets;
  std::string default_region;
  nlohmann::json task;
  std::unique_ptr<AwsJsonService> ecs;
};

// awslogs without a stream prefix names the stream after the container's
// runtime id (EC2 launch type): DescribeTasks knows it.
void NameStreamsByRuntimeId(std::vector<LogTarget>& targets, const nlohmann::json& task) {
  if (!task.contains("containers") || !task["containers"].is_array()) return;
  for (auto& target : targets) {
    if (!target.awslogs || !target.stream.empty()) continue;
    for (const auto& c : task["containers"]) {
      if (c.is_object() && c.value("name", "") == target.container) {
        target.stream = c.value("runtimeId", "");
      }
    }
  }
}

// The one target --container names; a name the task definition lacks is an error.
LogTarget SelectContainer(const std::vector<LogTarget>& targets, const std::string& container,
                          const std::string& definition_arn) {
  auto it = std::find_if(targets.begin(), targets.end(),
                         [&](const LogTarget& t) { return t.container == container; });
  if (it != targets.end()) return *it;
  std::string list;
  for (const auto& t : targets) list += (list.empty() ? "" : ", ") + t.container;
  throw Error("task definition " + definition_arn + " has no container '" + container +
              "' (containers: " + list + ")");
}

// The task's streams, from its task definition's awslogs options.
std::vector<LogTarget> TaskLogTargets(AwsJsonService& ecs, const nlohmann::json& task,
                                      const Request& request, const std::string& region) {
  std::string definition_arn = task.value("taskDefinitionArn", "");
  if (definition_arn.empty()) throw Error("DescribeTasks returned no taskDefinitionArn");
  nlohmann::json definition =
      ecs.Call("DescribeTaskDefinition", {{"taskDefinition", definition_arn}});
  if (!definition.contains("taskDefinition") || !definition["taskDefinition"].is_object()) {
    throw Error("DescribeTaskDefinition returned no taskDefinition for " + definition_arn);
  }
  std::vector<LogTarget> targets =
      DeriveLogTargets(definition["taskDefinition"], request.task.task_id, region);
  NameStreamsByRuntimeId(targets, task);
  if (request.container.empty()) return targets;
  return {SelectContainer(targets, request.container, definition_arn)};
}

// --cluster + --task: the task, in the region its ARN names (if any).
LogSource TaskSource(ToolRun& run, Request& request, const AwsSettings& settings,
                     const FetchLogsClientFactory& factory) {
  std::string region_override;
  if (!request.task.region.empty()) {
    if (!settings.region.empty() && settings.region != request.task.region) {
      throw UsageError("--task is in region " + request.task.region + ", not --region " +
                       settings.region);
    }
    region_override = request.task.region;
  }
  LogSource source;
  source.ecs = factory(AwsService::kEcs, settings, run, region_override);
  source.default_region = source.ecs->region();
  source.task = DescribeTask(run, *source.ecs, request);
  MaskOverrideEnvironment(source.task, run.log());
  source.targets = TaskLogTargets(*source.ecs, source.task, request, source.default_region);
  request.log_options.task_console_url =
      TaskConsoleUrl(source.default_region, ClusterName(request.cluster), request.task.task_id);
  return source;
}

// --log-group + --log-stream: that one stream, no task.
LogSource DirectSource(const Request& request) {
  LogTarget target;
  target.container = request.log_stream;
  target.log_driver = "awslogs";
  target.awslogs = true;
  target.group = request.log_group;
  target.stream = request.log_stream;
  LogSource source;
  source.targets.push_back(target);
  return source;
}

using LogsClients = std::map<std::string, std::unique_ptr<AwsJsonService>>;

// Clients per region, made before any Logs call so a missing region is a
// usage error, not a half-read log. Fills in the targets' default region.
LogsClients MakeLogsClients(ToolRun& run, LogSource& source, const AwsSettings& settings,
                            const FetchLogsClientFactory& factory) {
  LogsClients clients;
  for (auto& target : source.targets) {
    if (!target.awslogs || target.stream.empty() || clients.count(target.region)) continue;
    auto client = factory(AwsService::kLogs, settings, run, target.region);
    // Keyed by the region it serves, so the follower finds it again.
    std::string region = target.region.empty() ? client->region() : target.region;
    for (auto& other : source.targets) {
      if (other.region.empty()) other.region = region;
    }
    clients.emplace(region, std::move(client));
  }
  if (source.default_region.empty() && !clients.empty())
    source.default_region = clients.begin()->second->region();
  return clients;
}

// With --log-group + --log-stream no task will create the group: a group
// that does not exist is an error now, not after the stream timeout. Only
// "not found" decides; any other answer leaves it to the reading.
void RequireLogGroup(ToolRun& run, LogsClients& clients, const LogSource& source) {
  const LogTarget& target = source.targets.front();
  auto it = clients.find(target.region);
  if (it == clients.end() || !it->second) return;
  try {
    it->second->Call(
        "DescribeLogStreams",
        {{"logGroupName", target.group}, {"logStreamNamePrefix", target.stream}, {"limit", 1}});
  } catch (const AwsError& e) {
    if (!IsNotFoundCode(e.code())) {
      run.log().Verbose(std::string("DescribeLogStreams: ") + e.what());
      return;
    }
    throw Error("log group " + target.group + " does not exist in region " + it->second->region() +
                " (check --log-group and the region)");
  }
}

// log_group, log_stream and console_url are known before any line is read.
void SetStreamOutputs(ToolRun& run, const LogSource& source, const Request& request) {
  std::vector<std::string> groups, streams, urls;
  for (const auto& target : source.targets) {
    if (!target.awslogs || target.stream.empty()) continue;
    groups.push_back(target.group);
    streams.push_back(target.stream);
    urls.push_back(LogStreamConsoleUrl(target.region, target.group, target.stream));
  }
  run.outputs().Set("log_group", JoinLines(groups));
  run.outputs().Set("log_stream", JoinLines(streams));
  run.outputs().Set("console_url",
                    urls.empty() ? request.log_options.task_console_url : JoinLines(urls));
  run.outputs().Set("events", "0");
}

// A task that never started has no logs to wait for.
bool NeverStarted(const nlohmann::json& task) {
  return !task.is_null() && task.value("lastStatus", "") == "STOPPED" &&
         !TaskTimestamp(task, "startedAt");
}

// How long draining may take at most once the task has stopped.
std::chrono::steady_clock::time_point DrainDeadline(Clock& clock, const TaskLogOptions& options) {
  return clock.Monotonic() + std::max(options.stream_timeout, milliseconds(120000)) +
         options.drain_grace;
}

// Without --follow: what is there now; a task whose containers exited moments
// ago (STOPPED, or still in the stop sequence: wait-task ends before STOPPED)
// may still have lines on their way, so it is drained. Returns whether interrupted.
bool ReadOnce(ToolRun& run, TaskLogFollower& follower, const LogSource& source,
              const TaskLogOptions& options) {
  Clock& clock = run.ctx().clock;
  const std::optional<double> exited_at =
      source.task.is_null() ? std::nullopt : ContainersExitedAt(source.task);
  double now_s = std::chrono::duration<double>(clock.Now().time_since_epoch()).count();
  if (exited_at && now_s - *exited_at < static_cast<double>(kRecentlyStopped.count())) {
    run.log().Verbose("the task's containers exited moments ago: draining late lines");
    follower.Drain(DrainDeadline(clock, options), LogTailNotBefore(clock, source.task));
  } else {
    follower.ReadAll();
  }
  return CancelSignal() != 0;
}

// --follow with --log-group: no task to watch, so until interrupted (like
// `aws logs tail --follow`). Returns whether interrupted.
bool FollowStream(ToolRun& run, TaskLogFollower& follower, const Request& request) {
  while (CancelSignal() == 0 && !follower.limit_reached()) {
    follower.Poll();
    run.ctx().clock.SleepFor(request.poll_interval);
  }
  bool interrupted = CancelSignal() != 0;
  if (interrupted) follower.Poll();
  return interrupted;
}

// --follow with --task: read while the task runs, then drain once it stopped.
// Returns whether interrupted.
bool FollowTask(ToolRun& run, TaskLogFollower& follower, LogSource& source, const Request& request,
                const TaskLogOptions& options) {
  std::string status = source.task.value("lastStatus", "");
  std::string last_reported;
  bool interrupted = false;
  while (true) {
    if (status != last_reported) {
      run.log().Info("task " + request.task.task_id + " is " + status);
      last_reported = status;
    }
    if (status == "STOPPED" || follower.limit_reached()) break;
    // Streams appear when containers start: before RUNNING there is
    // nothing to read, and the stream timeout should not be running.
    if (status == "RUNNING" || status == "DEACTIVATING" || status == "STOPPING" ||
        status == "DEPROVISIONING") {
      follower.Poll();
    }
    run.ctx().clock.SleepFor(request.poll_interval);
    if (CancelSignal() != 0) {
      interrupted = true;
      break;
    }
    try {
      source.task = DescribeTask(run, *source.ecs, request);
      status = source.task.value("lastStatus", status);
    } catch (const Error& e) {
      if (!IsTransient(e)) throw;
      run.log().Verbose(std::string("DescribeTasks: ") + e.what() + "; asking again");
    }
  }
  if (!interrupted && !follower.limit_reached()) {
    follower.Drain(DrainDeadline(run.ctx().clock, options),
                   LogTailNotBefore(run.ctx().clock, source.task));
  }
  return interrupted || CancelSignal() != 0;
}

// The count, the summary and the exit code once reading is over.
int Finish(ToolRun& run, const Request& request, TaskLogFollower& follower,
           const TaskLogAnalysis& analysis, bool interrupted) {
  run.outputs().Set("events", std::to_string(follower.events_printed()));
  WriteAnalysis(run, analysis, request.summary);
  if (request.summary) {
    std::string title = request.by_task
                            ? "Last lines of task " + request.task.task_id
                            : "Last lines of " + request.log_group + " " + request.log_stream;
    WriteSummary(run, title, follower.Tail(kSummaryLines));
  }
  run.log().Verbose(std::to_string(follower.events_printed()) + " events in " +
                    std::to_string(follower.get_log_events_calls()) + " GetLogEvents calls");
  if (interrupted) return Interrupted(run);
  if (!follower.complete()) {
    auto problems = follower.problems();
    throw Error("could not read every log stream to its end: " +
                (problems.empty() ? std::string("unknown reason") : problems.front()));
  }
  return kExitOk;
}

int Run(ToolRun& run, const cxxopts::ParseResult& args, const FetchLogsClientFactory& factory) {
  Request request = ReadRequest(run, args);
  AwsSettings settings = ReadAwsOptions(args);
  InstallCancelHandlers();

  LogSource source =
      request.by_task ? TaskSource(run, request, settings, factory) : DirectSource(request);
  LogsClients clients = MakeLogsClients(run, source, settings, factory);
  if (!request.by_task) RequireLogGroup(run, clients, source);
  SetStreamOutputs(run, source, request);
  TaskLogAnalysis analysis;  // diagnosis and migration timing, from the lines as printed
  analysis.AddTask(source.task);
  if (NeverStarted(source.task)) {
    run.log().Notice("task " + request.task.task_id +
                     " stopped without starting, so it wrote no logs (" +
                     source.task.value("stoppedReason", "no reason given") + ")");
    WriteAnalysis(run, analysis, request.summary);
    if (request.summary) WriteSummary(run, "Logs of task " + request.task.task_id, {});
    return kExitOk;
  }

  LogsClientFactory make_logs = [&](const std::string& region) {
    auto it = clients.find(region);
    if (it != clients.end() && it->second) return std::move(it->second);
    return factory(AwsService::kLogs, settings, run, region);
  };
  TaskLogOptions options = request.log_options;
  options.fold_groups = true;
  auto follower = MakeTaskLogFollower(run, make_logs, source.targets, options);
  follower->ObserveEvents(
      [&analysis](const LogEvent& event) { analysis.AddLogEvent(event.message, event.timestamp); });
  bool interrupted;
  if (!request.follow) {
    interrupted = ReadOnce(run, *follower, source, options);
  } else if (!request.by_task) {
    interrupted = FollowStream(run, *follower, request);
  } else {
    interrupted = FollowTask(run, *follower, source, request, options);
  }
  analysis.AddTask(source.task);
  return Finish(run, request, *follower, analysis, interrupted);
}

}  // namespace

std::string ValidateLogGroupName(const std::string& value, const std::string& flag) {
  bool valid = !value.empty() && value.size() <= 512 &&
               std::all_of(value.begin(), value.end(), [](unsigned char c) {
                 return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
               });
  if (!valid) {
    throw UsageError("--" + flag + ": '" + value.substr(0, 120) +
                     "' is not a log group name (1-512 of letters, digits, . - _ / #)");
  }
  return value;
}

std::string ValidateLogStreamName(const std::string& value, const std::string& flag) {
  bool valid = !value.empty() && value.size() <= 512 &&
               std::none_of(value.begin(), value.end(), [](unsigned char c) {
                 return c == ':' || c == '*' || c < 0x20 || c == 0x7f;
               });
  if (!valid) {
    throw UsageError("--" + flag + ": '" + value.substr(0, 120) +
                     "' is not a log stream name (1-512 characters, no ':' or '*')");
  }
  return value;
}

ToolSpec FetchLogsSpec(FetchLogsClientFactory make_client) {
  if (!make_client) {
    make_client = [](AwsService service, const AwsSettings& settings, ToolRun& run,
                     const std::string& region) {
      return MakeAwsJsonService(service, settings, run, region);
    };
  }
  ToolSpec spec;
  spec.name = "fetch-logs";
  spec.summary =
      "Prints a task's CloudWatch log events, in order, each exactly once. Lines go to standard "
      "output (or --output-file); outputs go to --output/$GITHUB_OUTPUT, else to standard output "
      "after the last line.";
  spec.details =
      "Outputs: log_group, log_stream, events, console_url.\n"
      "Exit codes: 0 read; 1 an AWS error after retries, a --log-group that does not exist, or a "
      "stream not read to its end; 2 bad input; 130/143 interrupted.";
  spec.add_options = AddOptions;
  spec.run = [make_client](ToolRun& run, const cxxopts::ParseResult& args) {
    return Run(run, args, make_client);
  };
  return spec;
}

}  // namespace ecsmig
