#include "common/aws/credentials.h"

#include <gtest/gtest.h>

#include <ctime>
#include <functional>
#include <map>
#include <vector>

#include "common/aws/sso.h"
#include "common/aws/sts.h"
#include "common/base/error.h"
#include "common/testing/memory_filesystem.h"

namespace ecsmig {
namespace {

using Vars = std::map<std::string, std::string>;

using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

class FakeHttp : public HttpClient {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  HttpResponse Send(const HttpRequest& request, const HttpOptions& options) override {
    requests.push_back(request);
    options_seen.push_back(options);
    if (!handler) throw TransportError("connection refused");
    return handler(request);
  }
  Handler handler;
  std::vector<HttpRequest> requests;
  std::vector<HttpOptions> options_seen;
};

std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

HttpResponse Respond(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

struct StsCall {
  std::string operation;
  std::string role_arn;
  std::string session_name;
  std::string token;  // web identity token
  std::string source_access_key_id;
  std::string external_id;
  seconds duration{0};
};

// Records calls into a shared log; hands out credentials valid for one hour.
class FakeSts : public StsApi {
 public:
  FakeSts(Clock& clock, std::vector<StsCall>& calls, std::function<void()>& fail)
      : clock_(clock), calls_(calls), fail_(fail) {}

  Credentials AssumeRoleWithWebIdentity(const std::string& role_arn,
                                        const std::string& session_name,
                                        const std::string& web_identity_token,
                                        seconds duration) override {
    calls_.push_back({"AssumeRoleWithWebIdentity", role_arn, session_name, web_identity_token, "",
                      "", duration});
    if (fail_) fail_();
    return Issue();
  }
  Credentials AssumeRole(const Credentials& source, const std::string& role_arn,
                         const std::string& session_name, const std::string& external_id,
                         seconds duration) override {
    calls_.push_back(
        {"AssumeRole", role_arn, session_name, "", source.access_key_id, external_id, duration});
    if (fail_) fail_();
    return Issue();
  }
  std::string GetCallerIdentity(const Credentials&) override { return "arn:aws:iam::1:user/x"; }

 private:
  Credentials Issue() {
    Credentials c;
    c.access_key_id = "ASIA" + std::to_string(calls_.size());
    c.secret_access_key = "sts-secret";
    c.session_token = "sts-token";
    c.expiration = clock_.Now() + minutes(60);
    return c;
  }
  Clock& clock_;
  std::vector<StsCall>& calls_;
  std::function<void()>& fail_;
};

class CredentialsChainTest : public ::testing::Test {
 protected:
  CredentialsChainTest() { env.Set("HOME", "/home/u"); }

  std::unique_ptr<CredentialsProvider> Chain(const std::string& profile = "",
                                             const std::string& region = "us-east-1") {
    CredentialsChainDeps deps{env,
                              fs,
                              clock,
                              http,
                              [this](const std::string& r) -> std::unique_ptr<StsApi> {
                                sts_regions.push_back(r);
                                return std::make_unique<FakeSts>(clock, sts_calls, sts_fail);
                              },
                              [this](const std::string& command) -> std::string {
                                commands.push_back(command);
                                if (process) return process(command);
                                throw Error("credential_process exited with status 1");
                              },
                              [this](const std::string& r) {
                                sso_regions.push_back(r);
                                return MakeSsoApi(http, clock, env, r, "");
                              },
                              [this](const std::string& secret) { masks.push_back(secret); }};
    return MakeDefaultCredentialsChain(deps, profile, region);
  }

  // The message of the Error that Get() throws, or "(no error)".
  std::string GetError(CredentialsProvider& chain) {
    try {
      chain.Get();
    } catch (const Error& e) {
      last_exit_code = e.exit_code();
      return e.what();
    }
    return "(no error)";
  }

  void Config(const std::string& text) { fs.files["/home/u/.aws/config"] = text; }
  void CredentialsFile(const std::string& text) { fs.files["/home/u/.aws/credentials"] = text; }

  MapEnvironment env;
  MemoryFileSystem fs;
  FakeClock clock;
  FakeHttp http;
  std::vector<StsCall> sts_calls;
  std::vector<std::string> sts_regions;
  std::function<void()> sts_fail;
  std::vector<std::string> commands;
  std::function<std::string(const std::string&)> process;
  std::vector<std::string> sso_regions;
  std::vector<std::string> masks;
  int last_exit_code = 0;
};

// ---- Environment ----

TEST_F(CredentialsChainTest, EnvironmentKeysComeFirst) {
  env.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/token");
  env.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
  env.Set("AWS_PROFILE", "ci");
  CredentialsFile("[ci]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n");
  Credentials c = Chain()->Get();
  EXPECT_EQ(c.access_key_id, "AKIDENV");
  EXPECT_EQ(c.secret_access_key, kSecret);
  EXPECT_EQ(c.session_token, "");
  EXPECT_FALSE(c.expiration);
  EXPECT_EQ(c.source, "environment");
  EXPECT_TRUE(sts_calls.empty());
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(CredentialsChainTest, EnvironmentSessionTokenAndExpiration) {
  env.Set("AWS_ACCESS_KEY_ID", "ASIAENV");
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  env.Set("AWS_SESSION_TOKEN", "session");
  env.Set("AWS_CREDENTIAL_EXPIRATION", "2026-01-01T01:00:00Z");
  Credentials c = Chain()->Get();
  EXPECT_EQ(c.session_token, "session");
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(*c.expiration, clock.Now() + minutes(60));
}

TEST_F(CredentialsChainTest, HalfOfTheEnvironmentKeysIsAnErrorNamingBoth) {
  env.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  CredentialsFile("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << message;
  EXPECT_NE(message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);

  env.Unset("AWS_ACCESS_KEY_ID");
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  message = GetError(*Chain());
  EXPECT_NE(message.find("AWS_SECRET_ACCESS_KEY is set alone"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos);
}

TEST_F(CredentialsChainTest, EmptyEnvironmentKeysCountAsUnset) {
  env.Set("AWS_ACCESS_KEY_ID", "");
  env.Set("AWS_SECRET_ACCESS_KEY", "");
  CredentialsFile("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
  EXPECT_EQ(Chain()->Get().source, "profile default");
}

TEST_F(CredentialsChainTest, BadCredentialExpirationIsAUsageError) {
  env.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  env.Set("AWS_CREDENTIAL_EXPIRATION", "tomorrow");
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("AWS_CREDENTIAL_EXPIRATION"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);
}

TEST_F(CredentialsChainTest, ExplicitProfileArgumentOutranksEnvironmentKeysAndWebIdentity) {
  env.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  fs.files["/run/token"] = "t";
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/run/token");
  env.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/deploy");
  CredentialsFile("[ci]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n");
  Credentials c = Chain("ci")->Get();
  EXPECT_EQ(c.access_key_id, "AKIDPROFILE");
  EXPECT_EQ(c.source, "profile ci");
  EXPECT_TRUE(sts_calls.empty());
  // The same profile through AWS_PROFILE does not outrank exported keys.
  env.Set("AWS_PROFILE", "ci");
  EXPECT_EQ(Chain()->Get().source, "environment");
}

// ---- Web identity ----

TEST_F(CredentialsChainTest, WebIdentityFromEnvironment) {
  fs.files["/run/token"] = "oidc-token-1\n";
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/run/token");
  env.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/deploy");
  env.Set("AWS_ROLE_SESSION_NAME", "gha-42");
  CredentialsFile("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
  Credentials c = Chain("", "eu-west-1")->Get();
  EXPECT_EQ(c.access_key_id, "ASIA1");
  EXPECT_EQ(c.source, "web-identity");
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].operation, "AssumeRoleWithWebIdentity");
  EXPECT_EQ(sts_calls[0].role_arn, "arn:aws:iam::123456789012:role/deploy");
  EXPECT_EQ(sts_calls[0].session_name, "gha-42");
  EXPECT_EQ(sts_calls[0].token, "oidc-token-1");
  EXPECT_EQ(sts_calls[0].duration, seconds(3600));
  EXPECT_EQ(sts_regions, std::vector<std::string>{"eu-west-1"});
}

TEST_F(CredentialsChainTest, WebIdentityDefaultSessionNameHasATimestamp) {
  fs.files["/run/token"] = "t";
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/run/token");
  env.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/deploy");
  Chain()->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].session_name, "ecsmig-1767225600");
}

TEST_F(CredentialsChainTest, WebIdentityTokenFileIsReadAgainOnRefresh) {
  fs.files["/run/token"] = "first";
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/run/token");
  env.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/deploy");
  auto chain = Chain();
  EXPECT_EQ(chain->Get().access_key_id, "ASIA1");
  fs.files["/run/token"] = "second";
  clock.Advance(minutes(54));
  EXPECT_EQ(chain->Get().access_key_id, "ASIA1") << "still more than 5 minutes left";
  clock.Advance(minutes(1));
  EXPECT_EQ(chain->Get().access_key_id, "ASIA2") << "5 minutes left: refreshed";
  ASSERT_EQ(sts_calls.size(), 2u);
  EXPECT_EQ(sts_calls[1].token, "second");
}

TEST_F(CredentialsChainTest, WebIdentityFailuresNameTheSourceAndDoNotFallThrough) {
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/run/missing");
  env.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/deploy");
  CredentialsFile("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("web identity"), std::string::npos) << message;
  EXPECT_NE(message.find("/run/missing"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitFailed);

  fs.files["/run/missing"] = "  \n";
  message = GetError(*Chain());
  EXPECT_NE(message.find("is empty"), std::string::npos) << message;

  fs.files["/run/missing"] = "secret-oidc-token";
  sts_fail = [] {
    throw AwsError("STS", "AssumeRoleWithWebIdentity", "AccessDenied", "Not authorized", "rid-1",
                   403);
  };
  message = GetError(*Chain());
  EXPECT_NE(message.find("web identity"), std::string::npos) << message;
  EXPECT_NE(message.find("arn:aws:iam::123456789012:role/deploy"), std::string::npos) << message;
  EXPECT_NE(message.find("AccessDenied"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret-oidc-token"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitFailed);
}

TEST_F(CredentialsChainTest, WebIdentityTokenFileWithoutRoleArnIsAnError) {
  fs.files["/run/token"] = "t";
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/run/token");
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("AWS_ROLE_ARN"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);
}

// ---- Shared files: static keys ----

TEST_F(CredentialsChainTest, DefaultProfileStaticKeys) {
  CredentialsFile("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n");
  Credentials c = Chain()->Get();
  EXPECT_EQ(c.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c.source, "profile default");
}

TEST_F(CredentialsChainTest, CredentialsFileWinsOverConfigForTheSameProfile) {
  Config("[profile ci]\naws_access_key_id = FROMCONFIG\naws_secret_access_key = c\n");
  CredentialsFile(
      "[ci]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n"
      "aws_session_token = tok\n");
  env.Set("AWS_PROFILE", "ci");
  Credentials c = Chain()->Get();
  EXPECT_EQ(c.access_key_id, "FROMCREDS");
  EXPECT_EQ(c.secret_access_key, "s");
  EXPECT_EQ(c.session_token, "tok");
}

TEST_F(CredentialsChainTest, StaticKeysInTheConfigFile) {
  Config("[profile ci]\naws_access_key_id = FROMCONFIG\naws_secret_access_key = c\n");
  EXPECT_EQ(Chain("ci")->Get().access_key_id, "FROMCONFIG");
}

TEST_F(CredentialsChainTest, FilesFromVariables) {
  env.Set("AWS_SHARED_CREDENTIALS_FILE", "/etc/aws/creds");
  env.Set("AWS_CONFIG_FILE", "/etc/aws/config");
  fs.files["/etc/aws/creds"] = "[x]\naws_access_key_id = FROMVAR\naws_secret_access_key = s\n";
  CredentialsFile("[x]\naws_access_key_id = FROMHOME\naws_secret_access_key = s\n");
  EXPECT_EQ(Chain("x")->Get().access_key_id, "FROMVAR");
}

TEST_F(CredentialsChainTest, HalfOfTheProfileKeysIsAnError) {
  CredentialsFile("[ci]\naws_access_key_id = AKID\n");
  std::string message = GetError(*Chain("ci"));
  EXPECT_NE(message.find("profile 'ci'"), std::string::npos) << message;
  EXPECT_NE(message.find("aws_secret_access_key"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);
}

TEST_F(CredentialsChainTest, NamedProfileThatDoesNotExistIsAnError) {
  CredentialsFile("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
  std::string message = GetError(*Chain("prod"));
  EXPECT_NE(message.find("profile 'prod' not found"), std::string::npos) << message;
  EXPECT_NE(message.find("/home/u/.aws/config"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);

  env.Set("AWS_PROFILE", "staging");
  message = GetError(*Chain());
  EXPECT_NE(message.find("profile 'staging' not found"), std::string::npos) << message;
  EXPECT_TRUE(http.requests.empty()) << "no network before a usage error";
}

TEST_F(CredentialsChainTest, ExplicitProfileArgumentWinsOverAwsProfile) {
  CredentialsFile(
      "[a]\naws_access_key_id = AKIDA\naws_secret_access_key = s\n"
      "[b]\naws_access_key_id = AKIDB\naws_secret_access_key = s\n");
  env.Set("AWS_PROFILE", "a");
  EXPECT_EQ(Chain("b")->Get().access_key_id, "AKIDB");
  EXPECT_EQ(Chain()->Get().access_key_id, "AKIDA");
}

TEST_F(CredentialsChainTest, MalformedCredentialsFileIsAUsageError) {
  CredentialsFile("[default]\naws_access_key_id = A\n" + std::string(kSecret) + "\n");
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);
}

// ---- Shared files: roles ----

TEST_F(CredentialsChainTest, RoleArnWithSourceProfile) {
  Config(
      "[profile deploy]\n"
      "role_arn = arn:aws:iam::123456789012:role/deploy\n"
      "source_profile = base\n"
      "external_id = ext-1\n"
      "role_session_name = my-session\n"
      "duration_seconds = 1800\n"
      "region = ap-southeast-2\n");
  CredentialsFile("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n");
  Credentials c = Chain("deploy", "")->Get();
  EXPECT_EQ(c.access_key_id, "ASIA1");
  EXPECT_EQ(c.session_token, "sts-token");
  EXPECT_EQ(c.source, "profile deploy");
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].operation, "AssumeRole");
  EXPECT_EQ(sts_calls[0].role_arn, "arn:aws:iam::123456789012:role/deploy");
  EXPECT_EQ(sts_calls[0].source_access_key_id, "AKIDBASE");
  EXPECT_EQ(sts_calls[0].external_id, "ext-1");
  EXPECT_EQ(sts_calls[0].session_name, "my-session");
  EXPECT_EQ(sts_calls[0].duration, seconds(1800));
  EXPECT_EQ(sts_regions, std::vector<std::string>{"ap-southeast-2"})
      << "without a region, STS uses the profile's";
}

TEST_F(CredentialsChainTest, RoleDefaults) {
  Config("[profile deploy]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = base\n");
  CredentialsFile("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n");
  Chain("deploy")->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].session_name, "ecsmig-1767225600");
  EXPECT_EQ(sts_calls[0].external_id, "");
  EXPECT_EQ(sts_calls[0].duration, seconds(3600));
  EXPECT_EQ(sts_regions, std::vector<std::string>{"us-east-1"});
}

TEST_F(CredentialsChainTest, ChainedRolesAssumeInOrder) {
  Config(
      "[profile c]\nrole_arn = arn:aws:iam::3:role/c\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::2:role/b\nsource_profile = a\n");
  CredentialsFile("[a]\naws_access_key_id = AKIDA\naws_secret_access_key = s\n");
  Credentials c = Chain("c")->Get();
  ASSERT_EQ(sts_calls.size(), 2u);
  EXPECT_EQ(sts_calls[0].role_arn, "arn:aws:iam::2:role/b");
  EXPECT_EQ(sts_calls[0].source_access_key_id, "AKIDA");
  EXPECT_EQ(sts_calls[1].role_arn, "arn:aws:iam::3:role/c");
  EXPECT_EQ(sts_calls[1].source_access_key_id, "ASIA1");
  EXPECT_EQ(c.access_key_id, "ASIA2");
}

TEST_F(CredentialsChainTest, SourceProfileLoopIsDetected) {
  Config(
      "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
      "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n");
  std::string message = GetError(*Chain("a"));
  EXPECT_NE(message.find("a -> b -> c -> a"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);
  EXPECT_TRUE(sts_calls.empty());
}

TEST_F(CredentialsChainTest, ProfileMayBeItsOwnSourceWhenItHasKeys) {
  CredentialsFile(
      "[self]\naws_access_key_id = AKIDSELF\naws_secret_access_key = s\n"
      "role_arn = arn:aws:iam::1:role/self\nsource_profile = self\n");
  Credentials c = Chain("self")->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].source_access_key_id, "AKIDSELF");
  EXPECT_EQ(c.access_key_id, "ASIA1");

  CredentialsFile("[self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n");
  EXPECT_NE(GetError(*Chain("self")).find("names itself"), std::string::npos);
}

TEST_F(CredentialsChainTest, RoleMisconfigurationsAreUsageErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"source_profile = nowhere\n", "source_profile 'nowhere'"},
      {"source_profile = empty\n", "holds no credentials"},
      {"", "without source_profile, credential_source or web_identity_token_file"},
      {"source_profile = base\ncredential_source = Environment\n", "both source_profile"},
      {"source_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\n", "mfa_serial"},
      {"source_profile = base\nduration_seconds = 60\n", "duration_seconds"},
      {"source_profile = base\nduration_seconds = 1h\n", "duration_seconds"},
      {"source_profile = base\nduration_seconds = 99999999999999\n", "duration_seconds"},
      {"credential_source = Laptop\n", "credential_source 'Laptop'"},
      {"credential_source = Environment\n", "AWS_ACCESS_KEY_ID"},
      {"credential_source = EcsContainer\n", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
  };
  CredentialsFile("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n");
  for (const auto& [lines, expected] : cases) {
    Config("[profile empty]\nregion = x\n[profile r]\nrole_arn = arn:aws:iam::1:role/r\n" + lines);
    std::string message = GetError(*Chain("r"));
    EXPECT_NE(message.find(expected), std::string::npos) << lines << " → " << message;
    EXPECT_NE(message.find("profile"), std::string::npos) << message;
    EXPECT_EQ(last_exit_code, kExitUsage) << lines;
  }
  EXPECT_TRUE(sts_calls.empty());
}

TEST_F(CredentialsChainTest, AssumeRoleFailureNamesTheProfile) {
  Config("[profile deploy]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = base\n");
  CredentialsFile("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n");
  sts_fail = [] { throw AwsError("STS", "AssumeRole", "AccessDenied", "nope", "rid", 403); };
  std::string message = GetError(*Chain("deploy"));
  EXPECT_NE(message.find("profile 'deploy'"), std::string::npos) << message;
  EXPECT_NE(message.find("arn:aws:iam::1:role/d"), std::string::npos) << message;
  EXPECT_NE(message.find("AccessDenied"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitFailed);
}

TEST_F(CredentialsChainTest, RoleWithWebIdentityTokenFileInProfile) {
  fs.files["/home/u/token"] = "profile-token";
  Config(
      "[profile oidc]\nrole_arn = arn:aws:iam::1:role/o\n"
      "web_identity_token_file = ~/token\nrole_session_name = s1\n");
  Credentials c = Chain("oidc")->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].operation, "AssumeRoleWithWebIdentity");
  EXPECT_EQ(sts_calls[0].token, "profile-token");
  EXPECT_EQ(sts_calls[0].session_name, "s1");
  EXPECT_EQ(c.source, "profile oidc");
}

TEST_F(CredentialsChainTest, RoleWithEnvironmentCredentialSource) {
  env.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  Config("[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = Environment\n");
  Credentials c = Chain("ci")->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].source_access_key_id, "AKIDENV");
  EXPECT_EQ(c.access_key_id, "ASIA1");
}

TEST_F(CredentialsChainTest, RoleWithEcsContainerCredentialSource) {
  env.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  http.handler = [](const HttpRequest&) {
    return Respond(200, R"({"AccessKeyId":"ASIATASK","SecretAccessKey":"s","Token":"t",
                           "Expiration":"2026-01-01T06:00:00Z"})");
  };
  Config("[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = EcsContainer\n");
  Chain("ci")->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].source_access_key_id, "ASIATASK");
}

