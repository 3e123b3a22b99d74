// Fuzzes the AWS shared config/credentials INI parser: it reads files users
// edit by hand. Any input either parses or throws UsageError; parsed output
// keeps the parser's invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/aws/shared_config.h"
#include "common/base/error.h"

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ecsmig::IniSections sections;
  try {
    sections = ecsmig::ParseIni(text, "fuzz");
  } catch (const ecsmig::UsageError&) {
    return 0;
  }
  for (const auto& [name, properties] : sections) {
    Check(!name.empty() && !IsSpace(name.front()) && !IsSpace(name.back()));
    for (const auto& [key, value] : properties) {
      Check(!key.empty() && key.find('=') == std::string::npos &&
            key.find('\n') == std::string::npos);
      for (char c : key) Check(!(c >= 'A' && c <= 'Z'));
      Check(value.empty() || (!IsSpace(value.front()) && !IsSpace(value.back())));
    }
  }
  for (auto kind : {ecsmig::SharedFileKind::kConfig, ecsmig::SharedFileKind::kCredentials}) {
    ecsmig::IniSections profiles = ecsmig::ProfilesFromIni(sections, kind);
    Check(profiles.size() <= sections.size());
  }
  return 0;
}
