// aws-call SERVICE OPERATION [JSON]: one awsJson1.1 call through the real
// library (region, endpoint, credentials chain, SigV4, retries), printing the
// JSON answer on stdout. For integration tests and the bench only.
#include <iostream>

#include "common/aws/aws.h"
#include "common/aws/credentials.h"
#include "common/aws/endpoints.h"
#include "common/aws/profile_settings.h"
#include "common/aws/sso.h"
#include "common/aws/sts.h"
#include "common/base/error.h"
#include "common/github/cli.h"

namespace {

ecsmig::AwsService ParseService(const std::string& name) {
  if (name == "ecs") return ecsmig::AwsService::kEcs;
  if (name == "logs") return ecsmig::AwsService::kLogs;
  if (name == "sts") return ecsmig::AwsService::kSts;
  throw ecsmig::UsageError("SERVICE must be ecs, logs or sts, not '" + name + "'");
}

// STS speaks awsQuery, not JSON: GetCallerIdentity prints {"Arn"}, AssumeRole
// {"AccessKeyId", "Expiration"} (never the secret or the token).
nlohmann::json CallSts(ecsmig::ToolRun& run, const ecsmig::AwsSettings& settings,
                       const std::string& operation, const nlohmann::json& request) {
  ecsmig::ToolContext& ctx = run.ctx();
  const ecsmig::ProfileSettings profile =
      ecsmig::LoadProfileSettings(ctx.env, ctx.fs, settings.profile);
  std::string region = ecsmig::ResolveRegion(
      settings.region, ctx.env, [&] { return profile.Setting("region", profile.region); });
  auto sts_factory = [&](const std::string& sts_region) {
    return ecsmig::MakeStsApi(ctx.http(), ctx.clock, ctx.env, sts_region, settings.endpoint_url,
                              profile);
  };
  auto sso_factory = [&](const std::string& sso_region) {
    return ecsmig::MakeSsoApi(ctx.http(), ctx.clock, ctx.env, sso_region, "", profile);
  };
  ecsmig::CredentialsChainDeps deps{
      ctx.env,     ctx.fs,
      ctx.clock,   ctx.http(),
      sts_factory, nullptr,
      sso_factory, [&](const std::string& secret) { run.log().AddMask(secret); }};
  auto provider = ecsmig::MakeDefaultCredentialsChain(deps, settings.profile, region);
  ecsmig::Credentials credentials = provider->Get();
  run.log().AddMask(credentials.secret_access_key);
  if (!credentials.session_token.empty()) run.log().AddMask(credentials.session_token);
  auto sts = sts_factory(region);
  if (operation == "GetCallerIdentity") {
    return {{"Arn", sts->GetCallerIdentity(credentials)}};
  }
  if (operation == "AssumeRole") {
    ecsmig::Credentials assumed = sts->AssumeRole(
        credentials, request.value("RoleArn", ""), request.value("RoleSessionName", "aws-call"),
        request.value("ExternalId", ""),
        std::chrono::seconds(request.value("DurationSeconds", 900)));
    run.log().AddMask(assumed.secret_access_key);
    run.log().AddMask(assumed.session_token);
    return {{"AccessKeyId", assumed.access_key_id},
            {"Expiration", std::chrono::system_clock::to_time_t(*assumed.expiration)}};
  }
  throw ecsmig::UsageError("sts: only GetCallerIdentity and AssumeRole");
}

}  // namespace

int main(int argc, char** argv) {
  ecsmig::ToolSpec spec;
  spec.name = "aws-call";
  spec.summary = "Calls one ECS or CloudWatch Logs operation and prints the JSON answer";
  spec.add_options = [](cxxopts::Options& options) {
    ecsmig::AddAwsOptions(options);
    options.add_options()("service", "ecs, logs or sts", cxxopts::value<std::string>())(
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
    nlohmann::json answer;
    if (service == ecsmig::AwsService::kSts) {
      answer = CallSts(run, settings, args["operation"].as<std::string>(), request);
    } else {
      auto client = ecsmig::MakeAwsJsonService(service, settings, run);
      answer = client->Call(args["operation"].as<std::string>(), request);
    }
    run.ctx().out << answer.dump() << "\n" << std::flush;
    return 0;
  };
  return ecsmig::RunProcess(spec, argc, argv);
}
