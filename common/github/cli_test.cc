// RunTool, the one boundary every tool goes through: flags, outputs, summary
// and exit codes (#15 items 1, 2, 6, 11).
#include "common/github/cli.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "common/base/error.h"
#include "common/testing/memory_filesystem.h"

namespace ecsmig {
namespace {

class RunToolTest : public ::testing::Test {
 protected:
  // A tool with one single-valued and one repeatable flag; `body` does the work.
  int Run(std::vector<std::string> args, std::function<int(ToolRun&)> body = nullptr) {
    ToolSpec spec;
    spec.name = "t";
    spec.summary = "a test tool";
    spec.add_options = [](cxxopts::Options& options) {
      options.add_options()("cluster", "the cluster", cxxopts::value<std::string>())(
          "tag", "a tag (repeatable)", cxxopts::value<std::string>())("flag", "a switch");
    };
    spec.run = [&](ToolRun& run, const cxxopts::ParseResult&) {
      ++runs;
      return body ? body(run) : 0;
    };
    args.insert(args.begin(), "t");
    return RunTool(spec, args, ctx);
  }

  std::map<std::string, std::string> Outputs(const std::string& path = "/gh/output") {
    std::map<std::string, std::string> out;
    for (auto& [k, v] : ParseOutputFile(fs.files[path])) out[k] = v;
    return out;
  }

  MapEnvironment env{{{"GITHUB_OUTPUT", "/gh/output"}}};
  FakeClock clock;
  MemoryFileSystem fs;
  SeededRandom random{7};
  std::ostringstream out, err;
  ToolContext ctx{env, clock, fs, random, out, err, nullptr};
  int runs = 0;
};

TEST_F(RunToolTest, ASingleValuedFlagGivenTwiceIsRefused) {
  EXPECT_EQ(Run({"--cluster", "a", "--cluster", "b"}), kExitUsage);
  EXPECT_EQ(err.str(), "t: error: --cluster given more than once (see --help)\n");
  EXPECT_EQ(Run({"--output", "/x", "--output", "/y"}), kExitUsage);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(Run({"--tag", "a=1", "--tag", "b=2", "--flag", "--flag", "--cluster", "a"}), 0);
  EXPECT_EQ(runs, 1);
}

TEST_F(RunToolTest, AnOutputsFileThatCannotBeAppendedToIsExitTwoBeforeTheTool) {
  for (const char* why : {"No such file or directory", "Is a directory", "Permission denied"}) {
    fs.failing["/gh/output"] = why;
    err.str("");
    EXPECT_EQ(Run({}), kExitUsage) << why;
    EXPECT_NE(err.str().find("GITHUB_OUTPUT"), std::string::npos) << err.str();
    EXPECT_NE(err.str().find(why), std::string::npos) << err.str();
    fs.failing["/elsewhere"] = why;
    err.str("");
    EXPECT_EQ(Run({"--output", "/elsewhere"}), kExitUsage) << why;
    EXPECT_NE(err.str().find("--output"), std::string::npos) << err.str();
  }
  EXPECT_EQ(runs, 0);
}

TEST_F(RunToolTest, AnUnwritableSummaryIsAWarningAndLosesNoOutput) {
  env.Set("GITHUB_STEP_SUMMARY", "/gh/summary");
  fs.failing["/gh/summary"] = "Is a directory";
  for (int code : {0, 125, 3}) {
    fs.files.erase("/gh/output");
    err.str("");
    EXPECT_EQ(Run({},
                  [&](ToolRun& run) {
                    run.outputs().Set("task_arn", "arn:1");
                    run.summary().Append("### started");
                    run.outputs().Set("result", "done");
                    return code;
                  }),
              code);
    EXPECT_EQ(Outputs()["task_arn"], "arn:1");
    EXPECT_EQ(Outputs()["result"], "done");
    EXPECT_NE(err.str().find("warning: could not write the step summary"), std::string::npos)
        << err.str();
  }
  // With -q the warning is silent, but the outputs are still written.
  fs.files.erase("/gh/output");
  EXPECT_EQ(Run({"-q"},
                [&](ToolRun& run) {
                  run.outputs().Set("task_arn", "arn:2");
                  run.summary().Append("x");
                  return 0;
                }),
            0);
  EXPECT_EQ(Outputs()["task_arn"], "arn:2");
}

TEST_F(RunToolTest, OutputsComeBeforeTheSummary) {
  env.Set("GITHUB_STEP_SUMMARY", "/gh/summary");
  EXPECT_EQ(Run({},
                [&](ToolRun& run) {
                  run.outputs().Set("task_arn", "arn:1");
                  run.summary().Append("### started");
                  EXPECT_EQ(Outputs()["task_arn"], "arn:1");  // already on disk
                  return 0;
                }),
            0);
  EXPECT_EQ(fs.files["/gh/summary"], "### started\n");
}

TEST_F(RunToolTest, AnErrorThrownAfterAnOutputIsKnownKeepsTheOutput) {
  EXPECT_EQ(Run({},
                [&](ToolRun& run) -> int {
                  run.outputs().Set("task_arn", "arn:1");
                  throw Error("DescribeTasks failed", 1);
                }),
            1);
  EXPECT_EQ(Outputs()["task_arn"], "arn:1");
  EXPECT_NE(err.str().find("t: error: DescribeTasks failed"), std::string::npos);
}

TEST_F(RunToolTest, OutputsThatCannotBeWrittenAtTheEndFailASuccess) {
  EXPECT_EQ(Run({},
                [&](ToolRun& run) {
                  run.outputs().Set("x", "1");
                  fs.failing["/gh/output"] = "No space left on device";
                  return 0;
                }),
            kExitFailed);
  EXPECT_NE(err.str().find("could not write the outputs"), std::string::npos) << err.str();
}

TEST_F(RunToolTest, HelpSaysWhatTheToolDoesThenItsDetails) {
  ToolSpec spec;
  spec.name = "t";
  spec.summary = "Does one thing";
  spec.details = "Exit codes: 0 done.";
  spec.run = [](ToolRun&, const cxxopts::ParseResult&) { return 0; };
  EXPECT_EQ(RunTool(spec, {"t", "--help"}, ctx), 0);
  EXPECT_EQ(out.str().rfind("Does one thing\n", 0), 0u) << out.str();
  EXPECT_NE(out.str().find("\nExit codes: 0 done.\n"), std::string::npos) << out.str();
}

TEST_F(RunToolTest, FlagErrorsAreOneEscapedLine) {
  EXPECT_EQ(Run({"--cluster", "a", "stray\n::warning::x"}), kExitUsage);
  EXPECT_EQ(err.str(), "t: error: unexpected argument 'stray\\n::warning::x' (see --help)\n");
}

}  // namespace
}  // namespace ecsmig
