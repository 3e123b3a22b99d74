// A scripted HttpClient for unit tests: queue responses or transport errors,
// then inspect the requests that were sent.
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/base/error.h"
#include "common/net/http.h"

namespace ecsmig {

class FakeHttpClient : public HttpClient {
 public:
  // Answers the next request with `status`, `body` and `headers`.
  FakeHttpClient& Respond(int status, std::string body, HttpHeaders headers = {}) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    script_.emplace_back(std::move(response));
    return *this;
  }
  FakeHttpClient& Respond(HttpResponse response) {
    script_.emplace_back(std::move(response));
    return *this;
  }
  // The next request fails in transport (connection reset, or a timeout).
  FakeHttpClient& Fail(std::string message = "connection reset by peer", bool timed_out = false) {
    script_.emplace_back(std::make_exception_ptr(TransportError(std::move(message), timed_out)));
    return *this;
  }
  // Answers every request the script does not cover (default: none, which
  // makes an unscripted request throw std::logic_error and fail the test).
  void SetFallback(std::function<HttpResponse(const HttpRequest&)> fallback) {
    fallback_ = std::move(fallback);
  }

  HttpResponse Send(const HttpRequest& request, const HttpOptions& options) override {
    requests_.push_back(request);
    options_.push_back(options);
    if (script_.empty()) {
      if (fallback_) return fallback_(request);
      throw std::logic_error("FakeHttpClient: unscripted request " + request.method + " " +
                             request.url);
    }
    auto next = std::move(script_.front());
    script_.pop_front();
    if (auto* error = std::get_if<std::exception_ptr>(&next)) std::rethrow_exception(*error);
    return std::get<HttpResponse>(std::move(next));
  }

  const std::vector<HttpRequest>& requests() const { return requests_; }
  const std::vector<HttpOptions>& options() const { return options_; }
  size_t remaining() const { return script_.size(); }

  // First header `name` (case-insensitive) of request `index`; "" when absent.
  std::string RequestHeader(size_t index, const std::string& name) const {
    HttpResponse view;
    view.headers = requests_.at(index).headers;
    return view.Header(name);
  }

 private:
  std::deque<std::variant<HttpResponse, std::exception_ptr>> script_;
  std::function<HttpResponse(const HttpRequest&)> fallback_;
  std::vector<HttpRequest> requests_;
  std::vector<HttpOptions> options_;
};

// Forwards to a FakeHttpClient the test owns: for code that takes ownership
// of its HttpClient while the test keeps asserting on the fake.
class ForwardingHttp : public HttpClient {
 public:
  explicit ForwardingHttp(FakeHttpClient& fake) : fake_(fake) {}
  HttpResponse Send(const HttpRequest& request, const HttpOptions& options) override {
    return fake_.Send(request, options);
  }

 private:
  FakeHttpClient& fake_;
};

}  // namespace ecsmig
