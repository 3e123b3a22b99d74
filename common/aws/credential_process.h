// credential_process: an external command that prints credentials as JSON
// ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}),
// and the ISO 8601 timestamps that credential sources use for expirations.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/aws/credentials.h"

namespace ecsmig {

// Parses a credential_process answer. `source` names the process in errors
// (e.g. "credential_process of profile 'ci'"). Errors never quote the output,
// which holds secrets. On malformed JSON, a Version other than 1, or a missing
// or non-string AccessKeyId/SecretAccessKey, throws Error.
Credentials ParseCredentialProcessOutput(std::string_view output, const std::string& source);

// Parses "2026-01-01T00:00:00Z", with optional fractional seconds and a "Z" or
// "+HH:MM"/"-HH:MM" offset (a space instead of 'T' is accepted). nullopt when
// the text is not such a timestamp, names an impossible date, or a year
// outside 1970-2200.
std::optional<std::chrono::system_clock::time_point> ParseCredentialTimestamp(
    std::string_view text);

struct CredentialProcessLimits {
  size_t max_output_bytes = 1 << 20;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

// Runs `command` with /bin/sh -c, stdin from /dev/null, stderr passed through
// to ours, and returns its standard output. On a spawn failure, a non-zero
// exit, death by a signal, more output than the limit or the timeout (the
// process group is killed), throws Error; the message never holds the output
// nor the command line.
std::string RunCredentialProcess(const std::string& command,
                                 const CredentialProcessLimits& limits = {});

}  // namespace ecsmig
