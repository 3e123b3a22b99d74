#include "common/git/commit_range.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/base/error.h"
#include "common/testing/fake_http.h"
#include "common/testing/memory_filesystem.h"
#include "common/testing/scratch_repo.h"

namespace ecsmig {
namespace {

// Parses argv with only the range flags registered.
RangeOptions Parse(std::vector<std::string> argv) {
  cxxopts::Options options("t");
  AddRangeOptions(options);
  argv.insert(argv.begin(), "t");
  std::vector<const char*> raw;
  for (const auto& a : argv) raw.push_back(a.c_str());
  auto result = options.parse(static_cast<int>(raw.size()), raw.data());
  return ParseRangeOptions(result);
}

class CommitRangeTest : public ::testing::Test {
 protected:
  CommitRange Resolve(RangeOptions opt = {}) {
    opt.repo = repo_.dir();
    err_.str("");
    ToolContext ctx(env_, clock_, fs_, random_, out_, err_,
                    [this] { return std::make_unique<ForwardingHttp>(http_); });
    ToolRun run("t", ctx, "", Verbosity::kNormal);
    GitRepo repo = GitRepo::Open(opt.repo);
    return ResolveCommitRange(run, repo, opt);
  }
  void Event(const std::string& name, const std::string& payload) {
    env_.Set("GITHUB_EVENT_NAME", name);
    env_.Set("GITHUB_EVENT_PATH", "/gh/event.json");
    fs_.files["/gh/event.json"] = payload;
  }
  std::string PullRequest(const std::string& base, const std::string& head) {
    return R"({"pull_request":{"base":{"sha":")" + base + R"("},"head":{"sha":")" + head +
           R"("}}})";
  }

  ScratchRepo repo_;
  FakeHttpClient http_;
  MapEnvironment env_;
  FakeClock clock_;
  MemoryFileSystem fs_;
  SeededRandom random_{7};
  std::ostringstream out_, err_;
};

TEST(RangeOptionsTest, ParsesFlags) {
  RangeOptions opt = Parse({"--repo", "r", "--base", "b", "--head", "h"});
  EXPECT_EQ(opt.repo, "r");
  EXPECT_EQ(*opt.base, "b");
  EXPECT_EQ(*opt.head, "h");
  EXPECT_FALSE(opt.base_from);
  opt = Parse({"--base-from", "deployment", "--environment", "prod"});
  EXPECT_EQ(*opt.base_from, "deployment");
  EXPECT_EQ(*opt.environment, "prod");
  EXPECT_EQ(Parse({}).repo, ".");
}

TEST(RangeOptionsTest, RefusesContradictionsBeforeAnyAccess) {
  EXPECT_THROW(Parse({"--base", ""}), UsageError);
  EXPECT_THROW(Parse({"--base", "x", "--base-from", "deployment", "--environment", "p"}),
               UsageError);
  EXPECT_THROW(Parse({"--base-from", "deployment"}), UsageError);
  EXPECT_THROW(Parse({"--base-from", "tag", "--environment", "p"}), UsageError);
  EXPECT_THROW(Parse({"--environment", "p"}), UsageError);
}

TEST_F(CommitRangeTest, ExplicitBaseAndHead) {
  repo_.Write("a", "1");
  repo_.Commit();
  std::string c1 = repo_.RevParse("HEAD");
  repo_.Write("a", "2");
  repo_.Commit();
  RangeOptions opt;
  opt.base = c1;
  CommitRange r = Resolve(opt);
  EXPECT_FALSE(r.base_missing);
  EXPECT_EQ(r.base_sha, c1);
  EXPECT_EQ(r.head_sha, repo_.RevParse("HEAD"));
  EXPECT_EQ(OidHex(r.base->tree), repo_.RevParse(c1 + "^{tree}"));
  EXPECT_EQ(OidHex(r.head->tree), repo_.RevParse("HEAD^{tree}"));
  EXPECT_EQ(r.reason, RangeReason::kDiff);
  EXPECT_EQ(r.base_source, BaseSource::kFlag);
  EXPECT_STREQ(BaseSourceName(r.base_source), "flag");
}

