#include "common/git/detect_schema_change.h"
#include "common/github/cli.h"

int main(int argc, char** argv) {
  ecsmig::ToolSpec spec = ecsmig::DetectSchemaChangeSpec();
  spec.details =
      "Outputs: changed, files, files_json, count, base, head, reason, base_source, "
      "deployment_id, new_migrations, modified_migrations, deleted_migrations, schema_changed.\n"
      "Exit codes: 0 decided (changed or not); 2 bad input; 3 missing base with "
      "--on-missing-base fail; 4 a migration edited, deleted or renamed (policy).";
  return ecsmig::RunProcess(spec, argc, argv);
}
