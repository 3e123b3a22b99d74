// A small in-memory CloudWatch Logs (and scripted ECS) for unit tests of the
// log reader, the follower and fetch-logs. GetLogEvents behaves like AWS as
// far as the tools can tell: opaque forward tokens that are positions in the
// (startTime-filtered) stream, the same token back once the end is reached,
// ResourceNotFoundException for a stream that does not exist, and optional
// quirks (empty pages with a moved token, smaller pages, injected errors).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws/aws.h"
#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/error.h"
#include "common/base/filesystem.h"
#include "common/base/random.h"
#include "common/github/cli.h"
#include "common/logs/log_stream_reader.h"
#include "common/testing/memory_filesystem.h"

namespace ecsmig {

class FakeLogsBackend {
 public:
  using Key = std::pair<std::string, std::string>;  // group, stream

  void CreateStream(const std::string& group, const std::string& stream) {
    streams_[{group, stream}];
  }
  // A group with no stream yet (a task's streams appear when it starts).
  void CreateGroup(const std::string& group) { groups_.insert(group); }
  bool HasGroup(const std::string& group) const {
    if (groups_.count(group)) return true;
    auto it = streams_.lower_bound({group, ""});
    return it != streams_.end() && it->first.first == group;
  }
  // Appends messages with timestamps `start_ms`, `start_ms + 1`, ... (creates
  // the stream when missing).
  void Append(const std::string& group, const std::string& stream,
              const std::vector<std::string>& messages, long long start_ms = -1) {
    auto& events = streams_[{group, stream}];
    long long ts =
        start_ms >= 0 ? start_ms : (events.empty() ? 1767225600000 : events.back().timestamp + 1);
    for (const auto& m : messages) {
      events.push_back(LogEvent{ts, ts + 5, m});
      ++ts;
    }
  }
  // Appends `count` messages "<prefix><i>" numbered from `first`.
  void AppendNumbered(const std::string& group, const std::string& stream, int first, int count,
                      const std::string& prefix = "line ") {
    std::vector<std::string> messages;
    messages.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) messages.push_back(prefix + std::to_string(first + i));
    Append(group, stream, messages);
  }

  // Called before each GetLogEvents is answered (e.g. to append while following).
  std::function<void(long long call_number, const nlohmann::json& request)> before_get;
  // Error codes for the next GetLogEvents calls, in order ("" = answer normally).
  std::deque<std::string> inject;
  // Every `throttle_every`-th GetLogEvents call is throttled (0 = never).
  int throttle_every = 0;
  // At most this many events per page (AWS also stops at 1 MB).
  int page_cap = 10000;
  // Before each non-empty page, answer one empty page with a moved token.
  bool empty_page_quirk = false;

  long long get_calls() const { return get_calls_; }
  const std::vector<nlohmann::json>& get_requests() const { return get_requests_; }
  std::map<std::string, int> calls_by_region;

  // As AWS: ResourceNotFoundException only when the group does not exist.
  nlohmann::json DescribeLogStreams(const nlohmann::json& request) {
    std::string group = request.value("logGroupName", "");
    if (!HasGroup(group)) Throw("ResourceNotFoundException", "DescribeLogStreams");
    std::string prefix = request.value("logStreamNamePrefix", "");
    nlohmann::json streams = nlohmann::json::array();
    for (const auto& [key, events] : streams_) {
      if (key.first == group && key.second.rfind(prefix, 0) == 0)
        streams.push_back({{"logStreamName", key.second}});
    }
    return {{"logStreams", streams}};
  }

