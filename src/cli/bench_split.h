/* bench_split.h: `mrank bench --device all` (or any selector of several devices): the host API's
 * split across the devices against the sum of the devices' own rooflines. */
#ifndef MRANK_CLI_BENCH_SPLIT_H
#define MRANK_CLI_BENCH_SPLIT_H

#include <stddef.h>

#include "mrank.h"

/* Measures on ctx (a context over several devices; destroyed here) at sizes n[0 .. count); the
 * process exit status (0, or 2 after a message). */
int mrank_bench_split(mrank_context *ctx, const size_t *n, int count, double budget);

#endif /* MRANK_CLI_BENCH_SPLIT_H */
