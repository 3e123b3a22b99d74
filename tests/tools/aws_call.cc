// aws-call SERVICE OPERATION [JSON]: one awsJson1.1 call through the real
// library (region, endpoint, credentials chain, SigV4, retries), printing the
// JSON answer on stdout. For integration tests and the bench only.
#include <iostream>

#include "common/aws.h"
#include "common/cli.h"
#include "common/error.h"

namespace {

ecsmig::AwsService ParseService(const std::string& name) {
  if (name == "ecs") return ecsmig::AwsService::kEcs;
  if (name == "logs") return ecsmig::AwsService::kLogs;
  throw ecsmig::UsageError("SERVICE must be ecs or logs, not '" + name + "'");
}

}  // namespace

int main(int argc, char** argv) {
  ecsmig::ToolSpec spec;
  spec.name = "aws-call";
  spec.summary = "Calls one ECS or CloudWatch Logs operation and prints the JSON answer";
  spec.add_options = [](cxxopts::Options& options) {
    ecsmig::AddAwsOptions(options);
    options.add_options()("service", "ecs or logs", cxxopts::value<std::string>())(
        "operation", "e.g. DescribeClusters", cxxopts::value<std::string>())(
        "json", "request body (default {})", cxxopts::value<std::string>()->default_value("{}"))(
        "max-attempts", "attempts per call (default: AWS_MAX_ATTEMPTS, else 3)",
        cxxopts::value<int>()->default_value("0"));
    options.parse_positional({"service", "operation", "json"});
    options.positional_help("SERVICE OPERATION [JSON]");
  };
  spec.run = [](ecsmig::ToolRun& run, const cxxopts::ParseResult& args) {
    if (!args.count("service") || !args.count("operation")) {
      throw ecsmig::UsageError("usage: aws-call SERVICE OPERATION [JSON]");
    }
    ecsmig::AwsService service = ParseService(args["service"].as<std::string>());
    nlohmann::json request =
        nlohmann::json::parse(args["json"].as<std::string>(), nullptr, /*allow_exceptions=*/false);
    if (!request.is_object()) throw ecsmig::UsageError("JSON must be a JSON object");
    ecsmig::AwsSettings settings = ecsmig::ReadAwsOptions(args);
    settings.max_attempts = args["max-attempts"].as<int>();
    auto client = ecsmig::MakeAwsJsonService(service, settings, run);
    nlohmann::json answer = client->Call(args["operation"].as<std::string>(), request);
    run.ctx().out << answer.dump() << "\n" << std::flush;
    return 0;
  };
  return ecsmig::RunProcess(spec, argc, argv);
}
