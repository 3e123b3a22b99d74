// Cancellation: SIGINT/SIGTERM set a flag that long waits poll, so tools can
// stop what they started (wait-task --stop-on-cancel) and exit 130/143.
#pragma once

namespace ecsmig {

// Installs handlers for SIGINT and SIGTERM (idempotent).
void InstallCancelHandlers();
// The signal number that asked us to stop, or 0.
int CancelSignal();
// For tests: pretend a signal arrived (0 clears).
void SetCancelSignalForTesting(int signal_number);

}  // namespace ecsmig
