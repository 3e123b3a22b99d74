#include "common/aws/endpoints.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/base/error.h"

namespace ecsmig {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool IsTrueSetting(const std::string& value) {
  std::string lower = value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "true";
}

// "host", "host:port", "[v6]" or "[v6]:port".
bool IsAuthority(std::string_view authority) {
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view host = authority.substr(1, close - 1);
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        })) {
      return false;
    }
    std::string_view rest = authority.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
  } else {
    size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsHostNameChar)) return false;
    if (host.front() == '.' || host.front() == '-') return false;
    if (colon == std::string_view::npos) return true;
    port = authority.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    return false;
  }
  int number = std::stoi(std::string(port));
  return number >= 1 && number <= 65535;
}

}  // namespace

bool IsRegionName(std::string_view text) {
  if (text.empty() || text.size() > 63 || !(text.front() >= 'a' && text.front() <= 'z')) {
    return false;
  }
  if (text.back() == '-' || text.find("--") != std::string_view::npos) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

void CheckRegion(const std::string& value, const std::string& source) {
  if (!IsRegionName(value)) {
    throw UsageError(source + ": '" + value +
                     "' is not a region name (e.g. us-east-1, eu-central-2, us-gov-west-1)");
  }
}

bool IsEndpointUrl(std::string_view url) {
  size_t separator = url.find("://");
  if (separator == std::string_view::npos) return false;
  std::string scheme(url.substr(0, separator));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") return false;
  std::string_view rest = url.substr(separator + 3);
  size_t path_start = rest.find('/');
  if (!IsAuthority(rest.substr(0, path_start))) return false;
  if (path_start == std::string_view::npos) return true;
  std::string_view path = rest.substr(path_start);
  return std::none_of(path.begin(), path.end(), [](char c) {
    return c == '?' || c == '#' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
  });
}

void CheckEndpointUrl(const std::string& url, const std::string& source) {
  if (!IsEndpointUrl(url)) {
    throw UsageError(source + ": '" + url +
                     "' is not an endpoint URL (http:// or https://, a host, an optional port "
                     "and path)");
  }
}

std::string ResolveRegion(const std::string& explicit_region, const Environment& env,
                          const std::function<SourcedValue()>& profile_region,
                          const std::string& explicit_source) {
  std::vector<SourcedValue> sources{{explicit_region, explicit_source},
                                    {env.GetOr("AWS_REGION"), "AWS_REGION"},
                                    {env.GetOr("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"}};
  if (profile_region) sources.push_back(profile_region());
  // Every value given is checked, as endpoints are: a malformed one is a
  // mistake whether or not a higher source shadows it today.
  std::string region;
  for (const SourcedValue& source : sources) {
    if (source.value.empty()) continue;
    CheckRegion(source.value, source.source);
    if (region.empty()) region = source.value;
  }
  if (region.empty()) throw UsageError("no AWS region: pass --region or set AWS_REGION");
  return region;
}

std::string PartitionFor(const std::string& region) {
  if (region.rfind("cn-", 0) == 0) return "aws-cn";
  if (region.rfind("us-gov-", 0) == 0) return "aws-us-gov";
  return "aws";
}

std::string DnsSuffixFor(const std::string& region) {
  return PartitionFor(region) == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

std::string RegionalEndpoint(AwsService service, const std::string& region) {
  return "https://" + std::string(InfoFor(service).endpoint_prefix) + "." + region + "." +
         DnsSuffixFor(region);
}

std::string ResolveEndpoint(AwsService service, const std::string& endpoint_flag,
                            const std::string& region, const Environment& env,
                            const ProfileSettings& profile) {
  const AwsServiceInfo& info = InfoFor(service);
  std::vector<SourcedValue> candidates{{endpoint_flag, "--endpoint-url"}};
  bool ignore_configured = env.IsTrue("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") ||
                           IsTrueSetting(profile.ignore_configured_endpoint_urls);
  if (!ignore_configured) {
    const std::string service_variable = "AWS_ENDPOINT_URL_" + std::string(info.env_suffix);
    candidates.push_back({env.GetOr(service_variable), service_variable});
    candidates.push_back({env.GetOr("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"});
    auto in_services = profile.service_endpoint_urls.find(std::string(info.config_key));
    if (in_services != profile.service_endpoint_urls.end()) {
      candidates.push_back({in_services->second, std::string(info.config_key) +
                                                     " endpoint_url of " + profile.services_label});
    }
    candidates.push_back(profile.Setting("endpoint_url", profile.endpoint_url));
  }
  std::string endpoint;
  for (const SourcedValue& candidate : candidates) {
    if (candidate.value.empty()) continue;
    CheckEndpointUrl(candidate.value, candidate.source);
    if (endpoint.empty()) endpoint = candidate.value;
  }
  if (endpoint.empty()) return RegionalEndpoint(service, region);
  while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

}  // namespace ecsmig