TEST_F(CredentialsChainTest, RoleWithInstanceMetadataCredentialSource) {
  http.handler = [](const HttpRequest& r) {
    if (r.method == "PUT") return Respond(200, "imds-token");
    if (r.url.ends_with("/security-credentials/")) return Respond(200, "node-role\n");
    return Respond(200, R"({"Code":"Success","AccessKeyId":"ASIANODE","SecretAccessKey":"s",
                           "Token":"t","Expiration":"2026-01-01T06:00:00Z"})");
  };
  Config(
      "[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\n"
      "credential_source = Ec2InstanceMetadata\n");
  Chain("ci")->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].source_access_key_id, "ASIANODE");
}

TEST_F(CredentialsChainTest, RoleSourceFailureNamesBothProfiles) {
  Config(
      "[profile deploy]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = sso\n"
      "[profile sso]\ncredential_process = get-creds\n");
  std::string message = GetError(*Chain("deploy"));
  EXPECT_NE(message.find("profile 'deploy'"), std::string::npos) << message;
  EXPECT_NE(message.find("credential_process of profile 'sso'"), std::string::npos) << message;
  EXPECT_TRUE(sts_calls.empty());
}

// ---- Shared files: credential_process ----

TEST_F(CredentialsChainTest, CredentialProcess) {
  Config("[profile p]\ncredential_process = /usr/bin/get-creds --account 1\n");
  process = [](const std::string&) {
    return std::string(R"({"Version":1,"AccessKeyId":"ASIAPROC","SecretAccessKey":"s",)"
                       R"("SessionToken":"t","Expiration":"2026-01-01T00:30:00Z"})");
  };
  auto chain = Chain("p");
  Credentials c = chain->Get();
  EXPECT_EQ(c.access_key_id, "ASIAPROC");
  EXPECT_EQ(c.source, "credential_process");
  EXPECT_EQ(commands, std::vector<std::string>{"/usr/bin/get-creds --account 1"});
  chain->Get();
  EXPECT_EQ(commands.size(), 1u) << "cached while more than 5 minutes are left";
  clock.Advance(minutes(26));
  chain->Get();
  EXPECT_EQ(commands.size(), 2u);
}

