#include "common/logs/diagnosis.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/ecs/ecs_task.h"
#include "common/github/github.h"

namespace ecsmig {
namespace {

constexpr const char* kPrismaResolveUrl = "https://pris.ly/d/migrate-resolve";
constexpr const char* kPrismaErrorReference =
    "https://www.prisma.io/docs/orm/reference/error-reference#";
constexpr const char* kAdvisoryLockUrl = "https://pris.ly/d/migrate-advisory-locking";
constexpr const char* kBaselineUrl = "https://pris.ly/d/migrate-baseline";
constexpr const char* kEcsDocs = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

bool ContainsAny(std::string_view s, const std::vector<std::string_view>& parts) {
  return std::any_of(parts.begin(), parts.end(),
                     [&](std::string_view p) { return Contains(s, p); });
}

// The text between the first pair of backticks or double quotes after `prefix`.
std::string QuotedAfter(std::string_view line, std::string_view prefix) {
  size_t at = line.find(prefix);
  if (at == std::string_view::npos) return "";
  std::string_view rest = line.substr(at + prefix.size());
  size_t open = rest.find_first_of("`\"");
  if (open == std::string_view::npos) return "";
  char quote = rest[open];
  size_t close = rest.find(quote, open + 1);
  if (close == std::string_view::npos) return "";
  return std::string(rest.substr(open + 1, close - open - 1));
}

// "P1001" when `rest` (after "Error: ") is a Prisma code alone or followed by
// a colon, as Prisma prints it ("Error: P3009", "Error: P1001: Can't reach
// ..."); "" otherwise ("Error: P3009 (quoted in a runbook)").
std::string PrismaCode(std::string_view rest) {
  if (rest.size() < 5 || rest[0] != 'P') return "";
  for (size_t i = 1; i < 5; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return "";
  }
  if (rest.size() > 5 && rest[5] != ':') return "";
  return std::string(rest.substr(0, 5));
}

std::string Shorten(std::string text, size_t limit = 300) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (text.size() > limit) text = text.substr(0, limit - 3) + "...";
  return text;
}

// What the log said about one Prisma error, beyond its code.
struct PrismaDetails {
  std::string migration;
  std::string host;
  std::string db_code;   // the database's error code (SQLSTATE)
  std::string db_error;  // the database's words
  bool advisory_lock = false;