TEST_F(CommitRangeTest, NoEventIsParentOrRoot) {
  repo_.Write("a", "1");
  repo_.Commit();
  CommitRange root = Resolve();
  EXPECT_EQ(root.reason, RangeReason::kRootCommit);
  EXPECT_FALSE(root.base);
  EXPECT_EQ(root.base_sha, "");
  repo_.Write("a", "2");
  repo_.Commit();
  CommitRange r = Resolve();
  EXPECT_EQ(r.reason, RangeReason::kNoEvent);
  EXPECT_EQ(r.base_sha, repo_.RevParse("HEAD~1"));
  EXPECT_EQ(r.base_source, BaseSource::kEvent);
}

TEST_F(CommitRangeTest, EventBaseMissingFromClone) {
  repo_.Write("a", "1");
  repo_.Commit();
  std::string gone(40, '7');
  Event("pull_request", PullRequest(gone, repo_.RevParse("HEAD")));
  CommitRange r = Resolve();
  EXPECT_TRUE(r.base_missing);
  EXPECT_EQ(r.reason, RangeReason::kMissingBase);
  EXPECT_STREQ(RangeReasonName(r.reason), "missing-base");
  EXPECT_EQ(r.base_sha, gone);
  EXPECT_NE(r.missing_cause.find(gone), std::string::npos);
}

TEST_F(CommitRangeTest, PullRequestIsTheBranchOwnChangesFromTheMergeBase) {
  repo_.Write("a", "1");
  repo_.Commit();
  std::string cut = repo_.RevParse("HEAD");
  repo_.Git("checkout -q -b feature");
  repo_.Write("f", "1");
  repo_.Commit();
  std::string head = repo_.RevParse("HEAD");
  repo_.Git("checkout -q main");
  repo_.Write("m", "1");
  repo_.Commit();
  Event("pull_request_target", PullRequest(repo_.RevParse("main"), head));
  CommitRange r = Resolve();
  EXPECT_EQ(r.base_sha, cut);
  EXPECT_EQ(r.head_sha, head);
  EXPECT_EQ(r.reason, RangeReason::kDiff);
}

TEST_F(CommitRangeTest, BaseFromTheLastSuccessfulDeployment) {
  repo_.Write("a", "1");
  repo_.Commit();
  std::string deployed = repo_.RevParse("HEAD");
  repo_.Write("a", "2");
  repo_.Commit();
  env_.Set("GITHUB_TOKEN", "ghs_unitTestToken1");
  env_.Set("GITHUB_REPOSITORY", "o/r");
  http_.Respond(200, R"([{"id":7,"sha":")" + deployed + R"("}])");
  http_.Respond(200, R"([{"state":"success"}])");
  RangeOptions opt;
  opt.base_from = "deployment";
  opt.environment = "prod";
  CommitRange r = Resolve(opt);
  EXPECT_EQ(r.reason, RangeReason::kDeployment);
  EXPECT_EQ(r.base_source, BaseSource::kDeployment);
  EXPECT_EQ(r.base_sha, deployed);
  EXPECT_EQ(r.deployment_id, "7");
  // GitHub refusing is a missing base naming the cause, never an error.
  http_.Respond(401, R"({"message":"Bad credentials"})");
  r = Resolve(opt);
  EXPECT_TRUE(r.base_missing);
  EXPECT_NE(r.missing_cause.find("Bad credentials"), std::string::npos) << r.missing_cause;
  // Nothing deployed yet: the empty tree.
  http_.Respond(200, "[]");
  r = Resolve(opt);
  EXPECT_EQ(r.reason, RangeReason::kFirstDeployment);
  EXPECT_FALSE(r.base);
  EXPECT_FALSE(r.base_missing);
}

TEST_F(CommitRangeTest, EmptyRepositorySaysSo) {
  try {
    Resolve();
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no commits yet"), std::string::npos) << e.what();
  }
}

TEST_F(CommitRangeTest, MalformedEventIsUsage) {
  repo_.Write("a", "1");
  repo_.Commit();
  Event("push", "{oops");
  EXPECT_THROW(Resolve(), UsageError);
}

}  // namespace
}  // namespace ecsmig
