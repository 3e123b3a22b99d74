#include "common/ecs/run_migration_task.h"
#include "common/github/cli.h"

int main(int argc, char** argv) {
  ecsmig::ToolSpec spec = ecsmig::RunMigrationTaskSpec();
  spec.details =
      "Outputs: task_arn, task_id, cluster, task_definition, container, log_group, log_stream, "
      "console_url.\n"
      "Exit codes: 0 started (or validated, with --dry-run); 1 the task could not be started; "
      "2 bad input; 130/143 interrupted (a started task's outputs are written first).";
  return ecsmig::RunProcess(spec, argc, argv);
}
