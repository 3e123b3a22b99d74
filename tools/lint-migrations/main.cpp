#include "common/github/cli.h"
#include "common/lint/lint_migrations.h"

int main(int argc, char** argv) {
  return ecsmig::RunProcess(ecsmig::LintMigrationsSpec(), argc, argv);
}
