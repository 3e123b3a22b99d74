#include "common/github/github_api.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/net/backoff.h"
#include "common/net/percent_encoding.h"

namespace ecsmig {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::optional<int64_t> ParseInteger(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool IsServerError(int status) { return status >= 500 && status <= 599; }

// GitHub's documented rate limit answers: 403 or 429 with
// x-ratelimit-remaining: 0 (primary) or a retry-after header (secondary);
// a 429 without either (secondary, "wait at least one minute").
bool IsRateLimited(const HttpResponse& response) {
  if (response.status != 403 && response.status != 429) return false;
  return response.Header("x-ratelimit-remaining") == "0" ||
         !response.Header("retry-after").empty() || response.status == 429;
}

// How long GitHub asks to wait before the next attempt.
milliseconds RateLimitWait(const HttpResponse& response, const Clock& clock) {
  if (auto after = ParseInteger(response.Header("retry-after")); after && *after >= 0) {
    return seconds(*after);
  }
  if (auto reset = ParseInteger(response.Header("x-ratelimit-reset"));
      reset && response.Header("x-ratelimit-remaining") == "0") {
    auto now = std::chrono::duration_cast<seconds>(clock.Now().time_since_epoch()).count();
    return seconds(std::max<int64_t>(*reset - now, 0) + 1);
  }
  return seconds(60);
}

// GitHub's own explanation ("Bad credentials"), kept to one short line.
std::string GitHubMessage(const HttpResponse& response) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("message") || !body["message"].is_string()) return "";
  std::string message = body["message"].get<std::string>().substr(0, 200);
  for (char& c : message) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return message;
}

std::string DescribeRefusal(const HttpResponse& response) {
  std::string message = GitHubMessage(response);
  std::string status =
      "HTTP " + std::to_string(response.status) + (message.empty() ? "" : " \"" + message + "\"");
  switch (response.status) {
    case 401:
      return "GitHub refused GITHUB_TOKEN (" + status + ")";
    case 403:
      return "GitHub denied access (" + status +
             "): the token needs the deployments: read permission";
    case 404:
      return "GitHub found no such repository or it is not visible to the token (" + status +
             "): check GITHUB_REPOSITORY and the token's permissions";
    default:
      return "GitHub answered " + status;
  }
}

void RequireString(const nlohmann::json& item, const char* field) {
  if (!item.contains(field) || !item[field].is_string()) {
    throw GitHubApiError(
        std::string("unexpected GitHub answer: an item without a string '") + field + "'", 200);
  }
}

}  // namespace

std::string NextPageUrl(const std::string& link_header) {
  size_t pos = 0;
  while (pos < link_header.size()) {
    size_t open = link_header.find('<', pos);
    if (open == std::string::npos) return "";
    size_t close = link_header.find('>', open);
    if (close == std::string::npos) return "";
    size_t end = link_header.find(",", close);
    if (end == std::string::npos) end = link_header.size();
    std::string params = link_header.substr(close + 1, end - close - 1);
    if (params.find("rel=\"next\"") != std::string::npos) {
      return link_header.substr(open + 1, close - open - 1);
    }
    pos = end + 1;
  }
  return "";
}

GitHubApiConfig GitHubApiConfigFromEnv(const Environment& env, Logger& log) {
  GitHubApiConfig config;
  config.token = env.GetOr("GITHUB_TOKEN");
  if (config.token.empty()) {
    throw GitHubApiError("GITHUB_TOKEN is not set (pass the workflow's token to the step)", 0);
  }
  log.AddMask(config.token);
  config.repository = env.GetOr("GITHUB_REPOSITORY");
  size_t slash = config.repository.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == config.repository.size() ||
      config.repository.find('/', slash + 1) != std::string::npos) {
    throw GitHubApiError("GITHUB_REPOSITORY '" + config.repository + "' is not OWNER/NAME", 0);
  }
  std::string api_url = env.GetOr("GITHUB_API_URL");
  if (!api_url.empty()) {
    while (!api_url.empty() && api_url.back() == '/') api_url.pop_back();
    if (api_url.rfind("https://", 0) != 0 && api_url.rfind("http://", 0) != 0) {
      throw GitHubApiError("GITHUB_API_URL '" + api_url + "' is not an http(s) URL", 0);
    }
    config.api_url = api_url;
  }
  return config;
}

