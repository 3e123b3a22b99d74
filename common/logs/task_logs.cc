#include "common/logs/task_logs.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/base/rate_limiter.h"
#include "common/base/signals.h"
#include "common/ecs/ecs_task.h"
#include "common/github/cli.h"
#include "common/net/backoff.h"

namespace ecsmig {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// Lines are written in chunks of about this size, so a page of big messages
// never sits in memory twice.
constexpr size_t kWriteChunk = 64 * 1024;

// After STOPPED, the log driver has created every stream it ever will: a
// stream still missing is given this long (beyond the grace period) to show up.
constexpr milliseconds kMissingAfterStop{10000};

}  // namespace

std::string FormatLogTimestamp(long long epoch_ms) {
  long long seconds = epoch_ms / 1000;
  long long millis = epoch_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(epoch_ms);
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buffer;
}

// ---- LogLinePrinter ---------------------------------------------------------

LogLinePrinter::LogLinePrinter(ToolRun& run, const TaskLogOptions& options)
    : run_(run),
      out_(options.out != nullptr ? *options.out : run.ctx().out),
      output_file_(options.output_file),
      timestamps_(options.timestamps),
      max_events_(options.max_events),
      tail_capacity_(options.tail_lines) {}

bool LogLinePrinter::runner_reads_output() const {
  return output_file_.empty() && run_.log().in_actions();
}

void LogLinePrinter::Write(const std::string& data) {
  if (data.empty()) return;
  if (output_file_.empty()) {
    out_ << data;
    if (!out_) throw Error("cannot write log lines to standard output");
  } else {
    run_.ctx().fs.AppendFile(output_file_, data);
  }
}

size_t LogLinePrinter::Print(const std::string& prefix, const std::vector<LogEvent>& events) {
  size_t count = events.size();
  if (max_events_ >= 0) {
    count = static_cast<size_t>(
        std::max(0LL, std::min<long long>(static_cast<long long>(count), max_events_ - printed_)));
  }
  if (count == 0) return 0;

  // The stop token must not occur in what it protects: the page is in memory
  // already, so check it before writing anything.
  std::string stop_token;
  if (runner_reads_output()) {
    bool clash = true;
    while (clash) {
      stop_token = "ecsmig-logs-" + run_.ctx().random.Hex(16);
      clash = std::any_of(events.begin(), events.begin() + static_cast<long>(count),
                          [&](const LogEvent& e) {
                            return e.message.find(stop_token) != std::string::npos;
                          }) ||
              prefix.find(stop_token) != std::string::npos;
    }
  }

  std::string buffer;
  if (!stop_token.empty()) buffer += "::stop-commands::" + stop_token + "\n";
  for (size_t i = 0; i < count; ++i) {
    const LogEvent& event = events[i];
    std::string_view message = event.message;
    // awslogs keeps the line's own newline on some platforms: one line is one line.
    if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
    std::string line;
    if (timestamps_) line = FormatLogTimestamp(event.timestamp) + " ";
    line += prefix;
    std::string redacted = run_.redactor().Redact(message);
    if (observer_) observer_(LogEvent{event.timestamp, event.ingestion_time, redacted});
    line += redacted;
    buffer += line;
    buffer += '\n';
    if (tail_capacity_ > 0) {
      if (tail_.size() == tail_capacity_) tail_.pop_front();
      tail_.push_back(std::move(line));
    }
    if (buffer.size() >= kWriteChunk) {
      Write(buffer);
      buffer.clear();
    }
  }
  if (!stop_token.empty()) buffer += "::" + stop_token + "::\n";
  Write(buffer);
  if (output_file_.empty()) out_.flush();
  printed_ += static_cast<long long>(count);
  return count;
}

void LogLinePrinter::StartSection(const std::string& title) {
  EndSection();
  if (runner_reads_output()) {
    out_ << FormatWorkflowCommand("group", {}, run_.redactor().Redact(title)) << "\n" << std::flush;
    in_section_ = true;
  } else {
    run_.log().Info(title);
  }
}

void LogLinePrinter::EndSection() {
  if (!in_section_) return;
  out_ << "::endgroup::\n" << std::flush;
  in_section_ = false;
}

