// MakeAwsJsonService through a ToolRun wired with fakes, as tools use it.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "common/aws/aws.h"
#include "common/base/error.h"
#include "common/github/cli.h"
#include "common/testing/fake_http.h"

namespace ecsmig {
namespace {

class NoFiles : public FileSystem {
 public:
  std::string ReadFile(const std::string& path) override {
    throw Error("cannot read " + path + ": No such file or directory");
  }
  void AppendFile(const std::string& path, const std::string&) override {
    throw Error("unexpected write to " + path);
  }
  bool Exists(const std::string&) override { return false; }
};

class AwsClientTest : public testing::Test {
 protected:
  AwsClientTest()
      : env_(std::map<std::string, std::string>{
            {"AWS_ACCESS_KEY_ID", "AKIDCLIENTTEST"},
            {"AWS_SECRET_ACCESS_KEY", "client-secret-access-key"},
            {"AWS_SESSION_TOKEN", "client-session-token"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"HOME", "/nonexistent-home"}}),
        ctx_(env_, clock_, fs_, random_, out_, err_,
             [this] { return std::make_unique<ForwardingHttp>(http_); }) {}

  ToolRun& Run(Verbosity verbosity = Verbosity::kNormal) {
    run_ = std::make_unique<ToolRun>("aws-test", ctx_, "", verbosity);
    return *run_;
  }

