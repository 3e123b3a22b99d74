#include "common/github/markdown.h"

#include <gtest/gtest.h>

namespace ecsmig {
namespace {

TEST(MarkdownText, NothingRendersAsMarkup) {
  EXPECT_EQ(MarkdownText("[x](http://e.vil) ![i](y)"),
            "\\[x\\]\\(http\\:\\/\\/e\\.vil\\) \\!\\[i\\]\\(y\\)");
  EXPECT_EQ(MarkdownText("a|b`c*d_e<f>&g~h"), "a\\|b\\`c\\*d\\_e\\<f\\>\\&g\\~h");
  EXPECT_EQ(MarkdownText("www.evil.com"), "www\\.evil\\.com");  // no GFM autolink
  EXPECT_EQ(MarkdownText("a\\b"), "a\\\\b");
  EXPECT_EQ(MarkdownText("plain name 123"), "plain name 123");
}

TEST(MarkdownText, ControlCharactersAreVisible) {
  EXPECT_EQ(MarkdownText("x\n::warning::y"), "x\\n\\:\\:warning\\:\\:y");
  EXPECT_EQ(MarkdownText(std::string("a\tb\x1b", 4)), "a\\tb\\x1B");
}

TEST(MarkdownText, InvalidUtf8IsReplacedAsInJsonOutputs) {
  EXPECT_EQ(MarkdownText("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(MarkdownText("bad\xff"), "bad\xef\xbf\xbd");
}

}  // namespace
}  // namespace ecsmig