TEST_F(CredentialsChainTest, CredentialProcessFailuresNeverEchoTheOutput) {
  Config("[profile p]\ncredential_process = get-creds\n");
  std::string message = GetError(*Chain("p"));
  EXPECT_NE(message.find("credential_process of profile 'p'"), std::string::npos) << message;
  EXPECT_NE(message.find("exited with status 1"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitFailed);

  process = [](const std::string&) { return std::string("{\"AccessKeyId\": \"") + kSecret; };
  message = GetError(*Chain("p"));
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
}

TEST_F(CredentialsChainTest, ProfilePrecedenceMatchesTheAwsCli) {
  process = [](const std::string&) {
    return std::string(R"({"Version":1,"AccessKeyId":"FROMPROCESS","SecretAccessKey":"s"})");
  };
  // Keys in the config file lose to credential_process...
  Config(
      "[profile p]\ncredential_process = x\naws_access_key_id = FROMCONFIG\n"
      "aws_secret_access_key = s\n");
  EXPECT_EQ(Chain("p")->Get().access_key_id, "FROMPROCESS");
  // ...keys in the credentials file win over it...
  CredentialsFile("[p]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n");
  EXPECT_EQ(Chain("p")->Get().access_key_id, "FROMCREDS");
  // ...and role_arn wins over everything.
  Config("[profile p]\nrole_arn = arn:aws:iam::1:role/p\nsource_profile = p\n");
  EXPECT_EQ(Chain("p")->Get().access_key_id, "ASIA1");
}

// ---- Container credentials ----

TEST_F(CredentialsChainTest, ContainerRelativeUri) {
  env.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  http.handler = [](const HttpRequest&) {
    return Respond(200, R"({"AccessKeyId":"ASIATASK","SecretAccessKey":"s","Token":"t",
                           "Expiration":"2026-01-01T06:00:00Z","RoleArn":"x"})");
  };
  Credentials c = Chain()->Get();
  EXPECT_EQ(c.access_key_id, "ASIATASK");
  EXPECT_EQ(c.session_token, "t");
  EXPECT_EQ(c.source, "container");
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].method, "GET");
  EXPECT_EQ(http.requests[0].url, "http://169.254.170.2/v2/credentials/abc");
  EXPECT_EQ(HeaderOf(http.requests[0], "Authorization"), "");
}

