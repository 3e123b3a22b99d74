#include "common/aws/credential_process.h"

#include <gtest/gtest.h>

#include "common/base/error.h"

namespace ecsmig {
namespace {

using std::chrono::system_clock;

system_clock::time_point At(int64_t unix_seconds) {
  return system_clock::time_point(std::chrono::seconds(unix_seconds));
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ParseCredentialTimestamp, Utc) {
  EXPECT_EQ(ParseCredentialTimestamp("2026-01-01T00:00:00Z"), At(1767225600));
  EXPECT_EQ(ParseCredentialTimestamp("1970-01-01T00:00:00Z"), At(0));
  EXPECT_EQ(ParseCredentialTimestamp("2024-02-29T12:34:56Z"), At(1709210096));
  EXPECT_EQ(ParseCredentialTimestamp("2026-01-01 00:00:00z"), At(1767225600));
}

TEST(ParseCredentialTimestamp, FractionsAndOffsets) {
  auto t = ParseCredentialTimestamp("2026-01-01T00:00:00.500Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t - At(1767225600), std::chrono::milliseconds(500));
  EXPECT_EQ(ParseCredentialTimestamp("2026-01-01T02:00:00+02:00"), At(1767225600));
  EXPECT_EQ(ParseCredentialTimestamp("2025-12-31T22:30:00-0130"), At(1767225600));
  EXPECT_EQ(ParseCredentialTimestamp("2026-01-01T00:00:00.123456789Z"),
            At(1767225600) + std::chrono::duration_cast<system_clock::duration>(
                                 std::chrono::nanoseconds(123456789)));
}

TEST(ParseCredentialTimestamp, RejectsWhatIsNotATimestamp) {
  for (const char* text :
       {"", "2026-01-01", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:00Zjunk",
        "2026-01-01T00:00:00.Z", "26-01-01T00:00:00Z", "2026-1-01T00:00:00Z", "tomorrow",
        "2026-01-01T00:00:00+2", "1767225600", "1013-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    EXPECT_EQ(ParseCredentialTimestamp(text), std::nullopt) << text;
  }
}

TEST(ParseCredentialProcessOutput, FullAnswer) {
  Credentials c = ParseCredentialProcessOutput(
      R"({"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret",
          "SessionToken": "token", "Expiration": "2026-01-01T01:00:00Z"})",
      "credential_process of profile 'ci'");
  EXPECT_EQ(c.access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(c.secret_access_key, "secret");
  EXPECT_EQ(c.session_token, "token");
  EXPECT_EQ(c.expiration, At(1767229200));
  EXPECT_EQ(c.source, "credential_process");
}

TEST(ParseCredentialProcessOutput, LongTermKeysHaveNoTokenNorExpiration) {
  Credentials c = ParseCredentialProcessOutput(
      R"({"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s","SessionToken":null})", "p");
  EXPECT_EQ(c.session_token, "");
  EXPECT_FALSE(c.expiration.has_value());
}

TEST(ParseCredentialProcessOutput, RejectsBadAnswersWithoutQuotingThem) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json " + secret, "not valid JSON"},
      {"[\"" + secret + "\"]", "not a JSON object"},
      {R"({"AccessKeyId":"A","SecretAccessKey":")" + secret + "\"}", "no Version"},
      {R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":")" + secret + "\"}",
       "unsupported Version"},
      {R"({"Version":"1","AccessKeyId":"A","SecretAccessKey":")" + secret + "\"}",
       "unsupported Version"},
      {R"({"Version":1,"SecretAccessKey":")" + secret + "\"}", "no AccessKeyId"},
      {R"({"Version":1,"AccessKeyId":")" + secret + "\"}", "no SecretAccessKey"},
      {R"({"Version":1,"AccessKeyId":"","SecretAccessKey":")" + secret + "\"}",
       "AccessKeyId in the answer is empty"},
      {R"({"Version":1,"AccessKeyId":5,"SecretAccessKey":")" + secret + "\"}", "not a string"},
      {R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":")" + secret +
           R"(","Expiration":"soon"})",
       "Expiration is not an ISO 8601 timestamp"},
      {"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" + secret, "not valid JSON"},
  };
  for (const auto& test_case : cases) {
    const std::string& output = test_case.first;  // clang 14 cannot capture bindings
    const std::string& expected = test_case.second;
    std::string message =
        ErrorOf([&] { ParseCredentialProcessOutput(output, "credential_process of profile 'x'"); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_NE(message.find("credential_process of profile 'x'"), std::string::npos) << message;
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
    EXPECT_EQ(message.find("wJalr"), std::string::npos) << message;
  }
}

TEST(RunCredentialProcess, ReturnsStandardOutput) {
  EXPECT_EQ(RunCredentialProcess("printf '%s' '{\"Version\": 1}'"), "{\"Version\": 1}");
  EXPECT_EQ(RunCredentialProcess("echo a; echo b >&2; echo c"), "a\nc\n");
}

TEST(RunCredentialProcess, StandardInputIsEmpty) {
  EXPECT_EQ(RunCredentialProcess("cat; echo done"), "done\n");
}

TEST(RunCredentialProcess, NonZeroExitIsAnErrorWithoutTheOutput) {
  std::string message = ErrorOf([] { RunCredentialProcess("echo SECRETOUTPUT; exit 3"); });
  EXPECT_NE(message.find("exited with status 3"), std::string::npos) << message;
  EXPECT_EQ(message.find("SECRETOUTPUT"), std::string::npos) << message;
}

TEST(RunCredentialProcess, MissingCommandIsAnError) {
  std::string message = ErrorOf([] { RunCredentialProcess("/nonexistent/get-creds --token X"); });
  EXPECT_NE(message.find("exited with status 127"), std::string::npos) << message;
  EXPECT_EQ(message.find("--token"), std::string::npos) << message;
}

TEST(RunCredentialProcess, DeathBySignalIsAnError) {
  std::string message = ErrorOf([] { RunCredentialProcess("kill -9 $$"); });
  EXPECT_NE(message.find("killed by signal 9"), std::string::npos) << message;
}

TEST(RunCredentialProcess, TooMuchOutputIsAnError) {
  CredentialProcessLimits limits;
  limits.max_output_bytes = 1000;
  std::string message =
      ErrorOf([&] { RunCredentialProcess("yes SECRET | head -c 100000", limits); });
  EXPECT_NE(message.find("more than 1000 bytes"), std::string::npos) << message;
  EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
}

TEST(RunCredentialProcess, TimeoutKillsTheWholeProcessGroup) {
  CredentialProcessLimits limits;
  limits.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  // The grandchild `sleep` holds the pipe open: only killing the group ends it.
  std::string message = ErrorOf([&] { RunCredentialProcess("sleep 20 | cat; echo x", limits); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_NE(message.find("did not finish"), std::string::npos) << message;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

}  // namespace
}  // namespace ecsmig
