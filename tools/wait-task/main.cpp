#include "common/cli.h"
#include "common/wait_task.h"

int main(int argc, char** argv) { return ecsmig::RunProcess(ecsmig::WaitTaskSpec(), argc, argv); }
