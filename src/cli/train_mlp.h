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

#endif /* MRANK_CLI_TRAIN_MLP_H */