std::vector<std::string> LogLinePrinter::Tail(size_t n) const {
  size_t take = std::min(n, tail_.size());
  return std::vector<std::string>(tail_.end() - static_cast<long>(take), tail_.end());
}

// ---- The follower -------------------------------------------------------------

namespace {

class Follower : public TaskLogFollower {
 public:
  Follower(ToolRun& run, LogsClientFactory make_client, std::vector<LogTarget> targets,
           const TaskLogOptions& options)
      : run_(run),
        options_(options),
        clock_(run.ctx().clock),
        limiter_(run.ctx().clock, std::max(options.calls_per_second, 0.1),
                 std::max(options.calls_per_second, 1.0)),
        printer_(run, options) {
    std::vector<LogTarget> readable;
    for (auto& target : targets) {
      if (!target.awslogs) {
        std::string driver = target.log_driver.empty() ? "no log driver" : target.log_driver;
        std::string message = "container '" + target.container +
                              "' does not log to CloudWatch Logs through awslogs (" + driver +
                              "): its logs cannot be shown here";
        if (!options.task_console_url.empty()) message += "; see " + options.task_console_url;
        run.log().Notice(message);
        continue;
      }
      if (target.stream.empty()) {
        run.log().Notice("container '" + target.container + "' logs to group " + target.group +
                         " without awslogs-stream-prefix, so its stream name is unknown; see " +
                         LogStreamConsoleUrl(target.region, target.group, ""));
        continue;
      }
      readable.push_back(std::move(target));
    }
    for (auto& target : readable) {
      auto client = clients_.find(target.region);
      if (client == clients_.end()) {
        client = clients_.emplace(target.region, make_client(target.region)).first;
      }
      auto stream = std::make_unique<Stream>(run.ctx().random);
      stream->prefix = readable.size() > 1 ? "[" + target.container + "] " : "";
      stream->reader = std::make_unique<LogStreamReader>(
          *client->second, target.group, target.stream, options.since_ms, &limiter_);
      stream->last_success = clock_.Monotonic();
      stream->target = std::move(target);
      streams_.push_back(std::move(stream));
    }
  }

  void Poll() override {
    for (auto& stream : streams_) {
      if (printer_.limit_reached()) return;
      if (stream->gave_up || clock_.Monotonic() < stream->retry_at) continue;
      // While the task runs, a missing stream is only "not yet": the
      // container may still be pulling its image. Drain decides at the end.
      ReadRound(*stream, /*may_give_up=*/false);
    }
  }

  void Drain(SteadyTime deadline, SteadyTime not_before) override {
    SteadyTime start = clock_.Monotonic();
    SteadyTime stable_since = start;
    while (true) {
      bool printed = false;
      for (auto& stream : streams_) {
        if (printer_.limit_reached()) break;
        if (stream->gave_up) continue;
        if (clock_.Monotonic() >= stream->retry_at) {
          // Always one more look, however long the stream was missing before.
          if (ReadRound(*stream, /*may_give_up=*/false)) printed = true;
        }
        // The task is stopped: its log driver made every stream it ever
        // will, so a missing one gets a short while, not stream_timeout.
        if (!stream->exists && stream->reader->calls() > 0 &&
            clock_.Monotonic() - start >=
                std::min<SteadyTime::duration>(options_.stream_timeout,
                                               options_.drain_grace + kMissingAfterStop)) {
          GiveUpMissing(*stream);
        }
      }
      SteadyTime now = clock_.Monotonic();
      if (printed) stable_since = now;
      if (printer_.limit_reached()) return;
      bool settled = std::all_of(streams_.begin(), streams_.end(),
                                 [](const auto& s) { return s->gave_up || s->caught_up; });
      if (settled && now - stable_since >= options_.drain_grace && now >= not_before) return;
      if (now >= deadline) {
        for (auto& stream : streams_) {
          if (!stream->gave_up && !stream->caught_up) {
            stream->problem = "stopped reading at the deadline before its end";
          }
        }
        return;
      }
      if (CancelSignal() != 0) {
        MarkUnfinished("interrupted");
        return;
      }
      auto pause = std::min<SteadyTime::duration>(options_.poll_interval, deadline - now);
      if (settled) {
        SteadyTime settles = std::max(stable_since + options_.drain_grace, not_before);
        pause = std::min<SteadyTime::duration>(pause, settles - now);
      }
      clock_.SleepFor(std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(pause)));
    }
  }

