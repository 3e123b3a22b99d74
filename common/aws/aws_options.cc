#include <algorithm>

#include "common/aws/aws.h"
#include "common/base/error.h"

namespace ecsmig {

const AwsServiceInfo& InfoFor(AwsService service) {
  static const AwsServiceInfo kEcs{"ecs", "AmazonEC2ContainerServiceV20141113", "ECS", "ECS"};
  static const AwsServiceInfo kLogs{"logs", "Logs_20140328", "CLOUDWATCH_LOGS", "CloudWatch Logs"};
  static const AwsServiceInfo kSts{"sts", "", "STS", "STS"};
  switch (service) {
    case AwsService::kEcs:
      return kEcs;
    case AwsService::kLogs:
      return kLogs;
    case AwsService::kSts:
      return kSts;
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
    bool valid = !settings.region.empty() &&
                 std::all_of(settings.region.begin(), settings.region.end(), [](unsigned char c) {
                   return std::islower(c) || std::isdigit(c) || c == '-';
                 });
    if (!valid)
      throw UsageError("--region: '" + settings.region + "' is not a region name (e.g. eu-west-1)");
  }
  if (args.count("endpoint-url")) {
    settings.endpoint_url = args["endpoint-url"].as<std::string>();
    const std::string& url = settings.endpoint_url;
    bool scheme_ok = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
    size_t host_start = url.find("://") + 3;
    if (!scheme_ok || url.size() <= host_start ||
        url.find_first_of(" \t\r\n") != std::string::npos) {
      throw UsageError("--endpoint-url: '" + url + "' is not an http(s) URL");
    }
  }
  if (args.count("profile")) {
    settings.profile = args["profile"].as<std::string>();
    if (settings.profile.empty()) throw UsageError("--profile must not be empty");
  }
  return settings;
}

}  // namespace ecsmig
