// The real AwsJsonService: region and endpoint resolved eagerly, credentials
// from the standard chain on first use, SigV4, retries (aws_protocol.h).
#include <mutex>
#include <utility>
#include <vector>

#include "common/aws/aws.h"
#include "common/aws/aws_protocol.h"
#include "common/aws/credentials.h"
#include "common/aws/endpoints.h"
#include "common/aws/profile_settings.h"
#include "common/aws/retry.h"
#include "common/aws/sso.h"
#include "common/aws/sts.h"
#include "common/base/error.h"
#include "common/github/cli.h"

namespace ecsmig {
namespace {

// The account of the first ARN among `values` ("arn:PARTITION:SERVICE:REGION:ACCOUNT:..."), or "".
std::string AccountOf(const std::vector<std::string>& values) {
  for (const std::string& value : values) {
    if (value.rfind("arn:", 0) != 0) continue;
    size_t start = 0;
    for (int field = 0; field < 4 && start != std::string::npos; ++field) {
      start = value.find(':', start);
      if (start != std::string::npos) ++start;
    }
    if (start == std::string::npos) continue;
    std::string account = value.substr(start, value.find(':', start) - start);
    if (!account.empty()) return account;
  }
  return "";
}

// What a request is about, for error messages: `cluster "x", service "y"`
// (account 123456789012 when an ARN names it). Built from the request's own
// fields, so every call gets it without the caller saying anything.
std::string DescribeResource(const nlohmann::json& request) {
  static const std::pair<const char*, const char*> kFields[] = {
      {"cluster", "cluster"},
      {"clusters", "cluster"},
      {"service", "service"},
      {"services", "service"},
      {"taskDefinition", "task definition"},
      {"task", "task"},
      {"tasks", "task"},
      {"logGroupName", "log group"},
      {"logGroupIdentifier", "log group"},
      {"logStreamName", "log stream"}};
  if (!request.is_object()) return "";
  std::string description;
  std::vector<std::string> values;
  for (const auto& [field, noun] : kFields) {
    auto it = request.find(field);
    if (it == request.end()) continue;
    std::vector<std::string> names;
    if (it->is_string()) names.push_back(it->get<std::string>());
    if (it->is_array()) {
      for (const auto& item : *it) {
        if (item.is_string()) names.push_back(item.get<std::string>());
      }
    }
    if (names.empty()) continue;
    std::string quoted;
    for (size_t i = 0; i < names.size() && i < 3; ++i) {
      quoted += (i ? ", \"" : "\"") + names[i] + "\"";
    }
    if (names.size() > 3) quoted += " and " + std::to_string(names.size() - 3) + " more";
    description += (description.empty() ? "" : ", ") + std::string(noun) +
                   (names.size() > 1 ? "s " : " ") + quoted;
    values.insert(values.end(), names.begin(), names.end());
  }
  std::string account = AccountOf(values);
  if (!account.empty()) description += " (account " + account + ")";
  return description;
}

class AwsJsonClient : public AwsJsonService {
 public:
  AwsJsonClient(AwsService service, AwsEndpoint endpoint, const AwsSettings& settings,
                ProfileSettings profile, ToolRun& run, RetryOptions retry)
      : service_(service),
        settings_(settings),
        profile_(std::move(profile)),
        run_(run),
        executor_(std::move(endpoint), run.ctx().http(), run.ctx().clock, run.ctx().random, retry,
                  Hooks(), ResolveHttpOptions(run.ctx().env)) {}

  nlohmann::json Call(std::string_view operation, const nlohmann::json& request) override {
    std::string body;
    try {
      body = request.dump();
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string(InfoFor(service_).display_name) + " " + std::string(operation) +
                  ": the request cannot be encoded: " + e.what());
    }
    // Built once: every attempt re-signs this same request, so a retried
    // RunTask carries the same body and clientToken.
    const HttpRequest http_request = BuildJsonRequest(
        executor_.endpoint().url, InfoFor(service_).target_prefix, operation, std::move(body));
    nlohmann::json answer;
    executor_.Execute(
        operation, http_request,
        [&](const HttpResponse& response) {
          if (response.body.empty()) {
            answer = nlohmann::json::object();
            return true;
          }
          answer = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
          return answer.is_object();
        },
        DescribeResource(request));
    return answer;
  }

