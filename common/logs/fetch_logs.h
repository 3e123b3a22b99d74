// fetch-logs: prints a task's CloudWatch log events, in order, each exactly
// once (CONTRACT.md). Lines go to standard output (or --output-file) as they
// arrive; the outputs (log_group, log_stream, events, console_url) go to
// --output / $GITHUB_OUTPUT, or, when neither is set, to standard output
// after the last log line.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/aws/aws.h"
#include "common/github/cli.h"

namespace ecsmig {

// Makes an AWS client; `region_override` as MakeAwsJsonService takes it.
using FetchLogsClientFactory = std::function<std::unique_ptr<AwsJsonService>(
    AwsService service, const AwsSettings& settings, ToolRun& run,
    const std::string& region_override)>;

// The tool. `make_client` defaults to the real signed clients; tests pass fakes.
ToolSpec FetchLogsSpec(FetchLogsClientFactory make_client = nullptr);

// Validates a CloudWatch Logs group name ([.-_/#A-Za-z0-9], 1-512). On error,
// throws UsageError naming `flag`.
std::string ValidateLogGroupName(const std::string& value, const std::string& flag = "log-group");
// Validates a log stream name (1-512, no ':' or '*', no control characters).
std::string ValidateLogStreamName(const std::string& value, const std::string& flag = "log-stream");

}  // namespace ecsmig
