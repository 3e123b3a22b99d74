#include "common/logs/log_stream_reader.h"

#include <algorithm>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "common/base/error.h"
#include "common/base/json_field.h"
#include "common/base/rate_limiter.h"

namespace ecsmig {
namespace {

// An integer field of an event; absent or null reads as 0. A value no
// integer holds (1e300, "12") is a malformed answer, not a number to guess.
long long IntField(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return 0;
  if (std::optional<long long> value = JsonInteger(*it)) return *value;
  throw Error(std::string("CloudWatch Logs GetLogEvents: malformed answer (") + name +
              " is not an integer)");
}

}  // namespace

namespace {

// Reads `response`, moving the messages out of it (a page is up to 1 MB of
// messages: not worth holding twice), and frees it.
LogEventsPage ParsePage(nlohmann::json& response) {
  if (!response.is_object()) {
    throw Error("CloudWatch Logs GetLogEvents: malformed answer (not a JSON object)");
  }
  LogEventsPage page;
  auto token = response.find("nextForwardToken");
  if (token != response.end() && token->is_string()) page.next_forward_token = *token;
  auto events = response.find("events");
  if (events == response.end() || events->is_null()) return page;
  if (!events->is_array()) {
    throw Error("CloudWatch Logs GetLogEvents: malformed answer (events is not a list)");
  }
  page.events.reserve(events->size());
  for (auto& event : *events) {
    if (!event.is_object()) {
      throw Error("CloudWatch Logs GetLogEvents: malformed answer (an event is not an object)");
    }
    LogEvent out;
    out.timestamp = IntField(event, "timestamp");
    out.ingestion_time = IntField(event, "ingestionTime");
    auto message = event.find("message");
    if (message != event.end() && !message->is_null()) {
      if (!message->is_string()) {
        throw Error("CloudWatch Logs GetLogEvents: malformed answer (a message is not a string)");
      }
      out.message = std::move(message->get_ref<std::string&>());
    }
    page.events.push_back(std::move(out));
  }
  response = nullptr;
  return page;
}

}  // namespace

LogEventsPage ParseGetLogEventsResponse(const nlohmann::json& response) {
  nlohmann::json copy = response;
  return ParsePage(copy);
}

LogEventsPage ParseGetLogEventsResponse(nlohmann::json&& response) { return ParsePage(response); }

bool IsNotFoundCode(const std::string& code) { return code == "ResourceNotFoundException"; }

bool IsRetryableCode(const std::string& code) {
  static const char* const kRetryable[] = {
      "ThrottlingException",      "Throttling",
      "TooManyRequestsException", "RequestLimitExceeded",
      "LimitExceededException",   "ServiceUnavailableException",
      "ServiceUnavailable",       "InternalFailure",
      "InternalServerError",      "RequestTimeout",
      "RequestTimeoutException"};
  return std::find(std::begin(kRetryable), std::end(kRetryable), code) != std::end(kRetryable);
}

LogStreamReader::LogStreamReader(AwsJsonService& logs, std::string group, std::string stream,
                                 long long start_time_ms, RateLimiter* limiter, int page_limit)
    : logs_(logs),
      group_(std::move(group)),
      stream_(std::move(stream)),
      start_time_ms_(start_time_ms),
      limiter_(limiter),
      page_limit_(std::clamp(page_limit, 1, kMaxPageLimit)) {}

LogStreamReader::Result LogStreamReader::FetchPage(
    const std::function<void(const std::vector<LogEvent>&)>& sink) {
  nlohmann::json request = {{"logGroupName", group_},
                            {"logStreamName", stream_},
                            {"startFromHead", true},
                            {"limit", page_limit_}};
  if (start_time_ms_ >= 0) request["startTime"] = start_time_ms_;
  if (!token_.empty()) request["nextToken"] = token_;
  if (limiter_ != nullptr) limiter_->Acquire();
  ++calls_;
  nlohmann::json response;
  try {
    response = logs_.Call("GetLogEvents", request);
  } catch (const AwsError& e) {
    if (IsNotFoundCode(e.code())) return Result::kNotFound;
    if (limiter_ != nullptr && IsRetryableCode(e.code())) limiter_->OnThrottled();
    throw;
  }
  if (limiter_ != nullptr) limiter_->OnSuccess();
  LogEventsPage page = ParseGetLogEventsResponse(std::move(response));
  bool unchanged = page.next_forward_token.empty() || page.next_forward_token == token_;
  if (!page.events.empty()) {
    events_read_ += static_cast<long long>(page.events.size());
    sink(page.events);
  }
  if (!unchanged) token_ = std::move(page.next_forward_token);
#ifdef __GLIBC__
  // A page is megabytes of short-lived blocks; hand them back so the peak
  // stays that of one page, not of the heap's fragmentation over many.
  page = LogEventsPage();
  malloc_trim(0);
#endif
  return unchanged ? Result::kCaughtUp : Result::kEvents;
}

}  // namespace ecsmig
