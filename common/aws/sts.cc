// StsApi over awsQuery: the form-encoded request, the XML answer.
#include "common/aws/sts.h"

#include "common/aws/aws_protocol.h"
#include "common/aws/credential_process.h"
#include "common/aws/direct_service.h"
#include "common/base/error.h"

namespace ecsmig {
namespace {

class StsClient : public StsApi {
 public:
  StsClient(HttpClient& http, Clock& clock, Environment& env, const std::string& region,
            const std::string& endpoint_override, const ProfileSettings& profile)
      : http_(http),
        clock_(clock),
        settings_(ResolveDirectService(AwsService::kSts, AwsProtocol::kQuery,
                                       region.empty() ? "us-east-1" : region, endpoint_override,
                                       env, profile)) {}

  Credentials AssumeRoleWithWebIdentity(const std::string& role_arn,
                                        const std::string& session_name,
                                        const std::string& web_identity_token,
                                        std::chrono::seconds duration) override {
    QueryParams params = {{"RoleArn", role_arn},
                          {"RoleSessionName", session_name},
                          {"WebIdentityToken", web_identity_token},
                          {"DurationSeconds", std::to_string(duration.count())}};
    Credentials credentials =
        CallForCredentials("AssumeRoleWithWebIdentity", params, /*signed_by=*/nullptr);
    credentials.source = "web-identity";
    return credentials;
  }

  Credentials AssumeRole(const Credentials& source, const std::string& role_arn,
                         const std::string& session_name, const std::string& external_id,
                         std::chrono::seconds duration) override {
    QueryParams params = {{"RoleArn", role_arn},
                          {"RoleSessionName", session_name},
                          {"DurationSeconds", std::to_string(duration.count())}};
    if (!external_id.empty()) params.emplace_back("ExternalId", external_id);
    Credentials credentials = CallForCredentials("AssumeRole", params, &source);
    credentials.source = "assume-role";
    return credentials;
  }

  std::string GetCallerIdentity(const Credentials& credentials) override {
    std::string arn;
    Call("GetCallerIdentity", {}, &credentials, [&](const HttpResponse& response) {
      std::optional<std::string> value = XmlText(response.body, {"GetCallerIdentityResult", "Arn"});
      if (!value || value->empty()) return false;
      arn = *value;
      return true;
    });
    return arn;
  }

 private:
  void Call(std::string_view action, const QueryParams& params, const Credentials* signed_by,
            const std::function<bool(const HttpResponse&)>& accept) {
    AwsCallHooks hooks;
    if (signed_by != nullptr) {
      Credentials credentials = *signed_by;
      hooks.credentials = [credentials] { return credentials; };
    }
    // STS answers carry secrets: no trace here, ever.
    AwsRequestExecutor executor(settings_.endpoint, http_, clock_, random_, settings_.retry,
                                std::move(hooks), settings_.http_options);
    executor.Execute(action, BuildQueryRequest(settings_.endpoint.url, action, params), accept);
  }

  Credentials CallForCredentials(std::string_view action, const QueryParams& params,
                                 const Credentials* signed_by) {
    Credentials out;
    Call(action, params, signed_by, [&](const HttpResponse& response) {
      auto field = [&](std::string_view name) {
        return XmlText(response.body, {"Credentials", name}).value_or("");
      };
      out.access_key_id = field("AccessKeyId");
      out.secret_access_key = field("SecretAccessKey");
      out.session_token = field("SessionToken");
      std::string expiration = field("Expiration");
      out.expiration = expiration.empty() ? std::nullopt : ParseCredentialTimestamp(expiration);
      return !out.access_key_id.empty() && !out.secret_access_key.empty() &&
             !out.session_token.empty() && out.expiration.has_value();
    });
    return out;
  }

  HttpClient& http_;
  Clock& clock_;
  SecureRandom random_;
  DirectServiceSettings settings_;
};

}  // namespace

std::unique_ptr<StsApi> MakeStsApi(HttpClient& http, Clock& clock, Environment& env,
                                   const std::string& region, const std::string& endpoint_override,
                                   const ProfileSettings& profile) {
  return std::make_unique<StsClient>(http, clock, env, region, endpoint_override, profile);
}

}  // namespace ecsmig
