/* interrupt.h: SIGINT (Ctrl-C) and SIGTERM (timeout, systemd, Slurm) as a request to stop: a long
 * command checks the flag between steps, cleans up (no temporary file left, the best model kept)
 * and exits with 128 + the signal, as a shell reports it. */
#ifndef MRANK_CLI_INTERRUPT_H
#define MRANK_CLI_INTERRUPT_H

#include <signal.h>

/* The signal that asked to stop (SIGINT or SIGTERM), or 0. */
extern volatile sig_atomic_t mrank_interrupted;

/* Installs the handlers for SIGINT and SIGTERM. */
void mrank_catch_interrupts(void);

/* tune's answer to an interruption: an unfinished search chose nothing, so "mrank tune:
 * interrupted (SIGTERM) before the search ended; no model written ..." and 128 + the signal. */
int mrank_tune_interrupted(void);

#endif /* MRANK_CLI_INTERRUPT_H */
