/* train_mlp.h: `mrank train --scorer mlp`: the MLP scorer's run, as train's linear one chooses its
 * length: on --valid, on held-out folds of the training queries (then a refit on all of them), or
 * none (--holdout 0). A run fits the input encoding on its data, trains the linear base first
 * (--skip base), then the network. */
#ifndef MRANK_CLI_TRAIN_MLP_H
#define MRANK_CLI_TRAIN_MLP_H

#include "rank/dataset.h"
#include "rank/encoding.h"
#include "rank/mlp_train.h"
#include "rank/model.h"

typedef struct mlp_request {
  const rank_dataset *train, *valid; /* valid may be NULL */
  const char *selector, *model_path;
  rank_options options;
  rank_mlp_options mlp;
  int quiet, profile;
} mlp_request;

/* --skip: "none", "linear" (a linear term trained with the network) or "base" (the linear scorer
 * trained first, then held: see rank_mlp_options); parse returns 0 for another name. */
const char *mrank_mlp_skip_name(const rank_mlp_options *mlp);
int mrank_mlp_skip_parse(const char *name, rank_mlp_options *mlp);

/* The process exit status: 0, 1 diverged, 2 an error (said on stderr). */
int mrank_train_mlp(const mlp_request *request);

/* What a run did. */
typedef struct mlp_run {
  unsigned epochs_run, best_epoch, diverged_at;
  int has_best; /* the model holds the best epoch's network (best_epoch 0: the linear base alone) */
  double best_ndcg, seconds;
  size_t pairs;
  rank_stage_times stages;
  const char *layers; /* how the layers ran: "dense", "clblast" or "host loops" */
} mlp_run;

/* What a run learned: the input encoding (fit on its data), the best epoch's parameters, and the
 * mean and deviation of the network's `inputs` (the encoded columns). */
typedef struct mlp_model {
  rank_encoding encoding;
  size_t inputs;
  float *parameters, *mean, *deviation;
} mlp_model;
void mrank_mlp_model_free(mlp_model *model);

typedef struct mlp_run_spec {
  unsigned epochs;
  const rank_dataset *scored; /* NULL: the last epoch's parameters are the best */
  unsigned patience;          /* with scored: stale epochs that stop the run (0: none) */
  /* NULL, or epochs + 1 entries: [e] the NDCG@10 on scored after e epochs; [0] (before the first)
   * with a linear base only, else NaN */
  double *curve;
  const char *what; /* the set-up line ("training", "refit", "fold 1 of 5"); NULL: none */
  int print_epochs;
} mlp_run_spec;

/* Trains request's network from scratch on `data` (a trainer of its own). 0 with a message; a
 * divergence is not a failure (run->diverged_at says it; model keeps the epoch before). */
int mrank_mlp_run(const mlp_request *request, const rank_dataset *data, const mlp_run_spec *spec,
                  mlp_model *model, mlp_run *run, char *error, size_t error_size);
/* Writes an MLP model of request's network as the run left it (features: the data's). */
int mrank_mlp_save(const mlp_request *request, size_t features, const mlp_model *model,
                   unsigned best_epoch, unsigned epochs, const char *path, char *error,
                   size_t error_size);

#endif /* MRANK_CLI_TRAIN_MLP_H */
