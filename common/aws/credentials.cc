#include "common/aws/credentials.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "common/aws/credential_process.h"
#include "common/aws/endpoints.h"
#include "common/aws/shared_config.h"
#include "common/aws/sso.h"
#include "common/aws/sts.h"
#include "common/base/error.h"

namespace ecsmig {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// Temporary credentials are refreshed this long before they expire, so a
// request signed now is not refused in flight.
constexpr auto kRefreshWindow = std::chrono::minutes(5);
constexpr seconds kDefaultRoleDuration{3600};

constexpr char kEcsContainerHost[] = "http://169.254.170.2";
constexpr char kDefaultImdsEndpoint[] = "http://169.254.169.254";
// A laptop or a CI runner has no instance metadata: fail fast there.
const HttpOptions kImdsHttpOptions{std::chrono::milliseconds(1000),
                                   std::chrono::milliseconds(1000)};
constexpr int kImdsAttempts = 2;  // one retry
const HttpOptions kContainerHttpOptions{std::chrono::milliseconds(2000),
                                        std::chrono::milliseconds(5000)};
constexpr int kContainerAttempts = 3;

std::string Trim(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size() && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  size_t end = s.size();
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return std::string(s.substr(begin, end - begin));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool HasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

std::string ExpandHome(const std::string& path, const Environment& env) {
  if (path.rfind("~/", 0) == 0) {
    std::string home = env.GetOr("HOME");
    if (!home.empty()) return home + path.substr(1);
  }
  return path;
}

// "scheme://host[:port]" of a URL, for messages (paths may hold credential ids).
std::string Origin(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  size_t path = url.find_first_of("/?#", scheme_end + 3);
  return url.substr(0, path);
}

// The profile or chain does not have this source configured at all (as
// opposed to configured and failing). Only instance metadata reports it: its
// presence is only known by asking.
class SourceUnavailable : public Error {
 public:
  using Error::Error;
};

// Rethrows `e` with `label` in front, keeping its exit code.
[[noreturn]] void Rethrow(const std::string& label, const Error& e) {
  throw Error(label + ": " + e.what(), e.exit_code());
}

std::string DefaultSessionName(Clock& clock) {
  auto now = std::chrono::duration_cast<seconds>(clock.Now().time_since_epoch()).count();
  return "ecsmig-" + std::to_string(now);
}

// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}: the container
// endpoint's and IMDS's answer. Errors never quote the body.
Credentials ParseJsonCredentials(const std::string& body, const std::string& label,
                                 const std::string& source) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) throw Error(label + ": answer is not a JSON object");
  auto field = [&](const char* name, bool required) -> std::string {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) {
      if (required) throw Error(label + ": answer has no " + name);
      return "";
    }
    if (!it->is_string()) throw Error(label + ": " + name + " in the answer is not a string");
    std::string value = it->get<std::string>();
    if (required && value.empty()) throw Error(label + ": " + name + " in the answer is empty");
    return value;
  };
  Credentials credentials;
  credentials.access_key_id = field("AccessKeyId", true);
  credentials.secret_access_key = field("SecretAccessKey", true);
  credentials.session_token = field("Token", false);
  std::string expiration = field("Expiration", false);
  if (!expiration.empty()) {
    credentials.expiration = ParseCredentialTimestamp(expiration);
    if (!credentials.expiration) throw Error(label + ": Expiration is not an ISO 8601 timestamp");
  }
  credentials.source = source;
  return credentials;
}

// ---- Providers ----

class StaticProvider : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  Credentials Get() override { return credentials_; }
  void Invalidate() override {}

 private:
  Credentials credentials_;
};

// Caches what Fetch() returns until it is within kRefreshWindow of expiring.
class RefreshingProvider : public CredentialsProvider {
 public:
  explicit RefreshingProvider(Clock& clock) : clock_(clock) {}