  MapEnvironment env_;
  FakeClock clock_;
  NoFiles fs_;
  SeededRandom random_{1};
  std::ostringstream out_, err_;
  FakeHttpClient http_;
  ToolContext ctx_;
  std::unique_ptr<ToolRun> run_;
};

TEST_F(AwsClientTest, MissingRegionIsAUsageErrorBeforeAnyRequest) {
  try {
    MakeAwsJsonService(AwsService::kEcs, AwsSettings{}, Run());
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "no AWS region: pass --region or set AWS_REGION");
  }
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(AwsClientTest, CallsEcsWithSignedJsonAndParsesTheAnswer) {
  env_.Set("AWS_REGION", "eu-west-1");
  env_.Set("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:4566");
  http_.Respond(200, R"({"clusters":[{"clusterName":"c"}],"failures":[]})");
  auto ecs = MakeAwsJsonService(AwsService::kEcs, AwsSettings{}, Run());
  EXPECT_EQ(ecs->region(), "eu-west-1");
  nlohmann::json answer = ecs->Call("DescribeClusters", {{"clusters", {"c"}}});
  EXPECT_EQ(answer["clusters"][0]["clusterName"], "c");
  ASSERT_EQ(http_.requests().size(), 1u);
  const HttpRequest& request = http_.requests()[0];
  EXPECT_EQ(request.url, "http://127.0.0.1:4566/");
  EXPECT_EQ(request.body, R"({"clusters":["c"]})");
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Target"),
            "AmazonEC2ContainerServiceV20141113.DescribeClusters");
  EXPECT_EQ(http_.RequestHeader(0, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Security-Token"), "client-session-token");
  EXPECT_TRUE(
      http_.RequestHeader(0, "Authorization")
          .starts_with("AWS4-HMAC-SHA256 Credential=AKIDCLIENTTEST/20260101/eu-west-1/ecs/"));
}

TEST_F(AwsClientTest, RegionOverrideAndLogsTarget) {
  env_.Set("AWS_REGION", "eu-west-1");
  AwsSettings settings;
  settings.region = "us-east-1";
  settings.endpoint_url = "http://flag.local:1";
  http_.Respond(200, R"({"events":[]})");
  auto logs = MakeAwsJsonService(AwsService::kLogs, settings, Run(), "ap-south-1");
  EXPECT_EQ(logs->region(), "ap-south-1");
  logs->Call("GetLogEvents", nlohmann::json::object());
  EXPECT_EQ(http_.requests()[0].url, "http://flag.local:1/");
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Target"), "Logs_20140328.GetLogEvents");
  EXPECT_NE(http_.RequestHeader(0, "Authorization").find("/ap-south-1/logs/aws4_request"),
            std::string::npos);
}

TEST_F(AwsClientTest, MaxAttemptsFromTheEnvironment) {
  env_.Set("AWS_REGION", "eu-west-1");
  env_.Set("AWS_MAX_ATTEMPTS", "5");
  http_.SetFallback([](const HttpRequest&) {
    HttpResponse response;
    response.status = 400;
    response.body = R"({"__type":"ThrottlingException","message":"Rate exceeded"})";
    return response;
  });
  auto ecs = MakeAwsJsonService(AwsService::kEcs, AwsSettings{}, Run());
  EXPECT_THROW(ecs->Call("ListClusters", nlohmann::json::object()), AwsError);
  EXPECT_EQ(http_.requests().size(), 5u);
}

TEST_F(AwsClientTest, VerboseTraceNamesTheCallAndHidesSecrets) {
  env_.Set("AWS_REGION", "eu-west-1");
  env_.Set("GITHUB_ACTIONS", "true");
  http_.Respond(500, "{}", {{"x-amzn-RequestId", "rid-500"}})
      .Respond(200, "{}", {{"x-amzn-RequestId", "rid-200"}});
  auto ecs = MakeAwsJsonService(AwsService::kEcs, AwsSettings{}, Run(Verbosity::kVerbose));
  ecs->Call("RunTask", {{"overrides", "request-body-secret-value"}});
  const std::string log = err_.str();
  EXPECT_NE(log.find("ECS RunTask POST https://ecs.eu-west-1.amazonaws.com/ attempt 1: HTTP 500"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("attempt 2: HTTP 200, request id rid-200"), std::string::npos) << log;
  // Credentials are announced to the runner before anything could print them...
  EXPECT_NE(log.find("::add-mask::client-secret-access-key"), std::string::npos) << log;
  EXPECT_NE(log.find("::add-mask::client-session-token"), std::string::npos) << log;
  // ...and nothing else shows them, the signature or the body.
  std::string rest = log;
  for (const char* mask :
       {"::add-mask::client-secret-access-key\n", "::add-mask::client-session-token\n"}) {
    rest.erase(rest.find(mask), std::string(mask).size());
  }
  for (const char* hidden : {"client-secret-access-key", "client-session-token", "Signature",
                             "Authorization", "request-body-secret-value"}) {
    EXPECT_EQ(rest.find(hidden), std::string::npos) << hidden << " in " << log;
  }
}

TEST_F(AwsClientTest, NoCredentialsIsAnErrorNamingWhatToSet) {
  env_.Set("AWS_REGION", "eu-west-1");
  env_.Unset("AWS_ACCESS_KEY_ID");
  env_.Unset("AWS_SECRET_ACCESS_KEY");
  env_.Unset("AWS_SESSION_TOKEN");
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
  auto ecs = MakeAwsJsonService(AwsService::kEcs, AwsSettings{}, Run());
  EXPECT_THROW(ecs->Call("ListClusters", nlohmann::json::object()), Error);
  for (const HttpRequest& request : http_.requests()) {
    EXPECT_EQ(request.url.find("ecs.eu-west-1"), std::string::npos) << "called ECS unsigned";
  }
}

// The message of what `call` throws, or "(no error)".
template <typename Call>
std::string ErrorOf(Call&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(AwsClientTest, AwsErrorsNameTheOperationTheResourceAndTheRegion) {
  env_.Set("AWS_REGION", "eu-west-1");
  http_.Respond(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})",
                {{"x-amzn-RequestId", "rid-1"}});
  auto ecs = MakeAwsJsonService(AwsService::kEcs, AwsSettings{}, Run());
  EXPECT_EQ(ErrorOf([&] {
              ecs->Call("DescribeServices", {{"cluster", "x"}, {"services", {"web"}}});
            }),
            "ECS DescribeServices on cluster \"x\", service \"web\" in eu-west-1 failed: "
            "ClusterNotFoundException: Cluster not found. (request id rid-1)");
  http_.Respond(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})");
  EXPECT_EQ(ErrorOf([&] {
              ecs->Call("DescribeTasks",
                        {{"cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/c"},
                         {"tasks", {"a", "b", "c", "d"}}});
            }),
            "ECS DescribeTasks on cluster \"arn:aws:ecs:eu-west-1:123456789012:cluster/c\", tasks "
            "\"a\", \"b\", \"c\" and 1 more (account 123456789012) in eu-west-1 failed: "
            "ClusterNotFoundException: Cluster not found.");
}

TEST_F(AwsClientTest, AnAnswerNotFromAwsIsDescribedWithItsStatus) {
  env_.Set("AWS_REGION", "eu-west-1");
  env_.Set("AWS_MAX_ATTEMPTS", "1");
  http_.Respond(502, "<html><head><title>502 Bad Gateway</title></head></html>",
                {{"Content-Type", "text/html; charset=utf-8"}});
  auto logs = MakeAwsJsonService(AwsService::kLogs, AwsSettings{}, Run());
  EXPECT_EQ(ErrorOf([&] {
              logs->Call("GetLogEvents", {{"logGroupName", "/g"}});
            }),
            "CloudWatch Logs GetLogEvents on log group \"/g\" in eu-west-1 failed: HTTP502: an "
            "HTTP 502 answer that is not an AWS answer (text/html, 56 bytes)");
  http_.Respond(503, "");
  EXPECT_EQ(ErrorOf([&] { logs->Call("DescribeLogGroups", nlohmann::json::object()); }),
            "CloudWatch Logs DescribeLogGroups in eu-west-1 failed: HTTP503: an empty HTTP 503 "
            "answer");
  http_.Respond(200, "<html>captive portal</html>", {{"Content-Type", "text/html"}});
  EXPECT_EQ(ErrorOf([&] { logs->Call("DescribeLogGroups", nlohmann::json::object()); }),
            "CloudWatch Logs DescribeLogGroups in eu-west-1 failed: MalformedResponse: an HTTP "
            "200 answer that is not an AWS answer (text/html, 27 bytes)");
}

TEST_F(AwsClientTest, BadSettingsAreRefusedBeforeAnyRequest) {
  auto error_of = [&](const char* name, const char* value) {
    MapEnvironment saved = env_;
    env_.Set("AWS_REGION", "eu-west-1");
    env_.Set(name, value);
    std::string message =
        ErrorOf([&] { MakeAwsJsonService(AwsService::kEcs, AwsSettings{}, Run()); });
    env_ = saved;
    return message;
  };
  EXPECT_EQ(error_of("AWS_REGION", "x@127.0.0.1:1/").rfind("AWS_REGION: ", 0), 0u);
  EXPECT_EQ(error_of("AWS_ENDPOINT_URL", "garbage").rfind("AWS_ENDPOINT_URL: 'garbage'", 0), 0u);
  EXPECT_EQ(error_of("AWS_ENDPOINT_URL_STS", "garbage").rfind("AWS_ENDPOINT_URL_STS: ", 0), 0u)
      << "the credentials' endpoints are checked up front too";
  EXPECT_EQ(error_of("AWS_ENDPOINT_URL_SSO", "garbage").rfind("AWS_ENDPOINT_URL_SSO: ", 0), 0u);
  EXPECT_EQ(error_of("AWS_RETRY_MODE", "bogus").rfind("AWS_RETRY_MODE: ", 0), 0u);
  EXPECT_EQ(error_of("AWS_MAX_ATTEMPTS", "abc").rfind("AWS_MAX_ATTEMPTS: ", 0), 0u);
  EXPECT_EQ(error_of("ECSMIG_HTTP_TIMEOUT", "soon").rfind("ECSMIG_HTTP_TIMEOUT: ", 0), 0u);
  EXPECT_TRUE(http_.requests().empty());
}

}  // namespace
}  // namespace ecsmig
