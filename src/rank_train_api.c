/* rank_train_api.c: mrank_rank.h's training: the options by name (rank/config.c, the parser the
 * CLI uses too) and mrank_train, which runs what mrank train runs (rank/linear_run.c,
 * rank/mlp_run.c) and tells its progress through the caller's callback. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mrank_rank.h"
#include "rank/config.h"
#include "rank/events.h"
#include "rank/linear_run.h"
#include "rank/mlp_run.h"
#include "rank_api.h"

mrank_status mrank_train_options_create(mrank_train_options **out) {
  mrank_clear_error();
  if (out == NULL)
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_train_options_create: out is NULL");
  *out = malloc(sizeof **out);
  if (*out == NULL)
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "mrank_train_options_create: out of memory");
  rank_config_init(&(*out)->config);
  return MRANK_SUCCESS;
}

mrank_status mrank_train_options_set(mrank_train_options *options, const char *name,
                                     const char *value) {
  mrank_clear_error();
  const char *function = "mrank_train_options_set";
  if (options == NULL || name == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function,
                      options == NULL ? "options" : "name");
  }
  if (value == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: the value of \"%s\" is NULL; give its text (as on the command line)",
                      function, name);
  }
  char error[512];
  const int set = rank_config_set(&options->config, name, value, error, sizeof error);
  if (set != 1) {
    return mrank_fail(strstr(error, "out of memory") != NULL ? MRANK_ERROR_OUT_OF_MEMORY
                                                             : MRANK_ERROR_INVALID_ARGUMENT,
                      "%s", error);
  }
  return MRANK_SUCCESS;
}

mrank_status mrank_train_options_check(const mrank_train_options *options) {
  mrank_clear_error();
  if (options == NULL)
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_train_options_check: options is NULL");
  char error[512];
  if (!rank_config_check(&options->config, error, sizeof error)) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s", error);
  }
  return MRANK_SUCCESS;
}

const char *const *mrank_train_option_names(size_t *count) {
  if (count != NULL) *count = rank_config_name_count;
  return rank_config_names;
}

void mrank_train_options_destroy(mrank_train_options *options) {
  if (options == NULL) return;
  rank_config_free(&options->config);
  free(options);
}

/* valid with train's feature count: as given, or widened with zero columns (a file whose last
 * features are absent); more features than the training data is refused. */
mrank_status rank_api_same_width(const rank_dataset *train, const rank_dataset *valid,
                                 rank_dataset *widened) {
  memset(widened, 0, sizeof *widened);
  if (valid->features > train->features) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "valid has %zu features but train %zu; the model scores "
                      "train's features: load valid with train's count or drop its extra columns",
                      valid->features, train->features);
  }
  if (valid->features == train->features) return MRANK_SUCCESS;
  *widened = *valid;
  widened->features = train->features;
  widened->x = calloc(valid->docs * train->features + 1, sizeof(float));
  widened->labels = malloc((valid->docs + 1) * sizeof(float));
  widened->query_start = malloc((valid->queries + 1) * sizeof(size_t));
  widened->qid = malloc((valid->queries + 1) * sizeof(unsigned long long));
  if (widened->x == NULL || widened->labels == NULL || widened->query_start == NULL ||
      widened->qid == NULL) {
    rank_dataset_free(widened);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "out of memory for valid");
  }
  for (size_t d = 0; d < valid->docs; ++d) {
    memcpy(widened->x + d * train->features, valid->x + d * valid->features,
           valid->features * sizeof(float));
  }
  memcpy(widened->labels, valid->labels, valid->docs * sizeof(float));
  memcpy(widened->query_start, valid->query_start, (valid->queries + 1) * sizeof(size_t));
  memcpy(widened->qid, valid->qid, valid->queries * sizeof(unsigned long long));
  return MRANK_SUCCESS;
}

static mrank_status check_train_arguments(const mrank_dataset *train, const mrank_dataset *valid,
                                          const mrank_train_options *options, mrank_model **out) {
  const char *function = "mrank_train";
  if (out == NULL) return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: out is NULL", function);
  *out = NULL;
  if (train == NULL || options == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: %s is NULL; pass a data set (mrank_dataset_load) and options "
                      "(mrank_train_options_create)",
                      function, train == NULL ? "train" : "options");
  }
  if (train->data.queries == 0 || train->data.docs == 0) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: train has no %s; give query groups (qid: in the file, a group file, "
                      "qid or group sizes)",
                      function, train->data.docs == 0 ? "documents" : "query groups");
  }
  if (valid != NULL && valid->data.queries == 0) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: valid has no query groups (give qid: or a group file)", function);
  }
  char error[512];
  if (!rank_config_check(&options->config, error, sizeof error)) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s", function, error);
  }
  return MRANK_SUCCESS;
}

/* The MLP's own defaults where not given: Adam's 1e-3, room for early stopping, no L2. */
static void mlp_defaults(const rank_train_config *c, rank_options *options) {
  if (!c->lr_given) options->lr = c->mlp.optimizer == RANK_ADAM ? 1e-3 : 0.01;
  if (!c->epochs_given) options->epochs = 60;
  if (isnan(options->l2)) options->l2 = 0.0;
  /* averaging the network's parameters over the steps helped on one shared collection's
   * selection splits and hurt on the other's (+0.008, -0.009): off unless asked */
  options->average = c->average_given && c->options.average;
}

mrank_status mrank_train(const mrank_dataset *train, const mrank_dataset *valid,
                         const mrank_train_options *options, mrank_train_callback callback,
                         void *user, mrank_model **out) {
  mrank_clear_error();
  mrank_status status = check_train_arguments(train, valid, options, out);
  if (status != MRANK_SUCCESS) return status;
  const rank_train_config *c = &options->config;
  rank_dataset widened;
  memset(&widened, 0, sizeof widened);
  if (valid != NULL &&
      (status = rank_api_same_width(&train->data, &valid->data, &widened)) != MRANK_SUCCESS) {
    char why[512]; /* a copy: the message is rewritten from it */
    snprintf(why, sizeof why, "%s", mrank_last_error());
    return mrank_fail(status, "mrank_train: %s", why);
  }
  const rank_dataset *scored = valid == NULL ? NULL : widened.x != NULL ? &widened : &valid->data;
  volatile sig_atomic_t stop = 0;
  const rank_events events = {callback, user, &stop};
  mrank_model *handle = calloc(1, sizeof *handle);
  char error[4096];
  if (handle == NULL) {
    rank_dataset_free(&widened);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "mrank_train: out of memory");
  }
  if (c->mlp_scorer) {
    mlp_request request = {&train->data, scored,     c->device, c->options,
                           c->mlp,       c->profile, c->dashed, &events};
    mlp_defaults(c, &request.options);
    status = rank_train_mlp(&request, &handle->model, handle->note, sizeof handle->note, error,
                            sizeof error);
  } else {
    const linear_request request = {&train->data, scored,    c->device, c->options,
                                    c->profile,   c->dashed, &events};
    status = rank_train_linear(&request, &handle->model, handle->note, sizeof handle->note, error,
                               sizeof error);
  }
  rank_dataset_free(&widened);
  const int has_model = handle->model.weights != NULL;
  if (status != MRANK_SUCCESS) mrank_fail(status, "mrank_train: %s", error);
  if (has_model) {
    *out = handle;
  } else {
    free(handle);
  }
  return status;
}
