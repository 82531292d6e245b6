/* ledger.c: the debug ledger of OpenCL objects and the debug hooks (built with MRANK_LEDGER, which
 * Debug builds turn on): every object the library creates or retains is counted up, every release
 * down, so a test can see the count return to zero; MRANK_FAIL_ENQUEUE=N makes the N-th enqueue of
 * the process fail, to test the error paths; a context used by two threads at once aborts loudly.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "context.h"

#ifdef MRANK_LEDGER
static _Atomic long ledger[MRANK_LEDGER_KINDS];
static atomic_long enqueues;

void mrank_ledger_add(int kind, long delta) {
  atomic_fetch_add(&ledger[kind], delta);
}

int mrank_debug_fail_enqueue(void) {
  const char *text = getenv("MRANK_FAIL_ENQUEUE");
  if (text == NULL || text[0] == '\0') return 0;
  return atomic_fetch_add(&enqueues, 1) + 1 == atol(text);
}

void mrank_debug_enter(mrank_context *ctx) {
  if (!mrank_context_live(ctx)) return; /* the entry point refuses it */
  if (atomic_flag_test_and_set(&ctx->busy)) {
    fprintf(stderr,
            "mrank: context %p is used by two threads at once; an mrank_context is for one thread "
            "at a time: give each thread its own (debug builds check this)\n",
            (void *)ctx);
    abort();
  }
}

void mrank_debug_leave(mrank_context *ctx) {
  if (mrank_context_live(ctx)) atomic_flag_clear(&ctx->busy);
}
#endif

int mrank_debug_ledger(long counts[MRANK_LEDGER_KINDS]) {
  for (int k = 0; k < MRANK_LEDGER_KINDS; ++k) {
#ifdef MRANK_LEDGER
    counts[k] = atomic_load(&ledger[k]);
#else
    counts[k] = 0;
#endif
  }
#ifdef MRANK_LEDGER
  return 1;
#else
  return 0;
#endif
}
