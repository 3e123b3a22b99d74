// Fuzzes the parsing of credential_process output (JSON from an external
// program) and of the ISO 8601 expirations every credential source returns.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/aws/credential_process.h"
#include "common/base/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ecsmig::ParseCredentialTimestamp(text);
  try {
    ecsmig::Credentials credentials = ecsmig::ParseCredentialProcessOutput(text, "fuzz");
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) std::abort();
  } catch (const ecsmig::Error& e) {
    // Errors never quote the output: the message is built from fixed text only.
    if (std::string_view(e.what()).find("fuzz: ") != 0) std::abort();
  }
  return 0;
}