  Credentials Get() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ && !NeedsRefresh(*cached_)) return *cached_;
    try {
      cached_ = Fetch();
    } catch (const Error&) {
      // A failed early refresh is not fatal while the old credentials still work;
      // the next Get() tries again.
      if (cached_ && cached_->expiration && clock_.Now() < *cached_->expiration) return *cached_;
      throw;
    }
    return *cached_;
  }

  void Invalidate() override {
    std::lock_guard<std::mutex> lock(mutex_);
    cached_.reset();
    InvalidateSources();
  }

 protected:
  virtual Credentials Fetch() = 0;
  virtual void InvalidateSources() {}
  Clock& clock() { return clock_; }

 private:
  bool NeedsRefresh(const Credentials& credentials) const {
    return credentials.expiration && clock_.Now() + kRefreshWindow >= *credentials.expiration;
  }

  Clock& clock_;
  std::mutex mutex_;
  std::optional<Credentials> cached_;
};

// STS clients are built on first use, once per provider.
class StsHolder {
 public:
  StsHolder(std::function<std::unique_ptr<StsApi>(const std::string&)> factory, std::string region)
      : factory_(std::move(factory)), region_(std::move(region)) {}
  StsApi& sts() {
    if (!sts_) {
      if (!factory_) throw Error("no STS client available to assume a role");
      sts_ = factory_(region_);
      if (!sts_) throw Error("no STS client available to assume a role");
    }
    return *sts_;
  }

 private:
  std::function<std::unique_ptr<StsApi>(const std::string&)> factory_;
  std::string region_;
  std::unique_ptr<StsApi> sts_;
};

struct RoleSettings {
  std::string role_arn;
  std::string session_name;
  std::string external_id;
  seconds duration = kDefaultRoleDuration;
};

class WebIdentityProvider : public RefreshingProvider {
 public:
  WebIdentityProvider(Clock& clock, FileSystem& fs, StsHolder sts, RoleSettings role,
                      std::string token_file, std::string label, std::string source,
                      std::function<void(const std::string&)> add_mask)
      : RefreshingProvider(clock),
        add_mask_(std::move(add_mask)),
        fs_(fs),
        sts_(std::move(sts)),
        role_(std::move(role)),
        token_file_(std::move(token_file)),
        label_(std::move(label)),
        source_(std::move(source)) {}

 protected:
  Credentials Fetch() override {
    // Re-read every time: GitHub's OIDC tokens are short-lived and rotated.
    std::string token;
    try {
      token = Trim(fs_.ReadFile(token_file_));
    } catch (const Error& e) {
      Rethrow(label_ + ": cannot read the web identity token", e);
    }
    if (token.empty())
      throw Error(label_ + ": web identity token file " + token_file_ + " is empty");
    if (add_mask_) add_mask_(token);
    try {
      Credentials credentials = sts_.sts().AssumeRoleWithWebIdentity(
          role_.role_arn, role_.session_name, token, role_.duration);
      credentials.source = source_;
      return credentials;
    } catch (const Error& e) {
      Rethrow(label_ + ": cannot assume " + role_.role_arn, e);
    }
  }

 private:
  std::function<void(const std::string&)> add_mask_;
  FileSystem& fs_;
  StsHolder sts_;
  RoleSettings role_;
  std::string token_file_;
  std::string label_;
  std::string source_;
};

class AssumeRoleProvider : public RefreshingProvider {
 public:
  AssumeRoleProvider(Clock& clock, std::unique_ptr<CredentialsProvider> source_provider,
                     StsHolder sts, RoleSettings role, std::string label, std::string source)
      : RefreshingProvider(clock),
        source_provider_(std::move(source_provider)),
        sts_(std::move(sts)),
        role_(std::move(role)),
        label_(std::move(label)),
        source_(std::move(source)) {}