TEST_F(CredentialsChainTest, ContainerFullUriWithAuthorizationToken) {
  env.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:51679/creds");
  env.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-from-env");
  http.handler = [](const HttpRequest&) {
    return Respond(200, R"({"AccessKeyId":"A","SecretAccessKey":"s","Token":"t",
                           "Expiration":"2026-01-01T06:00:00Z"})");
  };
  Chain()->Get();
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:51679/creds");
  EXPECT_EQ(HeaderOf(http.requests[0], "Authorization"), "auth-from-env");
}

TEST_F(CredentialsChainTest, ContainerTokenFileWinsAndIsReadOnEachRefresh) {
  env.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials");
  env.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-from-env");
  env.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/token");
  fs.files["/var/run/token"] = "auth-from-file-1\n";
  http.handler = [this](const HttpRequest&) {
    return Respond(200, R"({"AccessKeyId":"A","SecretAccessKey":"s","Token":"t","Expiration":")" +
                            std::string(clock.Now() == FakeClock().Now() ? "2026-01-01T01:00:00Z"
                                                                         : "2026-01-01T03:00:00Z") +
                            "\"}");
  };
  auto chain = Chain();
  chain->Get();
  fs.files["/var/run/token"] = "auth-from-file-2";
  clock.Advance(minutes(56));
  chain->Get();
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(HeaderOf(http.requests[0], "Authorization"), "auth-from-file-1");
  EXPECT_EQ(HeaderOf(http.requests[1], "Authorization"), "auth-from-file-2");
}

