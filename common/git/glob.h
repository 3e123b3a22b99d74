// Path patterns as git's `:(glob)` pathspec magic matches them (wildmatch with
// WM_PATHNAME), plus the workflow-style `!` exclusions layered on top.
//
// libgit2's pathspec is fnmatch-based and differs from git's `:(glob)`, so the
// matcher is ours; it is checked against every case of git's t3070-wildmatch.sh
// and, end to end, against `git diff -- ':(glob)PAT'`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

// git's wildmatch(pattern, text, WM_PATHNAME): `*` and `?` never match `/`,
// `**` between slashes (or at either end) matches across directories, `[...]`
// classes (with `!`/`^` negation, ranges, `[:alpha:]`-style names) never match
// `/`, and a backslash makes the next character literal. A malformed pattern
// (unterminated class, unknown class name) matches nothing.
bool WildMatch(std::string_view pattern, std::string_view text);

// One `:(glob)` pathspec. Besides the wildmatch, git also treats the raw
// pattern as a literal path: it matches a path equal to it and everything
// below it when it names a directory, and it compares the literal prefix (up
// to the first `*?[\`) before wildmatching the rest (so `foo**` matches
// `foo/bar`, as `git ls-files ':(glob)foo**'` does).
class GlobPattern {
 public:
  // On an empty pattern, throws UsageError.
  explicit GlobPattern(std::string pattern);

  bool Matches(std::string_view path) const;
  // False only when no path below the directory `dir` (no trailing slash; ""
  // is the root) can match: the basis of tree pruning, so it must never be
  // wrong in that direction. May be true when nothing below matches.
  bool MayMatchBelow(std::string_view dir) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Segment {
    std::string text;        // wildmatch pattern for one path component
    bool any_depth = false;  // `**`: zero or more components
  };

  bool LiteralCovers(std::string_view path) const;

  std::string pattern_;
  std::string literal_prefix_;     // the bytes before the first `*?[\`
  std::vector<Segment> segments_;  // empty when the pattern cannot be split safely
  bool segmented_ = false;
};

// An ordered list of patterns; one starting with `!` excludes. As in a
// workflow's `paths` filter, the last pattern that matches a path decides.
class PathFilter {
 public:
  // On an empty pattern (or a bare `!`), throws UsageError naming it.
  explicit PathFilter(const std::vector<std::string>& patterns);

  bool Matches(std::string_view path) const;
  // False only when no include pattern can match below `dir` (see GlobPattern).
  bool MayMatchBelow(std::string_view dir) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    GlobPattern glob;
    bool exclude;
  };
  std::vector<Rule> rules_;
};

}  // namespace ecsmig
