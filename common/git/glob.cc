#include "common/git/glob.h"

#include <algorithm>
#include <cstdint>

#include "common/base/error.h"

namespace ecsmig {
namespace {

enum class Wild { kMatch, kNoMatch, kAbortAll, kAbortToStarStar };

bool IsGlobSpecial(unsigned char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

// Character classes with git's ASCII-only ctype (its isspace has no \v or \f).
bool IsAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsGraph(unsigned char c) { return c > 0x20 && c < 0x7f; }

// Returns -1 for an unknown class name, else whether `c` belongs to it.
int InNamedClass(std::string_view name, unsigned char c) {
  if (name == "alnum") return IsAlpha(c) || IsDigit(c);
  if (name == "alpha") return IsAlpha(c);
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return c < 0x20 || c == 0x7f;
  if (name == "digit") return IsDigit(c);
  if (name == "graph") return IsGraph(c);
  if (name == "lower") return c >= 'a' && c <= 'z';
  if (name == "print") return c >= 0x20 && c < 0x7f;
  if (name == "punct") return IsGraph(c) && !IsAlpha(c) && !IsDigit(c);
  if (name == "space") return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  if (name == "upper") return c >= 'A' && c <= 'Z';
  if (name == "xdigit") return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  return -1;
}

struct ClassResult {
  bool malformed = false;  // the whole match aborts
  bool matched = false;    // `c` is in the class (negation already applied)
  size_t end = 0;          // index of the closing `]`
};

// Parses the class opening at pattern[open] == '[' and tests `c` against it.
// The control flow does not depend on `c`, so `end` is the same for any `c`.
ClassResult MatchClass(std::string_view pat, size_t open, unsigned char c) {
  ClassResult r;
  size_t p = open + 1;
  auto at_end = [&] { return p >= pat.size(); };
  if (at_end()) return {true, false, 0};
  bool negated = pat[p] == '!' || pat[p] == '^';
  if (negated) ++p;
  unsigned char prev = 0;
  bool matched = false;
  while (true) {
    if (at_end()) return {true, false, 0};
    unsigned char pc = static_cast<unsigned char>(pat[p]);
    if (pc == '\\') {
      ++p;
      if (at_end()) return {true, false, 0};
      pc = static_cast<unsigned char>(pat[p]);
      if (c == pc) matched = true;
    } else if (pc == '-' && prev != 0 && p + 1 < pat.size() && pat[p + 1] != ']') {
      ++p;
      pc = static_cast<unsigned char>(pat[p]);
      if (pc == '\\') {
        ++p;
        if (at_end()) return {true, false, 0};
        pc = static_cast<unsigned char>(pat[p]);
      }
      if (c <= pc && c >= prev) matched = true;
      pc = 0;  // a range cannot start another range
    } else if (pc == '[' && p + 1 < pat.size() && pat[p + 1] == ':') {
      size_t name_start = p + 2;
      size_t q = name_start;
      while (q < pat.size() && pat[q] != ']') ++q;
      if (q >= pat.size()) return {true, false, 0};
      if (q == name_start || pat[q - 1] != ':') {
        // No ":]": the '[' is an ordinary member and scanning resumes after it.
        pc = '[';
        if (c == pc) matched = true;
      } else {
        int in = InNamedClass(pat.substr(name_start, q - 1 - name_start), c);
        if (in < 0) return {true, false, 0};
        if (in) matched = true;
        p = q;
        pc = 0;
      }
    } else if (c == pc) {
      matched = true;
    }
    prev = pc;
    ++p;
    if (p < pat.size() && pat[p] == ']') break;
  }
  r.end = p;
  r.matched = matched != negated;
  return r;
}

// dowild() below is git's backtracking, which is exponential on patterns such
// as `**/**/**/*/…` against paths with many slashes (the glob fuzzer found
// one that ran for minutes). Its result depends only on (p, t), so once a
// match has made kMemoAfterCalls calls, results are remembered per (p, t):
// at most |pattern| × |path| distinct calls, each looping over the path. Paths
// and patterns that match in a few calls (every real one) allocate nothing.
constexpr long kMemoAfterCalls = 4096;

struct WildMemo {
  long calls = 0;
  size_t width = 0;            // text.size() + 1
  std::vector<uint8_t> cells;  // 0: not known yet, else 1 + the Wild value
};

Wild DoWild(std::string_view pat, size_t p, std::string_view text, size_t t, WildMemo& memo);

// git's dowild() semantics with WM_PATHNAME, over string_views (the end of a
// view is the end of the string). Recursion goes through DoWild.
Wild DoWildUncached(std::string_view pat, size_t p, std::string_view text, size_t t,
                    WildMemo& memo) {
  for (; p < pat.size(); ++p, ++t) {
    unsigned char pc = static_cast<unsigned char>(pat[p]);
    if (t >= text.size() && pc != '*') return Wild::kAbortAll;
    unsigned char tc = t < text.size() ? static_cast<unsigned char>(text[t]) : 0;
    switch (pc) {
      case '\\':
        ++p;
        if (p >= pat.size()) return Wild::kNoMatch;  // a trailing backslash matches nothing
        if (tc != static_cast<unsigned char>(pat[p])) return Wild::kNoMatch;
        continue;
      default:
        if (tc != pc) return Wild::kNoMatch;
        continue;
      case '?':
        if (tc == '/') return Wild::kNoMatch;
        continue;
      case '[': {
        ClassResult cls = MatchClass(pat, p, tc);
        if (cls.malformed) return Wild::kAbortAll;
        if (!cls.matched || tc == '/') return Wild::kNoMatch;
        p = cls.end;
        continue;
      }
      case '*': {
        bool match_slash = false;
        size_t first_star = p;
        while (p + 1 < pat.size() && pat[p + 1] == '*') ++p;
        size_t next = p + 1;  // the pattern after the run of stars
        if (p > first_star) {
          bool starts_component = first_star == 0 || pat[first_star - 1] == '/';
          bool ends_component =
              next == pat.size() || pat[next] == '/' ||
              (pat[next] == '\\' && next + 1 < pat.size() && pat[next + 1] == '/');
          if (starts_component && ends_component) {
            // `**/` may match no directory at all: try the rest right here.
            if (next < pat.size() && pat[next] == '/' &&
                DoWild(pat, next + 1, text, t, memo) == Wild::kMatch) {
              return Wild::kMatch;
            }
            match_slash = true;
          }
        }
        if (next == pat.size()) {
          // A trailing `**` matches everything, a trailing `*` only within a component.
          if (!match_slash && text.find('/', t) != std::string_view::npos) return Wild::kNoMatch;
          return Wild::kMatch;
        }
        if (!match_slash && pat[next] == '/') {
          // `*/` matches the rest of this component; the loop consumes both slashes.
          size_t slash = text.find('/', t);
          if (slash == std::string_view::npos) return Wild::kNoMatch;
          p = next;
          t = slash;
          continue;
        }
        while (t < text.size()) {
          unsigned char lit = static_cast<unsigned char>(pat[next]);
          if (!IsGlobSpecial(lit)) {
            // Skip ahead to the next occurrence of the literal that follows.
            while (t < text.size() && (match_slash || text[t] != '/') &&
                   static_cast<unsigned char>(text[t]) != lit) {
              ++t;
            }
            if (t >= text.size() || static_cast<unsigned char>(text[t]) != lit) {
              return Wild::kNoMatch;
            }
          }
          Wild m = DoWild(pat, next, text, t, memo);
          if (m != Wild::kNoMatch) {
            if (!match_slash || m != Wild::kAbortToStarStar) return m;
          } else if (!match_slash && text[t] == '/') {
            return Wild::kAbortToStarStar;
          }
          ++t;
        }
        return Wild::kAbortAll;
      }
    }
  }
  return t < text.size() ? Wild::kNoMatch : Wild::kMatch;
}

// Every call has p <= |pat| and t <= |text| (the recursion only passes
// positions it has bounds-checked), so (p, t) always has a cell.
Wild DoWild(std::string_view pat, size_t p, std::string_view text, size_t t, WildMemo& memo) {
  if (!memo.cells.empty()) {
    uint8_t known = memo.cells[p * memo.width + t];
    if (known != 0) return static_cast<Wild>(known - 1);
  } else if (++memo.calls > kMemoAfterCalls) {
    memo.width = text.size() + 1;
    memo.cells.assign((pat.size() + 1) * memo.width, 0);
  }
  Wild result = DoWildUncached(pat, p, text, t, memo);
  if (!memo.cells.empty()) {
    memo.cells[p * memo.width + t] = static_cast<uint8_t>(static_cast<int>(result) + 1);
  }
  return result;
}

// Why `pattern` can never match a repository path as the user meant it, or ""
// when it can. Repository paths have no leading `/` and no `.` or `..`
// components; a malformed class or a trailing backslash makes wildmatch
// refuse every path.
std::string WhyUnmatchable(std::string_view pattern) {
  if (pattern.front() == '/')
    return "starts with '/' (patterns are relative to the repository root)";
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string_view::npos) slash = pattern.size();
    std::string_view component = pattern.substr(start, slash - start);
    if (component == "." || component == "..") {
      return "has a '" + std::string(component) + "' component (repository paths have none)";
    }
    start = slash + 1;
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) return "ends with an unescaped backslash";
      ++i;
    } else if (pattern[i] == '[') {
      ClassResult cls = MatchClass(pattern, i, 0);
      if (cls.malformed) return "has an unclosed '[' or an unknown [:class:]";
      i = cls.end;
    }
  }
  return "";
}

}  // namespace

