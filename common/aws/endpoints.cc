#include "common/aws/endpoints.h"

#include "common/base/error.h"

namespace ecsmig {

std::string ResolveRegion(const std::string& explicit_region, const Environment& env,
                          const std::function<std::string()>& profile_region) {
  if (!explicit_region.empty()) return explicit_region;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string value = env.GetOr(name);
    if (!value.empty()) return value;
  }
  if (profile_region) {
    std::string value = profile_region();
    if (!value.empty()) return value;
  }
  throw UsageError("no AWS region: pass --region or set AWS_REGION");
}

std::string PartitionFor(const std::string& region) {
  if (region.rfind("cn-", 0) == 0) return "aws-cn";
  if (region.rfind("us-gov-", 0) == 0) return "aws-us-gov";
  return "aws";
}

std::string DnsSuffixFor(const std::string& region) {
  return PartitionFor(region) == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

std::string RegionalEndpoint(AwsService service, const std::string& region) {
  const char* prefix = service == AwsService::kEcs    ? "ecs"
                       : service == AwsService::kLogs ? "logs"
                                                      : "sts";
  return "https://" + std::string(prefix) + "." + region + "." + DnsSuffixFor(region);
}

std::string ResolveEndpoint(AwsService service, const std::string& endpoint_flag,
                            const std::string& region, const Environment& env) {
  std::string endpoint = endpoint_flag;
  if (endpoint.empty() && !env.IsTrue("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    endpoint = env.GetOr("AWS_ENDPOINT_URL_" + std::string(InfoFor(service).env_suffix));
    if (endpoint.empty()) endpoint = env.GetOr("AWS_ENDPOINT_URL");
  }
  if (endpoint.empty()) return RegionalEndpoint(service, region);
  while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

}  // namespace ecsmig
