// The three STS calls the suite makes, over the awsQuery protocol (XML answers).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/aws/credentials.h"
#include "common/aws/profile_settings.h"

namespace ecsmig {

class StsApi {
 public:
  virtual ~StsApi() = default;
  // Unsigned call (the token is the proof). On error, throws AwsError/TransportError.
  virtual Credentials AssumeRoleWithWebIdentity(const std::string& role_arn,
                                                const std::string& session_name,
                                                const std::string& web_identity_token,
                                                std::chrono::seconds duration) = 0;
  // Signed with `source`.
  virtual Credentials AssumeRole(const Credentials& source, const std::string& role_arn,
                                 const std::string& session_name, const std::string& external_id,
                                 std::chrono::seconds duration) = 0;
  // Returns the caller's ARN.
  virtual std::string GetCallerIdentity(const Credentials& credentials) = 0;
};

// The real client: endpoint as ResolveEndpoint finds it (`endpoint_override`
// is --endpoint-url; `profile` the shared config's settings), else the
// regional STS endpoint of `region`'s partition.
std::unique_ptr<StsApi> MakeStsApi(HttpClient& http, Clock& clock, Environment& env,
                                   const std::string& region, const std::string& endpoint_override,
                                   const ProfileSettings& profile = {});

}  // namespace ecsmig
