/* rank_tune_api.c: mrank_rank.h's mrank_tune: mrank tune's grid search (rank/tune_linear.c,
 * rank/tune_mlp.c) on data sets and options by name, its table returned as data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mrank_rank.h"
#include "rank/subset.h"
#include "rank/tune.h"
#include "rank_api.h"

struct mrank_tune_result {
  rank_tune_table table;
};

static mrank_status check_tune(const mrank_dataset *train, const mrank_dataset *valid, size_t folds,
                               const char *const *grids, size_t grid_count, int refit,
                               const mrank_train_options *options) {
  const char *function = "mrank_tune";
  if (train == NULL || options == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function,
                      train == NULL ? "train" : "options");
  }
  if (grid_count > 0 && grids == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: grids is NULL with grid_count %zu",
                      function, grid_count);
  }
  for (size_t g = 0; g < grid_count; ++g) {
    if (grids[g] == NULL) {
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: grids[%zu] is NULL", function, g);
    }
  }
  const int dashed = options->config.dashed;
  if (folds == 0 && valid == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: give valid data, or folds (2 to 20) to score on parts of train",
                      function);
  }
  if (folds == 1 || folds > 20) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: %s is a whole number from 2 to 20, not %zu", function,
                      dashed ? "--folds" : "folds", folds);
  }
  if (folds > 0 && !refit) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s trains each setting K times on parts of the data: the model is the "
                      "refit on all of it (leave out %s)",
                      dashed ? "--folds" : "folds", dashed ? "--no-refit" : "refit 0");
  }
  if (train->data.queries == 0 || (valid != NULL && valid->data.queries == 0)) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s data has no queries", function,
                      train->data.queries == 0 ? "the training" : "the validation");
  }
  return MRANK_SUCCESS;
}

mrank_status mrank_tune_check(const char *const *grids, size_t grid_count,
                              const mrank_train_options *options) {
  mrank_clear_error();
  if (options == NULL || (grids == NULL && grid_count > 0)) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_tune_check: %s is NULL",
                      options == NULL ? "options" : "grids");
  }
  const rank_tune_request request = {NULL, NULL, NULL, 0, 1, grids, grid_count, &options->config,
                                     NULL};
  char error[1024];
  const int ok = options->config.mlp_scorer ? rank_tune_mlp_check(&request, error, sizeof error)
                                            : rank_tune_linear_check(&request, error, sizeof error);
  return ok ? MRANK_SUCCESS : mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s", error);
}

/* The search on checked arguments; the valid data widened to train's features, the data of the
 * folds and the refit put together. */
static mrank_status search(const rank_dataset *train, const rank_dataset *valid, size_t folds,
                           const char *const *grids, size_t grid_count, int refit,
                           const rank_train_config *config, const rank_events *events,
                           rank_tune_table *table, rank_model *model, char *error, size_t size) {
  rank_dataset widened, pool;
  memset(&widened, 0, sizeof widened);
  memset(&pool, 0, sizeof pool);
  if (valid != NULL) {
    const mrank_status status = rank_api_same_width(train, valid, &widened);
    if (status != MRANK_SUCCESS) return snprintf(error, size, "%s", mrank_last_error()), status;
    if (widened.x != NULL) valid = &widened;
  }
  if (valid != NULL && (refit || folds > 0) && !rank_dataset_concat(train, valid, &pool)) {
    rank_dataset_free(&widened);
    return snprintf(error, size, "out of memory"), MRANK_ERROR_OUT_OF_MEMORY;
  }
  const rank_tune_request request = {train,      valid,  pool.x != NULL ? &pool : train,
                                     folds,      refit,  grids,
                                     grid_count, config, events};
  const mrank_status status = config->mlp_scorer
                                  ? rank_tune_mlp(&request, table, model, error, size)
                                  : rank_tune_linear(&request, table, model, error, size);
  rank_dataset_free(&pool);
  rank_dataset_free(&widened);
  return status;
}

mrank_status mrank_tune(const mrank_dataset *train, const mrank_dataset *valid, size_t folds,
                        const char *const *grids, size_t grid_count, int refit,
                        const mrank_train_options *options, mrank_train_callback callback,
                        void *user, mrank_tune_result **result, mrank_model **model) {
  mrank_clear_error();
  if (result == NULL || model == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_tune: %s is NULL",
                      result == NULL ? "result" : "model");
  }
  *result = NULL;
  *model = NULL;
  mrank_status status = check_tune(train, valid, folds, grids, grid_count, refit, options);
  if (status == MRANK_SUCCESS) status = mrank_tune_check(grids, grid_count, options);
  if (status != MRANK_SUCCESS) return status;
  mrank_tune_result *table = calloc(1, sizeof *table);
  mrank_model *best = calloc(1, sizeof *best);
  if (table == NULL || best == NULL) {
    free(table);
    free(best);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "mrank_tune: out of memory");
  }
  volatile sig_atomic_t stop = 0;
  const rank_events events = {callback, user, &stop};
  char error[4096];
  status =
      search(&train->data, valid != NULL ? &valid->data : NULL, folds, grids, grid_count, refit,
             &options->config, &events, &table->table, &best->model, error, sizeof error);
  if (status != MRANK_SUCCESS) mrank_fail(status, "mrank_tune: %s", error);
  if (table->table.rows != NULL && table->table.count > 0) {
    *result = table;
  } else {
    mrank_tune_result_destroy(table);
  }
  if (status == MRANK_SUCCESS) {
    *model = best;
  } else {
    rank_model_free(&best->model);
    free(best);
  }
  return status;
}

size_t mrank_tune_result_count(const mrank_tune_result *result) {
  return result != NULL ? result->table.count : 0;
}

mrank_status mrank_tune_result_setting(const mrank_tune_result *result, size_t index,
                                       mrank_tune_setting *out) {
  mrank_clear_error();
  if (result == NULL || out == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_tune_result_setting: %s is NULL",
                      result == NULL ? "result" : "out");
  }
  if (index >= result->table.count) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_tune_result_setting: index %zu is beyond the table's %zu settings",
                      index, result->table.count);
  }
  *out = result->table.rows[index];
  return MRANK_SUCCESS;
}

const char *mrank_tune_result_device(const mrank_tune_result *result) {
  return result != NULL ? result->table.device : "";
}

void mrank_tune_result_destroy(mrank_tune_result *result) {
  if (result == NULL) return;
  free(result->table.rows);
  free(result);
}
