/* tune.h: mrank tune's grid search as the library runs it (mrank_tune): every combination of the
 * grids ("lr=0.1,0.01") from the base options, scored on validation data (early-stopped) or by
 * the mean over K folds, ranked by NDCG@10, and the best trained again (on all the data, refit, or
 * on the training data). What it does is told through rank_events; the table comes back. */
#ifndef MRANK_RANK_TUNE_H
#define MRANK_RANK_TUNE_H

#include <stddef.h>

#include "mrank_rank.h"
#include "rank/config.h"
#include "rank/dataset.h"
#include "rank/events.h"
#include "rank/model.h"

typedef struct rank_tune_request {
  /* all: train and valid together (the folds' and the refit's data); train itself without valid */
  const rank_dataset *train, *valid, *all;
  size_t folds; /* 0: scored on valid */
  int refit;
  const char *const *grids;
  size_t grid_count;
  const rank_train_config *config;
  const rank_events *events;
} rank_tune_request;

typedef struct rank_tune_table {
  mrank_tune_setting *rows; /* best first */
  size_t count;
  char device[256]; /* the device the settings trained on (linear) */
} rank_tune_table;

/* The search; *table gets every setting (malloc'd rows, also on MRANK_ERROR_DIVERGED: every
 * setting diverged, or the refit did), *model the best setting's model. MRANK_ERROR_STOPPED when
 * the events stopped it (nothing chosen); another status for bad grids, the data or the device;
 * each with the message in error. "grid" in messages is "--grid" where the options were named as
 * on the command line. */
mrank_status rank_tune_linear(const rank_tune_request *request, rank_tune_table *table,
                              rank_model *model, char *error, size_t error_size);
/* The grids alone (names, values, ranges, the settings' count): 1, or 0 with a message. */
int rank_tune_linear_check(const rank_tune_request *request, char *error, size_t error_size);
int rank_tune_mlp_check(const rank_tune_request *request, char *error, size_t error_size);
mrank_status rank_tune_mlp(const rank_tune_request *request, rank_tune_table *table,
                           rank_model *model, char *error, size_t error_size);

#endif /* MRANK_RANK_TUNE_H */
