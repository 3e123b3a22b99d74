#include "common/aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <vector>

#include "common/base/error.h"
#include "common/net/percent_encoding.h"

namespace ecsmig {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Trims and squeezes every run of whitespace into one space.
std::string SqueezeSpaces(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string FormatTime(std::chrono::system_clock::time_point time, const char* format) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256 failed (OpenSSL)");
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &len) == nullptr) {
    throw Error("HMAC-SHA256 failed (OpenSSL)");
  }
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = slash + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '/';
    out += segments[i];
  }
  if (path.back() == '/' && !segments.empty()) out += '/';
  if (out.empty()) out = "/";
  return out;
}

std::string CanonicalUri(std::string_view path) { return PercentEncode(NormalizePath(path), "/"); }

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view key = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      pairs.emplace_back(PercentEncode(PercentDecode(key)), PercentEncode(PercentDecode(value)));
    }
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

CanonicalHeaders CanonicalizeHeaders(const HttpHeaders& headers) {
  static constexpr std::string_view kNeverSigned[] = {"user-agent", "expect", "transfer-encoding",
                                                      "x-amzn-trace-id", "authorization"};
  std::map<std::string, std::string> joined;  // sorted by lowercase name
  for (const auto& [name, value] : headers) {
    std::string lower;
    for (char c : name) lower += AsciiLower(c);
    lower = SqueezeSpaces(lower);
    if (std::find(std::begin(kNeverSigned), std::end(kNeverSigned), lower) !=
        std::end(kNeverSigned)) {
      continue;
    }
    auto [it, inserted] = joined.try_emplace(lower, SqueezeSpaces(value));
    if (!inserted) it->second += "," + SqueezeSpaces(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : joined) {
    out.block += name + ":" + value + "\n";
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
  }
  return out;
}

UrlParts SplitUrl(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    throw Error("not an absolute URL: " + std::string(url));
  }
  UrlParts parts;
  for (char c : url.substr(0, scheme_end)) parts.scheme += AsciiLower(c);
  size_t authority_start = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  if (authority.empty()) throw Error("URL has no host: " + std::string(url));
  std::string host;
  for (char c : authority) host += AsciiLower(c);
  // Drop the scheme's default port, as the Host header HTTP clients send does.
  size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    std::string port = host.substr(colon + 1);
    if (port.empty() || (parts.scheme == "https" && port == "443") ||
        (parts.scheme == "http" && port == "80")) {
      host.resize(colon);
    }
  }
  parts.host = host;
  std::string_view rest = url.substr(authority_end);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t question = rest.find('?');
  parts.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) parts.query = std::string(rest.substr(question + 1));
  return parts;
}

std::string CanonicalRequest(std::string_view method, std::string_view path, std::string_view query,
                             const CanonicalHeaders& headers, std::string_view payload_hash) {
  std::string out;
  for (char c : method) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out += '\n';
  out += CanonicalUri(path);
  out += '\n';
  out += CanonicalQuery(query);
  out += '\n';
  out += headers.block;
  out += '\n';
  out += headers.signed_headers;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string FormatAmzDate(std::chrono::system_clock::time_point time) {
  return FormatTime(time, "%Y%m%dT%H%M%SZ");
}

std::string FormatDateStamp(std::chrono::system_clock::time_point time) {
  return FormatTime(time, "%Y%m%d");
}

std::string CredentialScope(std::string_view date_stamp, std::string_view region,
                            std::string_view service) {
  std::string out(date_stamp);
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += "/aws4_request";
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += Sha256Hex(canonical_request);
  return out;
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date_stamp,
                             std::string_view region, std::string_view service) {
  std::string key = "AWS4";
  key += secret;
  std::string k_date = HmacSha256(key, date_stamp);
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, "aws4_request");
}

void RemoveHeader(HttpHeaders& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& header) { return EqualsIgnoreCase(header.first, name); });
}

std::string SigV4Signer::SigningKey(const std::string& secret, const std::string& date_stamp) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_key_.empty() || cached_secret_ != secret || cached_date_ != date_stamp) {
    cached_key_ = DeriveSigningKey(secret, date_stamp, region_, service_);
    cached_secret_ = secret;
    cached_date_ = date_stamp;
  }
  return cached_key_;
}

SigningResult SigV4Signer::Sign(HttpRequest& request, const Credentials& credentials,
                                std::chrono::system_clock::time_point time) {
  UrlParts url = SplitUrl(request.url);
  HttpHeaders& headers = request.headers;
  RemoveHeader(headers, "Authorization");
  RemoveHeader(headers, "X-Amz-Date");
  RemoveHeader(headers, "X-Amz-Security-Token");
  bool has_host = std::any_of(headers.begin(), headers.end(),
                              [](const auto& h) { return EqualsIgnoreCase(h.first, "host"); });
  if (!has_host) headers.emplace_back("Host", url.host);

  const std::string amz_date = FormatAmzDate(time);
  const std::string date_stamp = amz_date.substr(0, 8);
  headers.emplace_back("X-Amz-Date", amz_date);
  const bool has_token = !credentials.session_token.empty();
  if (has_token && options_.sign_session_token) {
    headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }

  std::string payload_hash;
  if (options_.unsigned_payload) {
    RemoveHeader(headers, "x-amz-content-sha256");
    headers.emplace_back("X-Amz-Content-SHA256", std::string(kUnsignedPayload));
    payload_hash = kUnsignedPayload;
  } else {
    for (const auto& [name, value] : headers) {
      if (EqualsIgnoreCase(name, "x-amz-content-sha256")) {
        payload_hash = value;
        break;
      }
    }
    if (payload_hash.empty()) {
      payload_hash = Sha256Hex(request.body);
      if (options_.add_content_sha256_header)
        headers.emplace_back("X-Amz-Content-SHA256", payload_hash);
    }
  }

  SigningResult result;
  CanonicalHeaders canonical_headers = CanonicalizeHeaders(headers);
  result.canonical_request =
      CanonicalRequest(request.method, url.path, url.query, canonical_headers, payload_hash);
  const std::string scope = CredentialScope(date_stamp, region_, service_);
  result.string_to_sign = StringToSign(amz_date, scope, result.canonical_request);
  result.signature = HexEncode(
      HmacSha256(SigningKey(credentials.secret_access_key, date_stamp), result.string_to_sign));
  result.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                         ", SignedHeaders=" + canonical_headers.signed_headers +
                         ", Signature=" + result.signature;
  headers.emplace_back("Authorization", result.authorization);
  if (has_token && !options_.sign_session_token) {
    headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  return result;
}

}  // namespace ecsmig
