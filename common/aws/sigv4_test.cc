#include "common/aws/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/error.h"

namespace ecsmig {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kVectorTime{seconds(1440938160)};  // 2015-08-30T12:36:00Z

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

fs::path SuiteDir() { return fs::path(ECSMIG_TEST_DATA_DIR) / "sigv4"; }

// Every directory holding a NAME.req is one vector; its name is the path
// below the suite, e.g. "normalize-path/get-slash".
std::vector<std::string> VectorNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(SuiteDir())) {
    if (entry.path().extension() == ".req") {
      names.push_back(fs::relative(entry.path().parent_path(), SuiteDir()).generic_string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Parses a raw .req: request line split on the first and last space, header
// lines "Name:value" with obs-fold continuation lines, then an optional body.
HttpRequest ParseRawRequest(const std::string& raw) {
  HttpRequest request;
  std::string head = raw, body;
  if (size_t blank = raw.find("\n\n"); blank != std::string::npos) {
    head = raw.substr(0, blank);
    body = raw.substr(blank + 2);
  }
  std::vector<std::string> lines;
  std::stringstream stream(head);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  const std::string& request_line = lines.at(0);
  size_t first = request_line.find(' '), last = request_line.rfind(' ');
  request.method = request_line.substr(0, first);
  std::string target = request_line.substr(first + 1, last - first - 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) continue;
    if (line[0] == ' ' || line[0] == '\t') {
      request.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::string host;
  for (const auto& [k, v] : request.headers) {
    if (k == "Host") host = v;
  }
  request.url = "https://" + host + target;
  request.body = body;
  return request;
}

Credentials VectorCredentials(const std::string& name) {
  Credentials credentials{
      "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
  if (name.rfind("post-sts-token/", 0) == 0) {
    credentials.session_token =
        "AQoDYXdzEPT//////////"
        "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuw"
        "thAx7mSEI/qkPpKPi/"
        "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9"
        "HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
        "scqKmlzm8FDrypNC9Yjc8fPOL"
        "n9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  } else if (name == "get-vanilla-with-session-token") {
    credentials.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  }
  return credentials;
}

class SigV4SuiteTest : public testing::TestWithParam<std::string> {};

TEST_P(SigV4SuiteTest, MatchesCanonicalRequestStringToSignAndAuthorization) {
  const std::string name = GetParam();
  const fs::path dir = SuiteDir() / name;
  const std::string base = fs::path(name).filename().string();
  HttpRequest request = ParseRawRequest(ReadAll(dir / (base + ".req")));
  SigningOptions options;
  options.sign_session_token = name != "post-sts-token/post-sts-header-after";
  SigV4Signer signer("us-east-1", "service", options);
  SigningResult result = signer.Sign(request, VectorCredentials(name), kVectorTime);
  EXPECT_EQ(result.canonical_request, ReadAll(dir / (base + ".creq")));
  EXPECT_EQ(result.string_to_sign, ReadAll(dir / (base + ".sts")));
  EXPECT_EQ(result.authorization, ReadAll(dir / (base + ".authz")));
  // The signed request carries the Authorization header (and the token when any).
  EXPECT_EQ(std::count_if(request.headers.begin(), request.headers.end(),
                          [](const auto& h) { return h.first == "Authorization"; }),
            1);
  if (!VectorCredentials(name).session_token.empty()) {
    EXPECT_NE(std::find_if(request.headers.begin(), request.headers.end(),
                           [](const auto& h) { return h.first == "X-Amz-Security-Token"; }),
              request.headers.end());
  }
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest, testing::ValuesIn(VectorNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(SigV4SuiteTest, HasAllThirtyFourVectors) { EXPECT_EQ(VectorNames().size(), 34u); }

TEST(SigV4Test, Sha256OfEmptyString) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Test, NormalizePath) {
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("//a//b/"), "/a/b/");
  EXPECT_EQ(NormalizePath("/a/./b/../c"), "/a/c");
  EXPECT_EQ(NormalizePath("/../.."), "/");
  EXPECT_EQ(NormalizePath("/a/.."), "/");
}

TEST(SigV4Test, PathAlreadyEncodedOnTheWireIsEncodedAgain) {
  // Non-S3 services expect the wire path URI-encoded a second time.
  EXPECT_EQ(CanonicalUri("/a%20b"), "/a%2520b");
}

TEST(SigV4Test, CanonicalQuerySortsRepeatedKeysByValue) {
  EXPECT_EQ(CanonicalQuery("b=2&a=z&a=y&a="), "a=&a=y&a=z&b=2");
  EXPECT_EQ(CanonicalQuery("key"), "key=");
  EXPECT_EQ(CanonicalQuery("k=a%2fb&k2=x y"), "k=a%2Fb&k2=x%20y");
  EXPECT_EQ(CanonicalQuery(""), "");
}

TEST(SigV4Test, CanonicalHeadersTrimFoldLowercaseSortAndJoin) {
  CanonicalHeaders headers = CanonicalizeHeaders({{"X-B", "  two   words "},
                                                  {"x-a", "line1\n   line2"},
                                                  {"X-B", "again"},
                                                  {"User-Agent", "curl"},
                                                  {"Host", "h"}});
  EXPECT_EQ(headers.block, "host:h\nx-a:line1 line2\nx-b:two words,again\n");
  EXPECT_EQ(headers.signed_headers, "host;x-a;x-b");
}

TEST(SigV4Test, SplitUrlDropsDefaultPortAndFragment) {
  UrlParts parts = SplitUrl("HTTPS://Example.com:443/p/q?x=1#frag");
  EXPECT_EQ(parts.scheme, "https");
  EXPECT_EQ(parts.host, "example.com");
  EXPECT_EQ(parts.path, "/p/q");
  EXPECT_EQ(parts.query, "x=1");
  EXPECT_EQ(SplitUrl("http://127.0.0.1:5000").host, "127.0.0.1:5000");
  EXPECT_EQ(SplitUrl("http://127.0.0.1:5000").path, "");
  EXPECT_THROW(SplitUrl("no-scheme/path"), Error);
}

TEST(SigV4Test, SigningKeyDerivationMatchesAwsDocumentationExample) {
  // docs.aws.amazon.com "Deriving the signing key" example.
  EXPECT_EQ(HexEncode(DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                       "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

HttpRequest JsonRequest() {
  HttpRequest request;
  request.url = "https://ecs.eu-west-1.amazonaws.com/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"}};
  request.body = "{}";
  return request;
}

const Credentials kKeys{"AKIDEXAMPLE", "secret-key-value", "", {}, "test"};

std::string HeaderValue(const HttpRequest& request, const std::string& name) {
  for (const auto& [k, v] : request.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

TEST(SigV4Test, UnsignedPayloadIsSentAndSigned) {
  SigningOptions options;
  options.unsigned_payload = true;
  SigV4Signer signer("eu-west-1", "ecs", options);
  HttpRequest request = JsonRequest();
  SigningResult result = signer.Sign(request, kKeys, kVectorTime);
  EXPECT_EQ(HeaderValue(request, "X-Amz-Content-SHA256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(result.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_NE(result.canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"),
            std::string::npos);
  EXPECT_NE(result.authorization.find("x-amz-content-sha256;x-amz-date"), std::string::npos);
}

TEST(SigV4Test, ContentSha256HeaderIsAddedAndUsedAsPayloadHash) {
  SigningOptions options;
  options.add_content_sha256_header = true;
  SigV4Signer signer("eu-west-1", "ecs", options);
  HttpRequest request = JsonRequest();
  SigningResult result = signer.Sign(request, kKeys, kVectorTime);
  EXPECT_EQ(HeaderValue(request, "X-Amz-Content-SHA256"), Sha256Hex("{}"));
  EXPECT_TRUE(result.canonical_request.ends_with("\n" + Sha256Hex("{}")));

  // A caller-provided x-amz-content-sha256 wins over hashing the body.
  SigV4Signer plain("eu-west-1", "ecs");
  HttpRequest preset = JsonRequest();
  preset.headers.emplace_back("x-amz-content-sha256", "abc123");
  EXPECT_TRUE(plain.Sign(preset, kKeys, kVectorTime).canonical_request.ends_with("\nabc123"));
}

TEST(SigV4Test, ResigningReplacesDateTokenAndAuthorization) {
  SigV4Signer signer("eu-west-1", "ecs");
  HttpRequest request = JsonRequest();
  Credentials temporary = kKeys;
  temporary.session_token = "token-one";
  SigningResult first = signer.Sign(request, temporary, kVectorTime);
  temporary.session_token = "token-two";
  SigningResult second = signer.Sign(request, temporary, kVectorTime + seconds(90));
  EXPECT_NE(first.signature, second.signature);
  int dates = 0, tokens = 0, auths = 0, hosts = 0;
  for (const auto& [k, v] : request.headers) {
    dates += k == "X-Amz-Date";
    tokens += k == "X-Amz-Security-Token";
    auths += k == "Authorization";
    hosts += k == "Host";
  }
  EXPECT_EQ(dates, 1);
  EXPECT_EQ(tokens, 1);
  EXPECT_EQ(auths, 1);
  EXPECT_EQ(hosts, 1);
  EXPECT_EQ(HeaderValue(request, "X-Amz-Security-Token"), "token-two");
  EXPECT_EQ(HeaderValue(request, "X-Amz-Date"), "20150830T123730Z");
  EXPECT_EQ(request.body, "{}");
}

TEST(SigV4Test, SigningKeyCacheFollowsDateAndSecret) {
  SigV4Signer signer("eu-west-1", "ecs");
  HttpRequest a = JsonRequest(), b = JsonRequest(), c = JsonRequest();
  std::string sig_day1 = signer.Sign(a, kKeys, kVectorTime).signature;
  std::string sig_day2 = signer.Sign(b, kKeys, kVectorTime + std::chrono::hours(24)).signature;
  Credentials other = kKeys;
  other.secret_access_key = "another-secret";
  std::string sig_other = signer.Sign(c, other, kVectorTime).signature;
  // Each must equal a fresh signer's answer: a stale cached key would differ.
  SigV4Signer fresh1("eu-west-1", "ecs"), fresh2("eu-west-1", "ecs");
  HttpRequest d = JsonRequest(), e = JsonRequest();
  EXPECT_EQ(fresh1.Sign(d, kKeys, kVectorTime + std::chrono::hours(24)).signature, sig_day2);
  EXPECT_EQ(fresh2.Sign(e, other, kVectorTime).signature, sig_other);
  EXPECT_NE(sig_day1, sig_day2);
}

}  // namespace
}  // namespace ecsmig
