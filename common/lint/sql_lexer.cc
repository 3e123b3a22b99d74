#include "common/lint/sql_lexer.h"

#include <algorithm>

namespace ecsmig {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Past a `/* … */` comment starting at `i` (PostgreSQL nests them).
size_t SkipBlockComment(std::string_view text, size_t i, size_t end) {
  int depth = 0;
  while (i < end) {
    if (i + 1 < end && text[i] == '/' && text[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (i + 1 < end && text[i] == '*' && text[i + 1] == '/') {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return end;
}

// Past a quoted run starting at `i` (the opening quote), where a doubled
// quote stands for one and, with `backslash`, `\x` escapes anything.
size_t SkipQuoted(std::string_view text, size_t i, size_t end, char quote, bool backslash) {
  ++i;
  while (i < end) {
    if (backslash && text[i] == '\\') {
      i += 2;
    } else if (text[i] == quote) {
      if (i + 1 < end && text[i + 1] == quote) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      ++i;
    }
  }
  return end;
}

// The dollar-quote tag (`$$`, `$body$`) starting at `i`, or 0 when `$` at `i`
// does not open one (a parameter like `$1`).
size_t DollarTagLength(std::string_view text, size_t i, size_t end) {
  size_t j = i + 1;
  if (j < end && text[j] >= '0' && text[j] <= '9') return 0;
  while (j < end && text[j] != '$' && IsWordByte(static_cast<unsigned char>(text[j]))) ++j;
  return j < end && text[j] == '$' ? j - i + 1 : 0;
}

size_t SkipDollarQuoted(std::string_view text, size_t i, size_t end, size_t tag_length) {
  std::string_view tag = text.substr(i, tag_length);
  size_t close = text.substr(0, end).find(tag, i + tag_length);
  return close == std::string_view::npos ? end : close + tag_length;
}

}  // namespace

std::vector<SqlToken> TokenizeSql(std::string_view text, size_t begin, size_t end) {
  end = std::min(end, text.size());
  std::vector<SqlToken> tokens;
  size_t i = begin;
  while (i < end) {
    char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < end && text[i + 1] == '-') {
      while (i < end && text[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < end && text[i + 1] == '*') {
      i = SkipBlockComment(text, i, end);
      continue;
    }
    SqlToken token;
    token.offset = i;
    if (c == '\'') {
      token.kind = SqlToken::Kind::kString;
      i = SkipQuoted(text, i, end, '\'', false);
    } else if (c == '"') {
      token.kind = SqlToken::Kind::kQuotedIdentifier;
      i = SkipQuoted(text, i, end, '"', false);
    } else if ((c == 'e' || c == 'E') && i + 1 < end && text[i + 1] == '\'') {
      token.kind = SqlToken::Kind::kString;
      i = SkipQuoted(text, i + 1, end, '\'', true);
    } else if (size_t tag = c == '$' ? DollarTagLength(text, i, end) : 0; tag > 0) {
      token.kind = SqlToken::Kind::kString;
      i = SkipDollarQuoted(text, i, end, tag);
    } else if (IsWordByte(static_cast<unsigned char>(c))) {
      token.kind = SqlToken::Kind::kWord;
      while (i < end && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    } else {
      token.kind = SqlToken::Kind::kPunctuation;
      ++i;
    }
    token.length = i - token.offset;
    tokens.push_back(token);
  }
  return tokens;
}

size_t SkipSqlSpaceAndComments(std::string_view text, size_t begin, size_t end) {
  end = std::min(end, text.size());
  size_t i = begin;
  while (i < end) {
    if (IsSpace(text[i])) {
      ++i;
    } else if (text[i] == '-' && i + 1 < end && text[i + 1] == '-') {
      while (i < end && text[i] != '\n') ++i;
    } else if (text[i] == '/' && i + 1 < end && text[i + 1] == '*') {
      i = SkipBlockComment(text, i, end);
    } else {
      return i;
    }
  }
  return end;
}

std::string SqlIdentifier(std::string_view text, const SqlToken& token) {
  std::string_view raw = text.substr(token.offset, token.length);
  std::string out;
  if (token.kind == SqlToken::Kind::kQuotedIdentifier) {
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      out += raw[i];
      if (raw[i] == '"' && i + 1 < raw.size() && raw[i + 1] == '"') ++i;
    }
    return out;
  }
  out.reserve(raw.size());
  for (char c : raw) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

LineIndex::LineIndex(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourcePosition LineIndex::At(size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line = static_cast<size_t>(it - line_starts_.begin());  // 1-based
  size_t start = line_starts_[line - 1];
  int column = 1;
  for (size_t i = start; i < offset; ++i) {
    // Continuation bytes (10xxxxxx) do not start a character.
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
  }
  return {static_cast<int>(line), column};
}

size_t LineIndex::OffsetOfCharacter(size_t position) const {
  size_t seen = 0;
  for (size_t i = 0; i < text_.size(); ++i) {
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80) continue;
    if (++seen == position) return i;
  }
  return text_.size();
}

}  // namespace ecsmig

namespace ecsmig {

std::vector<size_t> TopLevelClauseOffsets(std::string_view text, size_t begin, size_t end) {
  std::vector<size_t> offsets;
  int depth = 0;
  bool clause_open = false;
  for (const SqlToken& token : TokenizeSql(text, begin, end)) {
    char c = token.kind == SqlToken::Kind::kPunctuation ? text[token.offset] : '\0';
    if (!clause_open) {
      offsets.push_back(token.offset);
      clause_open = true;
    }
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (c == ',' && depth == 0) clause_open = false;
  }
  return offsets;
}

size_t SkipQualifiedName(std::string_view text, size_t name_offset, size_t end) {
  std::vector<SqlToken> tokens = TokenizeSql(text, name_offset, end);
  size_t i = 0;
  size_t past = name_offset;
  while (i < tokens.size() && (tokens[i].kind == SqlToken::Kind::kWord ||
                               tokens[i].kind == SqlToken::Kind::kQuotedIdentifier)) {
    past = tokens[i].offset + tokens[i].length;
    bool dot = i + 1 < tokens.size() && tokens[i + 1].kind == SqlToken::Kind::kPunctuation &&
               text[tokens[i + 1].offset] == '.';
    if (!dot) break;
    i += 2;
  }
  return past;
}

}  // namespace ecsmig
