/* select.h: the choices `mrank train` makes when it is given none: the L2 strength from a path and
 * the epoch count, by NDCG@10 on validation queries, then the same walk replayed on all the data.
 *
 * The path goes from the strongest L2 to the weakest, each step warm-started from the weights the
 * step before ended with (glmnet's way: a cheap, smooth walk from a heavily regularised model to a
 * lightly regularised one), and the model is the average of w over the whole walk (averaged SGD
 * goes on across steps). The first step runs `first_epochs` epochs, the others `later_epochs`;
 * a choice ends on a multiple of `later_epochs` or at a step's end.
 * On small data the walk is made on several folds (each holding out other queries) and their
 * validation curves are averaged: one held-out part of a few dozen queries is too noisy to choose
 * from. The choice is the (step, epoch) point of best mean validation NDCG@10 (a tie goes to the
 * earlier point). Replaying the walk on all the queries up to that point (the earlier steps for
 * their epochs, the chosen one up to the chosen epoch) is the refit. */
#ifndef MRANK_RANK_SELECT_H
#define MRANK_RANK_SELECT_H

#include <stddef.h>

#include "rank/fit.h"

enum { RANK_L2_PATH_MAX = 16 };

/* 1, 0.1, ... 1e-6 */
extern const double rank_default_l2_path[7];

/* The validation NDCG@10 of every (step, epoch) point, summed over the folds walked. */
typedef struct rank_path_curves {
  size_t steps;
  double l2[RANK_L2_PATH_MAX];
  unsigned epochs[RANK_L2_PATH_MAX]; /* each step's epoch count */
  unsigned max_epochs, folds;
  unsigned epoch_grid; /* the epoch counts a choice may end on: its multiples and a step's end */
  double *sum;         /* [step * max_epochs + epoch - 1] */
  unsigned *reached;   /* the folds whose walk reached the point with finite weights */
  double seconds;      /* wall time of the walks' epochs */
  size_t pairs;        /* pairs trained on over them */
  /* the point whose weights a walk last put in its best_weights: which walk (1-based), step and
   * epoch of that step; found is 0 before any */
  int best_found;
  unsigned best_walk, best_epoch;
  size_t best_step;
} rank_path_curves;

/* 0 when out of memory. path_count <= RANK_L2_PATH_MAX; epoch counts >= 1. */
int rank_path_curves_init(rank_path_curves *curves, const double *path, size_t path_count,
                          unsigned first_epochs, unsigned later_epochs);
void rank_path_curves_free(rank_path_curves *curves);

/* Walks the path on the trainer's data from a fresh model, each step with `options` but its L2
 * and epoch count, scoring every epoch on `valid` into the curves (one fold more). best_weights
 * (features floats, may be NULL) gets this walk's best point. A step that diverges ends the walk
 * (its later points are not reached); the stop flag too (*interrupted is then 1). 0 with a message
 * when an epoch failed. */
int rank_path_walk(rank_trainer *trainer, size_t features, const rank_dataset *valid,
                   const rank_options *options, const rank_fit_hooks *hooks,
                   rank_path_curves *curves, float *best_weights, int *interrupted, char *error,
                   size_t error_size);

typedef struct rank_selection {
  size_t count;                      /* steps replayed: the chosen one is the last */
  double l2[RANK_L2_PATH_MAX];       /* their L2 */
  unsigned epochs[RANK_L2_PATH_MAX]; /* their epochs (the chosen step's: the chosen epoch) */
  double valid_ndcg;                 /* the chosen point's mean validation NDCG@10 */
} rank_selection;

/* The path that leads to the point of the curves' best_* fields (the steps before it whole, then
 * its epoch): how the weights a walk last kept were trained. 0 when the walks kept none. */
int rank_path_best_point(const rank_path_curves *curves, rank_selection *out);

/* The point of best mean NDCG@10 among those every fold reached (on the epoch grid); 0 when there
 * is none. */
int rank_path_choose(const rank_path_curves *curves, rank_selection *selection);
/* The best point of one step (its epoch and mean NDCG@10); 0 when the step was not reached. */
int rank_path_step_best(const rank_path_curves *curves, size_t step, unsigned *epoch, double *ndcg);

/* The selection replayed on the trainer's data from a fresh model. weights gets the result, *total
 * the work done (pairs, seconds, device time by stage). 0 with a message when an epoch failed, the
 * replay diverged or the stop flag ended it. */
int rank_replay(rank_trainer *trainer, size_t features, const rank_options *options,
                const rank_selection *selection, const rank_fit_hooks *hooks, float *weights,
                rank_fit_result *total, char *error, size_t error_size);

/* The linear scorer as `mrank train` makes it from these options (NaN l2: the path), quietly: l2
 * and the epoch count chosen on held-out folds of data's queries (options->holdout), then the
 * replay on all of them; with too few queries to hold any out (fewer than 5), options->epochs
 * epochs at options->l2 (1e-4 for NaN). weights (data->features floats) get the model, in the
 * data's units. 0 with a message on failure, a divergence included. */
int rank_fit_chosen(const rank_dataset *data, const char *selector, const rank_options *options,
                    float *weights, char *error, size_t error_size);

/* An epoch count from held-out curves: curves[k * (E + 1) + e] is fold k's NDCG@10 after e
 * epochs, for e in [first, reached) (every fold reached them; first < reached). The count of best
 * mean NDCG@10 (a tie goes to the fewer epochs); with one_error_rule, the fewest epochs whose mean
 * is within one standard error of the best's, the error of their fold-by-fold difference (so the
 * folds' own difficulty cancels). That is Breiman's one-standard-error rule with `first` as the
 * simplest model: an MLP's linear base (epoch 0) is kept where the folds do not show the network
 * better beyond their noise. *mean_ndcg gets the chosen count's mean. */
unsigned rank_choose_epoch(const double *curves, size_t folds, unsigned E, unsigned first,
                           unsigned reached, int one_error_rule, double *mean_ndcg);

#endif /* MRANK_RANK_SELECT_H */
