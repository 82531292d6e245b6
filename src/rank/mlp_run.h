/* mlp_run.h: training the MLP scorer as mrank train does (scorer mlp): its length chosen on
 * validation data, on held-out folds of the training queries (then a refit on all of them), or
 * not at all (holdout 0). A run fits the input encoding on its data, trains the linear base first
 * (skip base), then the network. What it does is told through rank_events, nothing printed. */
#ifndef MRANK_RANK_MLP_RUN_H
#define MRANK_RANK_MLP_RUN_H

#include "rank/dataset.h"
#include "rank/encoding.h"
#include "rank/mlp_train.h"
#include "rank/events.h"
#include "rank/model.h"

typedef struct mlp_request {
  const rank_dataset *train, *valid; /* valid may be NULL */
  const char *selector;
  rank_options options;
  rank_mlp_options mlp;
  int profile;
  int dashed;                /* messages name options as on the command line (--lr) */
  const rank_events *events; /* NULL: nothing told, never stopped */
} mlp_request;

/* Trains the request's MLP, its epoch count chosen as mrank train chooses it; *model gets it
 * (owned). MRANK_SUCCESS (a stop by the events keeps the best epoch so far, *note saying so),
 * MRANK_ERROR_DIVERGED or MRANK_ERROR_STOPPED without a model, or another status, each with the
 * message in error. */
mrank_status rank_train_mlp(const mlp_request *request, rank_model *model, char *note,
                            size_t note_size, char *error, size_t error_size);

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
void rank_mlp_model_free(mlp_model *model);

typedef struct mlp_run_spec {
  unsigned epochs;
  const rank_dataset *scored; /* NULL: the last epoch's parameters are the best */
  unsigned patience;          /* with scored: stale epochs that stop the run (0: none) */
  /* NULL, or epochs + 1 entries: [e] the NDCG@10 on scored after e epochs; [0] (before the first)
   * with a linear base only, else NaN */
  double *curve;
  const char *what; /* the stage ("training", "refit", "fold 1 of 5"); NULL: no set-up note */
  int final;        /* its epochs are the model's (told as such) */
} mlp_run_spec;

/* Trains request's network from scratch on `data` (a trainer of its own). 0 with a message; a
 * divergence is not a failure (run->diverged_at says it; model keeps the epoch before). */
int rank_mlp_run(const mlp_request *request, const rank_dataset *data, const mlp_run_spec *spec,
                 mlp_model *model, mlp_run *run, char *error, size_t error_size);
/* The model of request's network as the run left it (features: the data's); it takes model's
 * arrays (model is left empty) when `take`, else only points at them (for a save). */
void rank_mlp_fill_model(const mlp_request *request, size_t features, mlp_model *model,
                         unsigned best_epoch, unsigned epochs, int take, rank_model *out);
/* Writes that model to path. */
int rank_mlp_save(const mlp_request *request, size_t features, mlp_model *model,
                  unsigned best_epoch, unsigned epochs, const char *path, char *error,
                  size_t error_size);

#endif /* MRANK_RANK_MLP_RUN_H */
