// The GitHub REST API, as much as the tools need: paginated GETs with
// GitHub's retry rules, and the last successful deployment of an environment.
//
// Configuration comes from the variables the Actions runner sets:
// $GITHUB_API_URL (GitHub Enterprise Server; default https://api.github.com),
// $GITHUB_REPOSITORY (owner/name) and $GITHUB_TOKEN. The token is announced
// with ::add-mask:: and registered with the redactor before any request, is
// sent only in the Authorization header, and never appears in a log line
// (the -v trace shows method, URL and status only).
//
// Retries: a 5xx or a transport failure backs off exponentially with full
// jitter; a rate limit (403/429 with x-ratelimit-remaining: 0, or a
// retry-after header) waits what GitHub asks (retry-after seconds, else until
// x-ratelimit-reset), when that is within max_wait. Attempts are bounded;
// what retries do not cure throws GitHubApiError naming the cause.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/error.h"
#include "common/base/random.h"
#include "common/github/github.h"
#include "common/net/http.h"

namespace ecsmig {

// A request GitHub refused or that retries did not cure. `status` is the
// last HTTP status (0 for a transport failure or a missing setting).
class GitHubApiError : public Error {
 public:
  GitHubApiError(const std::string& message, int status) : Error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct GitHubApiConfig {
  std::string api_url = "https://api.github.com";  // no trailing slash
  std::string repository;                          // owner/name
  std::string token;
  int max_attempts = 4;                       // attempts per request, the first included
  std::chrono::milliseconds base_delay{500};  // backoff after the first 5xx
  std::chrono::milliseconds max_backoff{8000};
  // The longest wait a rate limit may ask for; longer is "rate limit
  // exhausted", not a stalled job.
  std::chrono::milliseconds max_rate_limit_wait{60000};
  int max_pages = 20;  // pages followed per listing (100 items each)
};

// Reads GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_TOKEN and masks the
// token through `log`. Throws GitHubApiError naming the variable that is
// missing or malformed.
GitHubApiConfig GitHubApiConfigFromEnv(const Environment& env, Logger& log);

class GitHubApi {
 public:
  GitHubApi(GitHubApiConfig config, HttpClient& http, Clock& clock, Random& random, Logger& log)
      : config_(std::move(config)), http_(http), clock_(clock), random_(random), log_(log) {}

  // GETs `path` (below /repos/OWNER/NAME, e.g. "/deployments?environment=x")
  // and the pages its Link headers name, calling `visit` for each element of
  // each page's JSON array until it returns false. Throws GitHubApiError.
  void ForEachItem(const std::string& path,
                   const std::function<bool(const nlohmann::json&)>& visit);

  const GitHubApiConfig& config() const { return config_; }

 private:
  HttpResponse Get(const std::string& url);
  // FullJitterBackoff: uniform in [0, min(max_backoff, base_delay * 2^(attempt-1))].
  std::chrono::milliseconds Backoff(int attempt);

  GitHubApiConfig config_;
  HttpClient& http_;
  Clock& clock_;
  Random& random_;
  Logger& log_;
};

// The `rel="next"` URL of a Link header, or "" when there is none.
std::string NextPageUrl(const std::string& link_header);

struct Deployment {
  int64_t id = 0;
  std::string sha;
  std::string created_at;
};

// The newest deployment to `environment` whose latest status is `success`
// (an in-progress, queued, failed or inactive one is passed over), or nullopt
// when the environment has none. Every job of a workflow run that names the
// environment makes a deployment, so two more are passed over, each on the
// side of running a migration rather than skipping one:
//  - deployments of `head_sha` (the current run's other jobs, or a re-run);
//  - a success whose commit has a newer deployment that failed (a build job
//    succeeded, then the migration job of the same run failed).
// Throws GitHubApiError when GitHub cannot tell, including when max_pages
// did not reach an answer.
std::optional<Deployment> LastSuccessfulDeployment(GitHubApi& api, const std::string& environment,
                                                   const std::string& head_sha);

}  // namespace ecsmig
