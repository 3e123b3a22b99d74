// Settings for the clients the credential chain itself calls (STS, SSO):
// they cannot go through AwsClient, which needs credentials first, yet must
// resolve their endpoint, retries and timeouts exactly as every other service.
#pragma once

#include <string>

#include "common/aws/aws.h"
#include "common/aws/aws_protocol.h"
#include "common/aws/profile_settings.h"
#include "common/aws/retry.h"
#include "common/base/env.h"
#include "common/net/http.h"

namespace ecsmig {

struct DirectServiceSettings {
  AwsEndpoint endpoint;
  RetryOptions retry;
  HttpOptions http_options;
};

// `service`'s endpoint in `region` (endpoint_override, AWS_ENDPOINT_URL_*, the
// profile's services section, ...), AWS_MAX_ATTEMPTS / max_attempts, and the
// ECSMIG_*_TIMEOUT settings. Throws UsageError on a malformed setting.
DirectServiceSettings ResolveDirectService(AwsService service, AwsProtocol protocol,
                                           const std::string& region,
                                           const std::string& endpoint_override,
                                           const Environment& env, const ProfileSettings& profile);

}  // namespace ecsmig
