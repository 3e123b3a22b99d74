#include "common/github/github.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/base/error.h"
#include "common/testing/memory_filesystem.h"

namespace ecsmig {
namespace {

std::vector<std::pair<std::string, std::string>> RoundTrip(
    const std::vector<std::pair<std::string, std::string>>& records, Random& random) {
  std::string file;
  for (const auto& [k, v] : records) file += FormatOutputRecord(k, v, random);
  return ParseOutputFile(file);
}

TEST(OutputRecord, SimpleValueUsesKeyEqualsValue) {
  SeededRandom random(1);
  EXPECT_EQ(FormatOutputRecord("changed", "true", random), "changed=true\n");
  EXPECT_EQ(FormatOutputRecord("files", "", random), "files=\n");
}

TEST(OutputRecord, MultilineValueUsesHeredocWithRandomDelimiter) {
  SeededRandom random(1);
  std::string record = FormatOutputRecord("files", "a\nb", random);
  ASSERT_EQ(record.rfind("files<<ghadelimiter_", 0), 0u) << record;
  auto parsed = ParseOutputFile(record);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].second, "a\nb");
}

TEST(OutputRecord, RejectsKeysThatAreNotSnakeCase) {
  SeededRandom random(1);
  EXPECT_THROW(FormatOutputRecord("Bad-Key", "x", random), Error);
  EXPECT_THROW(FormatOutputRecord("a=b", "x", random), Error);
  EXPECT_THROW(FormatOutputRecord("", "x", random), Error);
}

// A Random whose first delimiters are forced into the value: the writer must
// notice and draw again.
class ReplayRandom : public Random {
 public:
  explicit ReplayRandom(std::vector<uint64_t> values) : values_(std::move(values)) {}
  uint64_t NextU64() override { return values_[std::min(index_++, values_.size() - 1)]; }

 private:
  std::vector<uint64_t> values_;
  size_t index_ = 0;
};

TEST(OutputRecord, DelimiterThatOccursInValueIsRedrawn) {
  ReplayRandom probe({0, 0, 1, 1});
  std::string colliding = "ghadelimiter_" + probe.Hex(16);  // what the first draw will be
  ReplayRandom random({0, 0, 1, 1});
  std::string value = "x\n" + colliding + "\ny";
  std::string record = FormatOutputRecord("v", value, random);
  auto parsed = ParseOutputFile(record);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].second, value);
  EXPECT_EQ(record.find("v<<" + colliding), std::string::npos);
}

TEST(OutputRecord, HostileValuesReadBackExactly) {
  SeededRandom random(7);
  std::vector<std::pair<std::string, std::string>> records = {
      {"a", "EOF"},
      {"b", "line1\nEOF\nline3"},
      {"c", "x=y<<z"},
      {"d", "<<EOF"},
      {"e", "100% %0A %25"},
      {"f", "cr\rinside"},
      {"g", "crlf\r\nend\r\n"},
      {"h", "\n"},
      {"i", "\n\n"},
      {"j", "trailing\n"},
      {"k", "unicode \xE2\x9C\x93 \xF0\x9F\x9A\x80 \xC3\xA9"},
      {"l", "injected\nevil=1"},
      {"m", "ghadelimiter_\nghadelimiter_abc"},
      {"n", "=leading"},
      {"o", ""},
  };
  EXPECT_EQ(RoundTrip(records, random), records);
}

TEST(OutputRecord, RandomizedValuesNeverInjectOrLoseKeys) {
  SeededRandom random(42);
  const std::string alphabet = std::string("ab=<\n\r%EOF:,\x01 ") + "\xC3\xA9";
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::pair<std::string, std::string>> records;
    int n = 1 + static_cast<int>(random.NextU64() % 4);
    for (int i = 0; i < n; ++i) {
      std::string value;
      int len = static_cast<int>(random.NextU64() % 40);
      for (int j = 0; j < len; ++j) value += alphabet[random.NextU64() % alphabet.size()];
      records.emplace_back("k" + std::to_string(i), value);
    }
    ASSERT_EQ(RoundTrip(records, random), records) << "round " << round;
  }
}

