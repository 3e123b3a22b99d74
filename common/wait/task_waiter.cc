#include "common/wait/task_waiter.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/base/signals.h"

namespace ecsmig {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// Every lastStatus the ECS task lifecycle documents.
const char* const kTaskStatuses[] = {"PROVISIONING",   "PENDING",      "ACTIVATING",
                                     "RUNNING",        "DEACTIVATING", "STOPPING",
                                     "DEPROVISIONING", "STOPPED",      "DELETED"};
// How many answers in a row may be distrusted before the wait gives up.
constexpr int kDistrustedAnswers = 2;
constexpr milliseconds kDistrustPause{1000};

template <size_t N>
bool OneOf(const std::string& value, const char* const (&known)[N]) {
  return std::find(std::begin(known), std::end(known), value) != std::end(known);
}

// Statuses at or after RUNNING: the task has started (or is past trying).
bool IsStartedStatus(const std::string& status) {
  return status == "RUNNING" || status == "DEACTIVATING" || status == "STOPPING" ||
         status == "DEPROVISIONING" || status == "STOPPED";
}

bool IsStoppingStatus(const std::string& status) {
  return status == "DEACTIVATING" || status == "STOPPING" || status == "DEPROVISIONING" ||
         status == "STOPPED";
}

std::string SignalName(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

// The container of `task` named `name`, or nullptr.
const json* FindContainer(const json& task, const std::string& name) {
  auto containers = task.find("containers");
  if (containers == task.end() || !containers->is_array()) return nullptr;
  for (const auto& c : *containers) {
    if (JsonString(c, "name") == name) return &c;
  }
  return nullptr;
}

bool ExitedWithCode(const json* container) {
  return container && JsonString(*container, "lastStatus") == "STOPPED" &&
         ContainerExitCode(*container).has_value();
}

// A field that, when present, must be a string of one of `known` values.
template <size_t N>
std::string CheckEnumField(const json& task, const char* field, const char* const (&known)[N],
                           bool required) {
  auto it = task.find(field);
  if (it == task.end()) return required ? std::string("no ") + field : "";
  if (!it->is_string() || !OneOf(it->get<std::string>(), known)) {
    return std::string("a ") + field + " ECS does not document";
  }
  return "";
}

// "" when stopCode is absent or one word of letters (an enum value's shape).
std::string CheckStopCodeShape(const json& task) {
  auto it = task.find("stopCode");
  if (it == task.end()) return "";
  const std::string code = it->is_string() ? it->get<std::string>() : std::string();
  bool word =
      !code.empty() && code.size() <= 64 &&
      std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isalpha(c); });
  return word ? "" : "a stopCode that is not a stop code";
}

}  // namespace

TaskWaiter::TaskWaiter(AwsJsonService& ecs, ToolRun& run, const WaitOptions& options,
                       const LogFollowerFactory& follower_factory)
    : ecs_(ecs),
      run_(run),
      options_(options),
      follower_factory_(follower_factory),
      start_(run.ctx().clock.Monotonic()) {}

WaitOutcome TaskWaiter::Wait() {
  try {
    while (true) {
      std::optional<json> answer = DescribeTrusted();
      if (!answer) break;  // cancelled while backing off
      task_ = std::move(*answer);
      if (options_.analysis) options_.analysis->AddTask(task_);
      const TimePoint answered = run_.ctx().clock.Monotonic();
      std::string status = JsonString(task_, "lastStatus");
      if (first_answer_) OnFirstAnswer();
      ReportStatus(status);
      if (ResultKnown()) return Finish(Decide());
      if (follower_) follower_->Poll();
      if (auto timed_out = PastDeadline()) return Finish(*timed_out);
      milliseconds until_deadline = options_.timeout - Elapsed();
      if (!started_) until_deadline = std::min(until_deadline, options_.start_timeout - Elapsed());
      const TimePoint now = run_.ctx().clock.Monotonic();
      const TimePoint wake =
          std::max(now + milliseconds(1),
                   std::min(answered + PollInterval(run_.ctx().random), now + until_deadline));
      if (!SleepUntil(wake)) break;
    }
  } catch (const AwsError& e) {
    return Finish(Unknown(e));
  }
  int sig = CancelSignal();
  return Finish(EndEarly("cancelled", sig == SIGINT ? kExitSigInt : kExitSigTerm,
                         "cancelled by " + SignalName(sig) + " while the task was " +
                             (last_status_.empty() ? "not visible yet" : last_status_),
                         options_.stop_on_cancel));
}

