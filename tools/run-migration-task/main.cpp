#include "common/ecs/run_migration_task.h"
#include "common/github/cli.h"

int main(int argc, char** argv) {
  return ecsmig::RunProcess(ecsmig::RunMigrationTaskSpec(), argc, argv);
}
