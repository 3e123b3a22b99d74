// sigv4-sign: reads one JSON request per line on stdin and prints one JSON
// line per request with what our signer produced. For the differential test
// against botocore (tests/integration/test_sigv4_botocore.py).
//   in:  {"method", "url", "headers": [[name, value], ...], "body",
//         "access_key", "secret_key", "token", "region", "service",
//         "time": seconds since the epoch}
//   out: {"canonical_request", "string_to_sign", "signature", "authorization",
//         "headers": [[name, value], ...]}  or {"error": "..."}
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/aws/sigv4.h"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    nlohmann::json out;
    try {
      nlohmann::json in = nlohmann::json::parse(line);
      ecsmig::HttpRequest request;
      request.method = in.at("method").get<std::string>();
      request.url = in.at("url").get<std::string>();
      for (const auto& header : in.at("headers")) {
        request.headers.emplace_back(header.at(0).get<std::string>(),
                                     header.at(1).get<std::string>());
      }
      request.body = in.value("body", "");
      ecsmig::Credentials credentials;
      credentials.access_key_id = in.at("access_key").get<std::string>();
      credentials.secret_access_key = in.at("secret_key").get<std::string>();
      credentials.session_token = in.value("token", "");
      ecsmig::SigV4Signer signer(in.at("region").get<std::string>(),
                                 in.at("service").get<std::string>());
      auto time =
          std::chrono::system_clock::time_point(std::chrono::seconds(in.at("time").get<int64_t>()));
      ecsmig::SigningResult result = signer.Sign(request, credentials, time);
      out["canonical_request"] = result.canonical_request;
      out["string_to_sign"] = result.string_to_sign;
      out["signature"] = result.signature;
      out["authorization"] = result.authorization;
      out["headers"] = nlohmann::json::array();
      for (const auto& [name, value] : request.headers) out["headers"].push_back({name, value});
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return 0;
}