  std::string Name() const { return migration.empty() ? "<migration>" : migration; }
  std::string Where() const { return host.empty() ? "" : " at " + host; }
};

// One Prisma error code: what it means and what to do, from its details.
struct PrismaCodeRow {
  std::string_view code;
  bool (*applies)(const PrismaDetails&);  // null: always; else the row is for this case only
  std::string doc_url;
  std::string (*cause)(const PrismaDetails&);
  std::string (*action)(const PrismaDetails&);
};

// The codes recognised, first matching row wins. Adding a code is one row
// here (plus, when Prisma prints details for it, their lines in AddDetail,
// and when the driver adapter words it without a code, a kAdapterForms row).
const std::vector<PrismaCodeRow>& PrismaCodes() {
  static const std::vector<PrismaCodeRow> kRows = {
      {"P3009", nullptr, kPrismaResolveUrl,
       [](const PrismaDetails& f) {
         return "Migration " + f.Name() +
                " failed in an earlier run, and Prisma applies no new "
                "migration until it is resolved (P3009).";
       },
       [](const PrismaDetails& f) {
         return "Repair what it left in the database, then run prisma migrate resolve "
                "--rolled-back \"" +
                f.Name() + "\" (if undone) or --applied \"" + f.Name() +
                "\" (if completed by hand), and deploy again.";
       }},
      {"P3018", nullptr, kPrismaResolveUrl,
       [](const PrismaDetails& f) {
         std::string error = f.db_error.empty() ? "" : ": " + f.db_error;
         if (!f.db_code.empty()) error += " (SQLSTATE " + f.db_code + ")";
         return "Migration " + f.Name() + " failed to apply" + error + " (P3018).";
       },
       [](const PrismaDetails& f) {
         return "Fix the migration's SQL (or the data it trips on), then run prisma migrate "
                "resolve --rolled-back \"" +
                f.Name() + "\" and deploy again.";
       }},
      {"P1001", nullptr, std::string(kPrismaErrorReference) + "p1001",
       [](const PrismaDetails& f) {
         return "The task cannot reach the database server" + f.Where() + " (P1001).";
       },
       [](const PrismaDetails&) -> std::string {
         return "Allow the task's security group on the database's port in the database's "
                "security group, and run the task in subnets that route to the database.";
       }},
      {"P1002", [](const PrismaDetails& f) { return f.advisory_lock; }, kAdvisoryLockUrl,
       [](const PrismaDetails&) -> std::string {
         return "Another migration holds Prisma's advisory lock, and this one timed out "
                "waiting for it (P1002).";
       },
       [](const PrismaDetails&) -> std::string {
         return "Let the other prisma migrate run finish (or end the session holding "
                "pg_advisory_lock(72707369)), then deploy again.";
       }},
      {"P1002", nullptr, std::string(kPrismaErrorReference) + "p1002",
       [](const PrismaDetails& f) {
         return "The database server" + f.Where() + " was reached but timed out (P1002).";
       },
       [](const PrismaDetails&) -> std::string {
         return "Check the database's load, connection limit and network path, then deploy "
                "again.";
       }},
      {"P1000", nullptr, std::string(kPrismaErrorReference) + "p1000",
       [](const PrismaDetails& f) {
         return "The database server" + f.Where() + " refused the credentials (P1000).";
       },
       [](const PrismaDetails&) -> std::string {
         return "Check the user and password in the task's DATABASE_URL (its secret or "
                "environment).";
       }},
      {"P3005", nullptr, kBaselineUrl,
       [](const PrismaDetails&) -> std::string {
         return "The database schema is not empty but has no migration history (P3005).";
       },
       [](const PrismaDetails&) -> std::string {
         return "Baseline it: run prisma migrate resolve --applied \"<migration>\" for each "
                "migration already in the database, then deploy again.";
       }},
  };
  return kRows;
}

bool IsKnownPrismaCode(const std::string& code) {
  const auto& rows = PrismaCodes();
  return std::any_of(rows.begin(), rows.end(),
                     [&](const PrismaCodeRow& row) { return row.code == code; });
}

Diagnosis PrismaDiagnosis(const std::string& code, const PrismaDetails& details) {
  Diagnosis d;
  d.id = "prisma:" + code;
  d.migration = details.migration;
  d.detail = details.db_error;
  for (const PrismaCodeRow& row : PrismaCodes()) {
    if (row.code != code || (row.applies && !row.applies(details))) continue;
    d.cause = row.cause(details);
    d.action = row.action(details);
    d.doc_url = row.doc_url;
    break;
  }
  return d;
}

// A Prisma error as the driver adapter (engine "js") words it: no code, so
// the line's start (and a phrase it contains) tells which.
struct AdapterForm {
  std::string_view starts_with;
  std::string_view contains;  // "" for any
  std::string_view code;
  bool line_is_detail;  // the line itself names the host
};

constexpr AdapterForm kAdapterForms[] = {
    {"external connector error", "", "P3018", false},
    {"Authentication failed against database server", "", "P1000", true},
    {"Can't reach database server", "", "P1001", true},
    {"The database server at", "was reached but timed out", "P1002", true},
};

// One explanation of an ECS stop reason, chosen when the reason contains any
// of `clues`; the last of a failure's explanations has none (the fallback).
struct StopCause {
  std::vector<std::string_view> clues;
  std::string_view cause;
  std::string_view action;
};

// One ECS failure: the error's name in a stop reason, its documentation page
// and its explanations, most specific first.
struct EcsFailure {
  std::string_view error;
  std::string_view doc_page;
  std::vector<StopCause> causes;
};

const std::vector<EcsFailure>& EcsFailures() {
  static const std::vector<EcsFailure> kFailures = {
      {"CannotPullContainerError",
       "task_cannot_pull_image.html",
       {{{"i/o timeout", "deadline exceeded", "dial tcp", "RequestCanceled", "request canceled",
          "connection timed out"},
         "ECS could not reach the image registry from the task's subnets.",
         "Give the subnets a route to ECR: VPC endpoints (ecr.api, ecr.dkr and the S3 "
         "gateway) or a NAT gateway (or a public IP in a public subnet)."},
        {{"not found", "manifest unknown", "does not exist"},
         "The container image (or its tag) does not exist in the registry.",
         "Check the image URI and tag in the task definition, and push the image first."},
        {{"AccessDenied", "403", "not authorized", "no basic auth", "denied"},
         "The task's execution role may not pull the image.",
         "Grant the execution role ecr:GetAuthorizationToken, ecr:BatchGetImage and "
         "ecr:GetDownloadUrlForLayer (AmazonECSTaskExecutionRolePolicy)."},
        {{},
         "ECS could not pull the container image.",
         "Check the image URI, the execution role's ECR permissions, and the subnets' "
         "route to the registry (VPC endpoints or NAT)."}}},
      {"ResourceInitializationError",
       "resource-initialization-error.html",
       {{{"AccessDenied", "not authorized"},
         "The task's execution role may not read its secrets, registry auth or log group.",
         "Grant the execution role the secretsmanager:GetSecretValue, ssm:GetParameters, "
         "ecr and logs permissions the task definition needs."},
        {{"log group does not exist", "ResourceNotFoundException"},
         "The task definition's awslogs log group does not exist.",
         "Create the log group, or set awslogs-create-group to true (the execution role "
         "then needs logs:CreateLogGroup)."},
        {{"i/o timeout", "deadline exceeded", "dial tcp", "RequestCanceled", "request canceled",
          "send request failed"},
         "The task could not reach Secrets Manager, SSM, ECR or CloudWatch Logs from its "
         "subnets before starting.",
         "Add VPC endpoints for them (secretsmanager, ssm, ecr.api, ecr.dkr, logs, S3 "
         "gateway) or a NAT gateway to the subnets' route table."},
        {{},
         "ECS could not prepare the task's secrets, registry auth or log stream.",
         "Check that the subnets reach Secrets Manager, ECR and CloudWatch Logs (VPC "
         "endpoints or NAT) and the execution role's permissions."}}},
      {"OutOfMemoryError",
       "out-of-memory.html",
       {{{},
         "A container used more memory than the task allows and was killed.",
         "Raise the memory of the task (and of the container) in the task definition."}}},
  };
  return kFailures;
}

Diagnosis ExplainStop(const EcsFailure& failure, const std::string& reason) {
  Diagnosis d;
  d.id = "ecs:" + std::string(failure.error);
  d.detail = Shorten(reason);
  d.doc_url = std::string(kEcsDocs) + std::string(failure.doc_page);
  for (const StopCause& cause : failure.causes) {
    if (!cause.clues.empty() && !ContainsAny(reason, cause.clues)) continue;
    d.cause = cause.cause;
    d.action = cause.action;
    break;
  }
  return d;
}

}  // namespace

