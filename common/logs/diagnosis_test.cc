#include "common/logs/diagnosis.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/base/error.h"
#include "common/github/github.h"

namespace ecsmig {
namespace {

// Prisma's own output, kept with its source in tests/data/prisma/README.md.
std::string PrismaText(const std::string& name) {
  std::ifstream in(std::string(ECSMIG_TEST_DATA_DIR) + "/prisma/" + name);
  if (!in) throw Error("missing test data " + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Feeds `text` line by line, one log event per line, a second apart.
Diagnosis DiagnoseText(const std::string& text) {
  TaskLogAnalysis analysis;
  std::istringstream lines(text);
  std::string line;
  long long t = 1700000000000;
  while (std::getline(lines, line)) analysis.AddLogEvent(line, t += 1000);
  return analysis.Result();
}

TEST(DiagnosisTest, NativeP3009NamesTheMigrationAndTheResolveStep) {
  Diagnosis d = DiagnoseText(PrismaText("native-P3009.txt"));
  EXPECT_EQ(d.id, "prisma:P3009");
  EXPECT_EQ(d.migration, "20240528214728_add_cursor_index_03");
  EXPECT_NE(
      d.action.find("prisma migrate resolve --rolled-back \"20240528214728_add_cursor_index_03\""),
      std::string::npos)
      << d.action;
  EXPECT_NE(d.action.find("--applied \"20240528214728_add_cursor_index_03\""), std::string::npos);
  EXPECT_EQ(d.doc_url, "https://pris.ly/d/migrate-resolve");
}

TEST(DiagnosisTest, AdapterP3009IsTheSameText) {
  Diagnosis d = DiagnoseText(PrismaText("adapter-P3009.txt"));
  EXPECT_EQ(d.id, "prisma:P3009");
  EXPECT_EQ(d.migration, "20240301000000_broken");
}

TEST(DiagnosisTest, NativeP3018NamesTheMigrationAndTheDatabaseError) {
  Diagnosis d = DiagnoseText(PrismaText("native-P3018.txt"));
  EXPECT_EQ(d.id, "prisma:P3018");
  EXPECT_EQ(d.migration, "20220825080309_add_new_place");
  EXPECT_EQ(d.detail, "ERROR: unsafe use of new value \"OUTDOOR\" of enum type \"place\"");
  EXPECT_NE(d.cause.find("55P04"), std::string::npos) << d.cause;
  EXPECT_NE(d.action.find("--rolled-back \"20220825080309_add_new_place\""), std::string::npos);
}

TEST(DiagnosisTest, AdapterExternalConnectorErrorIsAFailedMigration) {
  Diagnosis d = DiagnoseText(PrismaText("adapter-external-connector-error.txt"));
  EXPECT_EQ(d.id, "prisma:P3018");
  EXPECT_EQ(d.migration, "20240301000000_broken");
  EXPECT_EQ(d.detail, "No such table: Nope");
}

TEST(DiagnosisTest, P1001InEveryForm) {
  for (const char* file :
       {"native-P1001.txt", "native-P1001-older.txt", "adapter-cant-reach.txt"}) {
    Diagnosis d = DiagnoseText(PrismaText(file));
    EXPECT_EQ(d.id, "prisma:P1001") << file;
    EXPECT_NE(d.action.find("security group"), std::string::npos) << file;
  }
  EXPECT_NE(DiagnoseText(PrismaText("native-P1001.txt")).cause.find("localhost:5432"),
            std::string::npos);
  EXPECT_NE(DiagnoseText(PrismaText("adapter-cant-reach.txt")).cause.find("127.0.0.1:1"),
            std::string::npos);
}

TEST(DiagnosisTest, P1002AdvisoryLockSaysAnotherMigrationHoldsIt) {
  Diagnosis d = DiagnoseText(PrismaText("native-P1002-advisory-lock.txt"));
  EXPECT_EQ(d.id, "prisma:P1002");
  EXPECT_NE(d.cause.find("advisory lock"), std::string::npos) << d.cause;
  EXPECT_EQ(d.doc_url, "https://pris.ly/d/migrate-advisory-locking");
}

TEST(DiagnosisTest, P1002WithoutTheLockIsATimeout) {
  Diagnosis d = DiagnoseText(
      "Error: P1002\n\nThe database server at `db.internal:5432` was reached but timed out.\n");
  EXPECT_EQ(d.id, "prisma:P1002");
  EXPECT_NE(d.cause.find("db.internal:5432"), std::string::npos) << d.cause;
  EXPECT_EQ(d.cause.find("advisory"), std::string::npos);
}

TEST(DiagnosisTest, P1000InBothForms) {
  for (const char* file : {"native-P1000.txt", "adapter-authentication-failed.txt"}) {
    Diagnosis d = DiagnoseText(PrismaText(file));
    EXPECT_EQ(d.id, "prisma:P1000") << file;
    EXPECT_NE(d.action.find("password"), std::string::npos);
  }
}

TEST(DiagnosisTest, P3005AsksForABaseline) {
  Diagnosis d = DiagnoseText(PrismaText("native-P3005.txt"));
  EXPECT_EQ(d.id, "prisma:P3005");
  EXPECT_EQ(d.doc_url, "https://pris.ly/d/migrate-baseline");
}

TEST(DiagnosisTest, ASuccessfulDeployHasNoDiagnosis) {
  EXPECT_TRUE(DiagnoseText(PrismaText("native-success.txt")).empty());
}

TEST(DiagnosisTest, CodesMentionedInPassingAreNotRecognised) {
  Diagnosis d = DiagnoseText(
      "Applying migration `20240101000000_p3009_fix`\n"
      "Applying migration `P3018_cleanup`\n"
      "echo see Error: P3009 in the runbook\n"
      "the last run printed Error: P1001 twice\n"
      "Error: P30090 is not a code\n"
      "Error: P3009x neither\n"
      "Error: P3009 (quoted in a runbook)\n"
      "note: Can't reach database server at `x` was fixed yesterday\n"
      "The following migration(s) have been applied:\n");
  EXPECT_TRUE(d.empty()) << d.id;
}

TEST(DiagnosisTest, UnknownCodesGetNoGuess) {
  EXPECT_TRUE(DiagnoseText("Error: P4002\n\nThe schema of the introspected database was "
                           "inconsistent\n")
                  .empty());
  // An unknown error after a known one: the last error is the one that counts.
  EXPECT_TRUE(DiagnoseText("Error: P1001: Can't reach database server at `a:1`\n"
                           "retrying\nError: P1017: Server has closed the connection.\n")
                  .empty());
  EXPECT_TRUE(DiagnoseText("Error: something nobody has seen\nexit 1\n").empty());
}

TEST(DiagnosisTest, AnsiColourCodesAreIgnored) {
  Diagnosis d = DiagnoseText(
      "\x1b[1m\x1b[31mError\x1b[39m\x1b[22m: \x1b[1mP3009\x1b[22m\r\n"
      "\x1b[2mmigrate found failed migrations in the target database\x1b[22m\n"
      "The `\x1b[1m20240101000000_init\x1b[22m` migration started at 2025-01-01 00:00:00 UTC "
      "failed\n");
  EXPECT_EQ(d.id, "prisma:P3009");
  EXPECT_EQ(d.migration, "20240101000000_init");
  EXPECT_EQ(PlainLogLine("\x1b]0;title\x07ok\x1b[0m"), "ok");
}

TEST(DiagnosisTest, MultiLineEventsAndInterleavedOutput) {
  TaskLogAnalysis analysis;
  // One CloudWatch event holding Prisma's whole error, then another
  // container's lines between its details.
  analysis.AddLogEvent(
      "Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the "
      "error is recovered from.",
      1000);
  analysis.AddLogEvent("[sidecar] healthy", 1001);
  analysis.AddLogEvent("Migration name: 20240202000000_orders", 1002);
  analysis.AddLogEvent("[sidecar] Migration name: is a phrase too", 1003);
  analysis.AddLogEvent("Database error code: 42P07\n\nDatabase error:", 1004);
  analysis.AddLogEvent("[sidecar] still healthy", 1005);
  analysis.AddLogEvent("ERROR: relation \"Order\" already exists", 1006);
  Diagnosis d = analysis.Result();
  EXPECT_EQ(d.id, "prisma:P3018");
  EXPECT_EQ(d.migration, "20240202000000_orders");
  // The line after "Database error:" is the sidecar's: interleaving can
  // shift the detail, never the id or the migration.
  EXPECT_FALSE(d.detail.empty());
}

nlohmann::json StoppedTask(const std::string& stopped_reason, const std::string& container_reason,
                           const std::string& stop_code = "TaskFailedToStart") {
  nlohmann::json task = {{"lastStatus", "STOPPED"},
                         {"stopCode", stop_code},
                         {"stoppedReason", stopped_reason},
                         {"containers", nlohmann::json::array()}};
  nlohmann::json container = {{"name", "app"}, {"lastStatus", "STOPPED"}};
  if (!container_reason.empty()) container["reason"] = container_reason;
  task["containers"].push_back(container);
  return task;
}

TEST(DiagnosisTest, CannotPullContainerErrorByCause) {
  Diagnosis network = DiagnoseStoppedTask(StoppedTask(
      "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: "
      "httpReadSeeker: failed open: failed to do request: Get "
      "\"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/...\": dial tcp "
      "52.216.1.1:443: i/o timeout",
      ""));
  EXPECT_EQ(network.id, "ecs:CannotPullContainerError");
  EXPECT_NE(network.action.find("VPC endpoints"), std::string::npos);
  EXPECT_NE(network.action.find("NAT"), std::string::npos);
  EXPECT_EQ(
      network.doc_url,
      "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html");

  Diagnosis missing = DiagnoseStoppedTask(StoppedTask(
      "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
      "resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v9: "
      "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v9: not found",
      ""));
  EXPECT_EQ(missing.id, "ecs:CannotPullContainerError");
  EXPECT_NE(missing.cause.find("does not exist"), std::string::npos);
}

TEST(DiagnosisTest, ResourceInitializationErrorBySubnetsOrRole) {
  Diagnosis secrets = DiagnoseStoppedTask(StoppedTask(
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
      "retrieval failed: unable to retrieve secret from asm: service call has been retried 5 "
      "time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db "
      "from secrets manager: RequestCanceled: request context canceled caused by: context "
      "deadline exceeded",
      ""));
  EXPECT_EQ(secrets.id, "ecs:ResourceInitializationError");
  EXPECT_NE(secrets.action.find("VPC endpoints"), std::string::npos);
  EXPECT_NE(secrets.action.find("NAT"), std::string::npos);

  Diagnosis role = DiagnoseStoppedTask(StoppedTask(
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
      "retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 "
      "time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/x is "
      "not authorized to perform: ssm:GetParameters",
      ""));
  EXPECT_EQ(role.id, "ecs:ResourceInitializationError");
  EXPECT_NE(role.cause.find("execution role"), std::string::npos);
}

TEST(DiagnosisTest, OutOfMemoryErrorFromTheContainerReason) {
  Diagnosis d = DiagnoseStoppedTask(StoppedTask(
      "Essential container in task exited",
      "OutOfMemoryError: Container killed due to memory usage", "EssentialContainerExited"));
  EXPECT_EQ(d.id, "ecs:OutOfMemoryError");
  EXPECT_NE(d.action.find("memory"), std::string::npos);
}

TEST(DiagnosisTest, OrdinaryStopsHaveNoDiagnosis) {
  EXPECT_TRUE(DiagnoseStoppedTask(
                  StoppedTask("Essential container in task exited", "", "EssentialContainerExited"))
                  .empty());
  EXPECT_TRUE(
      DiagnoseStoppedTask(StoppedTask("Task stopped by user", "", "UserInitiated")).empty());
  EXPECT_TRUE(DiagnoseStoppedTask(nlohmann::json()).empty());
}

TEST(DiagnosisTest, EcsStopReasonsWinOverTheLog) {
  TaskLogAnalysis analysis;
  analysis.AddLogEvent("Error: P1001: Can't reach database server at `db:5432`", 1);
  EXPECT_EQ(analysis.Result().id, "prisma:P1001");
  analysis.AddTask(StoppedTask("Essential container in task exited",
                               "OutOfMemoryError: Container killed due to memory usage"));
  EXPECT_EQ(analysis.Result().id, "ecs:OutOfMemoryError");
}

TEST(DiagnosisTest, ATaskThatSucceededHasNoDiagnosis) {
  TaskLogAnalysis analysis;
  analysis.AddLogEvent("Error: P3009", 1);
  nlohmann::json task =
      StoppedTask("Essential container in task exited", "", "EssentialContainerExited");
  task["containers"][0]["exitCode"] = 0;
  analysis.AddTask(task);
  EXPECT_TRUE(analysis.Result().empty());
  task["containers"][0]["exitCode"] = 1;
  analysis.AddTask(task);
  EXPECT_EQ(analysis.Result().id, "prisma:P3009");
}

TEST(DiagnosisTest, MessageIsOneLine) {
  Diagnosis d = DiagnoseText(PrismaText("adapter-external-connector-error.txt"));
  std::string message = DiagnosisMessage(d);
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_NE(message.find("See https://pris.ly/d/migrate-resolve"), std::string::npos);
  EXPECT_EQ(DiagnosisMessage(Diagnosis{}), "");
}

TEST(DiagnosisTest, SummaryLeadsWithTheDiagnosisWhenFailed) {
  TaskLogAnalysis analysis;
  std::istringstream lines(PrismaText("native-P3009.txt"));
  std::string line;
  while (std::getline(lines, line)) analysis.AddLogEvent(line, 5);
  std::string failed = analysis.SummaryMarkdown(true);
  EXPECT_EQ(failed.rfind("### Diagnosis: prisma:P3009", 0), 0u) << failed;
  EXPECT_NE(failed.find("What to do"), std::string::npos);
  EXPECT_EQ(analysis.SummaryMarkdown(false), "");
}

}  // namespace
}  // namespace ecsmig
