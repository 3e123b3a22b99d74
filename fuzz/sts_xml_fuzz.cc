// STS awsQuery answers: the small XML reader and the error parser must never
// crash, hang or throw, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/aws/aws_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  (void)ecsmig::XmlText(body, {"Credentials", "AccessKeyId"});
  (void)ecsmig::XmlText(body, {"Credentials", "Expiration"});
  (void)ecsmig::XmlText(body, {"GetCallerIdentityResult", "Arn"});
  (void)ecsmig::XmlText(body, {"RequestId"});
  ecsmig::HttpResponse response;
  response.status = 403;
  response.body = body;
  (void)ecsmig::ParseQueryError(response);
  return 0;
}
