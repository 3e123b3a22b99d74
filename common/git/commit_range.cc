#include "common/git/commit_range.h"

#include "common/base/error.h"
#include "common/github/github_api.h"
#include "common/github/github_event.h"

namespace ecsmig {
namespace {

std::optional<std::string> OptionalValue(const cxxopts::ParseResult& args,
                                         const std::string& flag) {
  if (!args.count(flag)) return std::nullopt;
  std::string value = args[flag].as<std::string>();
  if (value.empty()) throw UsageError("--" + flag + " must not be empty");
  return value;
}

// The event's range, or a kNone range when there is no event to read.
EventRange ReadEvent(ToolRun& run) {
  Environment& env = run.ctx().env;
  std::string name = env.GetOr("GITHUB_EVENT_NAME");
  if (!EventCarriesRange(name)) return ParseEventPayload(name, "");
  std::string path = env.GetOr("GITHUB_EVENT_PATH");
  if (path.empty()) {
    throw UsageError("GITHUB_EVENT_NAME is " + name + " but GITHUB_EVENT_PATH is not set");
  }
  std::string payload;
  try {
    payload = run.ctx().fs.ReadFile(path);
  } catch (const Error& e) {
    throw UsageError(std::string("cannot read the event payload: ") + e.what());
  }
  return ParseEventPayload(name, payload);
}

RangeCommit ReadCommit(const GitRepo& repo, const git_oid& id) {
  return RangeCommit{id, repo.CommitTree(id)};
}

git_oid RequireCommit(const GitRepo& repo, const std::string& rev, const std::string& flag) {
  auto id = repo.ResolveCommit(rev);
  if (!id) throw UsageError(flag + " " + rev + " does not name a commit in the repository");
  return *id;
}

void SetBase(CommitRange& range, const GitRepo& repo, const git_oid& id) {
  range.base = ReadCommit(repo, id);
  range.base_sha = OidHex(id);
}

void MarkMissing(CommitRange& range, std::string cause) {
  range.base.reset();
  range.base_missing = true;
  range.reason = RangeReason::kMissingBase;
  range.missing_cause = std::move(cause);
}

// A commit the range needs is not in the clone.
void MarkCommitMissing(CommitRange& range, const std::string& what) {
  MarkMissing(range, what +
                         " (shallow checkout or force push): fetch more history, e.g. "
                         "actions/checkout with fetch-depth: 0");
}

// A branch's first push: its own changes are those since it left the
// default branch; none when its tip is already on the default branch.
void ResolveFirstPush(ToolRun& run, const GitRepo& repo, const EventRange& event,
                      CommitRange& range) {
  range.reason = RangeReason::kFirstPush;
  const git_oid& head = range.head->commit;
  bool default_branch_itself =
      !event.default_branch.empty() && event.ref == "refs/heads/" + event.default_branch;
  if (!event.default_branch.empty() && !default_branch_itself) {
    for (const std::string& ref :
         {"refs/remotes/origin/" + event.default_branch, "refs/heads/" + event.default_branch}) {
      auto tip = repo.ResolveCommit(ref);
      if (!tip) continue;
      auto merge_base = repo.MergeBase(*tip, head);
      // With the pushed ref unknown, a tip on the default branch may be the
      // default branch's own first push: diff against nothing, the safe side.
      bool own_tip_unknown_ref =
          merge_base && git_oid_equal(&*merge_base, &head) && event.ref.empty();
      if (merge_base && !own_tip_unknown_ref) {
        SetBase(range, repo, *merge_base);
        run.log().Info("first push: diffing from the merge base with " + ref);
      }
      break;
    }
  }
  if (!range.base) run.log().Info("first push: diffing against the empty tree");
}

// A pull request's own changes: from the merge base of its base and head
// (git's base...head), as GitHub shows them.
void ResolvePullRequest(ToolRun& run, const GitRepo& repo, const git_oid& base,
                        CommitRange& range) {
  auto merge_base = repo.MergeBase(base, range.head->commit);
  if (!merge_base) {
    MarkCommitMissing(range, repo.IsShallow() ? "the merge base of " + range.base_sha + " and " +
                                                    range.head_sha + " is not in the shallow clone"
                                              : range.base_sha + " and " + range.head_sha +
                                                    " have no common history in the clone");
    return;
  }
  if (!git_oid_equal(&*merge_base, &base)) {
    run.log().Info("pull request: diffing from the merge base " + OidHex(*merge_base) +
                   " of the base " + range.base_sha);
  }
  SetBase(range, repo, *merge_base);
  range.reason = RangeReason::kDiff;
}

void ResolveFromEvent(ToolRun& run, const GitRepo& repo, const EventRange& event,
                      CommitRange& range) {
  if (event.kind == EventRange::Kind::kPush && event.first_push) {
    ResolveFirstPush(run, repo, event, range);
    return;
  }
  auto id = ParseOid(event.base_sha);
  if (!id) throw UsageError("event base " + event.base_sha + " is not a SHA-1 commit id");
  range.base_sha = event.base_sha;
  if (!repo.HasCommit(*id)) {
    MarkCommitMissing(range, "the base commit " + event.base_sha + " is not in the clone" +
                                 (event.forced ? " (force push)" : ""));
    return;
  }
  if (event.kind == EventRange::Kind::kPullRequest) {
    ResolvePullRequest(run, repo, *id, range);
    return;
  }
  SetBase(range, repo, *id);
  range.reason = RangeReason::kDiff;
}

// --base: a revision that does not resolve is bad input, unless it is a
// commit id or the clone is shallow: then it is a commit the clone lacks.
void ResolveExplicitBase(const GitRepo& repo, const std::string& rev, CommitRange& range) {
  range.reason = RangeReason::kDiff;
  if (auto id = repo.ResolveCommit(rev)) {
    SetBase(range, repo, *id);
    return;
  }
  if (!ParseOid(rev) && !repo.IsShallow()) {
    throw UsageError("--base " + rev + " does not name a commit in the repository");
  }
  range.base_sha = ParseOid(rev) ? rev : "";
  MarkCommitMissing(range, "--base " + rev + " is not in the clone");
}

// The environment's last successful deployment. Whatever keeps it from being
// known (no token, GitHub refusing, rate limits, the commit not in the
// clone) is a missing base: never an older deployment, never a guess.
void ResolveFromDeployment(ToolRun& run, const GitRepo& repo, const std::string& environment,
                           CommitRange& range) {
  std::optional<Deployment> deployment;
  try {
    GitHubApiConfig config = GitHubApiConfigFromEnv(run.ctx().env, run.log());
    GitHubApi api(config, run.ctx().http(), run.ctx().clock, run.ctx().random, run.log());
    deployment = LastSuccessfulDeployment(api, environment, range.head_sha);
  } catch (const Error& e) {
    MarkMissing(range, "cannot learn the last successful deployment to environment '" +
                           environment + "': " + e.what());
    return;
  }
  if (!deployment) {
    range.reason = RangeReason::kFirstDeployment;
    run.log().Info("environment '" + environment +
                   "' has no successful deployment yet: diffing against the empty tree");
    return;
  }
  range.deployment_id = std::to_string(deployment->id);
  range.base_sha = deployment->sha;
  auto id = ParseOid(deployment->sha);
  if (!id) {
    MarkMissing(range, "deployment " + range.deployment_id + " names '" + deployment->sha +
                           "', not a commit id");
    return;
  }
  if (!repo.HasCommit(*id)) {
    MarkCommitMissing(range, "the commit " + deployment->sha + " of deployment " +
                                 range.deployment_id + " to '" + environment +
                                 "' is not in the clone");
    return;
  }
  run.log().Info("environment '" + environment + "': last successful deployment " +
                 range.deployment_id + " at " + deployment->sha);
  SetBase(range, repo, *id);
  range.reason = RangeReason::kDeployment;
}

// HEAD, or one clear line for a repository without commits.
git_oid RequireHead(const GitRepo& repo) {
  if (repo.HeadUnborn()) {
    throw UsageError("the repository has no commits yet (HEAD is unborn): nothing to compare");
  }
  return RequireCommit(repo, "HEAD", "HEAD");
}

void ResolveFromParent(const GitRepo& repo, CommitRange& range) {
  bool parent_missing = false;
  auto parent = repo.FirstParent(range.head->commit, &parent_missing);
  if (parent_missing) {
    MarkCommitMissing(range, "the parent of " + range.head_sha + " is not in the clone");
    return;
  }
  if (!parent) {
    range.reason = RangeReason::kRootCommit;
    return;
  }
  SetBase(range, repo, *parent);
  range.reason = RangeReason::kNoEvent;
}

}  // namespace

void AddRangeOptions(cxxopts::Options& options) {
  options.add_options()("repo", "repository (work tree or bare; default .)",
                        cxxopts::value<std::string>(),
                        "DIR")("base", "base revision (default: from the GitHub event, else HEAD^)",
                               cxxopts::value<std::string>(), "REV")(
      "head", "head revision (default: the event's head, else HEAD)", cxxopts::value<std::string>(),
      "REV")("base-from",
             "deployment: the base is --environment's last successful GitHub deployment",
             cxxopts::value<std::string>(),
             "WHERE")("environment", "GitHub environment name for --base-from deployment",
                      cxxopts::value<std::string>(), "NAME");
}

RangeOptions ParseRangeOptions(const cxxopts::ParseResult& args) {
  RangeOptions opt;
  if (auto repo = OptionalValue(args, "repo")) opt.repo = *repo;
  opt.base = OptionalValue(args, "base");
  opt.head = OptionalValue(args, "head");
  opt.base_from = OptionalValue(args, "base-from");
  opt.environment = OptionalValue(args, "environment");
  if (opt.base_from) {
    RequireChoice(*opt.base_from, "base-from", {"deployment"});
    if (opt.base) throw UsageError("--base and --base-from cannot be used together");
    if (!opt.environment) throw UsageError("--base-from deployment needs --environment NAME");
  } else if (opt.environment) {
    throw UsageError("--environment is only used with --base-from deployment");
  }
  return opt;
}

const char* RangeReasonName(RangeReason reason) {
  switch (reason) {
    case RangeReason::kDiff:
      return "diff";
    case RangeReason::kFirstPush:
      return "first-push";
    case RangeReason::kRootCommit:
      return "root-commit";
    case RangeReason::kMissingBase:
      return "missing-base";
    case RangeReason::kNoEvent:
      return "no-event";
    case RangeReason::kDeployment:
      return "deployment";
    case RangeReason::kFirstDeployment:
      return "first-deployment";
  }
  return "diff";
}

const char* BaseSourceName(BaseSource source) {
  switch (source) {
    case BaseSource::kEvent:
      return "event";
    case BaseSource::kFlag:
      return "flag";
    case BaseSource::kDeployment:
      return "deployment";
  }
  return "event";
}

CommitRange ResolveCommitRange(ToolRun& run, const GitRepo& repo, const RangeOptions& opt) {
  EventRange event;
  if (!opt.base && !opt.base_from) event = ReadEvent(run);
  CommitRange range;
  range.base_source = opt.base        ? BaseSource::kFlag
                      : opt.base_from ? BaseSource::kDeployment
                                      : BaseSource::kEvent;
  // Head: --head, else the event's head, else HEAD.
  if (opt.head) {
    range.head = ReadCommit(repo, RequireCommit(repo, *opt.head, "--head"));
  } else if (!event.head_sha.empty()) {
    auto id = ParseOid(event.head_sha);
    if (!id) throw UsageError("event head " + event.head_sha + " is not a SHA-1 commit id");
    range.head_sha = event.head_sha;
    if (!repo.HasCommit(*id)) {
      range.base_sha = event.base_sha;
      MarkCommitMissing(range,
                        "the event's head commit " + event.head_sha + " is not in the clone");
      return range;
    }
    range.head = ReadCommit(repo, *id);
  } else {
    range.head = ReadCommit(repo, RequireHead(repo));
  }
  range.head_sha = OidHex(range.head->commit);

  if (opt.base) {
    ResolveExplicitBase(repo, *opt.base, range);
    return range;
  }
  if (opt.base_from) {
    ResolveFromDeployment(run, repo, *opt.environment, range);
    return range;
  }
  if (event.kind != EventRange::Kind::kNone) {
    ResolveFromEvent(run, repo, event, range);
    return range;
  }
  ResolveFromParent(repo, range);
  return range;
}

}  // namespace ecsmig
