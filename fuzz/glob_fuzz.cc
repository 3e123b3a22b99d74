// Fuzzes the glob matcher: no crash or hang on any pattern/path, and pruning
// is sound (a path that matches never sits below a directory the pattern
// says cannot match). Input: pattern, a NUL byte, then the path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/base/error.h"
#include "common/git/glob.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  if (nul == std::string_view::npos) return 0;
  std::string pattern(input.substr(0, nul));
  std::string path(input.substr(nul + 1));
  if (path.size() > 512 || pattern.size() > 256) return 0;  // paths are short; keep runs fast
  (void)ecsmig::WildMatch(pattern, path);
  if (pattern.empty()) return 0;
  ecsmig::GlobPattern glob(pattern);
  // Paths in a tree have no empty components and no NUL.
  if (path.empty() || path.front() == '/' || path.back() == '/' ||
      path.find("//") != std::string::npos || path.find('\0') != std::string::npos) {
    return 0;
  }
  if (!glob.Matches(path)) return 0;
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    if (!glob.MayMatchBelow(path.substr(0, slash))) abort();  // pruning would hide a match
  }
  return 0;
}
