/* tune_mlp.h: `mrank tune --scorer mlp` (tune_mlp.c). */
#ifndef MRANK_CLI_TUNE_MLP_H
#define MRANK_CLI_TUNE_MLP_H

#include <stddef.h>

#include "rank/mlp_run.h"

/* The index of an MLP grid name (hidden, dropout, lr, weight-decay) at the start of "NAME=...",
 * or -1. */
int mrank_mlp_grid_name(const char *text);

/* Every setting of the grids (texts "NAME=V1,V2") from base: scored on valid (early-stopped) or,
 * with folds > 0, by the mean over folds of `all`; the best refit on `all` (refit) or trained on
 * train, and written to model_path; the table as text or (json) as one JSON object on standard
 * output. The exit status. */
int mrank_tune_mlp(const mlp_request *base, const char *const *grid_texts, int grid_count,
                   const rank_dataset *train, const rank_dataset *valid, const rank_dataset *all,
                   size_t folds, int refit, const char *model_path, int json);

#endif /* MRANK_CLI_TUNE_MLP_H */