  void ReadAll() override {
    bool sections = options_.fold_groups;
    for (auto& stream_ptr : streams_) {
      Stream& stream = *stream_ptr;
      if (printer_.limit_reached()) break;
      if (sections) {
        printer_.StartSection(stream.target.container + " (" + stream.target.group + " " +
                              stream.target.stream + ")");
      }
      while (!stream.gave_up && !stream.caught_up && !printer_.limit_reached()) {
        if (CancelSignal() != 0) {
          MarkUnfinished("interrupted");
          if (sections) printer_.EndSection();
          return;
        }
        SteadyTime now = clock_.Monotonic();
        if (now < stream.retry_at) {
          clock_.SleepFor(std::chrono::duration_cast<milliseconds>(stream.retry_at - now) +
                          milliseconds(1));
          continue;
        }
        ReadRound(stream, /*may_give_up=*/true);
      }
      if (sections) printer_.EndSection();
    }
  }

  long long events_printed() const override { return printer_.printed(); }
  std::vector<std::string> Tail(size_t n) const override { return printer_.Tail(n); }
  bool limit_reached() const override { return printer_.limit_reached(); }
  void ObserveEvents(LogEventObserver observer) override {
    printer_.set_observer(std::move(observer));
  }

  bool complete() const override {
    if (printer_.limit_reached()) return true;
    return std::all_of(streams_.begin(), streams_.end(), [](const auto& s) {
      return s->caught_up && !s->gave_up && s->problem.empty();
    });
  }

  std::vector<std::string> problems() const override {
    std::vector<std::string> out;
    if (printer_.limit_reached()) return out;
    for (const auto& s : streams_) {
      std::string why = s->problem;
      if (why.empty() && !s->caught_up) why = "not read to its end";
      if (!why.empty()) out.push_back(s->target.group + " " + s->target.stream + ": " + why);
    }
    return out;
  }

  long long get_log_events_calls() const override {
    long long calls = 0;
    for (const auto& s : streams_) calls += s->reader->calls();
    return calls;
  }

 private:
  struct Stream {
    explicit Stream(Random& random)
        : backoff(random, milliseconds(500), milliseconds(20000)),
          missing_backoff(random, milliseconds(1000), milliseconds(5000)) {}
    LogTarget target;
    std::string prefix;
    std::unique_ptr<LogStreamReader> reader;
    bool exists = false;
    bool caught_up = false;  // the last call came back with an unchanged token
    bool gave_up = false;    // never appeared within the timeout
    std::optional<SteadyTime> missing_since;
    SteadyTime retry_at{};
    SteadyTime last_success{};
    Backoff backoff;          // throttling and server errors
    Backoff missing_backoff;  // a stream that does not exist yet
    std::string problem;
  };

  SteadyTime MissingSince(Stream& stream) {
    if (!stream.missing_since) stream.missing_since = clock_.Monotonic();
    return *stream.missing_since;
  }

  void GiveUpMissing(Stream& stream) {
    if (stream.gave_up) return;
    stream.gave_up = true;
    stream.problem = "the log stream did not appear";
    run_.log().Warning("log stream " + stream.target.stream + " in group " + stream.target.group +
                       " did not appear; no logs for container '" + stream.target.container +
                       "' (" + LogStreamConsoleUrl(stream.target.region, stream.target.group, "") +
                       ")");
  }

  void MarkUnfinished(const std::string& why) {
    for (auto& s : streams_) {
      if (!s->gave_up && !s->caught_up && s->problem.empty()) s->problem = why;
    }
  }