 protected:
  Credentials Fetch() override {
    Credentials source_credentials;
    try {
      source_credentials = source_provider_->Get();
    } catch (const Error& e) {
      Rethrow(label_ + ": source credentials", e);
    }
    try {
      Credentials credentials =
          sts_.sts().AssumeRole(source_credentials, role_.role_arn, role_.session_name,
                                role_.external_id, role_.duration);
      credentials.source = source_;
      return credentials;
    } catch (const Error& e) {
      Rethrow(label_ + ": cannot assume " + role_.role_arn, e);
    }
  }
  void InvalidateSources() override { source_provider_->Invalidate(); }

 private:
  std::unique_ptr<CredentialsProvider> source_provider_;
  StsHolder sts_;
  RoleSettings role_;
  std::string label_;
  std::string source_;
};

class ProcessProvider : public RefreshingProvider {
 public:
  ProcessProvider(Clock& clock, std::function<std::string(const std::string&)> run_process,
                  std::string command, std::string label)
      : RefreshingProvider(clock),
        run_process_(std::move(run_process)),
        command_(std::move(command)),
        label_(std::move(label)) {}

 protected:
  Credentials Fetch() override {
    std::string output;
    try {
      output = run_process_ ? run_process_(command_) : RunCredentialProcess(command_);
    } catch (const Error& e) {
      Rethrow(label_, e);  // the command line is not repeated: it may carry a secret
    }
    return ParseCredentialProcessOutput(output, label_);
  }

 private:
  std::function<std::string(const std::string&)> run_process_;
  std::string command_;
  std::string label_;
};

// IAM Identity Center: the token `aws sso login` cached, traded for role
// credentials at the portal on every refresh (the token is re-read each time,
// so a fresh login is picked up).
class SsoProvider : public RefreshingProvider {
 public:
  SsoProvider(CredentialsChainDeps& deps, SsoProfile sso)
      : RefreshingProvider(deps.clock), deps_(deps), sso_(std::move(sso)) {}

 protected:
  Credentials Fetch() override {
    const std::string label = "SSO profile '" + sso_.profile + "'";
    std::string token = ReadSsoAccessToken(sso_, deps_.fs, deps_.env, clock());
    Mask(token);
    if (!api_) {
      if (!deps_.sso_factory) throw Error(label + ": no SSO client available");
      api_ = deps_.sso_factory(sso_.region);
    }
    Credentials credentials;
    try {
      credentials = api_->GetRoleCredentials(token, sso_.account_id, sso_.role_name);
    } catch (const AwsError& e) {
      if (e.code() == "UnauthorizedException" || e.http_status() == 401) {
        throw Error(label + ": the SSO portal refused the cached token (" + e.code() + "); run '" +
                    SsoLoginCommand(sso_) + "'");
      }
      Rethrow(label + ": role " + sso_.role_name + " in account " + sso_.account_id, e);
    } catch (const Error& e) {
      Rethrow(label, e);
    }
    Mask(credentials.secret_access_key);
    Mask(credentials.session_token);
    credentials.source = "sso profile " + sso_.profile;
    return credentials;
  }

 private:
  void Mask(const std::string& secret) {
    if (deps_.add_mask && !secret.empty()) deps_.add_mask(secret);
  }

  CredentialsChainDeps& deps_;
  SsoProfile sso_;
  std::unique_ptr<SsoApi> api_;
};

class ContainerProvider : public RefreshingProvider {
 public:
  ContainerProvider(Clock& clock, HttpClient& http, FileSystem& fs, std::string url,
                    std::string token, std::string token_file)
      : RefreshingProvider(clock),
        http_(http),
        fs_(fs),
        url_(std::move(url)),
        token_(std::move(token)),
        token_file_(std::move(token_file)) {}

