// A small PostgreSQL lexer: just enough to find where a statement's first
// token and each clause of an ALTER TABLE begin, which the parse tree does not
// record. It knows what can hide a `,` or a `;` from a naive scan: comments
// (`--`, nested `/* */`), string constants ('', E'', $tag$ … $tag$) and quoted
// identifiers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

struct SqlToken {
  enum class Kind { kWord, kQuotedIdentifier, kString, kPunctuation };
  Kind kind = Kind::kWord;
  size_t offset = 0;  // byte offset of the token's first byte in the text
  size_t length = 0;
};

// The tokens of text[begin, end), comments and whitespace left out. An
// unterminated comment, string or quoted identifier runs to `end`.
std::vector<SqlToken> TokenizeSql(std::string_view text, size_t begin, size_t end);

// The byte offset of the first token at or after `begin` (skipping
// whitespace and comments), or `end` when there is none.
size_t SkipSqlSpaceAndComments(std::string_view text, size_t begin, size_t end);

// A word or quoted identifier as PostgreSQL names it: unquoted words are
// folded to lower case, quoted ones lose their quotes and `""` becomes `"`.
std::string SqlIdentifier(std::string_view text, const SqlToken& token);

// 1-based line and column of byte offsets in one text. Columns count
// characters (UTF-8 code points), as an editor and GitHub's annotations do.
struct SourcePosition {
  int line = 1;
  int column = 1;
};

class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  SourcePosition At(size_t offset) const;
  // The byte offset of the 1-based character position `position` (what
  // PostgreSQL's error cursor counts), clamped to the text's size.
  size_t OffsetOfCharacter(size_t position) const;

 private:
  std::string_view text_;
  std::vector<size_t> line_starts_;
};

}  // namespace ecsmig

namespace ecsmig {

// Where each clause of a comma-separated list begins: the first token at or
// after `begin`, then the token after each `,` outside parentheses, up to
// `end`. For ALTER TABLE, `begin` is just past the table's name.
std::vector<size_t> TopLevelClauseOffsets(std::string_view text, size_t begin, size_t end);

// The byte offset just past the (possibly schema-qualified, quoted) name
// whose first token starts at `name_offset`.
size_t SkipQualifiedName(std::string_view text, size_t name_offset, size_t end);

}  // namespace ecsmig
