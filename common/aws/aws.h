// The AWS services the tools call, behind one small interface: an awsJson1.1
// operation in, its JSON answer out. The real implementation (aws_client.cc)
// resolves the endpoint, finds credentials, signs with SigV4 and retries; tool
// logic only sees this interface, so unit tests fake AWS with a few lines.
#pragma once

#include <cxxopts.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ecsmig {

class ToolRun;

// kSso: IAM Identity Center's portal (GetRoleCredentials), for SSO profiles.
enum class AwsService { kEcs, kLogs, kSts, kSso };

// Per-service constants: signing name, awsJson target prefix, endpoint prefix,
// and the service's identifiers in the SDKs' service-specific endpoints
// standard (the AWS_ENDPOINT_URL_<ID> suffix, the config file's services key).
struct AwsServiceInfo {
  std::string_view signing_name;     // "ecs", "logs", "sts", "awsssoportal"
  std::string_view target_prefix;    // "AmazonEC2ContainerServiceV20141113", "Logs_20140328", ""
  std::string_view env_suffix;       // "ECS", "CLOUDWATCH_LOGS", "STS", "SSO"
  std::string_view display_name;     // "ECS", "CloudWatch Logs", "STS", "SSO"
  std::string_view endpoint_prefix;  // "ecs", "logs", "sts", "portal.sso"
  std::string_view config_key;       // "ecs", "cloudwatch_logs", "sts", "sso"
};
const AwsServiceInfo& InfoFor(AwsService service);

// What the user said on the command line (empty = not given).
struct AwsSettings {
  std::string region;        // --region
  std::string endpoint_url;  // --endpoint-url
  std::string profile;       // --profile
  int max_attempts = 0;      // 0: AWS_MAX_ATTEMPTS or the default of 3
};

class AwsJsonService {
 public:
  virtual ~AwsJsonService() = default;
  // Calls `operation` (e.g. "DescribeTasks") with `request` as the JSON body.
  // On an AWS error after retries, throws AwsError; on network failure after
  // retries, throws TransportError.
  virtual nlohmann::json Call(std::string_view operation, const nlohmann::json& request) = 0;
  // The region requests are signed for.
  virtual const std::string& region() const = 0;
};

// --region, --endpoint-url, --profile for tools that call AWS.
void AddAwsOptions(cxxopts::Options& options);
// On error (e.g. an endpoint URL that does not parse), throws UsageError.
AwsSettings ReadAwsOptions(const cxxopts::ParseResult& args);

// Builds the real client for `service`. `region_override` (e.g. a task
// definition's awslogs-region) wins over settings/environment when non-empty.
// Resolves region and endpoint eagerly: a missing region throws UsageError
// before any call. Credentials are resolved lazily on the first call.
std::unique_ptr<AwsJsonService> MakeAwsJsonService(AwsService service, const AwsSettings& settings,
                                                   ToolRun& run,
                                                   const std::string& region_override = "");

}  // namespace ecsmig
