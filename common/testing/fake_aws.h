// A scripted AwsJsonService for unit tests: queue answers (JSON, an AwsError,
// or a function of the request) per operation; every request is recorded.
// An operation called with nothing scripted throws std::logic_error, which
// RunTool reports as an internal error, so an unexpected call fails the test.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws/aws.h"
#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/error.h"
#include "common/base/filesystem.h"
#include "common/base/random.h"
#include "common/github/cli.h"
#include "common/github/github.h"
#include "common/testing/memory_filesystem.h"

namespace ecsmig {

class FakeAws : public AwsJsonService {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  struct Request {
    std::string operation;
    nlohmann::json body;
  };

  explicit FakeAws(std::string region = "eu-west-1") : region_(std::move(region)) {}

  // The next call of `operation` returns `response` (answers queue in order).
  FakeAws& Expect(const std::string& operation, nlohmann::json response) {
    queued_[operation].push_back([response](const nlohmann::json&) { return response; });
    return *this;
  }
  // The next call of `operation` runs `handler`.
  FakeAws& ExpectCall(const std::string& operation, Handler handler) {
    queued_[operation].push_back(std::move(handler));
    return *this;
  }
  // The next call of `operation` throws AwsError(code, message).
  FakeAws& ExpectError(const std::string& operation, const std::string& code,
                       const std::string& message = "", int http_status = 400) {
    queued_[operation].push_back([=](const nlohmann::json&) -> nlohmann::json {
      throw AwsError("ECS", operation, code, message, "req-fake", http_status);
    });
    return *this;
  }
  // Calls of `operation` with nothing queued run `handler` (e.g. polling answers).
  FakeAws& Always(const std::string& operation, Handler handler) {
    fallback_[operation] = std::move(handler);
    return *this;
  }

  nlohmann::json Call(std::string_view operation, const nlohmann::json& request) override {
    std::string op(operation);
    requests_.push_back({op, request});
    auto queued = queued_.find(op);
    if (queued != queued_.end() && !queued->second.empty()) {
      Handler handler = std::move(queued->second.front());
      queued->second.pop_front();
      return handler(request);
    }
    auto fallback = fallback_.find(op);
    if (fallback != fallback_.end()) return fallback->second(request);
    throw std::logic_error("FakeAws: unexpected call " + op + " " + request.dump());
  }

  const std::string& region() const override { return region_; }

  const std::vector<Request>& requests() const { return requests_; }
  // Requests of one operation, in order.
  std::vector<nlohmann::json> RequestsOf(const std::string& operation) const {
    std::vector<nlohmann::json> out;
    for (const auto& r : requests_) {
      if (r.operation == operation) out.push_back(r.body);
    }
    return out;
  }
  size_t CountOf(const std::string& operation) const { return RequestsOf(operation).size(); }
  // True when every queued answer was consumed.
  bool AllConsumed() const {
    for (const auto& [op, q] : queued_) {
      if (!q.empty()) return false;
    }
    return true;
  }

 private:
  std::string region_;
  std::map<std::string, std::deque<Handler>> queued_;
  std::map<std::string, Handler> fallback_;
  std::vector<Request> requests_;
};

// Runs a tool through the same argv path as its binary, with every side
// effect faked: AWS (`aws`), environment, clock, filesystem, randomness.
// Outputs go to /github/output, the step summary to /github/summary.
class ToolHarness {
 public:
  ToolHarness() {
    env.Set("GITHUB_OUTPUT", "/github/output");
    env.Set("GITHUB_STEP_SUMMARY", "/github/summary");
  }

  // The factory tools take: hands out a client forwarding to `aws`, and
  // remembers the settings it was built with.
  std::function<std::unique_ptr<AwsJsonService>(AwsService, const AwsSettings&, ToolRun&)>
  AwsFactory() {
    return [this](AwsService, const AwsSettings& settings, ToolRun&) {
      ++clients_built;
      last_settings = settings;
      return std::unique_ptr<AwsJsonService>(new Forwarder(aws));
    };
  }

  int Run(const ToolSpec& spec, std::vector<std::string> args) {
    args.insert(args.begin(), spec.name);
    ToolContext ctx(env, clock, fs, random, out, err, nullptr);
    return RunTool(spec, args, ctx);
  }

  std::map<std::string, std::string> Outputs() {
    std::map<std::string, std::string> result;
    auto it = fs.files.find("/github/output");
    if (it == fs.files.end()) return result;
    for (auto& [k, v] : ParseOutputFile(it->second)) result[k] = v;
    return result;
  }
  std::string Summary() {
    return fs.files.count("/github/summary") ? fs.files["/github/summary"] : "";
  }

  FakeAws aws;
  MapEnvironment env;
  FakeClock clock;
  MemoryFileSystem fs;
  SeededRandom random{42};
  std::ostringstream out;
  std::ostringstream err;
  int clients_built = 0;
  AwsSettings last_settings;

 private:
  class Forwarder : public AwsJsonService {
   public:
    explicit Forwarder(FakeAws& aws) : aws_(aws) {}
    nlohmann::json Call(std::string_view operation, const nlohmann::json& request) override {
      return aws_.Call(operation, request);
    }
    const std::string& region() const override { return aws_.region(); }

   private:
    FakeAws& aws_;
  };
};

}  // namespace ecsmig