TEST_F(CredentialsChainTest, ContainerTokenWithLineBreakIsRefused) {
  env.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  env.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Injected: 1");
  http.handler = [](const HttpRequest&) { return Respond(200, "{}"); };
  EXPECT_NE(GetError(*Chain()).find("line break"), std::string::npos);
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(CredentialsChainTest, ContainerFullUriMustBeLocalOrHttps) {
  env.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://evil.example.com/creds");
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("AWS_CONTAINER_CREDENTIALS_FULL_URI"), std::string::npos) << message;
  EXPECT_EQ(last_exit_code, kExitUsage);
  EXPECT_TRUE(http.requests.empty());
}

TEST(IsAllowedContainerCredentialsUrl, SdkRules) {
  for (const char* url :
       {"http://127.0.0.1/x", "http://127.0.0.1:8080/x", "http://127.1.2.3", "http://localhost:1/",
        "http://[::1]:80/creds", "http://169.254.170.2/v2", "http://169.254.170.23/v1",
        "http://[fd00:ec2::23]/v1", "https://creds.example.com/x", "HTTP://LOCALHOST/x"}) {
    EXPECT_TRUE(IsAllowedContainerCredentialsUrl(url)) << url;
  }
  for (const char* url : {"http://10.0.0.1/x", "http://evil.example.com", "http://127.0.0.1.nip.io",
                          "http://user:pass@127.0.0.1/x", "ftp://127.0.0.1/x", "127.0.0.1/x",
                          "http://", "http://127.0.0.256/", "http://127.0.0/", "http://[::2]/",
                          "https:///x", "http://169.254.169.254/latest"}) {
    EXPECT_FALSE(IsAllowedContainerCredentialsUrl(url)) << url;
  }
}

TEST_F(CredentialsChainTest, ContainerRetriesServerErrorsThenSucceeds) {
  env.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  int calls = 0;
  http.handler = [&calls](const HttpRequest&) {
    if (++calls == 1) throw TransportError("reset");
    if (calls == 2) return Respond(503, "busy");
    return Respond(200, R"({"AccessKeyId":"A","SecretAccessKey":"s","Token":"t"})");
  };
  EXPECT_EQ(Chain()->Get().access_key_id, "A");
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.total_slept(), std::chrono::milliseconds(2000));
}