std::optional<json> TaskWaiter::DescribeTrusted() {
  for (int distrusted = 0;;) {
    std::optional<json> task = DescribeVisible();
    if (!task) return std::nullopt;
    std::string why = Distrust(*task);
    if (why.empty()) return task;
    if (++distrusted >= kDistrustedAnswers) {
      throw Error("ECS answered DescribeTasks for task " + options_.task.value + " with " + why +
                  ", twice in a row: not trusting it (no result is reported)");
    }
    run_.log().Warning("ECS's DescribeTasks answer for task " + options_.task.value + " has " +
                       why + "; asking again");
    if (!SleepUntil(run_.ctx().clock.Monotonic() + kDistrustPause)) return std::nullopt;
  }
}

std::optional<json> TaskWaiter::DescribeVisible() {
  const milliseconds grace =
      started_ ? options_.missing_grace : std::min(options_.missing_grace, options_.start_timeout);
  return DescribeTaskWithinGrace(run_, ecs_, options_.cluster, options_.task.value, grace,
                                 "--missing-grace",
                                 [this](TimePoint wake) { return SleepUntil(wake); });
}

std::string TaskWaiter::Distrust(const json& task) {
  std::string arn = JsonString(task, "taskArn");
  TaskRef answered;
  try {
    answered = ParseTaskRef(arn);
  } catch (const UsageError&) {
    return "a taskArn that is not a task ARN";
  }
  if (arn.rfind("arn:", 0) != 0) return "a taskArn that is not a task ARN";
  if (answered.task_id != options_.task.task_id ||
      (!answered.cluster.empty() && answered.cluster != ClusterName(options_.cluster))) {
    return "another task (" + answered.task_id + " in cluster " + answered.cluster + ")";
  }
  if (task_definition_arn_.empty()) task_definition_arn_ = JsonString(task, "taskDefinitionArn");
  std::string problem = CheckEnumField(task, "lastStatus", kTaskStatuses, true);
  // stopCode is an enum AWS extends (InfrastructureHealth is newer than
  // botocore's model): any code-shaped word is trusted, and ClassifyStoppedTask
  // reads an unknown one as a stop from outside.
  if (problem.empty()) problem = CheckStopCodeShape(task);
  if (problem.empty() && task.contains("stoppedReason") && !task["stoppedReason"].is_string()) {
    problem = "a stoppedReason that is not text";
  }
  if (problem.empty()) problem = DistrustContainers(task);
  return problem;
}

std::string TaskWaiter::DistrustContainers(const json& task) {
  if (!task.contains("containers") || !task["containers"].is_array()) return "no containers";
  if (!options_.container.empty() && !first_answer_ && !FindContainer(task, options_.container)) {
    return "no container " + options_.container;
  }
  // The task definition is read once the task is ending (the decision needs
  // it then); from that answer on, every essential container must be there.
  std::string status = JsonString(task, "lastStatus");
  if (!essential_ && !IsStoppingStatus(status) && JsonString(task, "desiredStatus") != "STOPPED") {
    return "";
  }
  for (const auto& name : Essential()) {
    if (!FindContainer(task, name)) return "no essential container " + name;
  }
  return "";
}

void TaskWaiter::OnFirstAnswer() {
  first_answer_ = false;
  MaskOverrideEnvironment(task_, run_.log());
  CheckChosenContainer();
  if (options_.follow_logs && follower_factory_) StartFollowingLogs();
  run_.log().Info("task " + options_.task.value + " is " + JsonString(task_, "lastStatus"));
  last_status_ = JsonString(task_, "lastStatus");
}