  const std::string& region() const override { return executor_.endpoint().region; }

 private:
  AwsCallHooks Hooks() {
    AwsCallHooks hooks;
    hooks.credentials = [this] { return GetCredentials(); };
    hooks.invalidate_credentials = [this] {
      if (provider_) provider_->Invalidate();
    };
    hooks.trace = [this](const std::string& line) {
      if (run_.log().verbose()) run_.log().Verbose(line);
    };
    return hooks;
  }

  Credentials GetCredentials() {
    if (!provider_) {
      ToolContext& ctx = run_.ctx();
      HttpClient& http = ctx.http();
      Clock& clock = ctx.clock;
      Environment& env = ctx.env;
      std::string endpoint_flag = settings_.endpoint_url;
      const ProfileSettings& profile = profile_;
      CredentialsChainDeps deps{
          ctx.env, ctx.fs, ctx.clock, http,
          [&http, &clock, &env, endpoint_flag, &profile](const std::string& region) {
            return MakeStsApi(http, clock, env, region, endpoint_flag, profile);
          },
          nullptr,
          // As the SDKs: --endpoint-url is the tool's service's, never the portal's.
          [&http, &clock, &env, &profile](const std::string& region) {
            return MakeSsoApi(http, clock, env, region, "", profile);
          },
          [this](const std::string& secret) { run_.log().AddMask(secret); }};
      provider_ = MakeDefaultCredentialsChain(deps, settings_.profile, region());
    }
    Credentials credentials = provider_->Get();
    // Mask what the run learns before anything could print it.
    if (credentials.secret_access_key != masked_secret_) {
      run_.log().AddMask(credentials.secret_access_key);
      if (!credentials.session_token.empty()) run_.log().AddMask(credentials.session_token);
      masked_secret_ = credentials.secret_access_key;
    }
    return credentials;
  }

  AwsService service_;
  AwsSettings settings_;
  ProfileSettings profile_;
  ToolRun& run_;
  std::unique_ptr<CredentialsProvider> provider_;
  std::string masked_secret_;
  AwsRequestExecutor executor_;
};

}  // namespace

std::unique_ptr<AwsJsonService> MakeAwsJsonService(AwsService service, const AwsSettings& settings,
                                                   ToolRun& run,
                                                   const std::string& region_override) {
  ToolContext& ctx = run.ctx();
  // Everything is checked here, before any request: the profile's settings
  // (a malformed file), the region and the endpoint of every source, retries.
  const ProfileSettings profile = LoadProfileSettings(ctx.env, ctx.fs, settings.profile);
  const std::string region = ResolveRegion(
      region_override.empty() ? settings.region : region_override, ctx.env,
      [&] { return profile.Setting("region", profile.region); },
      region_override.empty() ? "--region" : "the task's region (its ARN or awslogs-region)");
  const AwsServiceInfo& info = InfoFor(service);
  AwsEndpoint endpoint;
  endpoint.protocol = AwsProtocol::kJson11;
  endpoint.display_name = std::string(info.display_name);
  endpoint.signing_name = std::string(info.signing_name);
  endpoint.region = region;
  endpoint.url = ResolveEndpoint(service, settings.endpoint_url, region, ctx.env, profile);
  // Every service's settings are checked now, whichever this client calls:
  // a bad AWS_ENDPOINT_URL_STS would otherwise surface mid-run.
  for (AwsService other : {AwsService::kEcs, AwsService::kLogs, AwsService::kSts}) {
    ResolveEndpoint(other, settings.endpoint_url, region, ctx.env, profile);
  }
  ResolveEndpoint(AwsService::kSso, "", region, ctx.env, profile);
  CheckRetryMode(ctx.env, profile);
  RetryOptions retry;
  retry.max_attempts = ResolveMaxAttempts(settings.max_attempts, ctx.env, profile);
  ResolveHttpOptions(ctx.env);
  return std::make_unique<AwsJsonClient>(service, std::move(endpoint), settings, profile, run,
                                         retry);
}

}  // namespace ecsmig