TEST(ParseOutputFile, FollowsRunnerRules) {
  EXPECT_EQ(ParseOutputFile("a=1\n\nb=2=3\n"),
            (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2=3"}}));
  EXPECT_EQ(ParseOutputFile("k<<D\nv1\nv2\nD\n"),
            (std::vector<std::pair<std::string, std::string>>{{"k", "v1\nv2"}}));
  EXPECT_EQ(ParseOutputFile("k<<D\nD\n"),
            (std::vector<std::pair<std::string, std::string>>{{"k", ""}}));
  EXPECT_THROW(ParseOutputFile("k<<D\nv\n"), Error);
  EXPECT_THROW(ParseOutputFile("no separator\n"), Error);
  EXPECT_THROW(ParseOutputFile("=v\n"), Error);
}

TEST(OutputWriter, AppendsAllRecordsInOneWriteAndNeverTruncates) {
  MemoryFileSystem fs;
  fs.files["out"] = "before=1\n";
  SeededRandom random(3);
  std::ostringstream stdout_stream;
  OutputWriter writer(fs, random, "out", stdout_stream);
  writer.Set("a", "1");
  writer.Set("b", "x\ny");
  writer.Set("a", "2");  // replaces, not duplicates
  writer.Flush();
  EXPECT_EQ(fs.appends, 1);
  auto parsed = ParseOutputFile(fs.files["out"]);
  EXPECT_EQ(parsed, (std::vector<std::pair<std::string, std::string>>{
                        {"before", "1"}, {"a", "2"}, {"b", "x\ny"}}));
  EXPECT_TRUE(stdout_stream.str().empty());
}

TEST(OutputWriter, WritesToStdoutWithoutPath) {
  MemoryFileSystem fs;
  SeededRandom random(3);
  std::ostringstream stdout_stream;
  OutputWriter writer(fs, random, "", stdout_stream);
  writer.Set("changed", "false");
  writer.Flush();
  EXPECT_EQ(stdout_stream.str(), "changed=false\n");
  EXPECT_TRUE(fs.files.empty());
}

TEST(WorkflowCommands, EscapesLikeTheToolkit) {
  EXPECT_EQ(EscapeCommandData("50%\r\nx:y,z"), "50%25%0D%0Ax:y,z");
  EXPECT_EQ(EscapeCommandProperty("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
  AnnotationProperties props;
  props.file = "prisma/migrations/1_init/migration.sql";
  props.line = 3;
  props.title = "edit: applied";
  EXPECT_EQ(FormatWorkflowCommand("error", props, "bad\nthing"),
            "::error file=prisma/migrations/1_init/migration.sql,line=3,title=edit%3A "
            "applied::bad%0Athing");
  EXPECT_EQ(FormatWorkflowCommand("group", {}, "Logs"), "::group::Logs");
  props.col = 7;
  EXPECT_EQ(FormatWorkflowCommand("warning", props, "x"),
            "::warning file=prisma/migrations/1_init/migration.sql,line=3,col=7,title=edit%3A "
            "applied::x");
}

TEST(Logger, PlainOutsideActionsAnnotationsInside) {
  Redactor redactor;
  std::ostringstream plain;
  Logger outside("tool", plain, false, Verbosity::kNormal, redactor);
  outside.Warning("careful");
  EXPECT_EQ(plain.str(), "tool: warning: careful\n");

  std::ostringstream actions;
  Logger inside("tool", actions, true, Verbosity::kNormal, redactor);
  inside.Error("broken\nline");
  EXPECT_EQ(actions.str(), "::error title=tool::tool: broken%0Aline\n");
}

TEST(Logger, MaskIsAnnouncedAndRedactsEverythingAfter) {
  Redactor redactor;
  std::ostringstream err;
  Logger log("tool", err, true, Verbosity::kNormal, redactor);
  log.AddMask("s3cr3t-value\nsecond-line");
  log.Info("password is s3cr3t-value and second-line");
  std::string text = err.str();
  EXPECT_NE(text.find("::add-mask::s3cr3t-value%0Asecond-line\n"), std::string::npos);
  EXPECT_NE(text.find("::add-mask::second-line\n"), std::string::npos);
  EXPECT_NE(text.find("tool: password is *** and ***\n"), std::string::npos);
}

TEST(Logger, QuietKeepsOnlyErrors) {
  Redactor redactor;
  std::ostringstream err;
  Logger log("tool", err, false, Verbosity::kQuiet, redactor);
  log.Info("info");
  log.Warning("warn");
  log.Verbose("detail");
  log.Error("err");
  EXPECT_EQ(err.str(), "tool: error: err\n");
}

TEST(Logger, GroupsFoldOnlyInActions) {
  Redactor redactor;
  std::ostringstream err;
  Logger log("tool", err, true, Verbosity::kNormal, redactor);
  log.StartGroup("Logs");
  log.Raw("line");
  log.EndGroup();
  log.EndGroup();  // idempotent
  EXPECT_EQ(err.str(), "::group::Logs\nline\n::endgroup::\n");
}

TEST(StepSummary, AppendsRedactedMarkdownOrNothing) {
  MemoryFileSystem fs;
  Redactor redactor;
  redactor.AddSecret("hunter22");
  StepSummary summary(fs, "sum", redactor);
  summary.Append("### Result\npass hunter22");
  EXPECT_EQ(fs.files["sum"], "### Result\npass ***\n");
  StepSummary disabled(fs, "", redactor);
  disabled.Append("x");
  EXPECT_EQ(fs.files.size(), 1u);
}

// #15 item 3: `x=1` without its newline must not swallow our first record.
TEST(OutputWriter, StartsOnANewLineWhenTheFileDoesNotEndWithOne) {
  MemoryFileSystem fs;
  SeededRandom random(1);
  std::ostringstream out;
  fs.files["o"] = "x=1";
  OutputWriter writer(fs, random, "o", out);
  writer.Set("changed", "true");
  writer.Flush();
  EXPECT_EQ(fs.files["o"], "x=1\nchanged=true\n");
  writer.Set("count", "2");
  writer.Flush();
  EXPECT_EQ(fs.files["o"], "x=1\nchanged=true\ncount=2\n");
  auto parsed = ParseOutputFile(fs.files["o"]);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[1], (std::pair<std::string, std::string>("changed", "true")));
}

TEST(OutputWriter, CheckAppendableRefusesNamingTheSource) {
  MemoryFileSystem fs;
  fs.failing["/dir"] = "Is a directory";
  SeededRandom random(1);
  std::ostringstream out;
  OutputWriter bad(fs, random, "/dir", out);
  try {
    bad.CheckAppendable("GITHUB_OUTPUT");
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("GITHUB_OUTPUT"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Is a directory"), std::string::npos) << e.what();
  }
  OutputWriter good(fs, random, "/ok", out);
  good.CheckAppendable("--output");
  EXPECT_EQ(fs.files["/ok"], "");
}

TEST(StepSummary, AFailedWriteIsOneWarningNeverAnException) {
  MemoryFileSystem fs;
  fs.failing["sum"] = "Is a directory";
  Redactor redactor;
  std::vector<std::string> warnings;
  int before = 0;
  StepSummary summary(
      fs, "sum", redactor, [&] { ++before; }, [&](const std::string& w) { warnings.push_back(w); });
  summary.Append("one");
  summary.Append("two");
  EXPECT_EQ(before, 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("could not write the step summary"), std::string::npos);
  EXPECT_FALSE(summary.enabled());
}

// #15 item 6: text from outside never starts a line of its own.
TEST(EscapeLogText, ControlCharactersAndTheOldCommandPrefix) {
  EXPECT_EQ(EscapeLogText("a\nb\rc\td\x1b[0m\x7f"), "a\\nb\\rc\td\\x1b[0m\\x7f");
  EXPECT_EQ(EscapeLogText("x##[warning]y"), "x##\\[warning]y");
  EXPECT_EQ(EscapeLogText("#[ok] caf\xc3\xa9"), "#[ok] caf\xc3\xa9");
}

TEST(Logger, ValuesFromOutsideStayOnOneLine) {
  Redactor redactor;
  std::ostringstream err;
  Logger log("tool", err, false, Verbosity::kVerbose, redactor);
  log.Info("file x\n::warning::INJECTED\ny/migration.sql");
  log.Verbose("status RUNNING\r::error::x");
  log.Warning("w\n::add-mask::z", {"", "a\nb", 0});
  log.Raw("::warning::raw");
  log.Raw("  ::warning::raw");
  EXPECT_EQ(err.str(),
            "tool: file x\\n::warning::INJECTED\\ny/migration.sql\n"
            "tool: status RUNNING\\r::error::x\n"
            "tool: warning: a\\nb: w\\n::add-mask::z\n"
            "| ::warning::raw\n"
            "|   ::warning::raw\n");
}

TEST(Logger, AnnotationsInActionsAreOneCommandLine) {
  Redactor redactor;
  std::ostringstream err;
  Logger log("tool", err, true, Verbosity::kNormal, redactor);
  log.Error("bad\n::warning::x");
  log.StartGroup("g\n::error::y");
  EXPECT_EQ(err.str(),
            "::error title=tool::tool: bad%0A::warning::x\n"
            "::group::g\\n::error::y\n");
}

TEST(MarkdownEscape, NeutralisesTableAndHtml) {
  EXPECT_EQ(MarkdownEscape("a|b`c<d>\ne"), "a\\|b\\`c&lt;d&gt;<br>e");
}

}  // namespace
}  // namespace ecsmig
