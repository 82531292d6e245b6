/* train_mlp.h: `mrank train --scorer mlp`: the MLP scorer's run, as train's linear one chooses its
 * length: on --valid, on held-out folds of the training queries (then a refit on all of them), or
 * none (--holdout 0). */
#ifndef MRANK_CLI_TRAIN_MLP_H
#define MRANK_CLI_TRAIN_MLP_H

#include "rank/dataset.h"
#include "rank/mlp_train.h"
#include "rank/model.h"

typedef struct mlp_request {
  const rank_dataset *train, *valid; /* valid may be NULL */
  const char *selector, *model_path;
  rank_options options;
  rank_mlp_options mlp;
  int quiet, profile;
} mlp_request;

/* The process exit status: 0, 1 diverged, 2 an error (said on stderr). */
int mrank_train_mlp(const mlp_request *request);

/* What a run did. */
typedef struct mlp_run {
  unsigned epochs_run, best_epoch, diverged_at;
  double best_ndcg, seconds;
  size_t pairs;
  rank_stage_times stages;
  const char *layers; /* how the layers ran: "dense", "clblast" or "host loops" */
} mlp_run;

/* Trains request's network from scratch on `data` (a trainer of its own) for up to `epochs`; with
 * `scored`, each epoch's NDCG@10 on it goes to curve[epoch - 1] (when curve is not NULL) and the
 * best epoch's parameters to best (patience, 0: none, stops the run); without, best gets the last
 * epoch's. mean and deviation (may be NULL) get data's standardisation. 0 with a message. */
int mrank_mlp_run(const mlp_request *request, const rank_dataset *data, unsigned epochs,
                  const rank_dataset *scored, unsigned patience, double *curve, float *best,
                  float *mean, float *deviation, mlp_run *run, char *error, size_t error_size);
/* Writes an MLP model of request's network with these parameters and standardisation. */
int mrank_mlp_save(const mlp_request *request, size_t features, const float *parameters,
                   const float *mean, const float *deviation, unsigned best_epoch, unsigned epochs,
                   const char *path, char *error, size_t error_size);

#endif /* MRANK_CLI_TRAIN_MLP_H */
