#include "common/aws/shared_config.h"

#include <gtest/gtest.h>

#include <map>

#include "common/base/error.h"
#include "common/testing/memory_filesystem.h"

namespace ecsmig {
namespace {

using Vars = std::map<std::string, std::string>;

TEST(ParseIni, SectionsKeysAndValues) {
  IniSections sections = ParseIni(
      "[default]\n"
      "region = us-east-1\n"
      "output=json\n"
      "[profile ci]\n"
      "role_arn = arn:aws:iam::123456789012:role/ci\n",
      "config");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections["default"]["region"], "us-east-1");
  EXPECT_EQ(sections["default"]["output"], "json");
  EXPECT_EQ(sections["profile ci"]["role_arn"], "arn:aws:iam::123456789012:role/ci");
}

TEST(ParseIni, CommentsWithHashAndSemicolon) {
  IniSections sections = ParseIni(
      "# a comment\n"
      "; another\n"
      "[default] # header comment\n"
      "  # indented comment\n"
      "region = eu-west-1 # trailing comment\n"
      "output = json ; trailing comment\n"
      "color = a#b;c\n"
      "[other];comment\n"
      "x = 1\n",
      "config");
  EXPECT_EQ(sections["default"].size(), 3u);
  EXPECT_EQ(sections["default"]["region"], "eu-west-1");
  EXPECT_EQ(sections["default"]["output"], "json");
  // Without whitespace before it, '#' or ';' is part of the value.
  EXPECT_EQ(sections["default"]["color"], "a#b;c");
  EXPECT_EQ(sections["other"]["x"], "1");
}

TEST(ParseIni, WhitespaceIsTrimmedAndKeysAreCaseInsensitive) {
  IniSections sections = ParseIni(
      "  [  MyProfile  ]  \n"
      "\tAWS_Access_Key_ID\t=\tAKIDEXAMPLE   \n"
      "Region=us-west-2\n"
      "empty =\n",
      "credentials");
  ASSERT_EQ(sections.count("MyProfile"), 1u) << "section names keep their case";
  EXPECT_EQ(sections.count("myprofile"), 0u);
  EXPECT_EQ(sections["MyProfile"]["aws_access_key_id"], "AKIDEXAMPLE");
  EXPECT_EQ(sections["MyProfile"]["region"], "us-west-2");
  EXPECT_EQ(sections["MyProfile"]["empty"], "");
}

TEST(ParseIni, SubSectionsKeepTheirKeysApart) {
  IniSections sections = ParseIni(
      "[default]\n"
      "s3 =\n"
      "  region = ap-south-1\n"
      "  max_concurrent_requests = 10\n"
      "region = us-east-1\n"
      "[profile x]\n"
      "s3 =\n"
      "    region = eu-north-1\n",
      "config");
  EXPECT_EQ(sections["default"]["region"], "us-east-1");
  EXPECT_EQ(sections["default"]["s3"], "");
  EXPECT_EQ(sections["default"].count("max_concurrent_requests"), 0u);
  EXPECT_EQ(sections["profile x"].count("region"), 0u) << "a sub-section never leaks its keys";
  EXPECT_EQ(sections["default"]["s3.max_concurrent_requests"], "10");
  EXPECT_EQ(sections["profile x"]["s3.region"], "eu-north-1");
}

TEST(ParseIni, ContinuationLinesJoinTheValue) {
  IniSections sections = ParseIni(
      "[default]\n"
      "credential_process = /bin/get-creds\n"
      "  --profile ci\n"
      "region = us-east-1\n",
      "config");
  EXPECT_EQ(sections["default"]["credential_process"], "/bin/get-creds\n--profile ci");
  EXPECT_EQ(sections["default"]["region"], "us-east-1");
}

TEST(ParseIni, DuplicateKeysLaterWinsAndSectionsMerge) {
  IniSections sections = ParseIni(
      "[default]\n"
      "region = us-east-1\n"
      "output = json\n"
      "region = eu-west-1\n"
      "[other]\n"
      "a = 1\n"
      "[default]\n"
      "output = text\n"
      "extra = yes\n",
      "config");
  EXPECT_EQ(sections["default"]["region"], "eu-west-1");
  EXPECT_EQ(sections["default"]["output"], "text");
  EXPECT_EQ(sections["default"]["extra"], "yes");
  EXPECT_EQ(sections.size(), 2u);
}

TEST(ParseIni, CrlfLineEndings) {
  IniSections sections =
      ParseIni("[default]\r\naws_access_key_id = AKID\r\naws_secret_access_key = SECRET\r\n\r\n",
               "credentials");
  EXPECT_EQ(sections["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ(sections["default"]["aws_secret_access_key"], "SECRET");
}

TEST(ParseIni, EmptyAndBlankInput) {
  EXPECT_TRUE(ParseIni("", "x").empty());
  EXPECT_TRUE(ParseIni("\n\n   \n\t\n", "x").empty());
  EXPECT_TRUE(ParseIni("# only a comment", "x").empty());
}

TEST(ParseIni, PropertiesBeforeAnySectionBelongToNothing) {
  IniSections sections = ParseIni("region = us-east-1\n[default]\noutput = json\n", "config");
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections["default"].count("region"), 0u);
}

TEST(ParseIni, MalformedLineNamesFileAndLineButNotItsText) {
  try {
    ParseIni("[default]\naws_access_key_id = AKID\nwJalrXUtnFEMIsecretLine\n", "/home/u/.aws/cred");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("/home/u/.aws/cred"), std::string::npos) << message;
    EXPECT_NE(message.find("line 3"), std::string::npos) << message;
    EXPECT_EQ(message.find("wJalrXUtnFEMIsecretLine"), std::string::npos) << message;
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
}

TEST(ParseIni, MalformedHeaders) {
  EXPECT_THROW(ParseIni("[default\nx = 1\n", "f"), UsageError);
  EXPECT_THROW(ParseIni("[]\n", "f"), UsageError);
  EXPECT_THROW(ParseIni("[  ]\n", "f"), UsageError);
  EXPECT_THROW(ParseIni("[default] junk\n", "f"), UsageError);
  EXPECT_THROW(ParseIni("[default]\n= value\n", "f"), UsageError);
}

TEST(ProfilesFromIni, ConfigFileUsesProfilePrefix) {
  IniSections profiles = ProfilesFromIni(ParseIni("[default]\nregion = a\n"
                                                  "[profile ci]\nregion = b\n"
                                                  "[profile\tspaced  ]\nregion = c\n"
                                                  "[bare]\nregion = d\n"
                                                  "[sso-session corp]\nsso_region = e\n"
                                                  "[services dev]\nx = y\n"
                                                  "[profilenospace]\nregion = f\n",
                                                  "config"),
                                         SharedFileKind::kConfig);
  ASSERT_EQ(profiles.size(), 3u);
  EXPECT_EQ(profiles["default"]["region"], "a");
  EXPECT_EQ(profiles["ci"]["region"], "b");
  EXPECT_EQ(profiles["spaced"]["region"], "c");
}

TEST(ProfilesFromIni, ProfileDefaultWinsOverDefault) {
  IniSections profiles = ProfilesFromIni(
      ParseIni("[profile default]\nregion = explicit\n[default]\nregion = plain\n", "config"),
      SharedFileKind::kConfig);
  EXPECT_EQ(profiles["default"]["region"], "explicit");
}

TEST(ProfilesFromIni, CredentialsFileUsesBareNames) {
  IniSections profiles =
      ProfilesFromIni(ParseIni("[default]\naws_access_key_id = A\n[ci]\naws_access_key_id = B\n"
                               "[profile ci]\naws_access_key_id = C\n",
                               "credentials"),
                      SharedFileKind::kCredentials);
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles["default"]["aws_access_key_id"], "A");
  EXPECT_EQ(profiles["ci"]["aws_access_key_id"], "B");
}

TEST(SharedConfig, LoadsBothFilesFromHome) {
  MapEnvironment env(Vars{{"HOME", "/home/u"}});
  MemoryFileSystem fs;
  fs.files["/home/u/.aws/config"] = "[profile ci]\nregion = us-east-2\naws_access_key_id = CFG\n";
  fs.files["/home/u/.aws/credentials"] = "[ci]\naws_access_key_id = CRED\n[only-creds]\nx = 1\n";
  SharedConfig config = SharedConfig::Load(env, fs);
  EXPECT_EQ(config.config_path(), "/home/u/.aws/config");
  EXPECT_EQ(config.credentials_path(), "/home/u/.aws/credentials");
  EXPECT_TRUE(config.HasProfile("ci"));
  EXPECT_TRUE(config.HasProfile("only-creds"));
  EXPECT_FALSE(config.HasProfile("missing"));
  IniProperties merged = config.Merged("ci");
  EXPECT_EQ(merged["aws_access_key_id"], "CRED") << "the credentials file wins";
  EXPECT_EQ(merged["region"], "us-east-2");
  ASSERT_NE(config.ConfigProfile("ci"), nullptr);
  EXPECT_EQ(config.ConfigProfile("ci")->at("aws_access_key_id"), "CFG");
  EXPECT_EQ(config.ConfigProfile("only-creds"), nullptr);
}

TEST(SharedConfig, VariablesOverridePathsAndExpandTilde) {
  MapEnvironment env(Vars{{"HOME", "/home/u"},
                          {"AWS_CONFIG_FILE", "~/cfg/config"},
                          {"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"}});
  MemoryFileSystem fs;
  fs.files["/home/u/cfg/config"] = "[default]\nregion = r\n";
  fs.files["/home/u/.aws/config"] = "[default]\nregion = ignored\n";
  SharedConfig config = SharedConfig::Load(env, fs);
  EXPECT_EQ(config.config_path(), "/home/u/cfg/config");
  EXPECT_EQ(config.credentials_path(), "/etc/creds");
  EXPECT_EQ(config.Merged("default")["region"], "r");
}

TEST(SharedConfig, MissingFilesAndNoHomeAreEmpty) {
  MapEnvironment env;
  MemoryFileSystem fs;
  SharedConfig config = SharedConfig::Load(env, fs);
  EXPECT_EQ(config.config_path(), "");
  EXPECT_FALSE(config.HasProfile("default"));
  MapEnvironment with_home(Vars{{"HOME", "/nowhere"}});
  EXPECT_FALSE(SharedConfig::Load(with_home, fs).HasProfile("default"));
}

TEST(SharedConfig, MalformedFileThrowsUsageErrorNamingIt) {
  MapEnvironment env(Vars{{"HOME", "/home/u"}});
  MemoryFileSystem fs;
  fs.files["/home/u/.aws/credentials"] = "[default]\nnot a property\n";
  try {
    SharedConfig::Load(env, fs);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/home/u/.aws/credentials line 2"), std::string::npos)
        << e.what();
  }
}

TEST(FindProperty, EmptyIsAbsent) {
  IniProperties properties{{"a", "1"}, {"b", ""}};
  EXPECT_EQ(FindProperty(properties, "a"), "1");
  EXPECT_EQ(FindProperty(properties, "b"), std::nullopt);
  EXPECT_EQ(FindProperty(properties, "c"), std::nullopt);
}

}  // namespace
}  // namespace ecsmig
