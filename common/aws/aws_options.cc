#include "common/aws/aws.h"
#include "common/aws/endpoints.h"
#include "common/base/error.h"

namespace ecsmig {

const AwsServiceInfo& InfoFor(AwsService service) {
  static const AwsServiceInfo kEcs{"ecs", "AmazonEC2ContainerServiceV20141113", "ECS", "ECS", "ecs",
                                   "ecs"};
  static const AwsServiceInfo kLogs{"logs", "Logs_20140328",  "CLOUDWATCH_LOGS", "CloudWatch Logs",
                                    "logs", "cloudwatch_logs"};
  static const AwsServiceInfo kSts{"sts", "", "STS", "STS", "sts", "sts"};
  static const AwsServiceInfo kSso{"awsssoportal", "", "SSO", "SSO", "portal.sso", "sso"};
  switch (service) {
    case AwsService::kEcs:
      return kEcs;
    case AwsService::kLogs:
      return kLogs;
    case AwsService::kSts:
      return kSts;
    case AwsService::kSso:
      return kSso;
  }
  return kEcs;
}

void AddAwsOptions(cxxopts::Options& options) {
  options.add_options("AWS")(
      "region", "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region)",
      cxxopts::value<std::string>(), "REGION")(
      "endpoint-url",
      "endpoint for every AWS call (default: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL)",
      cxxopts::value<std::string>(),
      "URL")("profile", "shared config profile (default: AWS_PROFILE, else 'default')",
             cxxopts::value<std::string>(), "NAME");
}

AwsSettings ReadAwsOptions(const cxxopts::ParseResult& args) {
  AwsSettings settings;
  if (args.count("region")) {
    settings.region = args["region"].as<std::string>();
    CheckRegion(settings.region, "--region");
  }
  if (args.count("endpoint-url")) {
    settings.endpoint_url = args["endpoint-url"].as<std::string>();
    CheckEndpointUrl(settings.endpoint_url, "--endpoint-url");
  }
  if (args.count("profile")) {
    settings.profile = args["profile"].as<std::string>();
    if (settings.profile.empty()) throw UsageError("--profile must not be empty");
  }
  return settings;
}

}  // namespace ecsmig
