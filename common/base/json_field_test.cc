#include "common/base/json_field.h"

#include <gtest/gtest.h>

namespace ecsmig {
namespace {

using nlohmann::json;

TEST(JsonString, ReadsStringsOnly) {
  json object = {{"name", "app"}, {"port", 5432}};
  EXPECT_EQ(JsonString(object, "name"), "app");
  EXPECT_EQ(JsonString(object, "port", "none"), "none");
  EXPECT_EQ(JsonString(object, "missing", "none"), "none");
  EXPECT_EQ(JsonString(json::array({"name"}), "name", "none"), "none");
}

TEST(JsonInteger, IntegersOfEveryJsonKind) {
  EXPECT_EQ(JsonInteger(json(-3)), -3);
  EXPECT_EQ(JsonInteger(json(1700000000123ULL)), 1700000000123LL);
  EXPECT_EQ(JsonInteger(json::parse("1.7e12")), 1700000000000LL);
  EXPECT_EQ(JsonInteger(json::parse("-9223372036854775808")),
            std::numeric_limits<long long>::min());
}

// The log_events fuzzer's finding: a timestamp of 1e300 was cast to long long.
TEST(JsonInteger, NumbersNoIntegerHoldsAreAbsent) {
  EXPECT_EQ(JsonInteger(json::parse("1e300")), std::nullopt);
  EXPECT_EQ(JsonInteger(json::parse("-1e300")), std::nullopt);
  EXPECT_EQ(JsonInteger(json::parse("9223372036854775808")), std::nullopt);
  EXPECT_EQ(JsonInteger(json::parse("18446744073709551615")), std::nullopt);
  EXPECT_EQ(JsonInteger(json::parse("9.3e18")), std::nullopt);
  EXPECT_EQ(JsonInteger(json(std::nan(""))), std::nullopt);
  EXPECT_EQ(JsonInteger(json(1.5)), std::nullopt);
  EXPECT_EQ(JsonInteger(json("12")), std::nullopt);
  EXPECT_EQ(JsonInteger(json(nullptr)), std::nullopt);
}

TEST(JsonIntegerField, AbsentWhenNotAnObjectOrNoField) {
  EXPECT_EQ(JsonIntegerField(json{{"exitCode", 1}}, "exitCode"), 1);
  EXPECT_EQ(JsonIntegerField(json{{"exitCode", 1}}, "other"), std::nullopt);
  EXPECT_EQ(JsonIntegerField(json::array({1}), "exitCode"), std::nullopt);
}

}  // namespace
}  // namespace ecsmig
