// SSO profiles, the cached token and GetRoleCredentials (restJson1, unsigned).
#include "common/aws/sso.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/aws/aws_protocol.h"
#include "common/aws/credential_process.h"
#include "common/aws/direct_service.h"
#include "common/aws/endpoints.h"
#include "common/aws/sigv4.h"
#include "common/base/error.h"
#include "common/base/json_field.h"
#include "common/net/percent_encoding.h"

namespace ecsmig {
namespace {

using std::chrono::system_clock;

std::string Describe(const SsoProfile& sso) { return "SSO profile '" + sso.profile + "'"; }

[[noreturn]] void LoginNeeded(const SsoProfile& sso, const std::string& why) {
  throw Error(Describe(sso) + ": " + why + "; run '" + SsoLoginCommand(sso) + "'");
}

// The CLI v1 wrote "2019-11-14T04:35:41UTC"; v2 writes "...Z".
std::optional<system_clock::time_point> ParseTokenExpiry(std::string text) {
  if (text.size() > 3 && text.ends_with("UTC")) text.replace(text.size() - 3, 3, "Z");
  return ParseCredentialTimestamp(text);
}

class SsoClient : public SsoApi {
 public:
  SsoClient(HttpClient& http, Clock& clock, Environment& env, const std::string& region,
            const std::string& endpoint_override, const ProfileSettings& profile)
      : http_(http),
        clock_(clock),
        // restJson1: the same error shapes as awsJson1.1.
        settings_(ResolveDirectService(AwsService::kSso, AwsProtocol::kJson11, region,
                                       endpoint_override, env, profile)) {}

  Credentials GetRoleCredentials(const std::string& access_token, const std::string& account_id,
                                 const std::string& role_name) override {
    HttpRequest request;
    request.method = "GET";
    request.url = settings_.endpoint.url +
                  "/federation/credentials?account_id=" + PercentEncode(account_id) +
                  "&role_name=" + PercentEncode(role_name);
    request.headers = {{"x-amz-sso_bearer_token", access_token}, {"Accept", "application/json"}};
    request.body.clear();
    Credentials out;
    // Unsigned (no credentials hook) and never traced: the answer is secret.
    AwsRequestExecutor executor(settings_.endpoint, http_, clock_, random_, settings_.retry,
                                AwsCallHooks{}, settings_.http_options);
    executor.Execute("GetRoleCredentials", request,
                     [&](const HttpResponse& response) { return Parse(response.body, out); });
    out.source = "sso";
    return out;
  }

 private:
  static bool Parse(const std::string& body, Credentials& out) {
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return false;
    auto role = doc.find("roleCredentials");
    if (role == doc.end() || !role->is_object()) return false;
    out.access_key_id = JsonString(*role, "accessKeyId");
    out.secret_access_key = JsonString(*role, "secretAccessKey");
    out.session_token = JsonString(*role, "sessionToken");
    std::optional<long long> millis = JsonIntegerField(*role, "expiration");
    // Epoch milliseconds; anything before 1970 or past 2200 is not an expiry.
    if (!millis || *millis <= 0 || *millis > 7258118400000LL) return false;
    out.expiration = system_clock::time_point(std::chrono::milliseconds(*millis));
    return !out.access_key_id.empty() && !out.secret_access_key.empty() &&
           !out.session_token.empty();
  }

