// AWS credentials and the standard provider chain (CONTRACT.md "AWS"):
// environment, web identity, shared config/credentials files (role_arn +
// source_profile, credential_process), ECS container credentials, EC2 IMDSv2.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/filesystem.h"
#include "common/net/http.h"

namespace ecsmig {

class StsApi;
class SsoApi;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // Absent for credentials that do not expire.
  std::optional<std::chrono::system_clock::time_point> expiration;
  // Which provider produced them, for messages: "environment", "web-identity",
  // "profile default", "credential_process", "container", "imds".
  std::string source;
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials; temporary ones are refreshed when they expire within
  // 5 minutes. On failure, throws Error naming the source and what to set.
  virtual Credentials Get() = 0;
  // Forget cached credentials (e.g. after ExpiredToken) so Get() refreshes.
  virtual void Invalidate() = 0;
};

// Everything the chain needs from outside, so tests can fake all of it.
struct CredentialsChainDeps {
  Environment& env;
  FileSystem& fs;
  Clock& clock;
  HttpClient& http;  // container credentials and IMDS
  // Builds an STS client for `region` (web identity, role_arn + source_profile).
  std::function<std::unique_ptr<StsApi>(const std::string& region)> sts_factory;
  // Runs a credential_process command line and returns its stdout; throws Error
  // on non-zero exit. Null: the real implementation (sh -c, no stdin).
  std::function<std::string(const std::string& command)> run_process;
  // Builds an IAM Identity Center portal client for `region` (SSO profiles).
  std::function<std::unique_ptr<SsoApi>(const std::string& region)> sso_factory;
  // Announces a secret the chain learns (a web identity or SSO token, role
  // credentials) as soon as it has it, so logs mask it. May be null.
  std::function<void(const std::string& secret)> add_mask;
};

// The standard chain for `profile` (empty: AWS_PROFILE, else "default"), in
// this order: environment keys, web identity (AWS_WEB_IDENTITY_TOKEN_FILE +
// AWS_ROLE_ARN), the profile in the shared files, ECS container credentials,
// EC2 IMDSv2. A profile is, in the AWS CLI's order: role_arn (+ source_profile,
// credential_source or web_identity_token_file), IAM Identity Center (SSO),
// keys in the credentials file, credential_process, keys in the config file.
// A non-empty `profile` (an explicit --profile) skips the first two,
// as the AWS CLI does. The source is chosen on the first Get() and kept.
// Misconfiguration (half-set keys, a named profile that does not exist, a
// source_profile loop, a malformed file) throws UsageError before any network
// call; a configured source that fails throws Error naming it; nothing found
// throws Error listing what was tried. `region` is the STS region (empty: the
// profile's region).
std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(CredentialsChainDeps deps,
                                                                 const std::string& profile,
                                                                 const std::string& region);

// Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may be `url`: any https URL, or an
// http URL to a loopback address (127.0.0.0/8, ::1, localhost) or the ECS/EKS
// agents (169.254.170.2, 169.254.170.23, fd00:ec2::23), as the AWS SDKs allow.
bool IsAllowedContainerCredentialsUrl(const std::string& url);

}  // namespace ecsmig
