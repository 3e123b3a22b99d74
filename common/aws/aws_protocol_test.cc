#include "common/aws/aws_protocol.h"

#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/base/error.h"
#include "common/testing/fake_http.h"

namespace ecsmig {
namespace {

using std::chrono::seconds;

HttpResponse Response(int status, std::string body, HttpHeaders headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// ---- Request building ----------------------------------------------------------

TEST(JsonProtocolTest, BuildsPostWithTargetAndContentType) {
  HttpRequest request =
      BuildJsonRequest("https://ecs.eu-west-1.amazonaws.com", "AmazonEC2ContainerServiceV20141113",
                       "RunTask", R"({"cluster":"c"})");
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://ecs.eu-west-1.amazonaws.com/");
  EXPECT_EQ(request.body, R"({"cluster":"c"})");
  HttpHeaders expected = {{"Content-Type", "application/x-amz-json-1.1"},
                          {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask"}};
  EXPECT_EQ(request.headers, expected);
}

TEST(QueryProtocolTest, FormEncodesActionVersionAndParameters) {
  HttpRequest request = BuildQueryRequest(
      "https://sts.us-east-1.amazonaws.com", "AssumeRole",
      {{"RoleArn", "arn:aws:iam::123456789012:role/a b+c"}, {"RoleSessionName", "x=y&z"}});
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://sts.us-east-1.amazonaws.com/");
  EXPECT_EQ(request.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%"
            "3Arole%2Fa%20b%2Bc&RoleSessionName=x%3Dy%26z");
  EXPECT_EQ(request.headers.at(0).first, "Content-Type");
  EXPECT_EQ(request.headers.at(0).second, "application/x-www-form-urlencoded; charset=utf-8");
}

// ---- Error parsing -------------------------------------------------------------

TEST(JsonErrorTest, CodeFromTypeWithPrefixStripped) {
  AwsErrorInfo info = ParseJsonError(Response(
      400,
      R"({"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."})",
      {{"x-amzn-RequestId", "req-1"}}));
  EXPECT_EQ(info.code, "ClusterNotFoundException");
  EXPECT_EQ(info.message, "Cluster not found.");
  EXPECT_EQ(info.request_id, "req-1");
}

TEST(JsonErrorTest, CodeWithoutPrefixAndCapitalMessage) {
  AwsErrorInfo info =
      ParseJsonError(Response(400, R"({"__type":"ThrottlingException","Message":"Rate exceeded"})",
                              {{"X-Amz-Request-Id", "req-2"}}));
  EXPECT_EQ(info.code, "ThrottlingException");
  EXPECT_EQ(info.message, "Rate exceeded");
  EXPECT_EQ(info.request_id, "req-2");
}

TEST(JsonErrorTest, CodeFieldAndCoralSuffix) {
  EXPECT_EQ(ParseJsonError(Response(400, R"({"code":"AccessDeniedException"})")).code,
            "AccessDeniedException");
  EXPECT_EQ(
      ParseJsonError(Response(400, R"({"__type":"a.b#SerializationException:http://internal"})"))
          .code,
      "SerializationException");
}

TEST(JsonErrorTest, NonJsonBodiesNeverThrow) {
  for (const char* body : {"", "<html>502 Bad Gateway</html>", "[1,2]", R"({"__type":5})", "{"}) {
    AwsErrorInfo info = ParseJsonError(Response(502, body));
    EXPECT_EQ(info.code, "") << body;
  }
  EXPECT_EQ(ParseJsonError(Response(400, "", {{"x-amzn-ErrorType", "Foo:bar"}})).code, "Foo");
}

TEST(QueryErrorTest, ParsesErrorResponse) {
  AwsErrorInfo info = ParseQueryError(Response(403, R"(<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>ExpiredToken</Code>
    <Message>The security token included in the request is expired &amp; &lt;old&gt;</Message>
  </Error>
  <RequestId>4e2b7d1c-0000</RequestId>
</ErrorResponse>)"));
  EXPECT_EQ(info.code, "ExpiredToken");
  EXPECT_EQ(info.message, "The security token included in the request is expired & <old>");
  EXPECT_EQ(info.request_id, "4e2b7d1c-0000");
}

TEST(QueryErrorTest, RequestIdFromHeaderWhenBodyHasNone) {
  AwsErrorInfo info = ParseQueryError(
      Response(400, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>",
               {{"x-amzn-RequestId", "hdr-id"}}));
  EXPECT_EQ(info.code, "InvalidAction");
  EXPECT_EQ(info.message, "");
  EXPECT_EQ(info.request_id, "hdr-id");
}

// ---- XML reader ----------------------------------------------------------------

const char kAssumeRoleAnswer[] =
    R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <!-- a comment with <AccessKeyId>fake</AccessKeyId> -->
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey><![CDATA[se<cr>et]]></SecretAccessKey>
      <SessionToken>tok&#65;&#x42;</SessionToken>
      <Expiration>2026-11-22T05:30:15Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>
</AssumeRoleResponse>)";

TEST(XmlTextTest, FindsElementsByTrailingPath) {
  EXPECT_EQ(XmlText(kAssumeRoleAnswer, {"Credentials", "AccessKeyId"}), "ASIAEXAMPLE");
  EXPECT_EQ(XmlText(kAssumeRoleAnswer, {"Credentials", "SecretAccessKey"}), "se<cr>et");
  EXPECT_EQ(XmlText(kAssumeRoleAnswer, {"Credentials", "SessionToken"}), "tokAB");
  EXPECT_EQ(XmlText(kAssumeRoleAnswer, {"AssumedRoleUser", "Arn"}),
            "arn:aws:sts::123456789012:assumed-role/r/s");
  EXPECT_EQ(XmlText(kAssumeRoleAnswer, {"RequestId"}), "rid");
  EXPECT_EQ(XmlText(kAssumeRoleAnswer, {"Credentials", "Missing"}), std::nullopt);
  // The path must match the enclosing elements, not just the name.
  EXPECT_EQ(XmlText(kAssumeRoleAnswer, {"AssumedRoleUser", "AccessKeyId"}), std::nullopt);
}

TEST(XmlTextTest, NamespacePrefixesAttributesAndSelfClosing) {
  const char xml[] =
      R"(<?xml version="1.0"?><!DOCTYPE x><a:Root xmlns:a="u"><a:Item attr="x>y" other='1'/>)"
      R"(<a:Value kind="q">v1</a:Value></a:Root>)";
  EXPECT_EQ(XmlText(xml, {"Root", "Item"}), "");
  EXPECT_EQ(XmlText(xml, {"Root", "Value"}), "v1");
}

TEST(XmlTextTest, TruncatedOrGarbageDocuments) {
  EXPECT_EQ(XmlText("<A><B>text", {"A", "B"}), std::nullopt);
  EXPECT_EQ(XmlText("<A><B", {"A", "B"}), std::nullopt);
  EXPECT_EQ(XmlText("", {"A"}), std::nullopt);
  EXPECT_EQ(XmlText("not xml at all", {"A"}), std::nullopt);
  EXPECT_EQ(XmlText("<A><!-- never closed", {"A"}), std::nullopt);
  EXPECT_EQ(XmlText("</A></B><A>x</A>", {"A"}), "x");
  EXPECT_EQ(XmlText("<A>&bogus; &#0; &#xZZ; &amp</A>", {"A"}), "&bogus; &#0; &#xZZ; &amp");
}

TEST(HttpDateTest, ParsesRfc1123) {
  auto time = ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT");
  ASSERT_TRUE(time.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*time), 1440938160);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

// Beyond 2262 the conversion to system_clock's nanoseconds would overflow.
TEST(HttpDateTest, DatesSystemClockCannotHoldAreRefused) {
  EXPECT_FALSE(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Fri, 01 Jan 1600 00:00:00 GMT").has_value());
  EXPECT_TRUE(ParseHttpDate("Tue, 01 Jan 2199 00:00:00 GMT").has_value());
}

// ---- The request loop ------------------------------------------------------------

class ExecutorTest : public testing::Test {
 protected:
  ExecutorTest() {
    endpoint_.protocol = AwsProtocol::kJson11;
    endpoint_.display_name = "ECS";
    endpoint_.signing_name = "ecs";
    endpoint_.region = "eu-west-1";
    endpoint_.url = "https://ecs.eu-west-1.amazonaws.com";
  }

  AwsCallHooks Hooks() {
    AwsCallHooks hooks;
    hooks.credentials = [this] {
      ++credential_calls_;
      return credentials_;
    };
    hooks.invalidate_credentials = [this] {
      ++invalidations_;
      credentials_.session_token = "fresh-session-token-value";
    };
    hooks.trace = [this](const std::string& line) { trace_.push_back(line); };
    return hooks;
  }

  AwsRequestExecutor Executor(int max_attempts = 3) {
    RetryOptions retry;
    retry.max_attempts = max_attempts;
    return AwsRequestExecutor(endpoint_, http_, clock_, random_, retry, Hooks());
  }

  HttpResponse Run(AwsRequestExecutor& executor, const std::string& body = R"({"cluster":"c"})") {
    HttpRequest request =
        BuildJsonRequest(endpoint_.url, "AmazonEC2ContainerServiceV20141113", "RunTask", body);
    return executor.Execute("RunTask", request, [](const HttpResponse& response) {
      return nlohmann::json::parse(response.body, nullptr, false).is_object();
    });
  }

  std::string ServerDate(seconds offset) {
    std::time_t t = std::chrono::system_clock::to_time_t(clock_.Now() + offset);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
  }

  AwsEndpoint endpoint_;
  FakeHttpClient http_;
  FakeClock clock_;
  SeededRandom random_{7};
  Credentials credentials_{
      "AKIDEXAMPLE", "very-secret-access-key", "old-session-token-value", {}, "test"};
  int credential_calls_ = 0;
  int invalidations_ = 0;
  std::vector<std::string> trace_;
};

TEST_F(ExecutorTest, SignsAndReturnsTheAnswer) {
  http_.Respond(200, R"({"tasks":[]})", {{"x-amzn-RequestId", "r1"}});
  AwsRequestExecutor executor = Executor();
  EXPECT_EQ(Run(executor).body, R"({"tasks":[]})");
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_TRUE(http_.RequestHeader(0, "Authorization")
                  .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/ecs/"
                               "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                               "x-amz-security-token;x-amz-target, Signature="));
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Security-Token"), "old-session-token-value");
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Date"), "20260101T000000Z");
  EXPECT_EQ(clock_.total_slept().count(), 0);
}

TEST_F(ExecutorTest, RetriesThrottlingFiveXxAndResetsWithTheSameBody) {
  http_.Respond(400, R"({"__type":"ThrottlingException"})")
      .Respond(503, "<html>unavailable</html>")
      .Fail("connection reset by peer")
      .Respond(200, "{}");
  AwsRequestExecutor executor = Executor(4);
  Run(executor, R"({"clientToken":"tok-1"})");
  ASSERT_EQ(http_.requests().size(), 4u);
  for (const HttpRequest& request : http_.requests()) {
    EXPECT_EQ(request.body, R"({"clientToken":"tok-1"})");
    EXPECT_EQ(request.url, "https://ecs.eu-west-1.amazonaws.com/");
  }
  EXPECT_GT(clock_.total_slept().count(), 0);
  EXPECT_LE(clock_.total_slept().count(), 100 + 200 + 400);
  // Each attempt carries exactly one signature of its own.
  for (const HttpRequest& request : http_.requests()) {
    EXPECT_EQ(std::count_if(request.headers.begin(), request.headers.end(),
                            [](const auto& h) { return h.first == "Authorization"; }),
              1);
  }
  EXPECT_EQ(executor.quota().available(), RetryQuota::kCapacity);  // refunded
}

TEST_F(ExecutorTest, GivesUpWithAwsErrorAfterMaxAttempts) {
  for (int i = 0; i < 3; ++i) {
    http_.Respond(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})",
                  {{"x-amzn-RequestId", "rid-" + std::to_string(i)}});
  }
  AwsRequestExecutor executor = Executor(3);
  try {
    Run(executor);
    FAIL() << "expected AwsError";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "ThrottlingException");
    EXPECT_EQ(e.aws_message(), "Rate exceeded");
    EXPECT_EQ(e.request_id(), "rid-2");
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_EQ(e.service(), "ECS");
    // The operation as messages name it: what it was about, and where.
    EXPECT_EQ(e.operation(), "RunTask in eu-west-1");
  }
  EXPECT_EQ(http_.requests().size(), 3u);
}

TEST_F(ExecutorTest, ClientErrorIsNotRetried) {
  http_.Respond(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})");
  AwsRequestExecutor executor = Executor();
  EXPECT_THROW(Run(executor), AwsError);
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(ExecutorTest, TransportErrorAfterRetriesKeepsTimedOut) {
  http_.Fail("timed out", true).Fail("timed out", true);
  AwsRequestExecutor executor = Executor(2);
  try {
    Run(executor);
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_TRUE(e.timed_out());
    EXPECT_NE(std::string(e.what()).find("ECS RunTask"), std::string::npos);
  }
  EXPECT_EQ(executor.quota().available(), RetryQuota::kCapacity - RetryQuota::kTimeoutCost);
}

TEST_F(ExecutorTest, MalformedSuccessBodyIsRetried) {
  http_.Respond(200, "{\"tasks\": [").Respond(200, R"({"tasks":[]})");
  AwsRequestExecutor executor = Executor();
  EXPECT_EQ(Run(executor).body, R"({"tasks":[]})");
  EXPECT_EQ(http_.requests().size(), 2u);
}

TEST_F(ExecutorTest, MalformedBodyEveryTimeIsAnAwsError) {
  http_.Respond(200, "garbage").Respond(200, "garbage");
  AwsRequestExecutor executor = Executor(2);
  try {
    Run(executor);
    FAIL();
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "MalformedResponse");
  }
}

TEST_F(ExecutorTest, QuotaExhaustionStopsRetriesAcrossCalls) {
  http_.SetFallback([](const HttpRequest&) { return Response(500, "{}"); });
  AwsRequestExecutor executor = Executor(1000);
  EXPECT_THROW(Run(executor), AwsError);
  EXPECT_EQ(http_.requests().size(), 1u + RetryQuota::kCapacity / RetryQuota::kRetryCost);
  EXPECT_EQ(executor.quota().available(), 0);
  // The next call gets one attempt only.
  EXPECT_THROW(Run(executor), AwsError);
  EXPECT_EQ(http_.requests().size(), 2u + RetryQuota::kCapacity / RetryQuota::kRetryCost);
}

TEST_F(ExecutorTest, ClockSkewIsCorrectedFromTheDateHeaderAndPersists) {
  // The server is 20 minutes ahead.
  http_
      .Respond(
          400,
          R"({"__type":"InvalidSignatureException","message":"Signature expired: 20260101T000000Z is now earlier than 20260101T001500Z"})",
          {{"Date", ServerDate(seconds(1200))}})
      .Respond(200, "{}")
      .Respond(200, "{}");
  AwsRequestExecutor executor = Executor(1);  // the correction is not a counted attempt
  Run(executor);
  ASSERT_EQ(http_.requests().size(), 2u);
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Date"), "20260101T000000Z");
  EXPECT_EQ(http_.RequestHeader(1, "X-Amz-Date"), "20260101T002000Z");
  EXPECT_EQ(executor.clock_offset(), seconds(1200));
  Run(executor);
  EXPECT_EQ(http_.RequestHeader(2, "X-Amz-Date"), "20260101T002000Z");
}

TEST_F(ExecutorTest, SkewCodeWithoutRealSkewIsNotRetried) {
  http_.Respond(403, R"({"__type":"SignatureDoesNotMatch","message":"bad signature"})",
                {{"Date", ServerDate(seconds(5))}});
  AwsRequestExecutor executor = Executor();
  EXPECT_THROW(Run(executor), AwsError);
  EXPECT_EQ(http_.requests().size(), 1u);
  EXPECT_EQ(executor.clock_offset(), seconds(0));
}

TEST_F(ExecutorTest, RequestTimeTooSkewedBehindTheServer) {
  http_.Respond(403, R"({"__type":"RequestTimeTooSkewed"})", {{"Date", ServerDate(seconds(-3600))}})
      .Respond(200, "{}");
  AwsRequestExecutor executor = Executor();
  Run(executor);
  EXPECT_EQ(executor.clock_offset(), seconds(-3600));
  EXPECT_EQ(http_.RequestHeader(1, "X-Amz-Date"), "20251231T230000Z");
}

TEST_F(ExecutorTest, ExpiredTokenInvalidatesCredentialsAndRetriesOnce) {
  http_.Respond(400, R"({"__type":"ExpiredTokenException","message":"expired"})")
      .Respond(200, "{}");
  AwsRequestExecutor executor = Executor(1);
  Run(executor);
  EXPECT_EQ(invalidations_, 1);
  EXPECT_EQ(credential_calls_, 2);
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Security-Token"), "old-session-token-value");
  EXPECT_EQ(http_.RequestHeader(1, "X-Amz-Security-Token"), "fresh-session-token-value");
}

TEST_F(ExecutorTest, ExpiredTokenTwiceIsAnError) {
  http_.Respond(400, R"({"__type":"ExpiredTokenException"})")
      .Respond(400, R"({"__type":"ExpiredTokenException"})");
  AwsRequestExecutor executor = Executor();
  EXPECT_THROW(Run(executor), AwsError);
  EXPECT_EQ(invalidations_, 1);
  EXPECT_EQ(http_.requests().size(), 2u);
}

TEST_F(ExecutorTest, UnsignedWhenNoCredentialsHook) {
  http_.Respond(200, "{}");
  RetryOptions retry;
  AwsRequestExecutor executor(endpoint_, http_, clock_, random_, retry, AwsCallHooks{});
  Run(executor);
  EXPECT_EQ(http_.RequestHeader(0, "Authorization"), "");
  EXPECT_EQ(http_.RequestHeader(0, "X-Amz-Security-Token"), "");
}

TEST_F(ExecutorTest, TraceShowsTheCallButNoSecretSignatureOrBody) {
  http_.Respond(400, R"({"__type":"ThrottlingException"})", {{"x-amzn-RequestId", "rid-a"}})
      .Respond(200, R"({"secretInAnswer":"answer-body-value"})", {{"x-amzn-RequestId", "rid-b"}});
  AwsRequestExecutor executor = Executor();
  Run(executor, R"({"body-secret":"request-body-value"})");
  ASSERT_EQ(trace_.size(), 2u);
  EXPECT_NE(trace_[0].find("ECS RunTask POST https://ecs.eu-west-1.amazonaws.com/ attempt 1"),
            std::string::npos);
  EXPECT_NE(trace_[0].find("HTTP 400 ThrottlingException"), std::string::npos);
  EXPECT_NE(trace_[0].find("rid-a"), std::string::npos);
  EXPECT_NE(trace_[0].find("retrying in"), std::string::npos);
  EXPECT_NE(trace_[1].find("attempt 2: HTTP 200, request id rid-b"), std::string::npos);
  const std::string signature =
      http_.RequestHeader(1, "Authorization")
          .substr(http_.RequestHeader(1, "Authorization").find("Signature=") + 10);
  for (const std::string& line : trace_) {
    for (const std::string& secret :
         {std::string("very-secret-access-key"), std::string("old-session-token-value"),
          std::string("Authorization"), std::string("Signature"), signature,
          std::string("request-body-value"), std::string("answer-body-value")}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << line << " shows " << secret;
    }
  }
}

TEST_F(ExecutorTest, QueryProtocolErrorsAreParsedFromXml) {
  endpoint_.protocol = AwsProtocol::kQuery;
  http_
      .Respond(400,
               "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message>"
               "</Error><RequestId>x1</RequestId></ErrorResponse>")
      .Respond(403,
               "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error>"
               "<RequestId>x2</RequestId></ErrorResponse>");
  AwsRequestExecutor executor = Executor();
  try {
    executor.Execute("AssumeRole", BuildQueryRequest(endpoint_.url, "AssumeRole", {}),
                     [](const HttpResponse&) { return true; });
    FAIL();
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "AccessDenied");
    EXPECT_EQ(e.request_id(), "x2");
    EXPECT_EQ(e.http_status(), 403);
  }
  EXPECT_EQ(http_.requests().size(), 2u);
}

}  // namespace
}  // namespace ecsmig