TEST_F(CredentialsChainTest, ContainerFailuresNameTheSourceWithoutTheBody) {
  env.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  http.handler = [](const HttpRequest&) { return Respond(403, kSecret); };
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("container credentials from http://169.254.170.2: HTTP 403"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("/v2/credentials/abc"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;

  http.handler = [](const HttpRequest&) {
    return Respond(200, std::string(R"({"AccessKeyId":"A","SecretAccessKey":")") + kSecret);
  };
  message = GetError(*Chain());
  EXPECT_NE(message.find("not a JSON object"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;

  http.handler = nullptr;  // connection refused, every time
  message = GetError(*Chain());
  EXPECT_NE(message.find("container credentials"), std::string::npos) << message;
  EXPECT_NE(message.find("connection refused"), std::string::npos) << message;
}

// ---- Instance metadata (IMDSv2) ----

class ImdsTest : public CredentialsChainTest {
 protected:
  ImdsTest() {
    http.handler = [this](const HttpRequest& r) {
      if (r.method == "PUT" && r.url.ends_with("/latest/api/token")) {
        return Respond(200, "imds-session-token");
      }
      if (r.url.ends_with("/latest/meta-data/iam/security-credentials/")) {
        return Respond(role_status, "web-node-role\n");
      }
      if (r.url.ends_with("/latest/meta-data/iam/security-credentials/web-node-role")) {
        return Respond(200, credentials_body);
      }
      return Respond(404, "");
    };
  }
  int role_status = 200;
  std::string credentials_body = R"({"Code":"Success","Type":"AWS-HMAC",
      "AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"t",
      "Expiration":"2026-01-01T06:00:00Z"})";
};

TEST_F(ImdsTest, TokenFirstThenRoleThenCredentials) {
  Credentials c = Chain()->Get();
  EXPECT_EQ(c.access_key_id, "ASIAIMDS");
  EXPECT_EQ(c.source, "imds");
  ASSERT_EQ(http.requests.size(), 3u);
  EXPECT_EQ(http.requests[0].method, "PUT");
  EXPECT_EQ(http.requests[0].url, "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(HeaderOf(http.requests[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(http.requests[1].method, "GET");
  EXPECT_EQ(http.requests[1].url,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(HeaderOf(http.requests[1], "X-aws-ec2-metadata-token"), "imds-session-token");
  EXPECT_EQ(http.requests[2].url,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/web-node-role");
  EXPECT_EQ(HeaderOf(http.requests[2], "X-aws-ec2-metadata-token"), "imds-session-token");
  for (const auto& options : http.options_seen) {
    EXPECT_EQ(options.connect_timeout, std::chrono::milliseconds(1000));
    EXPECT_EQ(options.total_timeout, std::chrono::milliseconds(1000));
  }
}

TEST_F(ImdsTest, EndpointFromEnvironment) {
  env.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/");
  Chain()->Get();
  ASSERT_FALSE(http.requests.empty());
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:1338/latest/api/token");
}

TEST_F(ImdsTest, NotAskedTwiceOnTheFirstGet) {
  auto chain = Chain();
  chain->Get();
  chain->Get();
  EXPECT_EQ(http.requests.size(), 3u);
}

TEST_F(ImdsTest, DisabledMeansNoRequestAtAll) {
  env.Set("AWS_EC2_METADATA_DISABLED", "true");
  std::string message = GetError(*Chain());
  EXPECT_TRUE(http.requests.empty());
  EXPECT_NE(message.find("instance metadata (disabled by AWS_EC2_METADATA_DISABLED)"),
            std::string::npos)
      << message;
}

TEST_F(ImdsTest, UnreachableFailsFastWithOneRetry) {
  http.handler = nullptr;  // every request: connection refused
  std::string message = GetError(*Chain());
  EXPECT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(message,
            "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or "
            "AWS_WEB_IDENTITY_TOKEN_FILE+AWS_ROLE_ARN (tried: environment, web identity, "
            "profile 'default', container, instance metadata at http://169.254.169.254 is "
            "unreachable (connection refused))");
  EXPECT_EQ(last_exit_code, kExitFailed);
}

TEST_F(ImdsTest, NoRoleAttachedIsNoCredentials) {
  role_status = 404;
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("no AWS credentials"), std::string::npos) << message;
  EXPECT_NE(message.find("no IAM role is attached"), std::string::npos) << message;
}

TEST_F(ImdsTest, FailingCredentialsAreAnErrorNamingImds) {
  credentials_body = R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"x"})";
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("instance metadata"), std::string::npos) << message;
  EXPECT_NE(message.find("AssumeRoleUnauthorizedAccess"), std::string::npos) << message;
  EXPECT_EQ(message.find("no AWS credentials"), std::string::npos) << message;
}

TEST_F(ImdsTest, ProfileWithoutCredentialsFallsThrough) {
  Config("[default]\nregion = eu-west-1\n");
  EXPECT_EQ(Chain()->Get().source, "imds");
}

TEST_F(CredentialsChainTest, NothingFoundListsWhatWasTried) {
  env.Set("AWS_EC2_METADATA_DISABLED", "true");
  Config("[default]\nregion = eu-west-1\n");
  std::string message = GetError(*Chain());
  EXPECT_EQ(message,
            "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or "
            "AWS_WEB_IDENTITY_TOKEN_FILE+AWS_ROLE_ARN (tried: environment, web identity, "
            "profile 'default' (holds no credentials), container, instance metadata (disabled by "
            "AWS_EC2_METADATA_DISABLED))");
}

// ---- Caching and refresh ----

TEST_F(CredentialsChainTest, InvalidateForcesARefresh) {
  Config("[profile deploy]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = base\n");
  CredentialsFile("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n");
  auto chain = Chain("deploy");
  EXPECT_EQ(chain->Get().access_key_id, "ASIA1");
  EXPECT_EQ(chain->Get().access_key_id, "ASIA1");
  chain->Invalidate();
  EXPECT_EQ(chain->Get().access_key_id, "ASIA2");
  EXPECT_EQ(sts_calls.size(), 2u);
}

TEST_F(CredentialsChainTest, FailedEarlyRefreshKeepsCredentialsUntilTheyExpire) {
  Config("[profile deploy]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = base\n");
  CredentialsFile("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n");
  auto chain = Chain("deploy");
  EXPECT_EQ(chain->Get().access_key_id, "ASIA1");
  sts_fail = [] { throw TransportError("timeout", true); };
  clock.Advance(minutes(57));
  EXPECT_EQ(chain->Get().access_key_id, "ASIA1") << "3 minutes left: still usable";
  EXPECT_EQ(sts_calls.size(), 2u) << "but a refresh was tried";
  clock.Advance(minutes(3));
  EXPECT_NE(GetError(*chain).find("timeout"), std::string::npos) << "expired: the error surfaces";
  sts_fail = nullptr;
  EXPECT_EQ(chain->Get().access_key_id, "ASIA4");
}

TEST_F(CredentialsChainTest, InvalidateAfterFailureDoesNotServeStaleCredentials) {
  Config("[profile deploy]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = base\n");
  CredentialsFile("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n");
  auto chain = Chain("deploy");
  chain->Get();
  chain->Invalidate();
  sts_fail = [] { throw AwsError("STS", "AssumeRole", "AccessDenied", "", "", 403); };
  EXPECT_NE(GetError(*chain).find("AccessDenied"), std::string::npos);
}

TEST_F(CredentialsChainTest, SelectionIsRetriedAfterAFailure) {
  env.Set("AWS_EC2_METADATA_DISABLED", "true");
  auto chain = Chain();
  EXPECT_NE(GetError(*chain).find("no AWS credentials"), std::string::npos);
  CredentialsFile("[default]\naws_access_key_id = LATE\naws_secret_access_key = s\n");
  EXPECT_EQ(chain->Get().access_key_id, "LATE");
}

// ---- IAM Identity Center (SSO) ----

constexpr char kSsoConfig[] =
    "[profile dev]\n"
    "sso_session = corp\n"
    "sso_account_id = 111122223333\n"
    "sso_role_name = Deployer\n"
    "region = eu-west-1\n"
    "[sso-session corp]\n"
    "sso_start_url = https://corp.awsapps.com/start\n"
    "sso_region = eu-central-1\n"
    "sso_registration_scopes = sso:account:access\n"
    "[profile legacy]\n"
    "sso_start_url = https://old.awsapps.com/start\n"
    "sso_region = us-east-2\n"
    "sso_account_id = 444455556666\n"
    "sso_role_name = ReadOnly\n";

class SsoChainTest : public CredentialsChainTest {
 protected:
  SsoChainTest() {
    Config(kSsoConfig);
    http.handler = [this](const HttpRequest& request) {
      if (HeaderOf(request, "x-amz-sso_bearer_token") != "sso-access-token") {
        HttpResponse refused = Respond(401, R"({"message":"Session token not found or invalid"})");
        refused.headers.emplace_back("x-amzn-ErrorType", "UnauthorizedException");
        return refused;
      }
      long long expiration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    (clock.Now() + minutes(60)).time_since_epoch())
                                    .count();
      return Respond(200, R"({"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":)"
                          R"("sso-secret","sessionToken":"sso-session-token","expiration":)" +
                              std::to_string(expiration_ms) + "}}");
    };
  }

  // Writes the token cache file `aws sso login` leaves, valid `valid_for` from now.
  void CacheToken(const std::string& key, minutes valid_for,
                  const std::string& token = "sso-access-token") {
    std::time_t expiry = std::chrono::system_clock::to_time_t(clock.Now() + valid_for);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&expiry));
    fs.files["/home/u/.aws/sso/cache/" + Sha1Hex(key) + ".json"] =
        R"({"startUrl":"x","region":"eu-central-1","accessToken":")" + token +
        R"(","expiresAt":")" + text + R"(","refreshToken":"r","clientId":"c","clientSecret":"s"})";
  }
};

