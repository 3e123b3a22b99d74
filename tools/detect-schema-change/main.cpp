#include "common/cli.h"
#include "common/detect_schema_change.h"

int main(int argc, char** argv) {
  return ecsmig::RunOfflineProcess(ecsmig::DetectSchemaChangeSpec(), argc, argv);
}