  HttpClient& http_;
  Clock& clock_;
  SecureRandom random_;
  DirectServiceSettings settings_;
};

}  // namespace

std::optional<SsoProfile> ReadSsoProfile(const std::string& profile,
                                         const IniProperties& properties,
                                         const SharedConfig& config) {
  auto get = [&](const IniProperties& from, const char* key) {
    return FindProperty(from, key).value_or("");
  };
  SsoProfile sso;
  sso.profile = profile;
  sso.account_id = get(properties, "sso_account_id");
  sso.role_name = get(properties, "sso_role_name");
  if (sso.account_id.empty() && sso.role_name.empty()) return std::nullopt;
  const std::string label = "profile '" + profile + "' in " + config.config_path();
  sso.session_name = get(properties, "sso_session");
  sso.start_url = get(properties, "sso_start_url");
  sso.region = get(properties, "sso_region");
  if (!sso.session_name.empty()) {
    const IniProperties* session = config.ConfigSection("sso-session", sso.session_name);
    if (session == nullptr) {
      throw UsageError(label + " names sso_session '" + sso.session_name +
                       "', but there is no [sso-session " + sso.session_name + "] section");
    }
    for (auto [key, value] :
         {std::pair{"sso_start_url", &sso.start_url}, std::pair{"sso_region", &sso.region}}) {
      std::string in_session = get(*session, key);
      if (!value->empty() && !in_session.empty() && *value != in_session) {
        throw UsageError(label + ": " + key + " differs between the profile and sso-session '" +
                         sso.session_name + "'");
      }
      if (!in_session.empty()) *value = in_session;
    }
  }
  std::string missing;
  for (auto [key, value] :
       {std::pair{"sso_start_url", &sso.start_url}, std::pair{"sso_region", &sso.region},
        std::pair{"sso_account_id", &sso.account_id}, std::pair{"sso_role_name", &sso.role_name}}) {
    if (value->empty()) missing += std::string(missing.empty() ? "" : ", ") + key;
  }
  if (!missing.empty()) {
    throw UsageError(label + " is configured for SSO but misses " + missing);
  }
  CheckRegion(sso.region, "sso_region of " + label);
  if (sso.account_id.size() != 12 ||
      !std::all_of(sso.account_id.begin(), sso.account_id.end(),
                   [](unsigned char c) { return std::isdigit(c); })) {
    throw UsageError(label + ": sso_account_id '" + sso.account_id +
                     "' is not a 12-digit account id");
  }
  return sso;
}

std::string SsoLoginCommand(const SsoProfile& sso) {
  return sso.session_name.empty() ? "aws sso login --profile " + sso.profile
                                  : "aws sso login --sso-session " + sso.session_name;
}

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw Error("SHA-1 is not available");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string SsoTokenCachePath(const SsoProfile& sso, const Environment& env) {
  std::string home = env.GetOr("HOME");
  if (!home.empty() && home.back() == '/') home.pop_back();
  const std::string& key = sso.session_name.empty() ? sso.start_url : sso.session_name;
  return home + "/.aws/sso/cache/" + Sha1Hex(key) + ".json";
}

std::string ReadSsoAccessToken(const SsoProfile& sso, FileSystem& fs, const Environment& env,
                               Clock& clock) {
  if (env.GetOr("HOME").empty()) LoginNeeded(sso, "HOME is not set, so no cached SSO token");
  const std::string path = SsoTokenCachePath(sso, env);
  if (!fs.Exists(path)) LoginNeeded(sso, "no cached SSO token (" + path + ")");
  std::string text;
  try {
    text = fs.ReadFile(path);
  } catch (const Error& e) {
    LoginNeeded(sso, std::string("the cached SSO token cannot be read (") + e.what() + ")");
  }
  // Errors never quote the file: it holds the token.
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::string token = JsonString(doc, "accessToken");
  std::string expires = JsonString(doc, "expiresAt");
  if (!doc.is_object() || token.empty() || expires.empty()) {
    LoginNeeded(sso, "the cached SSO token " + path + " has no accessToken or expiresAt");
  }
  std::optional<system_clock::time_point> expiry = ParseTokenExpiry(expires);
  if (!expiry) LoginNeeded(sso, "the cached SSO token's expiresAt is not a timestamp");
  if (clock.Now() >= *expiry) LoginNeeded(sso, "the SSO session has expired");
  return token;
}

std::unique_ptr<SsoApi> MakeSsoApi(HttpClient& http, Clock& clock, Environment& env,
                                   const std::string& region, const std::string& endpoint_override,
                                   const ProfileSettings& profile) {
  return std::make_unique<SsoClient>(http, clock, env, region, endpoint_override, profile);
}

}  // namespace ecsmig