 protected:
  Credentials Fetch() override {
    const std::string label = "container credentials from " + Origin(url_);
    HttpRequest request;
    request.method = "GET";
    request.url = url_;
    request.headers.emplace_back("Accept", "application/json");
    std::string token = token_;
    if (!token_file_.empty()) {
      // Re-read every time: the agent may rotate it.
      try {
        token = Trim(fs_.ReadFile(token_file_));
      } catch (const Error& e) {
        Rethrow(label + ": cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", e);
      }
    }
    if (HasLineBreak(token)) {
      throw Error(label + ": the authorization token holds a line break");
    }
    if (!token.empty()) request.headers.emplace_back("Authorization", token);

    HttpResponse response;
    for (int attempt = 1;; ++attempt) {
      try {
        response = http_.Send(request, kContainerHttpOptions);
        bool retryable = response.status >= 500 || response.status == 429;
        if (!retryable || attempt == kContainerAttempts) break;
      } catch (const TransportError& e) {
        if (attempt == kContainerAttempts) Rethrow(label, e);
      }
      clock().SleepFor(std::chrono::milliseconds(1000));
    }
    if (response.status != 200) {
      throw Error(label + ": HTTP " + std::to_string(response.status));
    }
    return ParseJsonCredentials(response.body, label, "container");
  }

 private:
  HttpClient& http_;
  FileSystem& fs_;
  std::string url_;
  std::string token_;
  std::string token_file_;
};

class ImdsProvider : public RefreshingProvider {
 public:
  ImdsProvider(Clock& clock, HttpClient& http, std::string endpoint)
      : RefreshingProvider(clock), http_(http), endpoint_(std::move(endpoint)) {}

  const std::string& endpoint() const { return endpoint_; }

 protected:
  // Throws SourceUnavailable when there is no IMDS or no role on this machine.
  Credentials Fetch() override {
    const std::string label = "instance metadata at " + endpoint_;
    HttpRequest token_request;
    token_request.method = "PUT";
    token_request.url = endpoint_ + "/latest/api/token";
    token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    HttpResponse token_response;
    try {
      token_response = Send(token_request);
    } catch (const TransportError& e) {
      throw SourceUnavailable(label + " is unreachable (" + e.what() + ")");
    }
    std::string token = Trim(token_response.body);
    if (token_response.status != 200 || token.empty() || HasLineBreak(token)) {
      throw SourceUnavailable(label + " gave no IMDSv2 token (HTTP " +
                              std::to_string(token_response.status) + ")");
    }

    HttpRequest role_request;
    role_request.method = "GET";
    role_request.url = endpoint_ + "/latest/meta-data/iam/security-credentials/";
    role_request.headers.emplace_back("X-aws-ec2-metadata-token", token);
    HttpResponse role_response = SendOrThrow(role_request, label);
    if (role_response.status == 404) {
      throw SourceUnavailable(label + ": no IAM role is attached to this instance");
    }
    if (role_response.status != 200) {
      throw Error(label + ": listing the instance's role gave HTTP " +
                  std::to_string(role_response.status));
    }
    std::string role = Trim(role_response.body.substr(0, role_response.body.find('\n')));
    if (role.empty()) throw SourceUnavailable(label + ": no IAM role is attached to this instance");
    if (role.find_first_of("/?#% ") != std::string::npos) {
      throw Error(label + ": the instance's role name is not a valid role name");
    }

    HttpRequest credentials_request = role_request;
    credentials_request.url += role;
    HttpResponse credentials_response = SendOrThrow(credentials_request, label);
    if (credentials_response.status != 200) {
      throw Error(label + ": credentials of role " + role + " gave HTTP " +
                  std::to_string(credentials_response.status));
    }
    nlohmann::json doc =
        nlohmann::json::parse(credentials_response.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object()) {
      auto code = doc.find("Code");
      if (code != doc.end() && code->is_string() && *code != "Success") {
        throw Error(label + ": credentials of role " + role + " are not available (" +
                    code->get<std::string>() + ")");
      }
    }
    return ParseJsonCredentials(credentials_response.body, label + " (role " + role + ")", "imds");
  }

