#include "common/github/cli.h"
#include "common/logs/task_logs.h"
#include "common/wait/wait_task.h"

int main(int argc, char** argv) {
  auto follower = [](ecsmig::ToolRun& run, const ecsmig::AwsSettings& settings,
                     std::vector<ecsmig::LogTarget> targets) {
    return ecsmig::MakeTaskLogFollower(run, settings, std::move(targets), ecsmig::TaskLogOptions{});
  };
  ecsmig::ToolSpec spec = ecsmig::WaitTaskSpec(ecsmig::RealAwsClientFactory(), follower);
  spec.details =
      "Outputs: exit_code, last_status, stop_code, stopped_reason, result, duration_seconds.\n"
      "Exit codes: the container's own exit code (0 only on success); 1 an AWS error or a task "
      "not found; 2 bad input; 124 timeout; 125 infrastructure failure or stopped from outside; "
      "130/143 cancelled.";
  return ecsmig::RunProcess(spec, argc, argv);
}
