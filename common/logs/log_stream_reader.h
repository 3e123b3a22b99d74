// One CloudWatch Logs stream read forward with GetLogEvents: the stream's
// cursor (nextForwardToken) and nothing else. Events are handed out page by
// page and never kept, so memory stays flat whatever the stream holds.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/aws/aws.h"

namespace ecsmig {

class RateLimiter;

struct LogEvent {
  long long timestamp = 0;       // ms since the epoch
  long long ingestion_time = 0;  // ms since the epoch
  std::string message;
};

struct LogEventsPage {
  std::vector<LogEvent> events;
  std::string next_forward_token;  // "" when the answer had none
};

// Reads one GetLogEvents answer. Tolerates missing optional fields; on an
// answer that is not an object, or events that are not objects with a string
// message, throws Error (a malformed answer is not a reason to print garbage).
LogEventsPage ParseGetLogEventsResponse(const nlohmann::json& response);
// The same, moving the messages out of `response` (left null).
LogEventsPage ParseGetLogEventsResponse(nlohmann::json&& response);

// Whether an AWS error code means "the stream (or its group) does not exist yet".
bool IsNotFoundCode(const std::string& code);
// Whether an AWS error code is worth retrying later (throttling, 5xx-ish).
bool IsRetryableCode(const std::string& code);

class LogStreamReader {
 public:
  static constexpr int kMaxPageLimit = 10000;  // GetLogEvents' maximum: fewest calls

  // `start_time_ms` >= 0 becomes startTime on every call (tokens are positions
  // in the filtered stream, so the filter must not change between calls).
  // `limiter`, when given, is acquired before each call.
  LogStreamReader(AwsJsonService& logs, std::string group, std::string stream,
                  long long start_time_ms = -1, RateLimiter* limiter = nullptr,
                  int page_limit = kMaxPageLimit);

  enum class Result {
    kEvents,    // the cursor moved (the page may still be empty: AWS returns
                // empty pages in the middle of a stream)
    kCaughtUp,  // the token came back unchanged: nothing more for now
    kNotFound,  // the stream does not exist (yet)
  };

  // Makes one GetLogEvents call from the cursor and hands each event, in
  // order, to `sink`, then advances the cursor. AWS errors other than "not
  // found" propagate as AwsError/TransportError with the cursor unchanged, so
  // the same call can be retried without gaps or duplicates.
  Result FetchPage(const std::function<void(const std::vector<LogEvent>&)>& sink);

  const std::string& group() const { return group_; }
  const std::string& stream() const { return stream_; }
  const std::string& next_token() const { return token_; }
  long long calls() const { return calls_; }
  long long events_read() const { return events_read_; }

 private:
  AwsJsonService& logs_;
  std::string group_, stream_;
  long long start_time_ms_;
  RateLimiter* limiter_;
  int page_limit_;
  std::string token_;
  long long calls_ = 0;
  long long events_read_ = 0;
};

}  // namespace ecsmig
