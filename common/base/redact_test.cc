#include "common/base/redact.h"

#include <gtest/gtest.h>

#include "common/base/error.h"

namespace ecsmig {
namespace {

TEST(RedactUrlCredentials, MasksPasswordKeepsUserAndHost) {
  EXPECT_EQ(RedactUrlCredentials("postgresql://user:password@host:5432/db"),
            "postgresql://user:***@host:5432/db");
  EXPECT_EQ(RedactUrlCredentials("DATABASE_URL=\"mysql://root:p@ss@db/x\" ok"),
            "DATABASE_URL=\"mysql://root:***@db/x\" ok");
  EXPECT_EQ(RedactUrlCredentials("a https://x:y@h b redis://:tok@r:6379"),
            "a https://x:***@h b redis://:***@r:6379");
}

// Passwords are often generated: '/', '?', '#' and '@' appear unescaped.
TEST(RedactUrlCredentials, MasksPasswordsHoldingDelimiters) {
  EXPECT_EQ(RedactUrlCredentials("postgres://app:pa/ss@db:5432/x"), "postgres://app:***@db:5432/x");
  EXPECT_EQ(RedactUrlCredentials("postgres://app:p?w=1@db/x"), "postgres://app:***@db/x");
  EXPECT_EQ(RedactUrlCredentials("postgres://app:p#w@db/x"), "postgres://app:***@db/x");
  EXPECT_EQ(RedactUrlCredentials("u=postgres://app:a/b?c#d@e@db:1/x?mail=a@b.c end"),
            "u=postgres://app:***@db:1/x?mail=a@b.c end");
  EXPECT_EQ(RedactUrlCredentials("mysql://root:s3cr3t@db/x?y=z@w"), "mysql://root:***@db/x?y=z@w");
  EXPECT_EQ(RedactUrlCredentials("'postgres://a:x1/2@h' and https://b:c/d@e/f"),
            "'postgres://a:***@h' and https://b:***@e/f");
  EXPECT_EQ(RedactUrlCredentials("postgres://app:12345/x@db"), "postgres://app:12345/x@db")
      << "digits then '/' read as a port: the '@' is in the path";
}

TEST(RedactUrlCredentials, LeavesUrlsWithoutPasswordsAlone) {
  for (const char* text :
       {"https://example.com/a@b", "git@github.com:o/r", "ssh://git@host/x", "no url here",
        "://weird", "http://host?q=a:b@c", "https://host:8080/path?email=a@b.c",
        "https://host:443/a@b", "https://user@host/x:y@z"}) {
    EXPECT_EQ(RedactUrlCredentials(text), text);
  }
}

TEST(Redactor, MasksSecretsLongestFirstAndIgnoresTinyValues) {
  Redactor redactor;
  redactor.AddSecret("abcd");
  redactor.AddSecret("abcdefgh");
  redactor.AddSecret("1");
  EXPECT_EQ(redactor.Redact("x abcdefgh y abcd z 1"), "x *** y *** z 1");
}

TEST(Redactor, UserPatternsAndBadPattern) {
  Redactor redactor;
  redactor.AddPattern("tok_[a-z0-9]+");
  EXPECT_EQ(redactor.Redact("use tok_abc123 now"), "use *** now");
  EXPECT_THROW(redactor.AddPattern("(unclosed"), UsageError);
}

}  // namespace
}  // namespace ecsmig
