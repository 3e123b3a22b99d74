// Region, endpoint and partition resolution (CONTRACT.md "AWS").
#pragma once

#include <functional>
#include <string>

#include "common/aws/aws.h"
#include "common/base/env.h"

namespace ecsmig {

// The first non-empty of: `explicit_region` (--region or a caller override),
// AWS_REGION, AWS_DEFAULT_REGION, `profile_region()` (the shared config's
// region; may be null). None: throws UsageError.
std::string ResolveRegion(const std::string& explicit_region, const Environment& env,
                          const std::function<std::string()>& profile_region);

// The first of: `endpoint_flag` (--endpoint-url), AWS_ENDPOINT_URL_<SERVICE>,
// AWS_ENDPOINT_URL (both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is
// true), else the regional endpoint of `region`'s partition, e.g.
// https://ecs.eu-west-1.amazonaws.com. A trailing '/' is removed.
std::string ResolveEndpoint(AwsService service, const std::string& endpoint_flag,
                            const std::string& region, const Environment& env);

// "aws", "aws-cn" (cn-*) or "aws-us-gov" (us-gov-*): for ARNs and console URLs.
std::string PartitionFor(const std::string& region);
// "amazonaws.com", or "amazonaws.com.cn" in aws-cn.
std::string DnsSuffixFor(const std::string& region);
// https://<prefix>.<region>.<dns suffix>
std::string RegionalEndpoint(AwsService service, const std::string& region);

}  // namespace ecsmig
