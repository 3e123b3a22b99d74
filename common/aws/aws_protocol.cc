#include "common/aws/aws_protocol.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/base/error.h"
#include "common/net/percent_encoding.h"

namespace ecsmig {
namespace {

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void AppendUtf8(std::string& out, unsigned long code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x110000) {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Decodes the five predefined entities and numeric references; anything
// else is kept as written.
void AppendDecoded(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += '&';
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "lt") {
      out += '<';
    } else if (entity == "gt") {
      out += '>';
    } else if (entity == "amp") {
      out += '&';
    } else if (entity == "quot") {
      out += '"';
    } else if (entity == "apos") {
      out += '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string digits(entity.substr(hex ? 2 : 1));
      char* end = nullptr;
      unsigned long value = digits.empty() ? 0 : std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || end != digits.c_str() + digits.size() || value == 0 ||
          value > 0x10FFFF) {
        out += '&';
        continue;
      }
      AppendUtf8(out, value);
    } else {
      out += '&';
      continue;
    }
    i = semi;
  }
}

// End of the tag starting at `start` ('<'), honouring quoted attribute values.
size_t TagEnd(std::string_view xml, size_t start) {
  char quote = 0;
  for (size_t i = start + 1; i < xml.size(); ++i) {
    char c = xml[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

bool StackEndsWith(const std::vector<std::string_view>& stack,
                   std::initializer_list<std::string_view> path) {
  if (path.size() == 0 || stack.size() < path.size()) return false;
  size_t offset = stack.size() - path.size();
  size_t i = 0;
  for (std::string_view name : path) {
    if (stack[offset + i++] != name) return false;
  }
  return true;
}

std::string StripErrorType(std::string code) {
  if (size_t hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
  // Some services append ":http://internal.amazon.com/coral/..." to the type.
  if (size_t colon = code.find(':'); colon != std::string::npos) code = code.substr(0, colon);
  return code;
}

bool IsClockSkewCode(const std::string& code) {
  return code == "RequestTimeTooSkewed" || code == "RequestExpired" ||
         code == "RequestInTheFuture" || code == "InvalidSignatureException" ||
         code == "SignatureDoesNotMatch" || code == "AuthFailure";
}

bool IsExpiredTokenCode(const std::string& code) {
  return code == "ExpiredToken" || code == "ExpiredTokenException";
}

// What a body that is not an AWS answer looks like, for messages (never its
// text: a proxy's page may echo the request).
std::string DescribeForeignBody(const HttpResponse& response) {
  std::string status = "HTTP " + std::to_string(response.status);
  if (response.body.empty()) return "an empty " + status + " answer";
  std::string type = response.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  return "an " + status + " answer that is not an AWS answer (" +
         (type.empty() ? std::string("no content type") : type) + ", " +
         std::to_string(response.body.size()) + " bytes)";
}

std::string Millis(std::chrono::steady_clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

HttpRequest BuildJsonRequest(const std::string& endpoint, std::string_view target_prefix,
                             std::string_view operation, std::string body) {
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint + "/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", std::string(target_prefix) + "." + std::string(operation)}};
  request.body = std::move(body);
  return request;
}

std::string FormEncode(const QueryParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += PercentEncode(key);
    out += '=';
    out += PercentEncode(value);
  }
  return out;
}

HttpRequest BuildQueryRequest(const std::string& endpoint, std::string_view action,
                              const QueryParams& params) {
  QueryParams all = {{"Action", std::string(action)}, {"Version", std::string(kStsApiVersion)}};
  all.insert(all.end(), params.begin(), params.end());
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = FormEncode(all);
  return request;
}

std::string RequestIdHeader(const HttpResponse& response) {
  std::string id = response.Header("x-amzn-RequestId");
  if (id.empty()) id = response.Header("x-amz-request-id");
  return id;
}

AwsErrorInfo ParseJsonError(const HttpResponse& response) {
  AwsErrorInfo info;
  info.request_id = RequestIdHeader(response);
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    auto text = [&](const char* key) -> std::string {
      auto it = body.find(key);
      return it != body.end() && it->is_string() ? it->get<std::string>() : "";
    };
    info.code = StripErrorType(text("__type"));
    if (info.code.empty()) info.code = StripErrorType(text("code"));
    info.message = text("message");
    if (info.message.empty()) info.message = text("Message");
  }
  // Some answers carry the type only in a header.
  if (info.code.empty()) info.code = StripErrorType(response.Header("x-amzn-ErrorType"));
  return info;
}

AwsErrorInfo ParseQueryError(const HttpResponse& response) {
  AwsErrorInfo info;
  info.code = XmlText(response.body, {"Error", "Code"}).value_or("");
  info.message = XmlText(response.body, {"Error", "Message"}).value_or("");
  info.request_id = XmlText(response.body, {"RequestId"}).value_or("");
  if (info.request_id.empty()) info.request_id = RequestIdHeader(response);
  return info;
}

std::optional<std::string> XmlText(std::string_view xml,
                                   std::initializer_list<std::string_view> path) {
  std::vector<std::string_view> stack;
  size_t capture_depth = 0;  // 0: not capturing; else the stack size of the element
  std::string text;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      size_t next = xml.find('<', i);
      if (next == std::string_view::npos) next = xml.size();
      if (capture_depth) AppendDecoded(text, xml.substr(i, next - i));
      i = next;
      continue;
    }
    std::string_view rest = xml.substr(i);
    if (rest.starts_with("<!--")) {
      size_t end = xml.find("-->", i + 4);
      if (end == std::string_view::npos) return std::nullopt;
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      size_t end = xml.find("]]>", i + 9);
      if (end == std::string_view::npos) return std::nullopt;
      if (capture_depth) text += xml.substr(i + 9, end - i - 9);
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<?")) {
      size_t end = xml.find("?>", i + 2);
      if (end == std::string_view::npos) return std::nullopt;
      i = end + 2;
      continue;
    }
    size_t end = TagEnd(xml, i);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.starts_with("!")) continue;  // DOCTYPE and other declarations
    bool closing = tag.starts_with("/");
    if (closing) tag.remove_prefix(1);
    bool self_closing = !closing && tag.ends_with("/");
    size_t name_end = 0;
    while (name_end < tag.size() && !IsXmlSpace(tag[name_end]) && tag[name_end] != '/') ++name_end;
    std::string_view name = tag.substr(0, name_end);
    if (size_t colon = name.find(':'); colon != std::string_view::npos)
      name.remove_prefix(colon + 1);
    if (closing) {
      // Forgiving: pop up to the matching open element, if there is one.
      auto match = std::find(stack.rbegin(), stack.rend(), name);
      if (match != stack.rend()) stack.resize(stack.size() - (match - stack.rbegin()) - 1);
      if (capture_depth && stack.size() < capture_depth) return text;
      continue;
    }
    stack.push_back(name);
    if (!capture_depth && StackEndsWith(stack, path)) {
      if (self_closing) return std::string();
      capture_depth = stack.size();
      text.clear();
    } else if (self_closing) {
      stack.pop_back();
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  // system_clock holds years 1677-2262 in nanoseconds; a Date beyond would
  // overflow the conversion (and no server's clock is there).
  if (tm.tm_year < 70 || tm.tm_year > 300) return std::nullopt;
  time_t seconds = timegm(&tm);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds);
}

