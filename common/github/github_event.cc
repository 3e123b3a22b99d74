#include "common/github/github_event.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/base/error.h"

namespace ecsmig {
namespace {

using nlohmann::json;

// The value at a "/a/b/c" path through objects only, or null.
const json* Find(const json& doc, const std::string& pointer) {
  const json* node = &doc;
  size_t start = 1;
  while (start <= pointer.size()) {
    size_t slash = pointer.find('/', start);
    if (slash == std::string::npos) slash = pointer.size();
    if (!node->is_object()) return nullptr;
    auto it = node->find(pointer.substr(start, slash - start));
    if (it == node->end()) return nullptr;
    node = &*it;
    start = slash + 1;
  }
  return node;
}

// The string at `pointer` (e.g. "/pull_request/base/sha"), which must be a full sha.
std::string RequireSha(const json& doc, const std::string& pointer, std::string_view event) {
  const json* node = Find(doc, pointer);
  if (!node || !node->is_string()) {
    throw UsageError(std::string(event) + " event payload has no string " + pointer);
  }
  std::string sha = node->get<std::string>();
  if (!IsFullSha(sha)) {
    throw UsageError(std::string(event) + " event payload: " + pointer +
                     " is not a full commit sha");
  }
  std::transform(sha.begin(), sha.end(), sha.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return sha;
}

}  // namespace

bool EventCarriesRange(std::string_view name) {
  return name == "push" || name == "pull_request" || name == "pull_request_target" ||
         name == "merge_group";
}

bool IsFullSha(std::string_view text) {
  if (text.size() != 40 && text.size() != 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; });
}

EventRange ParseEventPayload(std::string_view event_name, std::string_view payload) {
  EventRange range;
  range.event_name = std::string(event_name);
  if (event_name == "push") {
    range.kind = EventRange::Kind::kPush;
  } else if (event_name == "pull_request" || event_name == "pull_request_target") {
    range.kind = EventRange::Kind::kPullRequest;
  } else if (event_name == "merge_group") {
    range.kind = EventRange::Kind::kMergeGroup;
  } else {
    return range;
  }

  json doc = json::parse(payload.begin(), payload.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    throw UsageError(std::string(event_name) + " event payload is not valid JSON");
  }
  if (!doc.is_object()) {
    throw UsageError(std::string(event_name) + " event payload is not a JSON object");
  }

  switch (range.kind) {
    case EventRange::Kind::kPush: {
      range.base_sha = RequireSha(doc, "/before", event_name);
      range.head_sha = RequireSha(doc, "/after", event_name);
      if (range.base_sha.find_first_not_of('0') == std::string::npos) {
        range.first_push = true;
        range.base_sha.clear();
      }
      if (const json* forced = Find(doc, "/forced"); forced && forced->is_boolean()) {
        range.forced = forced->get<bool>();
      }
      if (const json* branch = Find(doc, "/repository/default_branch");
          branch && branch->is_string()) {
        range.default_branch = branch->get<std::string>();
      }
      if (const json* ref = Find(doc, "/ref"); ref && ref->is_string()) {
        range.ref = ref->get<std::string>();
      }
      break;
    }
    case EventRange::Kind::kPullRequest:
      range.base_sha = RequireSha(doc, "/pull_request/base/sha", event_name);
      range.head_sha = RequireSha(doc, "/pull_request/head/sha", event_name);
      break;
    case EventRange::Kind::kMergeGroup:
      range.base_sha = RequireSha(doc, "/merge_group/base_sha", event_name);
      range.head_sha = RequireSha(doc, "/merge_group/head_sha", event_name);
      break;
    case EventRange::Kind::kNone:
      break;
  }
  if (range.head_sha.find_first_not_of('0') == std::string::npos) {
    throw UsageError(std::string(event_name) + " event payload: the head sha is all zeros");
  }
  return range;
}

}  // namespace ecsmig
