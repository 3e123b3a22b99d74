// fetch-logs: prints a task's CloudWatch log events (CONTRACT.md).
#include "common/logs/fetch_logs.h"

int main(int argc, char** argv) { return ecsmig::RunProcess(ecsmig::FetchLogsSpec(), argc, argv); }
