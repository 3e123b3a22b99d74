#include "common/net/percent_encoding.h"

#include <gtest/gtest.h>

namespace ecsmig {
namespace {

TEST(PercentEncode, KeepsUnreservedOnly) {
  EXPECT_EQ(PercentEncode("aZ09-_.~ /+*%"), "aZ09-_.~%20%2F%2B%2A%25");
  EXPECT_EQ(PercentEncode("\xe1\x88\xb4"), "%E1%88%B4");
  EXPECT_EQ(PercentEncode("prod eu/1&x"), "prod%20eu%2F1%26x");
  EXPECT_EQ(PercentEncode(std::string("a\0b", 3)), "a%00b");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PercentEncode, KeepsWhatTheCallerAllows) {
  EXPECT_EQ(PercentEncode("/a b/", "/"), "/a%20b/");
  // encodeURIComponent: ! * ' ( ) stay, the rest of the reserved set does not.
  EXPECT_EQ(PercentEncode("a!*'()b /:?#[]@$&+,;=", "!*'()"),
            "a!*'()b%20%2F%3A%3F%23%5B%5D%40%24%26%2B%2C%3B%3D");
}

TEST(PercentDecode, KeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("a%20b%2"), "a b%2");
  EXPECT_EQ(PercentDecode("%zz+%41"), "%zz+A");
  EXPECT_EQ(PercentDecode("%2f%2F%"), "//%");
}

TEST(PercentDecode, UndoesPercentEncode) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(PercentDecode(PercentEncode(all)), all);
  EXPECT_EQ(PercentDecode(PercentEncode(all, "!*'()/")), all);
}

}  // namespace
}  // namespace ecsmig
