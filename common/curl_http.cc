// PLACEHOLDER until the AWS core branch lands: owned by the AWS core work.
#include "common/error.h"
#include "common/http.h"

namespace ecsmig {

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return v;
    }
  }
  return "";
}

std::unique_ptr<HttpClient> MakeCurlHttpClient() { throw Error("HTTP client not built yet"); }

}  // namespace ecsmig
