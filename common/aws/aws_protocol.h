// The two AWS wire protocols the suite speaks, and the one request loop every
// AWS call goes through (sign, send, parse errors, retry, correct clock skew,
// refresh expired credentials, trace).
//   awsJson1.1 (ECS, CloudWatch Logs): POST /, X-Amz-Target: <prefix>.<Operation>,
//     JSON body; errors {"__type": "[prefix#]Code", "message": ...}.
//   awsQuery (STS): form-encoded Action=...&Version=2011-06-15; XML answers,
//     errors <ErrorResponse><Error><Code>.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws/credentials.h"
#include "common/aws/retry.h"
#include "common/aws/sigv4.h"
#include "common/base/clock.h"
#include "common/base/random.h"
#include "common/net/http.h"

namespace ecsmig {

enum class AwsProtocol { kJson11, kQuery };

inline constexpr std::string_view kStsApiVersion = "2011-06-15";

// POST <endpoint>/ with the awsJson1.1 headers and `body` as is.
HttpRequest BuildJsonRequest(const std::string& endpoint, std::string_view target_prefix,
                             std::string_view operation, std::string body);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// key=value pairs joined with '&', each side percent-encoded (unreserved kept).
std::string FormEncode(const QueryParams& params);
// POST <endpoint>/ with Action=<action>&Version=2011-06-15&<params>, form-encoded.
HttpRequest BuildQueryRequest(const std::string& endpoint, std::string_view action,
                              const QueryParams& params);

struct AwsErrorInfo {
  std::string code;
  std::string message;
  std::string request_id;
};

// x-amzn-RequestId, else x-amz-request-id; "" when neither.
std::string RequestIdHeader(const HttpResponse& response);
// Code from "__type" (anything up to the last '#' dropped; also a ':'-suffix
// some services append) or "code", message from "message"/"Message". A body
// that is not a JSON object yields an empty code. Never throws.
AwsErrorInfo ParseJsonError(const HttpResponse& response);
// <Error><Code>, <Error><Message>, <RequestId> (else the request id header).
// Never throws.
AwsErrorInfo ParseQueryError(const HttpResponse& response);

// A small, forgiving XML reader for AWS answers: the entity-decoded text of
// the first element whose chain of enclosing element names ends with `path`
// (namespace prefixes ignored), e.g. {"Credentials", "AccessKeyId"}. Skips
// declarations, comments, DOCTYPE and processing instructions; CDATA is text.
// nullopt when absent or the document is cut before the element closes.
// Never throws.
std::optional<std::string> XmlText(std::string_view xml,
                                   std::initializer_list<std::string_view> path);

// One AWS service endpoint with everything a call needs.
struct AwsEndpoint {
  AwsProtocol protocol = AwsProtocol::kJson11;
  std::string display_name;  // "ECS": in messages and traces
  std::string signing_name;  // "ecs"
  std::string region;
  std::string url;  // "https://ecs.eu-west-1.amazonaws.com"
};

struct AwsCallHooks {
  // Credentials for each attempt; null: the request is sent unsigned.
  std::function<Credentials()> credentials;
  // After ExpiredToken: forget cached credentials (one retry follows). May be null.
  std::function<void()> invalidate_credentials;
  // One line per attempt for -v; never given a secret or a body. May be null.
  std::function<void(const std::string&)> trace;
};

// Sends requests to one endpoint with retries. Not thread-safe.
class AwsRequestExecutor {
 public:
  AwsRequestExecutor(AwsEndpoint endpoint, HttpClient& http, Clock& clock, Random& random,
                     RetryOptions retry, AwsCallHooks hooks, HttpOptions http_options = {});

  // Sends `request` (built once by the caller; each attempt re-signs a copy,
  // so retries are byte-identical apart from date, token and signature) until
  // a 2xx answer that `accept` takes (it parses the body and returns false
  // when malformed, which is retried). On a service error after retries,
  // throws AwsError; on a network failure after retries, TransportError.
  // Their messages name the operation, `resource` (what the call was about,
  // e.g. `cluster "x"`; may be empty) and the region; an answer that is not
  // from AWS (a proxy's HTML page, an empty body) is described as such.
  HttpResponse Execute(std::string_view operation, const HttpRequest& request,
                       const std::function<bool(const HttpResponse&)>& accept,
                       const std::string& resource = "");

  // Server time minus local time, learned from a clock-skew error; applied to
  // every later signature.
  std::chrono::seconds clock_offset() const { return clock_offset_; }
  const AwsEndpoint& endpoint() const { return endpoint_; }
  RetryQuota& quota() { return quota_; }

 private:
  AwsErrorInfo ParseError(const HttpResponse& response) const;
  // A skew error with a server Date far from ours: adopts the offset, true.
  bool CorrectClockSkew(const AwsErrorInfo& error, const HttpResponse& response);
  void Trace(const std::string& line) const;

  // One Execute call's state across its attempts.
  struct Call {
    std::string name;       // "ECS RunTask": what traces name
    std::string described;  // "RunTask on cluster \"x\" in eu-west-1": what errors name
    Retrier retrier;
    bool credentials_refreshed = false;
    bool skew_corrected = false;
    std::string prefix;                             // the attempt's trace line so far
    std::chrono::steady_clock::time_point started;  // when the attempt was sent
  };
  // A copy of `request` signed for this attempt (unsigned without credentials).
  HttpRequest SignedAttempt(const HttpRequest& request);
  // Traces `what` and the decision; after a retryable failure sleeps the
  // backoff and returns true, false when retries are over.
  bool BackOff(Call& call, RetryReason reason, const std::string& what);
  // The three outcomes of an attempt; each returns to retry (after the
  // backoff), or throws the error that ends the call.
  // A network failure or timeout.
  void RetryTransportError(Call& call, const TransportError& error);
  // A 2xx: true when `accept` takes it; false to retry a malformed body.
  bool AcceptOrRetry(Call& call, const HttpResponse& response,
                     const std::function<bool(const HttpResponse&)>& accept);
  // An error answer: re-sign after clock skew, refresh expired credentials
  // (once each), or back off as the error's class allows.
  void RecoverOrRetry(Call& call, const HttpResponse& response);

  AwsEndpoint endpoint_;
  HttpClient& http_;
  Clock& clock_;
  Random& random_;
  RetryOptions retry_;
  AwsCallHooks hooks_;
  HttpOptions http_options_;
  SigV4Signer signer_;
  RetryQuota quota_;
  std::chrono::seconds clock_offset_{0};
};

// Parses an HTTP date ("Sun, 22 Nov 2026 04:30:15 GMT"); nullopt when it does not.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(const std::string& text);

}  // namespace ecsmig