std::string DiagnosisMessage(const Diagnosis& d) {
  if (d.empty()) return "";
  std::string message = d.cause + " " + d.action;
  if (!d.doc_url.empty()) message += " See " + d.doc_url;
  return Shorten(message, 1000);
}

std::string PlainLogLine(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\x1b' && i + 1 < line.size()) {
      char kind = line[i + 1];
      size_t j = i + 2;
      if (kind == '[') {  // CSI: parameters, then one final byte @..~
        while (j < line.size() && !(line[j] >= '@' && line[j] <= '~')) ++j;
      } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
        while (j < line.size() && line[j] != '\x07' && line[j] != '\x1b') ++j;
        if (j < line.size() && line[j] == '\x1b') ++j;
      } else {
        j = i + 1;
      }
      i = j;
      continue;
    }
    if (c == '\r') continue;
    out += c;
  }
  return out;
}

void PrismaLogDiagnoser::Start(const std::string& code, bool adapter_form) {
  code_ = code;
  migration_.clear();
  host_.clear();
  database_error_code_.clear();
  database_error_.clear();
  advisory_lock_ = false;
  // The adapter prints the database's error on the line after its own.
  database_error_next_ = adapter_form && code == "P3018";
}

void PrismaLogDiagnoser::AddLine(std::string_view plain_line) {
  std::string_view trimmed = Trim(plain_line);
  if (StartsWith(trimmed, "Error: ")) {
    std::string_view rest = trimmed.substr(7);
    std::string code = PrismaCode(rest);
    if (!code.empty()) {
      if (!IsKnownPrismaCode(code)) {
        code_.clear();  // an error we do not know: no guess from an earlier one
        return;
      }
      Start(code, false);
      rest = Trim(rest.substr(5));
      if (!rest.empty() && rest.front() == ':') rest = Trim(rest.substr(1));
      if (!rest.empty()) AddDetail(rest);
      return;
    }
    for (const AdapterForm& form : kAdapterForms) {
      if (!StartsWith(rest, form.starts_with) || !Contains(rest, form.contains)) continue;
      Start(std::string(form.code), true);
      if (form.line_is_detail) AddDetail(rest);
      return;
    }
  }
  if (!code_.empty()) AddDetail(trimmed);
}

