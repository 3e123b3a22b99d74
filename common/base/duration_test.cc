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

std::string WhyNot(const char* text) {
  try {
    ParseDuration(text, "timeout");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "accepted";
}

// #15 item 12: each refusal says what is wrong, not a generic "missing unit".
TEST(ParseDuration, SaysPreciselyWhatIsWrong) {
  EXPECT_NE(WhyNot("0.5s").find("fractional values are not supported"), std::string::npos);
  EXPECT_NE(WhyNot("1,5m").find("fractional values are not supported"), std::string::npos);
  EXPECT_NE(WhyNot("90S").find("unknown unit 'S'"), std::string::npos);
  EXPECT_NE(WhyNot("8d").find("unknown unit 'd'"), std::string::npos);
  EXPECT_NE(WhyNot("5min").find("unknown unit 'min'"), std::string::npos);
  EXPECT_NE(WhyNot("1h1h").find("unit 'h' repeated"), std::string::npos);
  EXPECT_NE(WhyNot("30s1m").find("unit 'm' after 's'"), std::string::npos);
  EXPECT_NE(WhyNot("500ms1s").find("unit 's' after 'ms'"), std::string::npos);
  EXPECT_NE(WhyNot("10").find("missing unit after 10"), std::string::npos);
  EXPECT_NE(WhyNot("1h 30m").find("unexpected ' '"), std::string::npos);
  EXPECT_NE(WhyNot("1 h").find("unexpected ' ' after 1"), std::string::npos);
  EXPECT_NE(WhyNot("m5").find("missing number before 'm5'"), std::string::npos);
  EXPECT_NE(WhyNot("-5m").find("negative"), std::string::npos);
  EXPECT_NE(WhyNot("99999999999h").find("longer than 7 days"), std::string::npos);
  EXPECT_NE(WhyNot("").find("empty"), std::string::npos);
  EXPECT_NE(WhyNot("1h\n::warning::x").find("unexpected '\n'"), std::string::npos);
  EXPECT_NE(WhyNot("1h30m").find("accepted"), std::string::npos);
}

TEST(FormatDuration, ReadsNaturally) {
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatDuration(milliseconds(61000)), "1m01s");
  EXPECT_EQ(FormatDuration(milliseconds(3723000)), "1h02m03s");
}

}  // namespace
}  // namespace ecsmig