  // Reads `stream` from its cursor until the token is unchanged, the stream
  // is missing, or a retryable error schedules a retry. Returns whether any
  // event was printed. A stream missing for stream_timeout is given up when
  // `may_give_up`. On an error that retrying cannot cure (or retries for
  // longer than retry_patience), throws.
  bool ReadRound(Stream& stream, bool may_give_up) {
    bool printed = false;
    while (!printer_.limit_reached()) {
      LogStreamReader::Result result;
      try {
        result = stream.reader->FetchPage([&](const std::vector<LogEvent>& events) {
          if (printer_.Print(stream.prefix, events) > 0) printed = true;
        });
      } catch (const AwsError& e) {
        if (!IsRetryableCode(e.code()) && e.http_status() < 500) throw;
        ScheduleRetry(stream, e.what());
        return printed;
      } catch (const TransportError& e) {
        ScheduleRetry(stream, e.what());
        return printed;
      }
      SteadyTime now = clock_.Monotonic();
      stream.last_success = now;
      stream.backoff.Reset();
      if (result == LogStreamReader::Result::kNotFound) {
        stream.caught_up = false;
        SteadyTime since = MissingSince(stream);
        if (may_give_up && !stream.exists && now - since >= options_.stream_timeout) {
          GiveUpMissing(stream);
        } else {
          if (stream.missing_backoff.failures() == 0) {
            run_.log().Info("waiting for log stream " + stream.target.stream + " in group " +
                            stream.target.group + " (up to " +
                            FormatDuration(options_.stream_timeout) + ")");
          }
          stream.retry_at = now + stream.missing_backoff.Next();
        }
        return printed;
      }
      if (!stream.exists && stream.missing_since) {
        run_.log().Verbose("log stream " + stream.target.stream + " appeared");
      }
      stream.exists = true;
      stream.missing_backoff.Reset();
      if (result == LogStreamReader::Result::kCaughtUp) {
        stream.caught_up = true;
        return printed;
      }
      stream.caught_up = false;
    }
    return printed;
  }

  void ScheduleRetry(Stream& stream, const std::string& what) {
    SteadyTime now = clock_.Monotonic();
    if (now - stream.last_success >= options_.retry_patience) {
      throw Error(
          "giving up on log stream " + stream.target.stream + " after " +
          FormatDuration(std::chrono::duration_cast<milliseconds>(now - stream.last_success)) +
          " of errors: " + what);
    }
    milliseconds wait = stream.backoff.Next();
    run_.log().Verbose("GetLogEvents for " + stream.target.stream + ": " + what + "; retrying in " +
                       FormatDuration(wait));
    stream.retry_at = now + wait;
  }

  ToolRun& run_;
  TaskLogOptions options_;
  Clock& clock_;
  RateLimiter limiter_;
  LogLinePrinter printer_;
  std::map<std::string, std::unique_ptr<AwsJsonService>> clients_;
  std::vector<std::unique_ptr<Stream>> streams_;
};

}  // namespace

std::chrono::steady_clock::time_point LogTailNotBefore(const Clock& clock,
                                                       const nlohmann::json& task) {
  const std::optional<double> exited = ContainersExitedAt(task);
  const auto now = clock.Monotonic();
  if (!exited) return now;
  const double since_exit =
      std::chrono::duration<double>(clock.Now().time_since_epoch()).count() - *exited;
  const double allowance = static_cast<double>(kLogDeliveryAllowance.count());
  if (since_exit >= allowance) return now;
  // A clock behind AWS's makes the exit look like the future: wait the whole allowance.
  const double left = std::min(allowance, allowance - since_exit);
  return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(left));
}

std::unique_ptr<TaskLogFollower> MakeTaskLogFollower(ToolRun& run, LogsClientFactory make_client,
                                                     std::vector<LogTarget> targets,
                                                     const TaskLogOptions& options) {
  return std::make_unique<Follower>(run, std::move(make_client), std::move(targets), options);
}

std::unique_ptr<TaskLogFollower> MakeTaskLogFollower(ToolRun& run, const AwsSettings& settings,
                                                     std::vector<LogTarget> targets,
                                                     const TaskLogOptions& options) {
  LogsClientFactory factory = [&run, settings](const std::string& region) {
    return MakeAwsJsonService(AwsService::kLogs, settings, run, region);
  };
  return MakeTaskLogFollower(run, std::move(factory), std::move(targets), options);
}

}  // namespace ecsmig
