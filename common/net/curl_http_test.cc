// The libcurl client against a tiny loopback HTTP/1.1 server in a thread.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "common/base/error.h"
#include "common/net/http.h"

namespace ecsmig {
namespace {

class LoopbackServer {
 public:
  // `respond`: answer each request (keep-alive); otherwise read and stay silent.
  explicit LoopbackServer(bool respond) : respond_(respond) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 8);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      ++accepted_;
      std::string buffer;
      char chunk[4096];
      while (!stop_) {
        size_t head_end = buffer.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          size_t length = 0;
          size_t at = buffer.find("Content-Length: ");
          if (at != std::string::npos && at < head_end) length = std::stoul(buffer.substr(at + 16));
          if (buffer.size() >= head_end + 4 + length) {
            {
              std::lock_guard<std::mutex> lock(mutex_);
              requests_.push_back(buffer.substr(0, head_end + 4 + length));
            }
            buffer.erase(0, head_end + 4 + length);
            if (!respond_) continue;
            std::string body = R"({"ok":true})";
            std::string answer =
                "HTTP/1.1 418 I'm a teapot\r\nx-amzn-RequestId: rid-1\r\nX-Spaced:   padded  \r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
            if (write(connection, answer.data(), answer.size()) < 0) break;
            continue;
          }
        }
        ssize_t n = read(connection, chunk, sizeof chunk);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      close(connection);
    }
  }

  bool respond_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// The client honours proxy variables (as it must in CI); these tests talk to
// loopback directly.
class CurlHttpTest : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) unsetenv(name);
  }
};

TEST_F(CurlHttpTest, SendsTheRequestAndReadsStatusHeadersAndBody) {
  LoopbackServer server(/*respond=*/true);
  auto http = MakeCurlHttpClient();
  HttpRequest request;
  request.url = server.url("/path?q=1");
  request.headers = {{"X-Amz-Target", "Svc.Op"}, {"Content-Type", "application/x-amz-json-1.1"}};
  request.body = R"({"a":1})";
  HttpResponse response = http->Send(request, HttpOptions{});
  EXPECT_EQ(response.status, 418);
  EXPECT_EQ(response.body, R"({"ok":true})");
  EXPECT_EQ(response.Header("X-AMZN-REQUESTID"), "rid-1");
  EXPECT_EQ(response.Header("x-spaced"), "padded");
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string raw = server.requests()[0];
  EXPECT_TRUE(raw.starts_with("POST /path?q=1 HTTP/1.1\r\n")) << raw;
  EXPECT_NE(raw.find("User-Agent: ecsmig/"), std::string::npos) << raw;
  EXPECT_NE(raw.find("X-Amz-Target: Svc.Op\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("Expect:"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\n{\"a\":1}")) << raw;
}

TEST_F(CurlHttpTest, ReusesOneConnectionAcrossRequests) {
  LoopbackServer server(/*respond=*/true);
  auto http = MakeCurlHttpClient();
  HttpRequest request;
  request.method = "GET";
  request.url = server.url();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http->Send(request, HttpOptions{}).status, 418);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_TRUE(server.requests()[0].starts_with("GET / HTTP/1.1\r\n"));
}

TEST_F(CurlHttpTest, SilentServerIsATimedOutTransportError) {
  LoopbackServer server(/*respond=*/false);
  auto http = MakeCurlHttpClient();
  HttpRequest request;
  request.url = server.url();
  HttpOptions options;
  options.total_timeout = std::chrono::milliseconds(300);
  try {
    http->Send(request, options);
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_TRUE(e.timed_out()) << e.what();
  }
}

TEST_F(CurlHttpTest, RefusedConnectionIsATransportErrorWithoutQuery) {
  int port;
  {
    LoopbackServer server(/*respond=*/true);
    port = std::stoi(server.url().substr(17));
  }
  auto http = MakeCurlHttpClient();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/?X-Amz-Signature=secret-value";
  try {
    http->Send(request, HttpOptions{});
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_FALSE(e.timed_out());
    EXPECT_EQ(std::string(e.what()).find("secret-value"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ecsmig
