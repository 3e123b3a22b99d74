#include "common/logs/migration_timing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/github/github.h"

namespace ecsmig {
namespace {

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The text between the backticks after `prefix` ("" when the line has none).
std::string BacktickedAfter(std::string_view line, std::string_view prefix) {
  size_t at = line.find(prefix);
  if (at == std::string_view::npos) return "";
  std::string_view rest = line.substr(at + prefix.size());
  size_t end = rest.find('`');
  if (end == std::string_view::npos || end == 0) return "";
  return std::string(rest.substr(0, end));
}

// The migration a line says is starting, or "".
std::string StartedMigration(std::string_view line) {
  std::string_view trimmed = TrimLeft(line);
  if (StartsWith(trimmed, "Applying migration `")) {
    return BacktickedAfter(trimmed, "Applying migration `");
  }
  // The schema engine's JSON log line (a field of a larger line with DEBUG's prefix).
  return BacktickedAfter(line, "\"message\":\"Applying `");
}

bool IsSummaryHeader(std::string_view trimmed) {
  return StartsWith(trimmed, "The following migration(s) have been applied") ||
         StartsWith(trimmed, "The following migrations have been applied");
}

// "  └─ 20240101000000_init/" → the folder name; "" for any other line.
std::string SummaryFolder(std::string_view trimmed) {
  static constexpr std::string_view kBranch = "\xe2\x94\x94\xe2\x94\x80 ";  // "└─ "
  if (!StartsWith(trimmed, kBranch)) return "";
  std::string_view name = trimmed.substr(kBranch.size());
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  if (name.size() < 2 || name.back() != '/') return "";
  return std::string(name.substr(0, name.size() - 1));
}

double RoundedSeconds(long long ms) { return std::round(static_cast<double>(ms)) / 1000.0; }

}  // namespace

void MigrationTimer::AddLine(std::string_view line, long long timestamp_ms) {
  std::string_view trimmed = TrimLeft(line);
  std::string started = StartedMigration(line);
  if (!started.empty()) {
    in_summary_ = false;
    if (end_ms_) {  // a second deploy in the same log: its own history
      started_.clear();
      summary_names_.clear();
      end_ms_.reset();
    } else if (!started_.empty() && started_.back().name == started) {
      return;  // the same migration announced twice in a row (both forms of the line)
    }
    started_.push_back({started, timestamp_ms});
    return;
  }
  if (IsSummaryHeader(trimmed)) {
    in_summary_ = true;
    summary_names_.clear();
    if (!end_ms_) end_ms_ = timestamp_ms;
    return;
  }
  if (StartsWith(trimmed, "All migrations have been successfully applied")) {
    in_summary_ = false;
    if (!end_ms_) end_ms_ = timestamp_ms;
    return;
  }
  if (in_summary_) {
    std::string folder = SummaryFolder(trimmed);
    if (!folder.empty()) summary_names_.push_back(std::move(folder));
  }
}

std::vector<AppliedMigration> MigrationTimer::Applied() const {
  // How long started_[i] took: until the next one started, the last until the summary.
  auto duration_of = [&](size_t i) -> std::optional<double> {
    if (i + 1 < started_.size())
      return RoundedSeconds(started_[i + 1].start_ms - started_[i].start_ms);
    if (end_ms_) return RoundedSeconds(std::max(0LL, *end_ms_ - started_[i].start_ms));
    return std::nullopt;
  };
  std::vector<AppliedMigration> applied;
  if (!summary_names_.empty()) {
    for (const auto& name : summary_names_) {
      AppliedMigration m{name, std::nullopt};
      for (size_t i = 0; i < started_.size(); ++i) {
        if (started_[i].name == name) m.seconds = duration_of(i);
      }
      applied.push_back(std::move(m));
    }
    return applied;
  }
  size_t finished = end_ms_ ? started_.size() : (started_.empty() ? 0 : started_.size() - 1);
  for (size_t i = 0; i < finished; ++i) applied.push_back({started_[i].name, duration_of(i)});
  return applied;
}

std::string AppliedMigrationsJson(const std::vector<AppliedMigration>& applied) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& m : applied) {
    nlohmann::json item = {{"name", m.name}, {"seconds", nullptr}};
    if (m.seconds) item["seconds"] = *m.seconds;
    array.push_back(std::move(item));
  }
  return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string AppliedMigrationNames(const std::vector<AppliedMigration>& applied) {
  std::string names;
  for (const auto& m : applied) names += (names.empty() ? "" : "\n") + m.name;
  return names;
}

std::string AppliedMigrationsMarkdown(const std::vector<AppliedMigration>& applied) {
  if (applied.empty()) return "";
  auto seconds_text = [](const std::optional<double>& s) {
    if (!s) return std::string("-");
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.3f", *s);
    return std::string(buffer);
  };
  std::string md = "### Migrations applied\n\n| # | Migration | Seconds |\n| ---: | --- | ---: |\n";
  const AppliedMigration* slowest = nullptr;
  for (size_t i = 0; i < applied.size(); ++i) {
    const auto& m = applied[i];
    md += "| " + std::to_string(i + 1) + " | " + MarkdownEscape(m.name) + " | " +
          seconds_text(m.seconds) + " |\n";
    if (m.seconds && (!slowest || *m.seconds > *slowest->seconds)) slowest = &m;
  }
  if (slowest) {
    md += "\nSlowest: " + MarkdownEscape(slowest->name) + " (" + seconds_text(slowest->seconds) +
          " s).\n";
  }
  return md;
}

}  // namespace ecsmig