TEST(Sha1HexTest, KnownDigests) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_F(SsoChainTest, SsoSessionProfileTradesTheCachedTokenForRoleCredentials) {
  env.Set("AWS_PROFILE", "dev");
  CacheToken("corp", minutes(30));
  Credentials c = Chain()->Get();
  EXPECT_EQ(c.access_key_id, "ASIASSO");
  EXPECT_EQ(c.secret_access_key, "sso-secret");
  EXPECT_EQ(c.session_token, "sso-session-token");
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(sso_regions, std::vector<std::string>{"eu-central-1"}) << "the portal's region";
  ASSERT_EQ(http.requests.size(), 1u);
  const HttpRequest& request = http.requests[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url,
            "https://portal.sso.eu-central-1.amazonaws.com/federation/credentials"
            "?account_id=111122223333&role_name=Deployer");
  EXPECT_EQ(HeaderOf(request, "Authorization"), "") << "GetRoleCredentials is unsigned";
  EXPECT_EQ(masks,
            (std::vector<std::string>{"sso-access-token", "sso-secret", "sso-session-token"}));
}

TEST_F(SsoChainTest, LegacyProfileKeysTheCacheByStartUrl) {
  CacheToken("https://old.awsapps.com/start", minutes(30));
  env.Set("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9/");
  Credentials c = Chain("legacy")->Get();
  EXPECT_EQ(c.access_key_id, "ASIASSO");
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url,
            "http://127.0.0.1:9/federation/credentials?account_id=444455556666&role_name=ReadOnly");
}

