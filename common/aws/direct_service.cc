#include "common/aws/direct_service.h"

#include "common/aws/endpoints.h"

namespace ecsmig {

DirectServiceSettings ResolveDirectService(AwsService service, AwsProtocol protocol,
                                           const std::string& region,
                                           const std::string& endpoint_override,
                                           const Environment& env, const ProfileSettings& profile) {
  DirectServiceSettings out;
  out.endpoint.protocol = protocol;
  out.endpoint.display_name = std::string(InfoFor(service).display_name);
  out.endpoint.signing_name = std::string(InfoFor(service).signing_name);
  out.endpoint.region = region;
  out.endpoint.url = ResolveEndpoint(service, endpoint_override, region, env, profile);
  out.retry.max_attempts = ResolveMaxAttempts(0, env, profile);
  out.http_options = ResolveHttpOptions(env);
  return out;
}

}  // namespace ecsmig
