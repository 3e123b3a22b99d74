// The suite's one error model. Library code throws; each tool's boundary
// (RunTool in cli.h) catches once, prints one line and exits with the code.
#pragma once

#include <stdexcept>
#include <string>

namespace ecsmig {

// Exit codes users' workflows depend on (CONTRACT.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,        // the job failed: AWS error retries did not cure, policy
  kExitUsage = 2,         // bad input or usage, always before any AWS call
  kExitMissingBase = 3,   // detect-schema-change --on-missing-base fail
  kExitPolicy = 4,        // detect-schema-change migration policy violation
  kExitLintFindings = 5,  // lint-migrations: findings of a class named by --fail-on
  kExitTimeout = 124,     // wait-task timeout
  kExitInfra = 125,       // wait-task: the task failed to start / infra failure
  kExitSigInt = 130,
  kExitSigTerm = 143,
};

// Base of every error the suite throws on purpose. what() is the one line
// printed to the user; it never holds a secret.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitFailed)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad flags, malformed JSON/ARN/duration: exit 2, raised before any AWS call.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, kExitUsage) {}
};

// An error from an AWS service after retries. what() names the call, the AWS
// code and message, and the request id.
class AwsError : public Error {
 public:
  AwsError(std::string service, std::string operation, std::string code, std::string message,
           std::string request_id, int http_status)
      : Error(Describe(service, operation, code, message, request_id)),
        service_(std::move(service)),
        operation_(std::move(operation)),
        code_(std::move(code)),
        aws_message_(std::move(message)),
        request_id_(std::move(request_id)),
        http_status_(http_status) {}

  const std::string& service() const { return service_; }
  const std::string& operation() const { return operation_; }
  const std::string& code() const { return code_; }
  const std::string& aws_message() const { return aws_message_; }
  const std::string& request_id() const { return request_id_; }
  int http_status() const { return http_status_; }

  static std::string Describe(const std::string& service, const std::string& operation,
                              const std::string& code, const std::string& message,
                              const std::string& request_id) {
    std::string s = service + " " + operation + " failed: " + code;
    if (!message.empty()) s += ": " + message;
    if (!request_id.empty()) s += " (request id " + request_id + ")";
    return s;
  }

 private:
  std::string service_, operation_, code_, aws_message_, request_id_;
  int http_status_;
};

// The network failed (connect, reset, timeout) and retries did not cure it.
class TransportError : public Error {
 public:
  explicit TransportError(const std::string& message, bool timed_out = false)
      : Error(message), timed_out_(timed_out) {}
  bool timed_out() const { return timed_out_; }

 private:
  bool timed_out_;
};

}  // namespace ecsmig
