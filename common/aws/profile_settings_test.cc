#include "common/aws/profile_settings.h"

#include <gtest/gtest.h>

#include <map>

#include "common/aws/retry.h"
#include "common/base/error.h"
#include "common/testing/memory_filesystem.h"

namespace ecsmig {
namespace {

TEST(ProfileSettingsTest, RegionOfTheNamedProfileOnly) {
  MapEnvironment env({{"HOME", "/home/u"}});
  MemoryFileSystem fs;
  EXPECT_EQ(LoadProfileSettings(env, fs, "").region, "") << "no file";
  fs.files["/home/u/.aws/config"] =
      "[default]\nregion = us-east-1\n"
      "[profile eu]\nregion = eu-west-1\n"
      "[profile child]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = eu\n"
      "[profile sub]\ns3 =\n  region = ap-south-1\n";
  fs.files["/home/u/.aws/credentials"] = "[creds-only]\nregion = sa-east-1\n";
  EXPECT_EQ(LoadProfileSettings(env, fs, "").region, "us-east-1");
  EXPECT_EQ(LoadProfileSettings(env, fs, "eu").region, "eu-west-1");
  EXPECT_EQ(LoadProfileSettings(env, fs, "child").region, "") << "not inherited";
  EXPECT_EQ(LoadProfileSettings(env, fs, "sub").region, "");
  EXPECT_EQ(LoadProfileSettings(env, fs, "creds-only").region, "");
  EXPECT_EQ(LoadProfileSettings(env, fs, "missing").region, "");
  env.Set("AWS_PROFILE", "eu");
  EXPECT_EQ(LoadProfileSettings(env, fs, "").region, "eu-west-1");
  EXPECT_EQ(LoadProfileSettings(env, fs, "").label, "profile 'eu' in /home/u/.aws/config");
  EXPECT_EQ(LoadProfileSettings(env, fs, "default").region, "us-east-1");
  env.Set("AWS_CONFIG_FILE", "/elsewhere");
  EXPECT_EQ(LoadProfileSettings(env, fs, "").region, "");
}

TEST(ProfileSettingsTest, EndpointsAndRetriesOfTheProfile) {
  MapEnvironment env({{"AWS_CONFIG_FILE", "/c"}, {"AWS_PROFILE", "dev"}});
  MemoryFileSystem fs;
  fs.files["/c"] =
      "[profile dev]\n"
      "endpoint_url = http://localhost:4566\n"
      "services = local\n"
      "retry_mode = adaptive\n"
      "max_attempts = 5\n"
      "ignore_configured_endpoint_urls = false\n"
      "[services local]\n"
      "ecs =\n"
      "  endpoint_url = http://localhost:1/ # trailing comment\n"
      "cloudwatch_logs =\n"
      "  endpoint_url = http://localhost:2\n"
      "  region = ignored\n"
      "[services other]\n"
      "sts =\n"
      "  endpoint_url = http://elsewhere\n";
  ProfileSettings profile = LoadProfileSettings(env, fs, "");
  EXPECT_EQ(profile.endpoint_url, "http://localhost:4566");
  EXPECT_EQ(profile.services_label, "services section 'local' in /c");
  std::map<std::string, std::string> expected{{"ecs", "http://localhost:1/"},
                                              {"cloudwatch_logs", "http://localhost:2"}};
  EXPECT_EQ(profile.service_endpoint_urls, expected);
  EXPECT_EQ(profile.retry_mode, "adaptive");
  EXPECT_EQ(profile.ignore_configured_endpoint_urls, "false");
  EXPECT_EQ(ResolveMaxAttempts(0, env, profile), 5);
  env.Set("AWS_MAX_ATTEMPTS", "2");
  EXPECT_EQ(ResolveMaxAttempts(0, env, profile), 2) << "the environment wins";
}

TEST(ProfileSettingsTest, ServicesNamingNoSectionGivesNoEndpoints) {
  MapEnvironment env({{"AWS_CONFIG_FILE", "/c"}});
  MemoryFileSystem fs;
  fs.files["/c"] = "[default]\nservices = missing\n";
  EXPECT_TRUE(LoadProfileSettings(env, fs, "").service_endpoint_urls.empty());
}

TEST(RetrySettingsTest, BadValuesAreRefusedNamingTheirSource) {
  MapEnvironment env;
  ProfileSettings profile;
  profile.label = "profile 'dev' in /c";
  auto message = [&](auto&& call) -> std::string {
    try {
      call();
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  for (const char* mode : {"standard", "legacy", "adaptive"}) {
    env.Set("AWS_RETRY_MODE", mode);
    EXPECT_EQ(message([&] { CheckRetryMode(env, profile); }), "(accepted)");
  }
  env.Set("AWS_RETRY_MODE", "bogus");
  EXPECT_EQ(message([&] { CheckRetryMode(env, profile); }),
            "AWS_RETRY_MODE: 'bogus' is not a retry mode (standard, legacy or adaptive)");
  env.Set("AWS_RETRY_MODE", "");
  profile.retry_mode = "Standard";
  EXPECT_EQ(message([&] {
              CheckRetryMode(env, profile);
            }).rfind("retry_mode of profile 'dev' in /c: 'Standard'", 0),
            0u);
  profile.max_attempts = "0";
  EXPECT_EQ(message([&] { ResolveMaxAttempts(0, env, profile); }),
            "max_attempts of profile 'dev' in /c: '0' is not a positive integer");
  env.Set("AWS_MAX_ATTEMPTS", "3");
  EXPECT_NE(message([&] { ResolveMaxAttempts(0, env, profile); }), "(accepted)")
      << "a bad file value is refused even where the environment wins";
  profile.max_attempts = "";
  for (const char* bad : {"abc", "0", "-2", "1.5", "99999999999"}) {
    env.Set("AWS_MAX_ATTEMPTS", bad);
    EXPECT_EQ(message([&] { ResolveMaxAttempts(0, env, profile); }),
              std::string("AWS_MAX_ATTEMPTS: '") + bad + "' is not a positive integer");
  }
}

}  // namespace
}  // namespace ecsmig