HttpResponse GitHubApi::Get(const std::string& url) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.headers = {{"Accept", "application/vnd.github+json"},
                     {"X-GitHub-Api-Version", "2022-11-28"},
                     {"Authorization", "Bearer " + config_.token}};
  HttpOptions options;
  for (int attempt = 1;; ++attempt) {
    bool last = attempt >= config_.max_attempts;
    HttpResponse response;
    try {
      response = http_.Send(request, options);
    } catch (const TransportError& e) {
      log_.Verbose("GET " + url + ": " + e.what());
      if (last) throw GitHubApiError(std::string("cannot reach the GitHub API: ") + e.what(), 0);
      clock_.SleepFor(Backoff(attempt));
      continue;
    }
    log_.Verbose("GET " + url + " -> " + std::to_string(response.status));
    if (response.status == 200) return response;
    if (IsRateLimited(response)) {
      milliseconds wait = RateLimitWait(response, clock_);
      if (last || wait > config_.max_rate_limit_wait) {
        throw GitHubApiError("GitHub API rate limit exhausted (HTTP " +
                                 std::to_string(response.status) + ", retry in " +
                                 std::to_string(wait.count() / 1000) + "s)",
                             response.status);
      }
      log_.Info("GitHub API rate limit: waiting " + std::to_string(wait.count() / 1000) + "s");
      clock_.SleepFor(wait);
      continue;
    }
    if (IsServerError(response.status) && !last) {
      clock_.SleepFor(Backoff(attempt));
      continue;
    }
    throw GitHubApiError(
        DescribeRefusal(response) + (IsServerError(response.status)
                                         ? " after " + std::to_string(attempt) + " attempts"
                                         : ""),
        response.status);
  }
}

milliseconds GitHubApi::Backoff(int attempt) {
  return FullJitterBackoff(attempt, config_.base_delay, config_.max_backoff, random_);
}

void GitHubApi::ForEachItem(const std::string& path,
                            const std::function<bool(const nlohmann::json&)>& visit) {
  std::string origin = config_.api_url + "/";
  std::string url = config_.api_url + "/repos/" + config_.repository + path;
  for (int page = 1; !url.empty(); ++page) {
    if (page > config_.max_pages) {
      throw GitHubApiError(
          "more than " + std::to_string(config_.max_pages) + " pages of results; giving up", 200);
    }
    HttpResponse response = Get(url);
    nlohmann::json items = nlohmann::json::parse(response.body, nullptr, false);
    if (!items.is_array()) {
      throw GitHubApiError("unexpected GitHub answer from " + url + ": not a JSON array", 200);
    }
    for (const nlohmann::json& item : items) {
      if (!item.is_object()) throw GitHubApiError("unexpected GitHub answer: not an object", 200);
      if (!visit(item)) return;
    }
    url = NextPageUrl(response.Header("link"));
    // The token goes only where GITHUB_API_URL points.
    if (!url.empty() && url.rfind(origin, 0) != 0) {
      throw GitHubApiError("GitHub's next page is outside GITHUB_API_URL: " + url, 200);
    }
  }
}

std::optional<Deployment> LastSuccessfulDeployment(GitHubApi& api, const std::string& environment,
                                                   const std::string& head_sha) {
  std::optional<Deployment> found;
  std::set<std::string> failed_shas;  // commits with a failed deployment newer than the walk
  api.ForEachItem(
      "/deployments?environment=" + PercentEncode(environment) + "&per_page=100",
      [&](const nlohmann::json& item) {
        if (!item.contains("id") || !item["id"].is_number_integer()) {
          throw GitHubApiError("unexpected GitHub answer: a deployment without an integer id", 200);
        }
        RequireString(item, "sha");
        Deployment deployment;
        deployment.id = item["id"].get<int64_t>();
        deployment.sha = item["sha"].get<std::string>();
        if (item.contains("created_at") && item["created_at"].is_string()) {
          deployment.created_at = item["created_at"].get<std::string>();
        }
        if (deployment.sha == head_sha) return true;
        // Statuses come newest first: the first is the deployment's state now.
        std::string state;
        api.ForEachItem("/deployments/" + std::to_string(deployment.id) + "/statuses?per_page=1",
                        [&](const nlohmann::json& status) {
                          RequireString(status, "state");
                          state = status["state"].get<std::string>();
                          return false;
                        });
        if (state == "failure" || state == "error") failed_shas.insert(deployment.sha);
        if (state != "success" || failed_shas.count(deployment.sha)) return true;
        found = deployment;
        return false;
      });
  return found;
}

}  // namespace ecsmig