AwsRequestExecutor::AwsRequestExecutor(AwsEndpoint endpoint, HttpClient& http, Clock& clock,
                                       Random& random, RetryOptions retry, AwsCallHooks hooks,
                                       HttpOptions http_options)
    : endpoint_(std::move(endpoint)),
      http_(http),
      clock_(clock),
      random_(random),
      retry_(retry),
      hooks_(std::move(hooks)),
      http_options_(http_options),
      signer_(endpoint_.region, endpoint_.signing_name) {}

AwsErrorInfo AwsRequestExecutor::ParseError(const HttpResponse& response) const {
  AwsErrorInfo info = endpoint_.protocol == AwsProtocol::kJson11 ? ParseJsonError(response)
                                                                 : ParseQueryError(response);
  if (info.request_id.empty()) info.request_id = RequestIdHeader(response);
  if (info.code.empty()) {
    info.code = "HTTP" + std::to_string(response.status);
    if (info.message.empty()) info.message = DescribeForeignBody(response);
  }
  return info;
}

bool AwsRequestExecutor::CorrectClockSkew(const AwsErrorInfo& error, const HttpResponse& response) {
  if (!IsClockSkewCode(error.code)) return false;
  std::optional<std::chrono::system_clock::time_point> server =
      ParseHttpDate(response.Header("Date"));
  if (!server) return false;
  auto offset = std::chrono::duration_cast<std::chrono::seconds>(*server - clock_.Now());
  // Below 4 minutes the signature was not rejected for time (AWS allows 5 minutes).
  if (std::chrono::abs(offset - clock_offset_) < std::chrono::minutes(4)) return false;
  clock_offset_ = offset;
  return true;
}

