#include "common/base/duration.h"

#include <gtest/gtest.h>

#include "common/base/error.h"

namespace ecsmig {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsContractForms) {
  EXPECT_EQ(ParseDuration("90s"), milliseconds(90000));
  EXPECT_EQ(ParseDuration("15m"), milliseconds(900000));
  EXPECT_EQ(ParseDuration("1h"), milliseconds(3600000));
  EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("1m30s500ms"), milliseconds(90500));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(ParseDuration, RejectsMalformedWithFlagName) {
  for (const char* bad :
       {"", "10", "s", "1x", "-5m", "1.5h", "1h 30m", "m5", "99999999999h", "8d"}) {
    try {
      ParseDuration(bad, "timeout");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--timeout"), std::string::npos) << e.what();
      EXPECT_EQ(e.exit_code(), kExitUsage);
    }
  }
}

TEST(FormatDuration, ReadsNaturally) {
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatDuration(milliseconds(61000)), "1m01s");
  EXPECT_EQ(FormatDuration(milliseconds(3723000)), "1h02m03s");
}

}  // namespace
}  // namespace ecsmig