 private:
  HttpResponse Send(const HttpRequest& request) {
    for (int attempt = 1;; ++attempt) {
      try {
        HttpResponse response = http_.Send(request, kImdsHttpOptions);
        if (response.status < 500 || attempt == kImdsAttempts) return response;
      } catch (const TransportError&) {
        if (attempt == kImdsAttempts) throw;
      }
    }
  }
  HttpResponse SendOrThrow(const HttpRequest& request, const std::string& label) {
    try {
      return Send(request);
    } catch (const TransportError& e) {
      Rethrow(label, e);
    }
  }

  HttpClient& http_;
  std::string endpoint_;
};

// ---- Building providers from the environment and the profile ----

struct Sources {
  CredentialsChainDeps& deps;
  std::string region;  // for STS; may be ""
};

// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or null when neither is set.
std::unique_ptr<CredentialsProvider> EnvironmentProvider(Environment& env) {
  std::string key_id = env.GetOr("AWS_ACCESS_KEY_ID");
  std::string secret = env.GetOr("AWS_SECRET_ACCESS_KEY");
  if (key_id.empty() && secret.empty()) return nullptr;
  if (key_id.empty() || secret.empty()) {
    throw UsageError(
        std::string("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (") +
        (key_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") + " is set alone)");
  }
  Credentials credentials;
  credentials.access_key_id = key_id;
  credentials.secret_access_key = secret;
  credentials.session_token = env.GetOr("AWS_SESSION_TOKEN");
  std::string expiration = env.GetOr("AWS_CREDENTIAL_EXPIRATION");
  if (!expiration.empty()) {
    credentials.expiration = ParseCredentialTimestamp(expiration);
    if (!credentials.expiration) {
      throw UsageError("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 timestamp");
    }
  }
  credentials.source = "environment";
  return std::make_unique<StaticProvider>(std::move(credentials));
}

// ECS container credentials, or null when neither URI variable is set. On a
// FULL_URI the SDKs would refuse, throws UsageError.
std::unique_ptr<CredentialsProvider> ContainerProviderFromEnvironment(CredentialsChainDeps& deps) {
  Environment& env = deps.env;
  std::string relative = env.GetOr("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  std::string full = env.GetOr("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  std::string url;
  if (!relative.empty()) {
    if (relative.front() != '/') relative.insert(relative.begin(), '/');
    url = kEcsContainerHost + relative;
  } else if (!full.empty()) {
    if (!IsAllowedContainerCredentialsUrl(full)) {
      throw UsageError(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an https URL, or an http URL to a loopback "
          "address, 169.254.170.2 or 169.254.170.23");
    }
    url = full;
  } else {
    return nullptr;
  }
  std::string token_file = ExpandHome(env.GetOr("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), env);
  std::string token = env.GetOr("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return std::make_unique<ContainerProvider>(deps.clock, deps.http, deps.fs, std::move(url),
                                             std::move(token), std::move(token_file));
}

// On a value that is not an endpoint URL, throws UsageError naming the variable.
std::string ImdsEndpoint(const Environment& env) {
  std::string endpoint = env.GetOr("AWS_EC2_METADATA_SERVICE_ENDPOINT", kDefaultImdsEndpoint);
  CheckEndpointUrl(endpoint, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

class ProfileResolver {
 public:
  ProfileResolver(Sources sources, const SharedConfig& config)
      : sources_(std::move(sources)), config_(config) {}

  // The provider `profile` configures, or null when it holds no credentials.
  // On a misconfiguration (loops, missing source profiles, half keys), throws
  // UsageError naming the profile.
  std::unique_ptr<CredentialsProvider> Resolve(const std::string& profile) {
    std::vector<std::string> path{profile};
    return Resolve(profile, path);
  }

 private:
  std::unique_ptr<CredentialsProvider> Resolve(const std::string& profile,
                                               std::vector<std::string>& path) {
    IniProperties merged = config_.Merged(profile);
    const std::string label = "profile '" + profile + "'";
    if (FindProperty(merged, "role_arn")) return AssumeRole(profile, merged, path);
    if (const IniProperties* in_config = config_.ConfigProfile(profile)) {
      if (auto sso = ReadSsoProfile(profile, *in_config, config_)) {
        return std::make_unique<SsoProvider>(sources_.deps, std::move(*sso));
      }
    }
    // As the AWS CLI: keys in the credentials file, then credential_process,
    // then keys in the config file.
    if (const IniProperties* in_credentials = config_.CredentialsProfile(profile)) {
      if (auto keys = StaticKeys(*in_credentials, profile, config_.credentials_path())) {
        return keys;
      }
    }
    if (auto command = FindProperty(merged, "credential_process")) {
      return std::make_unique<ProcessProvider>(sources_.deps.clock, sources_.deps.run_process,
                                               *command, "credential_process of " + label);
    }
    if (const IniProperties* in_config = config_.ConfigProfile(profile)) {
      if (auto keys = StaticKeys(*in_config, profile, config_.config_path())) return keys;
    }
    return nullptr;
  }

  std::unique_ptr<CredentialsProvider> StaticKeys(const IniProperties& properties,
                                                  const std::string& profile,
                                                  const std::string& file) {
    auto key_id = FindProperty(properties, "aws_access_key_id");
    auto secret = FindProperty(properties, "aws_secret_access_key");
    if (!key_id && !secret) return nullptr;
    if (!key_id || !secret) {
      throw UsageError("profile '" + profile + "' in " + file + " sets " +
                       (key_id ? "aws_access_key_id without aws_secret_access_key"
                               : "aws_secret_access_key without aws_access_key_id"));
    }
    Credentials credentials;
    credentials.access_key_id = *key_id;
    credentials.secret_access_key = *secret;
    credentials.session_token = FindProperty(properties, "aws_session_token").value_or("");
    credentials.source = "profile " + profile;
    return std::make_unique<StaticProvider>(std::move(credentials));
  }

  RoleSettings ReadRole(const std::string& profile, const IniProperties& properties) {
    RoleSettings role;
    role.role_arn = *FindProperty(properties, "role_arn");
    role.session_name = FindProperty(properties, "role_session_name")
                            .value_or(DefaultSessionName(sources_.deps.clock));
    role.external_id = FindProperty(properties, "external_id").value_or("");
    if (auto duration = FindProperty(properties, "duration_seconds")) {
      bool digits = !duration->empty() && duration->size() <= 6 &&
                    std::all_of(duration->begin(), duration->end(),
                                [](unsigned char c) { return std::isdigit(c); });
      long value = digits ? std::stol(*duration) : 0;
      if (value < 900 || value > 43200) {
        throw UsageError("profile '" + profile +
                         "': duration_seconds must be a whole number from 900 to 43200");
      }
      role.duration = seconds(value);
    }
    return role;
  }

  std::unique_ptr<CredentialsProvider> AssumeRole(const std::string& profile,
                                                  const IniProperties& properties,
                                                  std::vector<std::string>& path) {
    const std::string label = "profile '" + profile + "'";
    CredentialsChainDeps& deps = sources_.deps;
    if (FindProperty(properties, "mfa_serial")) {
      throw UsageError(label +
                       " sets mfa_serial: assuming a role with an MFA code needs a person at a "
                       "terminal, which ecsmig does not support");
    }
    auto source_profile = FindProperty(properties, "source_profile");
    auto credential_source = FindProperty(properties, "credential_source");
    auto token_file = FindProperty(properties, "web_identity_token_file");
    if (source_profile && credential_source) {
      throw UsageError(label + " sets both source_profile and credential_source; keep one");
    }
    RoleSettings role = ReadRole(profile, properties);
    StsHolder sts(deps.sts_factory, sources_.region);
    const std::string source_name = "profile " + profile;

    std::unique_ptr<CredentialsProvider> source;
    if (source_profile) {
      if (*source_profile == profile) {
        // A profile may be its own source when it holds the long-term keys.
        source = StaticKeys(properties, profile, "its files");
        if (!source) {
          throw UsageError(label + " names itself as source_profile but has no aws_access_key_id");
        }
      } else {
        if (std::find(path.begin(), path.end(), *source_profile) != path.end()) {
          std::string loop;
          for (const auto& name : path) loop += name + " -> ";
          throw UsageError("AWS profiles form a source_profile loop: " + loop + *source_profile);
        }
        if (!config_.HasProfile(*source_profile)) {
          throw UsageError(label + " names source_profile '" + *source_profile +
                           "', which is in neither " + config_.config_path() + " nor " +
                           config_.credentials_path());
        }
        path.push_back(*source_profile);
        source = Resolve(*source_profile, path);
        path.pop_back();
        if (!source) {
          throw UsageError(label + " names source_profile '" + *source_profile +
                           "', which holds no credentials");
        }
      }
    } else if (credential_source) {
      source = CredentialSource(label, *credential_source);
    } else if (token_file) {
      return std::make_unique<WebIdentityProvider>(
          deps.clock, deps.fs, std::move(sts), std::move(role), ExpandHome(*token_file, deps.env),
          label, source_name, deps.add_mask);
    } else {
      throw UsageError(label +
                       " sets role_arn without source_profile, credential_source or "
                       "web_identity_token_file");
    }
    return std::make_unique<AssumeRoleProvider>(deps.clock, std::move(source), std::move(sts),
                                                std::move(role), label, source_name);
  }

  std::unique_ptr<CredentialsProvider> CredentialSource(const std::string& label,
                                                        const std::string& name) {
    CredentialsChainDeps& deps = sources_.deps;
    std::unique_ptr<CredentialsProvider> source;
    if (name == "Environment") {
      source = EnvironmentProvider(deps.env);
      if (!source) {
        throw UsageError(label +
                         " has credential_source = Environment but AWS_ACCESS_KEY_ID and "
                         "AWS_SECRET_ACCESS_KEY are not set");
      }
    } else if (name == "EcsContainer") {
      source = ContainerProviderFromEnvironment(deps);
      if (!source) {
        throw UsageError(label +
                         " has credential_source = EcsContainer but neither "
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
      }
    } else if (name == "Ec2InstanceMetadata") {
      source = std::make_unique<ImdsProvider>(deps.clock, deps.http, ImdsEndpoint(deps.env));
    } else {
      throw UsageError(label + " has credential_source '" + name +
                       "'; expected Environment, EcsContainer or Ec2InstanceMetadata");
    }
    return source;
  }

  Sources sources_;
  const SharedConfig& config_;
};

// ---- The chain ----

class DefaultChain : public CredentialsProvider {
 public:
  DefaultChain(CredentialsChainDeps deps, std::string profile, std::string region)
      : deps_(std::move(deps)), profile_(std::move(profile)), region_(std::move(region)) {}

  Credentials Get() override {
    CredentialsProvider* selected = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!selected_) selected_ = Select();
      selected = selected_.get();
    }
    return selected->Get();
  }

  void Invalidate() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (selected_) selected_->Invalidate();
  }

 private:
  // The first configured source. Instance metadata, the last, is only known to
  // be there once asked, so it is asked here.
  std::unique_ptr<CredentialsProvider> Select() {
    Environment& env = deps_.env;
    std::vector<std::string> tried;

    // An explicit profile argument (--profile) means that profile, even when
    // keys or a web identity are exported: the CLI flag is the more specific
    // wish (the AWS CLI drops exported keys then too). AWS_PROFILE does not
    // outrank them. credential_source = Environment still reads the keys.
    if (profile_.empty()) {
      if (auto provider = EnvironmentProvider(env)) return provider;
      tried.push_back("environment");
      if (auto provider = WebIdentityFromEnvironment()) return provider;
      tried.push_back("web identity");
    }

    bool named = !profile_.empty() || !env.GetOr("AWS_PROFILE").empty();
    std::string profile = !profile_.empty() ? profile_ : env.GetOr("AWS_PROFILE", "default");
    SharedConfig config = SharedConfig::Load(env, deps_.fs);
    if (config.HasProfile(profile)) {
      std::string sts_region = region_;
      if (sts_region.empty()) {
        if (const IniProperties* section = config.ConfigProfile(profile)) {
          sts_region = FindProperty(*section, "region").value_or("");
        }
      }
      ProfileResolver resolver(Sources{deps_, sts_region}, config);
      if (auto provider = resolver.Resolve(profile)) return provider;
      tried.push_back("profile '" + profile + "' (holds no credentials)");
    } else if (named) {
      throw UsageError(
          "AWS profile '" + profile + "' not found in " +
          (config.config_path().empty() ? "~/.aws/config" : config.config_path()) + " or " +
          (config.credentials_path().empty() ? "~/.aws/credentials" : config.credentials_path()));
    } else {
      tried.push_back("profile '" + profile + "'");
    }

    if (auto provider = ContainerProviderFromEnvironment(deps_)) return provider;
    tried.push_back("container");

    if (env.IsTrue("AWS_EC2_METADATA_DISABLED")) {
      tried.push_back("instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
    } else {
      auto imds = std::make_unique<ImdsProvider>(deps_.clock, deps_.http, ImdsEndpoint(env));
      try {
        imds->Get();  // cached: the caller's Get() does not ask twice
        return imds;
      } catch (const SourceUnavailable& e) {
        tried.push_back(e.what());  // "instance metadata at URL is unreachable (...)"
      }
    }

    std::string list;
    for (const auto& source : tried) list += (list.empty() ? "" : ", ") + source;
    throw Error(
        "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or "
        "AWS_WEB_IDENTITY_TOKEN_FILE+AWS_ROLE_ARN (tried: " +
        list + ")");
  }

  // AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or null when no token file is set.
  std::unique_ptr<CredentialsProvider> WebIdentityFromEnvironment() {
    Environment& env = deps_.env;
    std::string token_file = ExpandHome(env.GetOr("AWS_WEB_IDENTITY_TOKEN_FILE"), env);
    if (token_file.empty()) return nullptr;
    std::string role_arn = env.GetOr("AWS_ROLE_ARN");
    if (role_arn.empty()) {
      throw UsageError("AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN: set both");
    }
    RoleSettings role;
    role.role_arn = role_arn;
    role.session_name = env.GetOr("AWS_ROLE_SESSION_NAME", DefaultSessionName(deps_.clock));
    return std::make_unique<WebIdentityProvider>(
        deps_.clock, deps_.fs, StsHolder(deps_.sts_factory, region_), std::move(role), token_file,
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)", "web-identity", deps_.add_mask);
  }

  CredentialsChainDeps deps_;
  std::string profile_;
  std::string region_;
  std::mutex mutex_;
  std::unique_ptr<CredentialsProvider> selected_;
};

}  // namespace

bool IsAllowedContainerCredentialsUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  std::string scheme = Lower(url.substr(0, scheme_end));
  size_t authority_end = url.find_first_of("/?#", scheme_end + 3);
  std::string authority = Lower(url.substr(scheme_end + 3, authority_end == std::string::npos
                                                               ? std::string::npos
                                                               : authority_end - scheme_end - 3));
  if (authority.empty() || authority.find('@') != std::string::npos) return false;
  std::string host;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (host.empty()) return false;
  if (scheme == "https") return true;
  if (scheme != "http") return false;
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23") {
    return true;
  }
  // 127.0.0.0/8, written as a dotted quad.
  if (host.rfind("127.", 0) != 0) return false;
  int parts = 0;
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t dot = host.find('.', pos);
    std::string part = host.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(part) > 255) {
      return false;
    }
    ++parts;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return parts == 4;
}

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(CredentialsChainDeps deps,
                                                                 const std::string& profile,
                                                                 const std::string& region) {
  return std::make_unique<DefaultChain>(std::move(deps), profile, region);
}

}  // namespace ecsmig
