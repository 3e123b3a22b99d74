#include "common/aws/sts.h"

#include <gtest/gtest.h>

#include "common/base/error.h"
#include "common/testing/fake_http.h"

namespace ecsmig {
namespace {

const char kCredentialsAnswer[] = R"(<%sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <%sResult>
    <Credentials>
      <AccessKeyId>ASIAROLEKEY</AccessKeyId>
      <SecretAccessKey>role-secret-key</SecretAccessKey>
      <SessionToken>role-session-token</SessionToken>
      <Expiration>2026-01-01T01:00:00.000Z</Expiration>
    </Credentials>
  </%sResult>
  <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>
</%sResponse>)";

std::string Answer(const std::string& action) {
  std::string out = kCredentialsAnswer;
  for (size_t at; (at = out.find("%s")) != std::string::npos;) out.replace(at, 2, action);
  return out;
}

class StsTest : public testing::Test {
 protected:
  std::unique_ptr<StsApi> Sts(const std::string& region = "eu-west-1",
                              const std::string& endpoint = "") {
    return MakeStsApi(http_, clock_, env_, region, endpoint);
  }
  FakeHttpClient http_;
  FakeClock clock_;
  MapEnvironment env_;
  Credentials source_{"AKIDSOURCE", "source-secret", "", {}, "environment"};
};

TEST_F(StsTest, AssumeRoleWithWebIdentityIsUnsignedAndParsesCredentials) {
  http_.Respond(200, Answer("AssumeRoleWithWebIdentity"));
  Credentials credentials =
      Sts()->AssumeRoleWithWebIdentity("arn:aws:iam::123456789012:role/deploy", "gha-session",
                                       "jwt.token.value", std::chrono::seconds(3600));
  EXPECT_EQ(credentials.access_key_id, "ASIAROLEKEY");
  EXPECT_EQ(credentials.secret_access_key, "role-secret-key");
  EXPECT_EQ(credentials.session_token, "role-session-token");
  ASSERT_TRUE(credentials.expiration.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*credentials.expiration), 1767229200);
  ASSERT_EQ(http_.requests().size(), 1u);
  const HttpRequest& request = http_.requests()[0];
  EXPECT_EQ(request.url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(request.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%"
            "3A123456789012%3Arole%2Fdeploy&RoleSessionName=gha-session&WebIdentityToken=jwt."
            "token.value&DurationSeconds=3600");
  EXPECT_EQ(http_.RequestHeader(0, "Authorization"), "");
}

// An Expiration beyond what system_clock holds (its conversion once
// overflowed) is a malformed answer, not credentials that never expire.
TEST_F(StsTest, AnExpirationOutOfRangeIsAMalformedAnswer) {
  std::string answer = Answer("AssumeRoleWithWebIdentity");
  answer.replace(answer.find("2026-01-01T01:00:00.000Z"), 24, "9999-12-31T23:59:59Z");
  for (int i = 0; i < 5; ++i) http_.Respond(200, answer);
  EXPECT_THROW(Sts()->AssumeRoleWithWebIdentity("arn:aws:iam::1:role/r", "s", "jwt",
                                                std::chrono::seconds(900)),
               Error);
}

TEST_F(StsTest, AssumeRoleIsSignedWithTheSourceCredentials) {
  http_.Respond(200, Answer("AssumeRole"));
  Credentials credentials =
      Sts()->AssumeRole(source_, "arn:aws:iam::1:role/r", "s", "ext-id", std::chrono::seconds(900));
  EXPECT_EQ(credentials.access_key_id, "ASIAROLEKEY");
  EXPECT_TRUE(http_.RequestHeader(0, "Authorization")
                  .starts_with("AWS4-HMAC-SHA256 Credential=AKIDSOURCE/20260101/eu-west-1/sts/"));
  EXPECT_NE(http_.requests()[0].body.find("&ExternalId=ext-id"), std::string::npos);
}

TEST_F(StsTest, GetCallerIdentityReturnsTheArn) {
  http_.Respond(200,
                "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/u"
                "</Arn><UserId>U</UserId><Account>1</Account></GetCallerIdentityResult>"
                "</GetCallerIdentityResponse>");
  EXPECT_EQ(Sts()->GetCallerIdentity(source_), "arn:aws:iam::1:user/u");
  EXPECT_NE(http_.requests()[0].body.find("Action=GetCallerIdentity"), std::string::npos);
}

TEST_F(StsTest, ErrorsBecomeAwsErrors) {
  http_.Respond(403,
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not "
                "authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>"
                "req-9</RequestId></ErrorResponse>");
  try {
    Sts()->AssumeRoleWithWebIdentity("arn:aws:iam::1:role/r", "s", "t", std::chrono::seconds(900));
    FAIL();
  } catch (const AwsError& e) {
    EXPECT_EQ(e.service(), "STS");
    EXPECT_EQ(e.code(), "AccessDenied");
    EXPECT_EQ(e.request_id(), "req-9");
    // The message names the call but never the token.
    EXPECT_EQ(std::string(e.what()).find("t&"), std::string::npos);
  }
}

TEST_F(StsTest, IncompleteAnswerIsRetriedAsMalformed) {
  http_.Respond(200, "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A")
      .Respond(200, Answer("AssumeRole"));
  EXPECT_EQ(Sts()->AssumeRole(source_, "arn", "s", "", std::chrono::seconds(900)).session_token,
            "role-session-token");
  EXPECT_EQ(http_.requests().size(), 2u);
}

TEST_F(StsTest, EndpointResolution) {
  http_.SetFallback([](const HttpRequest&) {
    HttpResponse response;
    response.status = 200;
    response.body = "<GetCallerIdentityResult><Arn>a</Arn></GetCallerIdentityResult>";
    return response;
  });
  Sts("cn-north-1")->GetCallerIdentity(source_);
  EXPECT_EQ(http_.requests().back().url, "https://sts.cn-north-1.amazonaws.com.cn/");
  env_.Set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9999");
  Sts()->GetCallerIdentity(source_);
  EXPECT_EQ(http_.requests().back().url, "http://127.0.0.1:9999/");
  Sts("eu-west-1", "http://flag:1")->GetCallerIdentity(source_);
  EXPECT_EQ(http_.requests().back().url, "http://flag:1/");
  env_.Unset("AWS_ENDPOINT_URL_STS");
  Sts("")->GetCallerIdentity(source_);
  EXPECT_EQ(http_.requests().back().url, "https://sts.us-east-1.amazonaws.com/");
}

}  // namespace
}  // namespace ecsmig
