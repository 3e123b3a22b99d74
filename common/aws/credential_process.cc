#include "common/aws/credential_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/base/error.h"

extern char** environ;

namespace ecsmig {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
bool ReadNumber(std::string_view text, size_t& pos, size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  out = value;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

std::string StringField(const nlohmann::json& doc, const char* name, const std::string& source,
                        bool required) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) {
    if (required) throw Error(source + ": answer has no " + name);
    return "";
  }
  if (!it->is_string()) throw Error(source + ": " + name + " in the answer is not a string");
  std::string value = it->get<std::string>();
  if (required && value.empty()) throw Error(source + ": " + name + " in the answer is empty");
  return value;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() { Reset(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Waits for `pid`, retrying on EINTR; returns the wait status.
int WaitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseCredentialTimestamp(
    std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadNumber(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadNumber(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadNumber(text, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return std::nullopt;
  }
  ++pos;
  if (!ReadNumber(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadNumber(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadNumber(text, pos, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits (years 1677-2262): stay inside.
  if (year < 1970 || year > 2200) return std::nullopt;
  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hours, offset_minutes;
    if (!ReadNumber(text, pos, 2, offset_hours)) return std::nullopt;
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!ReadNumber(text, pos, 2, offset_minutes)) return std::nullopt;
    if (offset_hours > 23 || offset_minutes > 59) return std::nullopt;
    offset = minutes(sign * (offset_hours * 60 + offset_minutes));
  } else {
    return std::nullopt;  // a timestamp without a zone is ambiguous
  }
  if (pos != text.size()) return std::nullopt;

  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  sys_time<nanoseconds> utc =
      sys_days(date) + hours(hour) + minutes(minute) + seconds(second) + fraction - offset;
  return time_point_cast<system_clock::duration>(utc);
}

Credentials ParseCredentialProcessOutput(std::string_view output, const std::string& source) {
  // No exceptions from the parser: its messages quote the input.
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw Error(source + ": output is not valid JSON");
  if (!doc.is_object()) throw Error(source + ": output is not a JSON object");
  auto version = doc.find("Version");
  if (version == doc.end()) throw Error(source + ": output has no Version (expected 1)");
  if (!version->is_number_integer() || version->get<int64_t>() != 1) {
    throw Error(source + ": unsupported Version (expected 1)");
  }
  Credentials credentials;
  credentials.access_key_id = StringField(doc, "AccessKeyId", source, true);
  credentials.secret_access_key = StringField(doc, "SecretAccessKey", source, true);
  credentials.session_token = StringField(doc, "SessionToken", source, false);
  std::string expiration = StringField(doc, "Expiration", source, false);
  if (!expiration.empty()) {
    credentials.expiration = ParseCredentialTimestamp(expiration);
    if (!credentials.expiration) {
      throw Error(source + ": Expiration is not an ISO 8601 timestamp");
    }
  }
  credentials.source = "credential_process";
  return credentials;
}

namespace {

// Starts `/bin/sh -c command` in its own process group (so a timeout kills
// the shell and whatever it started), stdin from /dev/null, stdout to
// `stdout_fd`, with default dispositions for the signals we handle and no
// signal blocked. On failure, throws Error.
pid_t SpawnShell(const std::string& command, int stdout_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string command_copy = command;
  char* argv[] = {shell.data(), dash_c.data(), command_copy.data(), nullptr};
  pid_t pid = 0;
  int spawn_error = ::posix_spawn(&pid, shell.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) {
    throw Error(std::string("credential_process: cannot start /bin/sh: ") +
                std::strerror(spawn_error));
  }
  return pid;
}

// What the process printed, and why reading stopped early ("" when it
// reached the end of its output).
struct ProcessOutput {
  std::string text;
  std::string failure;
};

// Reads `fd` to its end, within the limits of time and size.
ProcessOutput ReadOutput(int fd, const CredentialProcessLimits& limits) {
  ProcessOutput out;
  auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  char buffer[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.failure = "did not finish within " + std::to_string(limits.timeout.count()) + "ms";
      return out;
    }
    pollfd poll_fd{fd, POLLIN, 0};
    int ready = ::poll(&poll_fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      out.failure = std::string("cannot wait for its output: ") + std::strerror(errno);
      return out;
    }
    if (ready == 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      out.failure = std::string("cannot read its output: ") + std::strerror(errno);
      return out;
    }
    if (n == 0) return out;  // end of output
    out.text.append(buffer, static_cast<size_t>(n));
    if (out.text.size() > limits.max_output_bytes) {
      out.failure = "printed more than " + std::to_string(limits.max_output_bytes) + " bytes";
      return out;
    }
  }
}

// Throws Error unless the wait status says the process exited 0.
void CheckExitStatus(int status) {
  if (status < 0) throw Error("credential_process: cannot wait for it");
  if (WIFSIGNALED(status)) {
    throw Error("credential_process was killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    throw Error("credential_process exited with status " + std::to_string(WEXITSTATUS(status)));
  }
}

}  // namespace

std::string RunCredentialProcess(const std::string& command,
                                 const CredentialProcessLimits& limits) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw Error(std::string("credential_process: cannot create a pipe: ") + std::strerror(errno));
  }
  FileDescriptor read_end(pipe_fds[0]);
  FileDescriptor write_end(pipe_fds[1]);
  pid_t pid = SpawnShell(command, write_end.get());
  write_end.Reset();  // only the child writes: its exit ends our read

  ProcessOutput output = ReadOutput(read_end.get(), limits);
  if (!output.failure.empty()) ::kill(-pid, SIGKILL);
  read_end.Reset();
  int status = WaitFor(pid);
  if (!output.failure.empty()) throw Error("credential_process " + output.failure);
  CheckExitStatus(status);
  return output.text;
}

}  // namespace ecsmig
