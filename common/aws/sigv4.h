// AWS Signature Version 4 (header signing, AWS4-HMAC-SHA256) as separate,
// testable steps: canonical request, string to sign, signing key, signature,
// Authorization header. Follows the non-S3 rules (path normalization, and the
// path as sent on the wire is URI-encoded once more), as botocore does.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "common/aws/credentials.h"
#include "common/net/http.h"

namespace ecsmig {

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Hex SHA-256 of `data` (lowercase), e.g. the payload hash.
std::string Sha256Hex(std::string_view data);
// Raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HexEncode(std::string_view bytes);

// RFC 3986 dot-segment removal plus merging of repeated '/' (what AWS services
// expect); "" becomes "/".
std::string NormalizePath(std::string_view path);
// Normalized, then every byte outside the unreserved set and '/' encoded.
std::string CanonicalUri(std::string_view path);
// `query` as found in a URL (without '?'): each key and value decoded and
// re-encoded with PercentEncode (SigV4's UriEncode), pairs sorted by key then value, joined with
// '&'.
std::string CanonicalQuery(std::string_view query);

struct CanonicalHeaders {
  std::string block;           // "name:value\n" for each signed header
  std::string signed_headers;  // "host;x-amz-date"
};
// Lowercases names, trims values and squeezes runs of whitespace (including
// obs-fold line breaks) into one space, joins repeated names with ',' in
// order, sorts by name. Never signs user-agent, expect, transfer-encoding,
// x-amzn-trace-id or authorization (proxies and curl may change them).
CanonicalHeaders CanonicalizeHeaders(const HttpHeaders& headers);

// The parts of an absolute URL that signing needs.
struct UrlParts {
  std::string scheme;  // "https"
  std::string host;    // host[:port], the port only when not the scheme's default
  std::string path;    // as written, "" when absent
  std::string query;   // without '?', "" when absent
};
// On a URL without "scheme://host", throws Error.
UrlParts SplitUrl(std::string_view url);

std::string CanonicalRequest(std::string_view method, std::string_view path, std::string_view query,
                             const CanonicalHeaders& headers, std::string_view payload_hash);

// "20150830T123600Z" and "20150830".
std::string FormatAmzDate(std::chrono::system_clock::time_point time);
std::string FormatDateStamp(std::chrono::system_clock::time_point time);

std::string CredentialScope(std::string_view date_stamp, std::string_view region,
                            std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"), raw.
std::string DeriveSigningKey(std::string_view secret, std::string_view date_stamp,
                             std::string_view region, std::string_view service);

struct SigningOptions {
  // Adds X-Amz-Security-Token before signing (signed). False: added after
  // signing, unsigned (the suite's post-sts-header-after form; no caller of
  // ECS/Logs/STS wants that).
  bool sign_session_token = true;
  // Sends x-amz-content-sha256: UNSIGNED-PAYLOAD and signs that instead of the hash.
  bool unsigned_payload = false;
  // Adds x-amz-content-sha256: <payload hash> (signed), as S3-style services want.
  bool add_content_sha256_header = false;
};

// Everything one signature produced, for tests and traces (never log
// `authorization` or the key).
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string authorization;
};

// Signs requests for one service and region; caches the derived signing key
// per secret/date/region/service (thread-safe).
class SigV4Signer {
 public:
  SigV4Signer(std::string region, std::string service, SigningOptions options = {})
      : region_(std::move(region)), service_(std::move(service)), options_(options) {}

  // Sets Host (when absent), X-Amz-Date, X-Amz-Security-Token (when the
  // credentials have one), optionally x-amz-content-sha256, and Authorization
  // on `request`, replacing earlier values of those headers (a re-signed
  // retry). The payload hash is the value of an x-amz-content-sha256 header
  // when the request has one, else SHA-256 of the body. The body is not touched.
  SigningResult Sign(HttpRequest& request, const Credentials& credentials,
                     std::chrono::system_clock::time_point time);

  const std::string& region() const { return region_; }
  const std::string& service() const { return service_; }

 private:
  std::string SigningKey(const std::string& secret, const std::string& date_stamp);

  std::string region_;
  std::string service_;
  SigningOptions options_;
  std::mutex mutex_;
  std::string cached_secret_, cached_date_, cached_key_;
};

// Removes every header named `name` (case-insensitive).
void RemoveHeader(HttpHeaders& headers, std::string_view name);

}  // namespace ecsmig
