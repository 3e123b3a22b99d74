#include "common/github/cli.h"
#include "common/logs/task_logs.h"
#include "common/wait/wait_task.h"

int main(int argc, char** argv) {
  auto follower = [](ecsmig::ToolRun& run, const ecsmig::AwsSettings& settings,
                     std::vector<ecsmig::LogTarget> targets) {
    return ecsmig::MakeTaskLogFollower(run, settings, std::move(targets), ecsmig::TaskLogOptions{});
  };
  return ecsmig::RunProcess(ecsmig::WaitTaskSpec(ecsmig::RealAwsClientFactory(), follower), argc,
                            argv);
}
