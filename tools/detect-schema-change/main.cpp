#include "common/git/detect_schema_change.h"
#include "common/github/cli.h"

int main(int argc, char** argv) {
  return ecsmig::RunProcess(ecsmig::DetectSchemaChangeSpec(), argc, argv);
}