void PrismaLogDiagnoser::AddDetail(std::string_view trimmed) {
  if (trimmed.empty()) return;
  if (database_error_next_) {
    database_error_next_ = false;
    database_error_ = Shorten(std::string(trimmed));
    return;
  }
  if (code_ == "P3009") {
    // The `20240101000000_init` migration started at 2025-10-10 13:48:23.538445 UTC failed
    if (StartsWith(trimmed, "The `") && Contains(trimmed, "` migration started at")) {
      migration_ = QuotedAfter(trimmed, "The");
    }
  } else if (code_ == "P3018") {
    if (StartsWith(trimmed, "Migration name:")) {
      migration_ = std::string(Trim(trimmed.substr(15)));
    } else if (StartsWith(trimmed, "Database error code:")) {
      database_error_code_ = std::string(Trim(trimmed.substr(20)));
    } else if (trimmed == "Database error:") {
      database_error_next_ = true;
    } else if (migration_.empty() && StartsWith(trimmed, "with migration_name=")) {
      migration_ = QuotedAfter(trimmed, "with migration_name=");  // the adapter's trace
    }
  } else if (code_ == "P1002") {
    if (Contains(trimmed, "advisory lock")) advisory_lock_ = true;
    if (host_.empty() && StartsWith(trimmed, "The database server at")) {
      host_ = QuotedAfter(trimmed, "The database server at");
    }
  } else if ((code_ == "P1001" || code_ == "P1000") && host_.empty()) {
    if (StartsWith(trimmed, "Can't reach database server at") ||
        StartsWith(trimmed, "Authentication failed against database server at")) {
      host_ = QuotedAfter(trimmed, "database server at");
    }
  }
}

Diagnosis PrismaLogDiagnoser::Result() const {
  if (code_.empty()) return {};
  return PrismaDiagnosis(
      code_, {migration_, host_, database_error_code_, database_error_, advisory_lock_});
}

Diagnosis DiagnoseStoppedTask(const nlohmann::json& task) {
  if (!task.is_object()) return {};
  std::vector<std::string> reasons;
  auto text = [](const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  // Containers first: their reason is the more precise (OutOfMemoryError is only there).
  if (auto it = task.find("containers"); it != task.end() && it->is_array()) {
    for (const auto& container : *it) {
      if (container.is_object()) reasons.push_back(text(container, "reason"));
    }
  }
  reasons.push_back(text(task, "stoppedReason"));
  for (const auto& reason : reasons) {
    for (const EcsFailure& failure : EcsFailures()) {
      if (Contains(reason, failure.error)) return ExplainStop(failure, reason);
    }
  }
  return {};
}

void TaskLogAnalysis::AddLogEvent(std::string_view message, long long timestamp_ms) {
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string line = PlainLogLine(message.substr(start, end - start));
    prisma_.AddLine(line);
    timer_.AddLine(line, timestamp_ms);
    start = end + 1;
  }
}

void TaskLogAnalysis::AddTask(const nlohmann::json& task) {
  if (task.is_object()) task_ = task;
}

Diagnosis TaskLogAnalysis::Result() const {
  Diagnosis from_ecs = DiagnoseStoppedTask(task_);
  if (!from_ecs.empty()) return from_ecs;
  // A task whose every container exited 0 did not fail, whatever its log quotes.
  if (JsonString(task_, "lastStatus", std::string()) == "STOPPED" &&
      EveryContainerExitedZero(task_)) {
    return {};
  }
  return prisma_.Result();
}

void TaskLogAnalysis::WriteOutputs(OutputWriter& outputs, bool log_read) const {
  Diagnosis d = Result();
  outputs.Set("diagnosis", d.id);
  outputs.Set("diagnosis_message", DiagnosisMessage(d));
  if (!log_read) return;
  auto applied = AppliedMigrations();
  outputs.Set("applied_migrations", AppliedMigrationNames(applied));
  outputs.Set("applied_migrations_json", AppliedMigrationsJson(applied));
}

void TaskLogAnalysis::Report(Logger& log) const {
  Diagnosis d = Result();
  if (d.empty()) return;
  log.Notice("diagnosis " + d.id + ": " + DiagnosisMessage(d));
}

std::string TaskLogAnalysis::SummaryMarkdown(bool failed) const {
  std::string md;
  Diagnosis d = Result();
  if (failed && !d.empty()) {
    md += "### Diagnosis: " + MarkdownEscape(d.id) + "\n\n";
    md += "**What went wrong:** " + MarkdownEscape(d.cause) + "\n\n";
    if (!d.detail.empty() && !Contains(d.cause, d.detail)) {
      md += "> " + MarkdownEscape(d.detail) + "\n\n";
    }
    md += "**What to do:** " + MarkdownEscape(d.action) + "\n\n";
    if (!d.doc_url.empty()) md += "Documentation: " + d.doc_url + "\n\n";
  }
  std::string table = AppliedMigrationsMarkdown(AppliedMigrations());
  if (!table.empty()) md += table + "\n";
  return md;
}

}  // namespace ecsmig
