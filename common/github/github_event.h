// The commit range a GitHub Actions event describes, read from the event
// payload ($GITHUB_EVENT_PATH) for the event named by $GITHUB_EVENT_NAME.
#pragma once

#include <string>
#include <string_view>

namespace ecsmig {

struct EventRange {
  enum class Kind {
    kNone,         // no event, or an event that carries no range: diff HEAD^..HEAD
    kPush,         // before..after
    kPullRequest,  // pull_request / pull_request_target: base.sha..head.sha
    kMergeGroup,   // merge_group: base_sha..head_sha
  };
  Kind kind = Kind::kNone;
  std::string event_name;
  std::string base_sha;  // full hex; empty on a first push (all-zero `before`)
  std::string head_sha;  // full hex
  bool first_push = false;
  bool forced = false;         // push: `forced`
  std::string default_branch;  // push: repository.default_branch, may be empty
  std::string ref;             // push: the ref pushed (refs/heads/NAME), may be empty
};

// Parses `payload` for `event_name`. Events other than push, pull_request,
// pull_request_target and merge_group yield Kind::kNone without reading the
// payload. On malformed JSON, or a payload lacking (or holding a malformed)
// sha its event must carry, throws UsageError with one line naming the field.
EventRange ParseEventPayload(std::string_view event_name, std::string_view payload);

// Whether ParseEventPayload reads a range from this event's payload.
bool EventCarriesRange(std::string_view event_name);

// True for 40 (SHA-1) or 64 (SHA-256) lowercase or uppercase hex digits.
bool IsFullSha(std::string_view text);

}  // namespace ecsmig