bool WildMatch(std::string_view pattern, std::string_view text) {
  WildMemo memo;
  return DoWild(pattern, 0, text, 0, memo) == Wild::kMatch;
}

GlobPattern::GlobPattern(std::string pattern) : pattern_(std::move(pattern)) {
  if (pattern_.empty()) throw UsageError("empty path pattern");
  size_t first_special = 0;
  while (first_special < pattern_.size() &&
         !IsGlobSpecial(static_cast<unsigned char>(pattern_[first_special]))) {
    ++first_special;
  }
  literal_prefix_ = pattern_.substr(0, first_special);

  // Split into components for pruning. Classes never match '/', so a '/'
  // inside one is not a separator; `\/` is one. When the literal prefix is
  // followed by a `**` that does not start a component, git's prefix
  // stripping makes that `**` cross directories: no safe split, no pruning
  // beyond the literal prefix.
  if (first_special < pattern_.size() && first_special > 0 && pattern_[first_special] == '*' &&
      first_special + 1 < pattern_.size() && pattern_[first_special + 1] == '*' &&
      pattern_[first_special - 1] != '/') {
    return;
  }
  std::string current;
  for (size_t i = 0; i < pattern_.size(); ++i) {
    char c = pattern_[i];
    if (c == '\\' && i + 1 < pattern_.size() && pattern_[i + 1] == '/') {
      segments_.push_back({current, false});
      current.clear();
      ++i;
    } else if (c == '\\') {
      current += c;
      if (i + 1 < pattern_.size()) current += pattern_[++i];
    } else if (c == '[') {
      ClassResult cls = MatchClass(pattern_, i, 0);
      if (cls.malformed) return;  // matches nothing by wildmatch; keep it unpruned
      current.append(pattern_, i, cls.end - i + 1);
      i = cls.end;
    } else if (c == '/') {
      segments_.push_back({current, false});
      current.clear();
    } else {
      current += c;
    }
  }
  segments_.push_back({current, false});
  for (Segment& s : segments_) {
    s.any_depth = s.text.size() >= 2 && s.text.find_first_not_of('*') == std::string::npos;
  }
  segmented_ = true;
}

