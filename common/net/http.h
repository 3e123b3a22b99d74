// HTTP behind an interface: the real client is libcurl (curl_http.cc); tests
// use fakes that script responses and record requests.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ecsmig {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as received
  std::string body;
  // First header with this name, case-insensitive; "" when absent.
  std::string Header(const std::string& name) const;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{30000};
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request and returns whatever status came back. On a transport
  // failure (DNS, connect, reset, timeout, malformed response), throws
  // TransportError; retrying is the caller's business (retry.h).
  virtual HttpResponse Send(const HttpRequest& request, const HttpOptions& options) = 0;
};

// libcurl with one handle reused for the whole run (keep-alive), proxies from
// the environment (libcurl honours http_proxy/https_proxy/no_proxy), and
// User-Agent ecsmig/<version>.
std::unique_ptr<HttpClient> MakeCurlHttpClient();

}  // namespace ecsmig
