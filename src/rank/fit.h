/* fit.h: one training run, as `mrank train`, `mrank tune` and the demo make it: a reset, then
 * epochs until the count, a divergence, early stopping on validation NDCG@10 (patience) or a stop
 * request; the best epoch's weights are kept. Printing and checkpoints are the caller's, through a
 * per-epoch callback. */
#ifndef MRANK_RANK_FIT_H
#define MRANK_RANK_FIT_H

#include <signal.h>
#include <stddef.h>

#include "rank/dataset.h"
#include "rank/model.h"
#include "rank/trainer.h"

/* What the callback sees after each epoch whose loss and weights are finite. */
typedef struct rank_fit_epoch {
  const rank_epoch_report *report;
  const float *weights; /* this epoch's, in the data's units */
  double valid_ndcg;    /* NDCG@10 on the validation data (NaN without it) */
  int better;           /* these weights are now the best (always, without validation data) */
  double seconds;       /* wall time of the epochs so far */
} rank_fit_epoch;

typedef struct rank_fit_hooks {
  /* within an epoch, after each batch: the fraction done (NULL: none) */
  void (*batch)(unsigned epoch, double done, void *user);
  /* after each finite epoch; returning 0 stops the run as failed (message in error) */
  int (*epoch)(const rank_fit_epoch *epoch, void *user, char *error, size_t error_size);
  void *user;
  const volatile sig_atomic_t *stop; /* set (by a signal handler): stop before the next epoch */
  /* the validation NDCG@10 of weights, where the validation data is not all here (MPI: every
   * rank's share); NULL: computed on `valid` */
  double (*valid_ndcg)(const float *weights, void *user);
  void *valid_user;
} rank_fit_hooks;

typedef struct rank_fit_result {
  float *best_weights;   /* the caller's array of `features` floats */
  unsigned best_epoch;   /* counted from this run's first epoch; 0: no epoch gave finite weights */
  unsigned epochs_run;   /* the epochs that ended with finite weights */
  double best_ndcg;      /* its validation NDCG@10; -1 before any */
  unsigned diverged_at;  /* the epoch whose loss or weights were not finite, or 0 */
  unsigned failed_at;    /* the epoch that failed (device, memory, callback), or 0 */
  unsigned stale_epochs; /* epochs since the best when patience stopped the run, else 0 */
  int interrupted;       /* the stop flag ended the run */
  double seconds;        /* wall time of the epochs' steps */
  double setup_seconds;  /* wall time of their set-up (pairs made and put on the device) */
  size_t pairs;          /* pairs trained on, over the epochs */
  rank_stage_times stages;
} rank_fit_result;

/* Trains options on the trainer's data from a fresh model. 0 with a message in error when an
 * epoch failed (result->failed_at says which; 0: the reset); a divergence is not a failure. */
int rank_fit(rank_trainer *trainer, size_t features, const rank_dataset *valid,
             const rank_options *options, const rank_fit_hooks *hooks, rank_fit_result *result,
             char *error, size_t error_size);

/* The same from the trainer's current weights (after rank_trainer_continue): the trainer's epochs
 * are numbered on from epochs_before, so that each draws a batch order and pairs of its own. */
int rank_fit_more(rank_trainer *trainer, size_t features, const rank_dataset *valid,
                  const rank_options *options, unsigned epochs_before, const rank_fit_hooks *hooks,
                  rank_fit_result *result, char *error, size_t error_size);

#endif /* MRANK_RANK_FIT_H */
