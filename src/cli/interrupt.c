/* interrupt.c: the stop request behind Ctrl-C and SIGTERM. */
#include "cli/interrupt.h"

volatile sig_atomic_t mrank_interrupted = 0;

static void on_signal(int signal_number) {
  mrank_interrupted = signal_number;
}

void mrank_catch_interrupts(void) {
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
}
