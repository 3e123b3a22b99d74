// The real HttpClient: libcurl, one easy handle for the whole run.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "common/base/error.h"
#include "common/net/http.h"

#ifndef ECSMIG_VERSION
#define ECSMIG_VERSION "dev"
#endif

namespace ecsmig {

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return "";
}

namespace {

std::once_flag curl_global_once;

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Collects the headers of the last response: a new status line (after a 100
// Continue, or a proxy's CONNECT answer) starts over.
size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    headers->clear();
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    headers->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient() {
    std::call_once(curl_global_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    handle_ = curl_easy_init();
    if (handle_ == nullptr) throw Error("libcurl: could not create a handle");
  }
  ~CurlHttpClient() override { curl_easy_cleanup(handle_); }
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpResponse Send(const HttpRequest& request, const HttpOptions& options) override {
    std::lock_guard<std::mutex> lock(mutex_);
    // Options reset per request; the handle keeps its connection cache and
    // TLS session, which is what keep-alive needs.
    curl_easy_reset(handle_);
    HttpResponse response;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(handle_, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_USERAGENT, "ecsmig/" ECSMIG_VERSION);
    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
    curl_easy_setopt(handle_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(handle_, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &response.headers);

    if (request.method == "GET") {
      curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(handle_, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(handle_, CURLOPT_POST, 1L);
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      if (request.method != "POST") {
        curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    }

    curl_slist* header_list = nullptr;
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
      std::string line = name + ": " + value;
      if (value.empty()) line = name + ";";  // libcurl's way to send an empty header
      header_list = curl_slist_append(header_list, line.c_str());
      std::string lower;
      for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      has_content_type = has_content_type || lower == "content-type";
    }
    // No "Expect: 100-continue" round trip, and no form content type libcurl
    // would invent for a body that has none.
    header_list = curl_slist_append(header_list, "Expect:");
    if (!has_content_type) header_list = curl_slist_append(header_list, "Content-Type:");
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, header_list);

    CURLcode code = curl_easy_perform(handle_);
    curl_slist_free_all(header_list);
    if (code != CURLE_OK) {
      std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
      while (!detail.empty() && detail.back() == '\n') detail.pop_back();
      throw TransportError(request.method + " " + StripQuery(request.url) + ": " + detail,
                           code == CURLE_OPERATION_TIMEDOUT);
    }
    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
  }

 private:
  // URLs in messages never carry a query (it could hold a presigned secret).
  static std::string StripQuery(const std::string& url) { return url.substr(0, url.find('?')); }

  std::mutex mutex_;
  CURL* handle_ = nullptr;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

}  // namespace ecsmig
