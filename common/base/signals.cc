#include "common/base/signals.h"

#include <csignal>

namespace ecsmig {
namespace {

volatile std::sig_atomic_t g_cancel_signal = 0;

extern "C" void OnCancelSignal(int signal_number) {
  // A second signal while we are stopping the task is not allowed to kill us
  // half-way through StopTask; the runner follows with SIGKILL if it must.
  if (g_cancel_signal == 0) g_cancel_signal = signal_number;
}

}  // namespace

void InstallCancelHandlers() {
  struct sigaction action {};
  action.sa_handler = OnCancelSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking sleep should wake up
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int CancelSignal() { return g_cancel_signal; }

void SetCancelSignalForTesting(int signal_number) { g_cancel_signal = signal_number; }

}  // namespace ecsmig
