/* interrupt.c: the stop request behind Ctrl-C and SIGTERM. */
#include "cli/interrupt.h"

#include <stdio.h>

volatile sig_atomic_t mrank_interrupted = 0;

static void on_signal(int signal_number) {
  mrank_interrupted = signal_number;
}

void mrank_catch_interrupts(void) {
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
}

int mrank_tune_interrupted(void) {
  const int signal_number = mrank_interrupted;
  fprintf(stderr,
          "mrank tune: interrupted (%s) before the search ended: nothing was chosen, so no model "
          "is written; run it again (fewer settings finish sooner)\n",
          signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  return 128 + signal_number;
}
