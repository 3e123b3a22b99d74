// Region, endpoint and partition resolution (CONTRACT.md "AWS").
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/aws/aws.h"
#include "common/aws/profile_settings.h"
#include "common/base/env.h"

namespace ecsmig {

// A region name as the SDKs accept one: lowercase letters and digits in
// hyphen-separated parts, starting with a letter, at most 63 characters
// ("us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "us-isob-east-1").
bool IsRegionName(std::string_view text);
// On a value that is not a region name, throws UsageError naming `source`.
void CheckRegion(const std::string& value, const std::string& source);

// An http(s) URL with a host (a name, an IPv4 address or a bracketed IPv6
// address), an optional port (1-65535) and an optional path: no user info,
// query, fragment, whitespace or control character.
bool IsEndpointUrl(std::string_view url);
// On a value that is not such a URL, throws UsageError naming `source`.
void CheckEndpointUrl(const std::string& url, const std::string& source);

// The first non-empty of: `explicit_region` (--region or a caller override,
// named `explicit_source` in messages), AWS_REGION, AWS_DEFAULT_REGION,
// `profile_region()` (the shared config's region; may be null). Every value
// given is checked with CheckRegion, naming its source, even one a higher
// source shadows. None: throws UsageError.
std::string ResolveRegion(const std::string& explicit_region, const Environment& env,
                          const std::function<SourcedValue()>& profile_region,
                          const std::string& explicit_source = "--region");

// The first of: `endpoint_flag` (--endpoint-url), AWS_ENDPOINT_URL_<SERVICE>,
// AWS_ENDPOINT_URL, the endpoint_url of the service's key in the profile's
// services section, the profile's endpoint_url (all but the flag ignored when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
// ignore_configured_endpoint_urls is true), else the regional endpoint of
// `region`'s partition, e.g. https://ecs.eu-west-1.amazonaws.com. Every value
// given is checked with CheckEndpointUrl, naming its source, even one a
// higher source shadows. A trailing '/' is removed.
std::string ResolveEndpoint(AwsService service, const std::string& endpoint_flag,
                            const std::string& region, const Environment& env,
                            const ProfileSettings& profile = {});

// "aws", "aws-cn" (cn-*) or "aws-us-gov" (us-gov-*): for ARNs and console URLs.
std::string PartitionFor(const std::string& region);
// "amazonaws.com", or "amazonaws.com.cn" in aws-cn.
std::string DnsSuffixFor(const std::string& region);
// https://<prefix>.<region>.<dns suffix> (SSO: https://portal.sso.<region>...)
std::string RegionalEndpoint(AwsService service, const std::string& region);

}  // namespace ecsmig
