// IAM Identity Center (SSO) profiles as the AWS SDKs read them: the profile
// (sso_account_id, sso_role_name, and sso_session or the legacy sso_start_url
// + sso_region), the token `aws sso login` caches under ~/.aws/sso/cache/, and
// the portal's GetRoleCredentials call that trades it for role credentials.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/aws/credentials.h"
#include "common/aws/profile_settings.h"
#include "common/aws/shared_config.h"
#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/filesystem.h"
#include "common/net/http.h"

namespace ecsmig {

struct SsoProfile {
  std::string profile;
  std::string session_name;  // [sso-session NAME]; empty in the legacy form
  std::string start_url;
  std::string region;  // sso_region: where the portal is
  std::string account_id;
  std::string role_name;
};

// The SSO settings of `profile`, or nullopt when it sets neither
// sso_account_id nor sso_role_name (as botocore decides). On a missing
// setting, a missing sso-session section, a profile value that contradicts
// its session's, an sso_region that is not a region or an account id that is
// not 12 digits, throws UsageError naming the profile.
std::optional<SsoProfile> ReadSsoProfile(const std::string& profile,
                                         const IniProperties& properties,
                                         const SharedConfig& config);

// "aws sso login --sso-session NAME" (or "--profile NAME" for the legacy form).
std::string SsoLoginCommand(const SsoProfile& sso);

// Lowercase hex SHA-1 of `text`: the cache file's name.
std::string Sha1Hex(std::string_view text);
// $HOME/.aws/sso/cache/<SHA-1 of the session name, or of the start URL>.json
std::string SsoTokenCachePath(const SsoProfile& sso, const Environment& env);

// The cached access token. A missing, unreadable, malformed or expired cache
// file throws Error (exit 1) telling the user to run SsoLoginCommand.
std::string ReadSsoAccessToken(const SsoProfile& sso, FileSystem& fs, const Environment& env,
                               Clock& clock);

class SsoApi {
 public:
  virtual ~SsoApi() = default;
  // GET /federation/credentials?role_name=&account_id= with the token in
  // x-amz-sso_bearer_token, unsigned. On error, throws AwsError/TransportError.
  virtual Credentials GetRoleCredentials(const std::string& access_token,
                                         const std::string& account_id,
                                         const std::string& role_name) = 0;
};

// The real client for the portal of `region`: endpoint as ResolveEndpoint
// finds it for SSO (AWS_ENDPOINT_URL_SSO, ...), else
// https://portal.sso.<region>.amazonaws.com.
std::unique_ptr<SsoApi> MakeSsoApi(HttpClient& http, Clock& clock, Environment& env,
                                   const std::string& region, const std::string& endpoint_override,
                                   const ProfileSettings& profile = {});

}  // namespace ecsmig
