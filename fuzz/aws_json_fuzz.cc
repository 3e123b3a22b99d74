// AWS JSON answers and error bodies: whatever a service (or a proxy in front
// of it) sends, parsing must never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/aws/aws_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  ecsmig::HttpResponse response;
  response.status = 400;
  response.body = body;
  // The first line doubles as an error-type header, as some services send.
  response.headers = {{"x-amzn-ErrorType", body.substr(0, body.find('\n'))},
                      {"x-amzn-RequestId", "fuzz"}};
  ecsmig::AwsErrorInfo info = ecsmig::ParseJsonError(response);
  if (info.code.find('#') != std::string::npos) __builtin_trap();  // prefixes are stripped
  // What the client does with a 200 body.
  nlohmann::json answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_object()) (void)answer.dump();
  return 0;
}
