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

TEST(RedactUrlCredentials, LeavesUrlsWithoutPasswordsAlone) {
  for (const char* text : {"https://example.com/a@b", "git@github.com:o/r", "ssh://git@host/x",
                           "no url here", "://weird", "http://host?q=a:b@c"}) {
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
