#include "common/github/github_api.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/testing/fake_http.h"

namespace ecsmig {
namespace {

const std::string kToken = "ghs_secretTokenValue123";
const std::string kBase = "https://api.github.com/repos/o/r";

class GitHubApiTest : public ::testing::Test {
 protected:
  GitHubApiTest() {
    config_.repository = "o/r";
    config_.token = kToken;
  }
  GitHubApi Api() { return GitHubApi(config_, http_, clock_, random_, log_); }
  static std::string Deployments(const std::string& items) { return "[" + items + "]"; }
  static std::string Item(int id, char sha) {
    return R"({"id":)" + std::to_string(id) + R"(,"sha":")" + std::string(40, sha) +
           R"(","environment":"prod","created_at":"2026-01-01T00:00:00Z"})";
  }
  static std::string Status(const std::string& state) {
    return R"([{"id":1,"state":")" + state + R"("}])";
  }

  GitHubApiConfig config_;
  FakeHttpClient http_;
  FakeClock clock_;
  SeededRandom random_{3};
  std::ostringstream err_;
  Redactor redactor_;
  Logger log_{"t", err_, true, Verbosity::kVerbose, redactor_};
};

TEST(GitHubApiHelpers, NextPageUrlFromLinkHeader) {
  EXPECT_EQ(NextPageUrl(R"(<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last")"),
            "https://x/a?page=2");
  EXPECT_EQ(NextPageUrl(R"(<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next")"),
            "https://x/a?page=3");
  EXPECT_EQ(NextPageUrl(R"(<https://x/a?page=1>; rel="first")"), "");
  EXPECT_EQ(NextPageUrl(""), "");
}

TEST(GitHubApiHelpers, ConfigFromEnvMasksTokenAndChecksVariables) {
  std::ostringstream err;
  Redactor redactor;
  Logger log("t", err, true, Verbosity::kNormal, redactor);
  MapEnvironment env({{"GITHUB_TOKEN", kToken},
                      {"GITHUB_REPOSITORY", "o/r"},
                      {"GITHUB_API_URL", "https://ghe.example/api/v3/"}});
  GitHubApiConfig config = GitHubApiConfigFromEnv(env, log);
  EXPECT_EQ(config.api_url, "https://ghe.example/api/v3");
  EXPECT_NE(err.str().find("::add-mask::" + kToken), std::string::npos);
  EXPECT_EQ(redactor.Redact(kToken), "***");
  env.Set("GITHUB_REPOSITORY", "nope");
  EXPECT_THROW(GitHubApiConfigFromEnv(env, log), GitHubApiError);
  env.Set("GITHUB_REPOSITORY", "o/r");
  env.Set("GITHUB_TOKEN", "");
  EXPECT_THROW(GitHubApiConfigFromEnv(env, log), GitHubApiError);
}

TEST_F(GitHubApiTest, NewestDeploymentWhoseLatestStatusIsSuccess) {
  http_.Respond(200, Deployments(Item(3, 'c') + "," + Item(2, 'b')),
                {{"Link", "<" + kBase + "/deployments?page=2>; rel=\"next\""}});
  http_.Respond(200, Status("in_progress"));  // this run's own deployment
  http_.Respond(200, Status("failure"));
  http_.Respond(200, Deployments(Item(1, 'a')));
  http_.Respond(200, Status("success"));
  GitHubApi api = Api();
  auto found = LastSuccessfulDeployment(api, "prod env", "");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, 1);
  EXPECT_EQ(found->sha, std::string(40, 'a'));
  EXPECT_EQ(http_.requests()[0].url, kBase + "/deployments?environment=prod%20env&per_page=100");
  EXPECT_EQ(http_.requests()[1].url, kBase + "/deployments/3/statuses?per_page=1");
  EXPECT_EQ(http_.requests()[3].url, kBase + "/deployments?page=2");
  EXPECT_EQ(http_.RequestHeader(0, "Authorization"), "Bearer " + kToken);
  EXPECT_EQ(err_.str().find(kToken), std::string::npos) << err_.str();
}