TEST_F(SsoChainTest, MissingOrExpiredTokenSaysToLogIn) {
  env.Set("AWS_PROFILE", "dev");
  EXPECT_EQ(GetError(*Chain()), "SSO profile 'dev': no cached SSO token (/home/u/.aws/sso/cache/" +
                                    Sha1Hex("corp") +
                                    ".json); run 'aws sso login --sso-session corp'");
  EXPECT_EQ(last_exit_code, 1);
  CacheToken("corp", minutes(-1));
  EXPECT_EQ(GetError(*Chain()),
            "SSO profile 'dev': the SSO session has expired; run 'aws sso login --sso-session "
            "corp'");
  EXPECT_TRUE(http.requests.empty()) << "no call with a token known to be expired";
  CacheToken("https://old.awsapps.com/start", minutes(-5));
  EXPECT_EQ(GetError(*Chain("legacy")),
            "SSO profile 'legacy': the SSO session has expired; run 'aws sso login --profile "
            "legacy'");
}

TEST_F(SsoChainTest, TokenThePortalRefusesSaysToLogIn) {
  env.Set("AWS_PROFILE", "dev");
  CacheToken("corp", minutes(30), "revoked-token");
  std::string message = GetError(*Chain());
  EXPECT_EQ(message,
            "SSO profile 'dev': the SSO portal refused the cached token (UnauthorizedException); "
            "run 'aws sso login --sso-session corp'");
  EXPECT_EQ(message.find("revoked-token"), std::string::npos);
}

TEST_F(SsoChainTest, MalformedCacheFileNeverQuotesIt) {
  env.Set("AWS_PROFILE", "dev");
  fs.files["/home/u/.aws/sso/cache/" + Sha1Hex("corp") + ".json"] = R"({"accessToken":"tok-x"})";
  std::string message = GetError(*Chain());
  EXPECT_NE(message.find("has no accessToken or expiresAt; run 'aws sso login"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("tok-x"), std::string::npos);
}

TEST_F(SsoChainTest, CliV1ExpiryFormatIsRead) {
  env.Set("AWS_PROFILE", "dev");
  std::time_t expiry = std::chrono::system_clock::to_time_t(clock.Now() + minutes(30));
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SUTC", std::gmtime(&expiry));
  fs.files["/home/u/.aws/sso/cache/" + Sha1Hex("corp") + ".json"] =
      std::string(R"({"accessToken":"sso-access-token","expiresAt":")") + text + R"("})";
  EXPECT_EQ(Chain()->Get().access_key_id, "ASIASSO");
}

TEST_F(SsoChainTest, MisconfiguredProfilesAreUsageErrors) {
  auto error_of = [this](const std::string& config) {
    Config(config);
    return GetError(*Chain("p"));
  };
  EXPECT_EQ(error_of("[profile p]\nsso_account_id = 111122223333\nsso_role_name = R\n"),
            "profile 'p' in /home/u/.aws/config is configured for SSO but misses sso_start_url, "
            "sso_region");
  EXPECT_EQ(last_exit_code, 2);
  EXPECT_EQ(error_of("[profile p]\nsso_session = gone\nsso_account_id = 111122223333\n"
                     "sso_role_name = R\n"),
            "profile 'p' in /home/u/.aws/config names sso_session 'gone', but there is no "
            "[sso-session gone] section");
  EXPECT_EQ(error_of("[profile p]\nsso_session = s\nsso_region = us-east-1\n"
                     "sso_account_id = 111122223333\nsso_role_name = R\n"
                     "[sso-session s]\nsso_start_url = https://x\nsso_region = eu-west-1\n"),
            "profile 'p' in /home/u/.aws/config: sso_region differs between the profile and "
            "sso-session 's'");
  EXPECT_EQ(error_of("[profile p]\nsso_start_url = https://x\nsso_region = EU-WEST-1\n"
                     "sso_account_id = 111122223333\nsso_role_name = R\n"),
            "sso_region of profile 'p' in /home/u/.aws/config: 'EU-WEST-1' is not a region name "
            "(e.g. us-east-1, eu-central-2, us-gov-west-1)");
  EXPECT_EQ(error_of("[profile p]\nsso_start_url = https://x\nsso_region = eu-west-1\n"
                     "sso_account_id = 1234\nsso_role_name = R\n"),
            "profile 'p' in /home/u/.aws/config: sso_account_id '1234' is not a 12-digit account "
            "id");
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(SsoChainTest, RoleProfileCanUseAnSsoProfileAsSource) {
  Config(std::string(kSsoConfig) +
         "[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/admin\n"
         "source_profile = dev\n");
  CacheToken("corp", minutes(30));
  Credentials c = Chain("admin")->Get();
  ASSERT_EQ(sts_calls.size(), 1u);
  EXPECT_EQ(sts_calls[0].source_access_key_id, "ASIASSO");
  EXPECT_EQ(c.access_key_id, "ASIA1");
}

TEST_F(CredentialsChainTest, InstanceMetadataEndpointThatDoesNotParseIsAUsageError) {
  env.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "169.254.169.254");
  EXPECT_EQ(GetError(*Chain()).rfind("AWS_EC2_METADATA_SERVICE_ENDPOINT: '169.254.169.254'", 0),
            0u);
  EXPECT_EQ(last_exit_code, 2);
  EXPECT_TRUE(http.requests.empty());
}

// ---- Masking ----

TEST_F(CredentialsChainTest, WebIdentityTokenIsMaskedAsSoonAsItIsRead) {
  fs.files["/token"] = "eyJhbGciOiJSUzI1NiJ9.web-identity-token\n";
  env.Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/token");
  env.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
  Chain()->Get();
  EXPECT_EQ(masks, std::vector<std::string>{"eyJhbGciOiJSUzI1NiJ9.web-identity-token"});
}

}  // namespace
}  // namespace ecsmig
