#include "common/github/github_event.h"

#include <gtest/gtest.h>

#include "common/base/error.h"

namespace ecsmig {
namespace {

const std::string kA(40, 'a');
const std::string kB(40, 'b');
const std::string kZero(40, '0');

TEST(GithubEvent, Push) {
  auto r = ParseEventPayload(
      "push",
      R"({"before":")" + kA + R"(","after":")" + kB +
          R"(","forced":true,"ref":"refs/heads/x","repository":{"default_branch":"main"}})");
  EXPECT_EQ(r.kind, EventRange::Kind::kPush);
  EXPECT_EQ(r.base_sha, kA);
  EXPECT_EQ(r.head_sha, kB);
  EXPECT_TRUE(r.forced);
  EXPECT_FALSE(r.first_push);
  EXPECT_EQ(r.default_branch, "main");
  EXPECT_EQ(r.ref, "refs/heads/x");
}

TEST(GithubEvent, FirstPushHasNoBase) {
  auto r = ParseEventPayload("push", R"({"before":")" + kZero + R"(","after":")" + kB + R"("})");
  EXPECT_TRUE(r.first_push);
  EXPECT_EQ(r.base_sha, "");
  EXPECT_EQ(r.default_branch, "");
}

TEST(GithubEvent, PullRequestAndMergeGroup) {
  std::string pr =
      R"({"pull_request":{"base":{"sha":")" + kA + R"("},"head":{"sha":")" + kB + R"("}}})";
  for (const char* name : {"pull_request", "pull_request_target"}) {
    auto r = ParseEventPayload(name, pr);
    EXPECT_EQ(r.kind, EventRange::Kind::kPullRequest);
    EXPECT_EQ(r.base_sha, kA);
    EXPECT_EQ(r.head_sha, kB);
  }
  auto mg = ParseEventPayload(
      "merge_group", R"({"merge_group":{"base_sha":")" + kA + R"(","head_sha":")" + kB + R"("}})");
  EXPECT_EQ(mg.kind, EventRange::Kind::kMergeGroup);
  EXPECT_EQ(mg.base_sha, kA);
}

TEST(GithubEvent, OtherEventsCarryNoRangeAndAreNotRead) {
  EXPECT_EQ(ParseEventPayload("workflow_dispatch", "not json").kind, EventRange::Kind::kNone);
  EXPECT_EQ(ParseEventPayload("", "").kind, EventRange::Kind::kNone);
  EXPECT_FALSE(EventCarriesRange("schedule"));
  EXPECT_TRUE(EventCarriesRange("merge_group"));
}

TEST(GithubEvent, MalformedPayloadsAreUsageErrors) {
  EXPECT_THROW(ParseEventPayload("push", "{"), UsageError);
  EXPECT_THROW(ParseEventPayload("push", "[]"), UsageError);
  EXPECT_THROW(ParseEventPayload("push", R"({"before":")" + kA + R"("})"), UsageError);
  EXPECT_THROW(ParseEventPayload("push", R"({"before":"abc","after":")" + kB + R"("})"),
               UsageError);
  EXPECT_THROW(
      ParseEventPayload("push", R"({"before":")" + kA + R"(","after":")" + kZero + R"("})"),
      UsageError);
  EXPECT_THROW(ParseEventPayload("pull_request", R"({"pull_request":[1,2]})"), UsageError);
  EXPECT_THROW(ParseEventPayload("merge_group", R"({"merge_group":{"base_sha":7}})"), UsageError);
  try {
    ParseEventPayload("pull_request", R"({"pull_request":{"base":{}}})");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/pull_request/base/sha"), std::string::npos);
  }
}

TEST(GithubEvent, ShaCaseIsNormalised) {
  std::string upper(40, 'A');
  auto r = ParseEventPayload("push", R"({"before":")" + upper + R"(","after":")" + kB + R"("})");
  EXPECT_EQ(r.base_sha, kA);
}

}  // namespace
}  // namespace ecsmig