bool GlobPattern::LiteralCovers(std::string_view path) const {
  // git's literal pathspec rule: the pattern names the path or a directory above it.
  if (path.size() < pattern_.size() || path.compare(0, pattern_.size(), pattern_) != 0) {
    return false;
  }
  return path.size() == pattern_.size() || pattern_.back() == '/' || path[pattern_.size()] == '/';
}

bool GlobPattern::Matches(std::string_view path) const {
  if (LiteralCovers(path)) return true;
  if (literal_prefix_.size() == pattern_.size()) return false;
  if (path.compare(0, literal_prefix_.size(), literal_prefix_) != 0) return false;
  WildMemo memo;
  return DoWild(std::string_view(pattern_).substr(literal_prefix_.size()), 0,
                path.substr(literal_prefix_.size()), 0, memo) == Wild::kMatch;
}

bool GlobPattern::MayMatchBelow(std::string_view dir) const {
  if (dir.empty()) return true;
  std::string below(dir);
  below += '/';
  if (LiteralCovers(below)) return true;
  // The literal pattern may name something deeper than `dir`.
  if (pattern_.size() > below.size() && pattern_.compare(0, below.size(), below) == 0) return true;
  // Every wildmatch of the pattern starts with its literal prefix.
  size_t common = std::min(below.size(), literal_prefix_.size());
  if (below.compare(0, common, literal_prefix_, 0, common) != 0) return false;
  if (!segmented_) return true;

  // Run the components of `dir` through the segments as an NFA. A state is
  // the index of the next segment to match; the last segment must match a
  // file name, so a directory can only be consumed by an earlier one or by a
  // trailing `**`.
  const size_t n = segments_.size();
  std::vector<char> states(n, 0), next(n, 0);
  auto close = [&](std::vector<char>& s) {
    for (size_t i = 0; i + 1 < n; ++i) {
      if (s[i] && segments_[i].any_depth) s[i + 1] = 1;
    }
  };
  states[0] = 1;
  close(states);
  size_t start = 0;
  while (start <= dir.size()) {
    size_t slash = dir.find('/', start);
    if (slash == std::string_view::npos) slash = dir.size();
    std::string_view component = dir.substr(start, slash - start);
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      if (!states[i]) continue;
      if (segments_[i].any_depth) {
        next[i] = 1;
        any = true;
      } else if (i + 1 < n && WildMatch(segments_[i].text, component)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    states.swap(next);
    start = slash + 1;
  }
  return true;
}

PathFilter::PathFilter(const std::vector<std::string>& patterns) {
  for (const std::string& raw : patterns) {
    bool exclude = !raw.empty() && raw[0] == '!';
    std::string pattern = exclude ? raw.substr(1) : raw;
    if (pattern.empty()) throw UsageError("--paths: empty pattern '" + raw + "'");
    if (std::string why = WhyUnmatchable(pattern); !why.empty()) {
      throw UsageError("--paths: pattern '" + raw + "' " + why + ": it can never match");
    }
    rules_.push_back({GlobPattern(std::move(pattern)), exclude});
  }
}

bool PathFilter::Matches(std::string_view path) const {
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (it->glob.Matches(path)) return !it->exclude;
  }
  return false;
}

bool PathFilter::MayMatchBelow(std::string_view dir) const {
  return std::any_of(rules_.begin(), rules_.end(),
                     [&](const Rule& r) { return !r.exclude && r.glob.MayMatchBelow(dir); });
}

}  // namespace ecsmig
