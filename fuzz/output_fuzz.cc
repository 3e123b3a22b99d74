// Fuzzes the GITHUB_OUTPUT writer: for any values (newlines, CR, `=`, `<<`,
// delimiter look-alikes, invalid UTF-8), FormatOutputRecord followed by the
// runner's parsing rules (ParseOutputFile) gives back exactly the keys and
// values written: nothing injected, nothing lost.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "common/base/random.h"
#include "common/github/github.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // Records are separated by a 0xFF byte; the value is everything after the
  // first byte, which (mod 26) names the key.
  std::vector<std::pair<std::string, std::string>> records;
  size_t start = 0;
  while (start <= input.size() && records.size() < 16) {
    size_t end = input.find('\xff', start);
    if (end == std::string::npos) end = input.size();
    std::string chunk = input.substr(start, end - start);
    std::string key = "key_";
    key += static_cast<char>('a' + (chunk.empty() ? 0 : static_cast<uint8_t>(chunk[0]) % 26));
    records.emplace_back(key, chunk.empty() ? "" : chunk.substr(1));
    start = end + 1;
  }
  // A fixed seed: the writer must cope even when the delimiter it draws
  // could have been guessed (it checks the value for it).
  ecsmig::SeededRandom random(size);
  std::string file;
  for (const auto& [k, v] : records) file += ecsmig::FormatOutputRecord(k, v, random);
  auto parsed = ecsmig::ParseOutputFile(file);
  if (parsed != records) abort();
  return 0;
}