void AwsRequestExecutor::Trace(const std::string& line) const {
  if (hooks_.trace) hooks_.trace(line);
}

HttpRequest AwsRequestExecutor::SignedAttempt(const HttpRequest& request) {
  HttpRequest attempt = request;
  if (hooks_.credentials) {
    Credentials credentials = hooks_.credentials();
    signer_.Sign(attempt, credentials, clock_.Now() + clock_offset_);
  }
  return attempt;
}

bool AwsRequestExecutor::BackOff(Call& call, RetryReason reason, const std::string& what) {
  std::optional<std::chrono::milliseconds> delay = call.retrier.NextDelay(reason);
  Trace(what + (delay ? ", retrying in " + Millis(*delay) : ", giving up"));
  if (!delay) return false;
  clock_.SleepFor(*delay);
  return true;
}

void AwsRequestExecutor::RetryTransportError(Call& call, const TransportError& error) {
  RetryReason reason = error.timed_out() ? RetryReason::kTimeout : RetryReason::kTransient;
  const std::string what =
      call.prefix + ": " + error.what() + " after " + Millis(clock_.Monotonic() - call.started);
  if (BackOff(call, reason, what)) return;
  throw TransportError(endpoint_.display_name + " " + call.described + ": " + error.what() + " (" +
                           std::to_string(call.retrier.attempt()) + " attempt(s))",
                       error.timed_out());
}

bool AwsRequestExecutor::AcceptOrRetry(Call& call, const HttpResponse& response,
                                       const std::function<bool(const HttpResponse&)>& accept) {
  const std::string elapsed = Millis(clock_.Monotonic() - call.started);
  const std::string status = "HTTP " + std::to_string(response.status);
  const std::string request_id = RequestIdHeader(response);
  if (accept(response)) {
    Trace(call.prefix + ": " + status + ", request id " + request_id + ", " + elapsed);
    call.retrier.OnSuccess();
    return true;
  }
  const std::string what = call.prefix + ": " + status + " with a malformed body, request id " +
                           request_id + ", " + elapsed;
  if (BackOff(call, RetryReason::kMalformedResponse, what)) return false;
  throw AwsError(endpoint_.display_name, call.described, "MalformedResponse",
                 DescribeForeignBody(response), request_id, response.status);
}

void AwsRequestExecutor::RecoverOrRetry(Call& call, const HttpResponse& response) {
  AwsErrorInfo error = ParseError(response);
  const std::string what = call.prefix + ": HTTP " + std::to_string(response.status) + " " +
                           error.code + ", request id " + error.request_id + ", " +
                           Millis(clock_.Monotonic() - call.started);
  if (!call.skew_corrected && CorrectClockSkew(error, response)) {
    call.skew_corrected = true;
    Trace(what + ", clock skew of " + std::to_string(clock_offset_.count()) +
          " s corrected, re-signing");
    return;
  }
  if (!call.credentials_refreshed && IsExpiredTokenCode(error.code) &&
      hooks_.invalidate_credentials) {
    call.credentials_refreshed = true;
    hooks_.invalidate_credentials();
    Trace(what + ", refreshing credentials");
    return;
  }
  if (BackOff(call, ClassifyAwsError(error.code, response.status), what)) return;
  throw AwsError(endpoint_.display_name, call.described, error.code, error.message,
                 error.request_id, response.status);
}

HttpResponse AwsRequestExecutor::Execute(std::string_view operation, const HttpRequest& request,
                                         const std::function<bool(const HttpResponse&)>& accept,
                                         const std::string& resource) {
  Call call{endpoint_.display_name + " " + std::string(operation),
            std::string(operation) + (resource.empty() ? "" : " on " + resource) + " in " +
                endpoint_.region,
            Retrier(retry_, quota_, clock_, random_)};
  while (true) {
    HttpRequest attempt = SignedAttempt(request);
    call.prefix = call.name + " " + attempt.method + " " + attempt.url + " attempt " +
                  std::to_string(call.retrier.attempt());
    call.started = clock_.Monotonic();
    HttpResponse response;
    try {
      response = http_.Send(attempt, http_options_);
    } catch (const TransportError& e) {
      RetryTransportError(call, e);
      continue;
    }
    if (response.status >= 200 && response.status < 300) {
      if (AcceptOrRetry(call, response, accept)) return response;
      continue;
    }
    RecoverOrRetry(call, response);
  }
}

}  // namespace ecsmig