TEST_F(GitHubApiTest, PassesOverTheHeadAndCommitsWhoseLaterDeploymentFailed) {
  // Newest first: this run's build job (head, success), the previous run's
  // migration job (b, failure) and build job (b, success), then a.
  http_.Respond(200, Deployments(Item(5, 'h') + "," + Item(4, 'b') + "," + Item(3, 'b') + "," +
                                 Item(2, 'a')));
  http_.Respond(200, Status("failure"));
  http_.Respond(200, Status("success"));
  http_.Respond(200, Status("success"));
  GitHubApi api = Api();
  auto found = LastSuccessfulDeployment(api, "prod", std::string(40, 'h'));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, 2);
  EXPECT_EQ(http_.requests().size(), 4u);  // the head's statuses are never asked for
}

TEST_F(GitHubApiTest, NoSuccessfulDeploymentIsNullopt) {
  http_.Respond(200, Deployments(Item(2, 'b')));
  http_.Respond(200, "[]");  // no status yet
  GitHubApi api = Api();
  EXPECT_FALSE(LastSuccessfulDeployment(api, "prod", ""));
  http_.Respond(200, "[]");
  EXPECT_FALSE(LastSuccessfulDeployment(api, "prod", ""));
}

TEST_F(GitHubApiTest, RetriesServerErrorsThenGivesUp) {
  http_.Respond(502, "bad gateway").Fail().Respond(200, "[]");
  GitHubApi api = Api();
  EXPECT_FALSE(LastSuccessfulDeployment(api, "prod", ""));
  EXPECT_EQ(http_.requests().size(), 3u);
  for (int i = 0; i < config_.max_attempts; ++i) http_.Respond(503, "");
  try {
    LastSuccessfulDeployment(api, "prod", "");
    FAIL();
  } catch (const GitHubApiError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_NE(std::string(e.what()).find("after 4 attempts"), std::string::npos) << e.what();
  }
}

TEST_F(GitHubApiTest, RateLimitWaitsWhatGitHubAsks) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch());
  http_.Respond(
      403, R"({"message":"API rate limit exceeded"})",
      {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(now.count() + 5)}});
  http_.Respond(429, "", {{"retry-after", "2"}});
  http_.Respond(200, "[]");
  GitHubApi api = Api();
  EXPECT_FALSE(LastSuccessfulDeployment(api, "prod", ""));
  EXPECT_EQ(clock_.total_slept(), std::chrono::seconds(6 + 2));
}

TEST_F(GitHubApiTest, RateLimitBeyondMaxWaitIsExhausted) {
  http_.Respond(403, "", {{"x-ratelimit-remaining", "0"}, {"retry-after", "3600"}});
  GitHubApi api = Api();
  try {
    LastSuccessfulDeployment(api, "prod", "");
    FAIL();
  } catch (const GitHubApiError& e) {
    EXPECT_NE(std::string(e.what()).find("rate limit exhausted"), std::string::npos);
  }
  EXPECT_EQ(clock_.total_slept(), std::chrono::milliseconds(0));
}

TEST_F(GitHubApiTest, RefusalsAreNotRetriedAndSayWhy) {
  for (int status : {401, 403, 404}) {
    http_.Respond(status, R"({"message":"Bad\ncredentials"})");
    GitHubApi api = Api();
    try {
      LastSuccessfulDeployment(api, "prod", "");
      FAIL() << status;
    } catch (const GitHubApiError& e) {
      EXPECT_EQ(e.status(), status);
      std::string what = e.what();
      EXPECT_NE(what.find(std::to_string(status)), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    EXPECT_EQ(http_.remaining(), 0u);
  }
}

TEST_F(GitHubApiTest, NeverFollowsLinksToAnotherHost) {
  http_.Respond(200, Deployments(Item(2, 'b')),
                {{"Link", "<https://evil.example/steal>; rel=\"next\""}});
  http_.Respond(200, Status("failure"));
  GitHubApi api = Api();
  EXPECT_THROW(LastSuccessfulDeployment(api, "prod", ""), GitHubApiError);
  EXPECT_EQ(http_.requests().size(), 2u);
}

TEST_F(GitHubApiTest, MalformedAnswersAreErrors) {
  http_.Respond(200, R"({"not":"an array"})");
  GitHubApi api = Api();
  EXPECT_THROW(LastSuccessfulDeployment(api, "prod", ""), GitHubApiError);
  http_.Respond(200, R"([{"id":"x","sha":"a"}])");
  EXPECT_THROW(LastSuccessfulDeployment(api, "prod", ""), GitHubApiError);
}

}  // namespace
}  // namespace ecsmig
