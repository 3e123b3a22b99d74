#include "common/github/github.h"

#include <algorithm>

#include "common/base/error.h"

namespace ecsmig {
namespace {

bool IsSnakeCaseKey(std::string_view key) {
  if (key.empty() || !(key[0] >= 'a' && key[0] <= 'z')) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string FormatOutputRecord(std::string_view key, std::string_view value, Random& random) {
  if (!IsSnakeCaseKey(key))
    throw Error("internal: output key '" + std::string(key) + "' is not snake_case");
  std::string record;
  if (value.find_first_of("\r\n") == std::string_view::npos) {
    record.reserve(key.size() + value.size() + 2);
    record.append(key).append("=").append(value).append("\n");
    return record;
  }
  std::string delimiter;
  do {
    delimiter = "ghadelimiter_" + random.Hex(16);
  } while (value.find(delimiter) != std::string_view::npos);
  record.reserve(key.size() + value.size() + 2 * delimiter.size() + 5);
  record.append(key).append("<<").append(delimiter).append("\n");
  record.append(value).append("\n");
  record.append(delimiter).append("\n");
  return record;
}

std::vector<std::pair<std::string, std::string>> ParseOutputFile(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> result;
  size_t index = 0;
  // Returns the next line without its LF; `had_newline` tells whether an LF ended it.
  auto read_line = [&](std::string_view& line, bool& had_newline) -> bool {
    if (index >= text.size()) return false;
    size_t lf = text.find('\n', index);
    if (lf == std::string_view::npos) {
      line = text.substr(index);
      index = text.size();
      had_newline = false;
    } else {
      line = text.substr(index, lf - index);
      index = lf + 1;
      had_newline = true;
    }
    return true;
  };
  std::string_view line;
  bool had_newline = false;
  while (read_line(line, had_newline)) {
    if (line.empty()) continue;
    size_t equals = line.find('=');
    size_t heredoc = line.find("<<");
    if (equals != std::string_view::npos &&
        (heredoc == std::string_view::npos || equals < heredoc)) {
      if (equals == 0) throw Error("output file: empty key in line '" + std::string(line) + "'");
      result.emplace_back(std::string(line.substr(0, equals)),
                          std::string(line.substr(equals + 1)));
      continue;
    }
    if (heredoc == std::string_view::npos) {
      throw Error("output file: invalid line '" + std::string(line) + "'");
    }
    std::string_view key = line.substr(0, heredoc);
    std::string_view delimiter = line.substr(heredoc + 2);
    if (key.empty() || delimiter.empty()) throw Error("output file: invalid heredoc header");
    size_t start = index, end = index;
    std::string_view value_line;
    bool found = false;
    while (read_line(value_line, had_newline)) {
      if (value_line == delimiter) {
        found = true;
        break;
      }
      if (!had_newline) break;
      end = index - 1;
    }
    if (!found) throw Error("output file: delimiter '" + std::string(delimiter) + "' not found");
    result.emplace_back(std::string(key),
                        std::string(text.substr(start, end > start ? end - start : 0)));
  }
  return result;
}

void OutputWriter::Set(std::string_view key, std::string_view value) {
  for (auto& [k, v] : pending_) {
    if (k == key) {
      v = std::string(value);
      return;
    }
  }
  pending_.emplace_back(std::string(key), std::string(value));
}

void OutputWriter::Flush() {
  if (pending_.empty()) return;
  std::string data;
  for (const auto& [key, value] : pending_) data += FormatOutputRecord(key, value, random_);
  if (path_.empty()) {
    stdout_ << data << std::flush;
  } else {
    // `x=1` without its newline would glue our first record to it.
    if (fs_.Exists(path_)) {
      std::string existing = fs_.ReadFile(path_);
      if (!existing.empty() && existing.back() != '\n') data.insert(0, "\n");
    }
    fs_.AppendFile(path_, data);
  }
  pending_.clear();
}

void OutputWriter::CheckAppendable(std::string_view source) {
  if (path_.empty()) return;
  try {
    fs_.AppendFile(path_, "");  // opens for appending, writes nothing
  } catch (const Error& e) {
    throw UsageError(std::string(source) + ": the outputs file cannot be appended to (" + e.what() +
                     ")");
  }
}

namespace {

// The toolkit's escaping; properties additionally escape their separators.
std::string EscapeCommand(std::string_view text, bool property) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLogText(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (c == '[' && i >= 2 && text[i - 1] == '#' && text[i - 2] == '#') {
      out += "\\[";
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string EscapeCommandData(std::string_view data) { return EscapeCommand(data, false); }

std::string EscapeCommandProperty(std::string_view value) { return EscapeCommand(value, true); }

std::string FormatWorkflowCommand(std::string_view name, const AnnotationProperties& props,
                                  std::string_view data) {
  std::string out = "::";
  out += name;
  std::vector<std::string> properties;
  if (!props.file.empty()) properties.push_back("file=" + EscapeCommandProperty(props.file));
  if (props.line > 0) properties.push_back("line=" + std::to_string(props.line));
  if (props.line > 0 && props.col > 0) properties.push_back("col=" + std::to_string(props.col));
  if (!props.title.empty()) properties.push_back("title=" + EscapeCommandProperty(props.title));
  for (size_t i = 0; i < properties.size(); ++i) {
    out += i == 0 ? " " : ",";
    out += properties[i];
  }
  out += "::";
  out += EscapeCommandData(data);
  return out;
}

std::string Logger::Clean(std::string_view text) const {
  return EscapeLogText(redactor_.Redact(text));
}

void Logger::Info(std::string_view message) {
  if (verbosity_ == Verbosity::kQuiet) return;
  err_ << tool_ << ": " << Clean(message) << "\n" << std::flush;
}

void Logger::Verbose(std::string_view message) {
  if (verbosity_ != Verbosity::kVerbose) return;
  err_ << tool_ << ": " << Clean(message) << "\n" << std::flush;
}

void Logger::Annotate(std::string_view kind, std::string_view message,
                      const AnnotationProperties& props) {
  if (in_actions_) {
    // The runner shows the command as one "Error: ..." line and an annotation;
    // a second plain line would only repeat it. The command's own escaping
    // (%0A) keeps it one line and shows a newline in the annotation.
    AnnotationProperties p = props;
    if (p.title.empty()) p.title = tool_;
    err_ << FormatWorkflowCommand(kind, p, tool_ + ": " + redactor_.Redact(message)) << "\n"
         << std::flush;
    return;
  }
  std::string text = Clean(message);
  err_ << tool_ << ": " << kind << ": ";
  if (!props.file.empty())
    err_ << EscapeLogText(props.file) << (props.line > 0 ? ":" + std::to_string(props.line) : "")
         << (props.line > 0 && props.col > 0 ? ":" + std::to_string(props.col) : "") << ": ";
  err_ << text << "\n" << std::flush;
}

void Logger::Notice(std::string_view message, const AnnotationProperties& props) {
  if (verbosity_ == Verbosity::kQuiet) return;
  Annotate("notice", message, props);
}

void Logger::Warning(std::string_view message, const AnnotationProperties& props) {
  if (verbosity_ == Verbosity::kQuiet) return;
  Annotate("warning", message, props);
}

void Logger::Error(std::string_view message, const AnnotationProperties& props) {
  Annotate("error", message, props);
}

void Logger::AddMask(std::string_view secret) {
  redactor_.AddSecret(secret);
  if (!in_actions_) return;
  auto announce = [this](std::string_view value) {
    if (value.empty()) return;
    err_ << FormatWorkflowCommand("add-mask", {}, value) << "\n";
  };
  announce(secret);
  // The runner masks per line of output, so each line of a multi-line secret too.
  if (secret.find('\n') != std::string_view::npos) {
    size_t start = 0;
    while (start < secret.size()) {
      size_t end = std::min(secret.find('\n', start), secret.size());
      announce(secret.substr(start, end - start));
      start = end + 1;
    }
  }
  err_ << std::flush;
}

void Logger::StartGroup(std::string_view title) {
  if (in_group_) EndGroup();
  if (in_actions_) {
    err_ << FormatWorkflowCommand("group", {}, Clean(title)) << "\n" << std::flush;
    in_group_ = true;
  } else if (verbosity_ != Verbosity::kQuiet) {
    err_ << tool_ << ": " << Clean(title) << "\n" << std::flush;
  }
}

void Logger::EndGroup() {
  if (!in_group_) return;
  err_ << "::endgroup::\n" << std::flush;
  in_group_ = false;
}

void Logger::Raw(std::string_view line) {
  std::string text = Clean(line);
  size_t first = text.find_first_not_of(" \t");
  if (first != std::string::npos && text.compare(first, 2, "::") == 0) text.insert(0, "| ");
  err_ << text << "\n";
}

void StepSummary::Append(std::string_view markdown) {
  if (path_.empty()) return;
  std::string text = redactor_.Redact(markdown);
  if (text.empty() || text.back() != '\n') text += "\n";
  if (before_write_) before_write_();
  try {
    fs_.AppendFile(path_, text);
  } catch (const Error& e) {
    if (!on_failure_) throw;
    path_.clear();  // one warning, not one per section
    on_failure_(std::string("could not write the step summary: ") + e.what());
  }
}

std::string MarkdownEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '`':
        out += "\\`";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\n':
        out += "<br>";
        break;
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace ecsmig