  nlohmann::json GetLogEvents(const nlohmann::json& request, const std::string& region) {
    ++get_calls_;
    ++calls_by_region[region];
    get_requests_.push_back(request);
    if (before_get) before_get(get_calls_, request);
    if (!inject.empty()) {
      std::string code = inject.front();
      inject.pop_front();
      if (!code.empty()) Throw(code);
    }
    if (throttle_every > 0 && get_calls_ % throttle_every == 0) Throw("ThrottlingException");
    if (!request.value("startFromHead", false)) throw std::logic_error("startFromHead not set");
    auto it =
        streams_.find({request.value("logGroupName", ""), request.value("logStreamName", "")});
    if (it == streams_.end()) Throw("ResourceNotFoundException");
    long long start_time = request.value("startTime", -1LL);
    std::vector<const LogEvent*> visible;
    for (const auto& e : it->second) {
      if (start_time < 0 || e.timestamp >= start_time) visible.push_back(&e);
    }
    size_t position = 0;
    if (request.contains("nextToken")) {
      std::string token = request["nextToken"];
      if (token.rfind("f/", 0) != 0) Throw("InvalidParameterException");
      position = std::stoul(token.substr(2, token.find('/', 2) - 2));
    }
    size_t limit = std::min<size_t>(request.value("limit", 10000), static_cast<size_t>(page_cap));
    nlohmann::json answer = {{"events", nlohmann::json::array()}};
    if (position >= visible.size()) {
      answer["nextForwardToken"] = Token(position);
      return answer;
    }
    if (empty_page_quirk && !quirk_pending_) {
      quirk_pending_ = true;
      answer["nextForwardToken"] = Token(position) + "/q" + std::to_string(get_calls_);
      return answer;
    }
    quirk_pending_ = false;
    size_t end = std::min(visible.size(), position + limit);
    for (size_t i = position; i < end; ++i) {
      answer["events"].push_back({{"timestamp", visible[i]->timestamp},
                                  {"ingestionTime", visible[i]->ingestion_time},
                                  {"message", visible[i]->message}});
    }
    answer["nextForwardToken"] = Token(end);
    answer["nextBackwardToken"] = "b/" + std::to_string(position);
    return answer;
  }

 private:
  static std::string Token(size_t position) { return "f/" + std::to_string(position); }
  [[noreturn]] static void Throw(const std::string& code,
                                 const std::string& operation = "GetLogEvents") {
    int status =
        code == "ThrottlingException" ? 400 : (code == "ServiceUnavailableException" ? 503 : 400);
    throw AwsError("CloudWatch Logs", operation, code, "fake " + code, "req-fake", status);
  }

  std::map<Key, std::vector<LogEvent>> streams_;
  std::set<std::string> groups_;
  long long get_calls_ = 0;
  std::vector<nlohmann::json> get_requests_;
  bool quirk_pending_ = false;
};

// One client (per service and region) over a shared backend. ECS operations
// are answered by `ecs_handlers` (per operation); anything unscripted throws
// std::logic_error so an unexpected call fails the test.
class FakeAwsClient : public AwsJsonService {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
  FakeAwsClient(FakeLogsBackend& backend, std::map<std::string, Handler>& ecs_handlers,
                std::string region, std::vector<std::string>& call_log)
      : backend_(backend), ecs_(ecs_handlers), region_(std::move(region)), log_(call_log) {}

  nlohmann::json Call(std::string_view operation, const nlohmann::json& request) override {
    std::string op(operation);
    log_.push_back(op);
    if (op == "GetLogEvents") return backend_.GetLogEvents(request, region_);
    if (op == "DescribeLogStreams") return backend_.DescribeLogStreams(request);
    auto it = ecs_.find(op);
    if (it == ecs_.end()) throw std::logic_error("unexpected AWS call " + op);
    return it->second(request);
  }
  const std::string& region() const override { return region_; }

 private:
  FakeLogsBackend& backend_;
  std::map<std::string, Handler>& ecs_;
  std::string region_;
  std::vector<std::string>& log_;
};

// Every side effect of a tool run, faked: environment, clock, files, random,
// stdout/stderr, AWS clients over one FakeLogsBackend.
struct FakeToolWorld {
  MapEnvironment env{{{"AWS_REGION", "eu-west-1"}}};
  FakeClock clock;
  MemoryFileSystem fs;
  SeededRandom random{42};
  std::ostringstream out, err;
  ToolContext ctx{env, clock, fs, random, out, err, [] { return std::unique_ptr<HttpClient>(); }};
  FakeLogsBackend logs;
  std::map<std::string, FakeAwsClient::Handler> ecs;
  std::vector<std::string> calls;         // every operation, in order
  std::vector<std::string> clients_made;  // "logs:eu-west-1", "ecs:eu-west-1", ...

  std::unique_ptr<AwsJsonService> MakeClient(const std::string& service,
                                             const std::string& region) {
    std::string r = region.empty() ? env.GetOr("AWS_REGION", "us-east-1") : region;
    clients_made.push_back(service + ":" + r);
    return std::make_unique<FakeAwsClient>(logs, ecs, r, calls);
  }
};

}  // namespace ecsmig
