#include "common/cli.h"
#include "common/run_migration_task.h"

int main(int argc, char** argv) {
  return ecsmig::RunProcess(ecsmig::RunMigrationTaskSpec(), argc, argv);
}