void TaskWaiter::CheckChosenContainer() {
  if (options_.container.empty()) return;
  // The task lists its containers; the task definition only when it does not.
  std::vector<std::string> names;
  for (const auto& c : task_["containers"]) names.push_back(JsonString(c, "name"));
  if (names.empty()) names = ContainerNames(TaskDefinition());
  if (std::find(names.begin(), names.end(), options_.container) != names.end()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw Error("container '" + options_.container + "' is not in task " + options_.task.value +
              "; its containers are: " + list);
}

void TaskWaiter::StartFollowingLogs() {
  std::vector<LogTarget> targets;
  for (auto& target : DeriveLogTargets(TaskDefinition(), options_.task.task_id, ecs_.region())) {
    if (options_.container.empty() || target.container == options_.container) {
      targets.push_back(std::move(target));
    }
  }
  follower_ = follower_factory_(run_, options_.aws, std::move(targets));
  if (follower_ && options_.analysis) {
    follower_->ObserveEvents([analysis = options_.analysis](const LogEvent& event) {
      analysis->AddLogEvent(event.message, event.timestamp);
    });
  }
}

void TaskWaiter::ReportStatus(const std::string& status) {
  if (status != last_status_) {
    run_.log().Info(last_status_ + " → " + status + " (" + FormatDuration(Elapsed()) + ")");
    last_status_ = status;
  }
  if (IsStartedStatus(status) || task_.contains("startedAt")) started_ = true;
}

bool TaskWaiter::TaskIsEnding() const {
  return IsStoppingStatus(last_status_) || JsonString(task_, "desiredStatus") == "STOPPED";
}

bool TaskWaiter::ResultKnown() {
  if (last_status_ == "STOPPED") return true;
  if (options_.until_stopped || !TaskIsEnding()) return false;
  if (JsonString(task_, "stopCode") == "TaskFailedToStart") return true;
  std::vector<std::string> deciding = DecidingContainers();
  if (deciding.empty()) return false;
  return std::all_of(deciding.begin(), deciding.end(), [&](const std::string& name) {
    return ExitedWithCode(FindContainer(task_, name));
  });
}

std::vector<std::string> TaskWaiter::DecidingContainers() {
  if (!options_.container.empty()) return {options_.container};
  std::vector<std::string> deciding = Essential();
  if (deciding.empty()) {
    for (const auto& c : task_["containers"]) deciding.push_back(JsonString(c, "name"));
  }
  return deciding;
}

WaitOutcome TaskWaiter::Decide() {
  if (follower_) {
    Clock& clock = run_.ctx().clock;
    follower_->Drain(clock.Monotonic() + std::chrono::minutes(2), LogTailNotBefore(clock, task_));
  }
  WaitOutcome out;
  out.last_status = last_status_;
  TaskOutcome outcome = ClassifyStoppedTask(
      task_, options_.container.empty() ? Essential() : std::vector<std::string>{},
      options_.container);
  out.result = TaskResultName(outcome.result);
  out.exit_code = outcome.exit_code;
  out.stop_code = outcome.stop_code;
  out.stopped_reason = outcome.stopped_reason;
  out.container_reason = outcome.container_reason;
  out.container_exit_code =
      outcome.container_exit_code ? std::to_string(*outcome.container_exit_code) : "";
  out.stopped_by = outcome.stopped_by;
  out.explanation = outcome.explanation;
  if (follower_ && out.result != "success") out.log_tail = follower_->Tail(50);
  return out;
}

std::optional<WaitOutcome> TaskWaiter::PastDeadline() {
  milliseconds now = Elapsed();
  if (now >= options_.timeout) {
    return EndEarly("timeout", kExitTimeout,
                    "task did not stop within --timeout " + FormatDuration(options_.timeout) +
                        " (last status " + last_status_ + ")",
                    options_.stop_on_timeout);
  }
  if (!started_ && now >= options_.start_timeout) {
    return EndEarly("timeout", kExitTimeout,
                    "task did not reach RUNNING within --start-timeout " +
                        FormatDuration(options_.start_timeout) + " (last status " + last_status_ +
                        ")",
                    options_.stop_on_timeout);
  }
  return std::nullopt;
}

WaitOutcome TaskWaiter::EndEarly(const std::string& result, int code, const std::string& why,
                                 bool stop) {
  WaitOutcome out;
  out.result = result;
  out.exit_code = code;
  out.last_status = last_status_;
  out.explanation = why;
  out.stop_code = JsonString(task_, "stopCode");
  out.stopped_reason = JsonString(task_, "stoppedReason");
  if (stop) {
    StopTheTask(why);
  } else if (last_status_ != "STOPPED") {
    run_.log().Warning("task " + options_.task.value + " keeps running (" +
                       (result == "timeout" ? "--stop-on-timeout" : "--stop-on-cancel") +
                       " stops it)");
  }
  return out;
}

WaitOutcome TaskWaiter::Unknown(const Error& error) {
  WaitOutcome out;
  out.result = "unknown";
  out.exit_code = kExitFailed;
  out.last_status = last_status_;
  out.stop_code = JsonString(task_, "stopCode");
  out.stopped_reason = JsonString(task_, "stoppedReason");
  out.explanation = std::string("could not learn how the task ended: ") + error.what() +
                    (last_status_ == "STOPPED" ? "" : "; the task may still be running");
  return out;
}

WaitOutcome TaskWaiter::Finish(WaitOutcome out) {
  out.task_arn = JsonString(task_, "taskArn");
  if (out.task_arn.empty() && options_.task.value.rfind("arn:", 0) == 0) {
    out.task_arn = options_.task.value;
  }
  auto started_at = TaskTimestamp(task_, "startedAt");
  auto stopped_at = TaskTimestamp(task_, "stoppedAt");
  if (!stopped_at) stopped_at = TaskTimestamp(task_, "executionStoppedAt");
  if (started_at && stopped_at && *stopped_at >= *started_at) {
    out.duration_seconds = std::llround(*stopped_at - *started_at);
  } else {
    out.duration_seconds = std::llround(Elapsed().count() / 1000.0);
  }
  if (options_.on_finish) options_.on_finish(out, follower_.get());
  return out;
}

void TaskWaiter::StopTheTask(const std::string& why) {
  std::string reason = StopReason(run_.ctx().env, why);
  try {
    ecs_.Call("StopTask",
              {{"cluster", options_.cluster}, {"task", options_.task.value}, {"reason", reason}});
    run_.log().Info("stopped task " + options_.task.value + ": " + reason);
  } catch (const Error& e) {
    // The wait already failed; say the task may still run rather than hide the first error.
    run_.log().Warning(std::string("could not stop the task: ") + e.what());
  }
}

bool TaskWaiter::SleepUntil(TimePoint wake) {
  Clock& clock = run_.ctx().clock;
  while (CancelSignal() == 0) {
    auto left = std::chrono::duration_cast<milliseconds>(wake - clock.Monotonic());
    if (left <= milliseconds(0)) break;
    clock.SleepFor(follower_ ? std::min(left, kLogPollInterval) : left);
    // (Not when the next DescribeTasks is about due: the logs are read after it.)
    if (follower_ && CancelSignal() == 0 && wake - clock.Monotonic() > milliseconds(500)) {
      follower_->Poll();
    }
  }
  return CancelSignal() == 0;
}

milliseconds TaskWaiter::Elapsed() const {
  return std::chrono::duration_cast<milliseconds>(run_.ctx().clock.Monotonic() - start_);
}

const json& TaskWaiter::TaskDefinition() {
  if (!task_definition_) {
    task_definition_ =
        task_definition_arn_.empty() ? json() : DescribeTaskDefinition(ecs_, task_definition_arn_);
  }
  return *task_definition_;
}

const std::vector<std::string>& TaskWaiter::Essential() {
  if (essential_) return *essential_;
  try {
    essential_ = ContainerNames(TaskDefinition(), true);
  } catch (const AwsError& e) {
    // Without ecs:DescribeTaskDefinition every container counts: a failed
    // sidecar then fails the step, never the other way round.
    if (e.code().find("AccessDenied") == std::string::npos) throw;
    run_.log().Warning(
        std::string("cannot tell which containers are essential, so every exit code counts: ") +
        e.what());
    essential_.emplace();
  }
  return *essential_;
}

}  // namespace ecsmig
