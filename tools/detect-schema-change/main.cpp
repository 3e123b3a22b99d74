#include "common/cli.h"
#include "common/detect_schema_change.h"

int main(int argc, char** argv) {
  return ecsmig::RunProcess(ecsmig::DetectSchemaChangeSpec(), argc, argv);
}
