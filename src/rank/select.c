/* select.c: the L2 path walk (on each fold), the choice from the averaged validation curves, and
 * the replay on all the data. */
#include "rank/select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/metrics.h"

const double rank_default_l2_path[7] = {1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6};

int rank_path_curves_init(rank_path_curves *c, const double *path, size_t path_count,
                          unsigned first_epochs, unsigned later_epochs) {
  memset(c, 0, sizeof *c);
  if (path_count > RANK_L2_PATH_MAX) path_count = RANK_L2_PATH_MAX;
  c->steps = path_count;
  c->max_epochs = first_epochs > later_epochs ? first_epochs : later_epochs;
  c->epoch_grid = later_epochs;
  for (size_t k = 0; k < path_count; ++k) {
    c->l2[k] = path[k];
    c->epochs[k] = k == 0 ? first_epochs : later_epochs;
  }
  const size_t points = path_count * c->max_epochs + 1;
  c->sum = calloc(points, sizeof *c->sum);
  c->reached = calloc(points, sizeof *c->reached);
  if (c->sum == NULL || c->reached == NULL) {
    rank_path_curves_free(c);
    return 0;
  }
  return 1;
}

void rank_path_curves_free(rank_path_curves *c) {
  free(c->sum);
  free(c->reached);
  c->sum = NULL;
  c->reached = NULL;
}

/* Starts a step: a fresh model for the first, else the weights as the step before left them. */
static int start_step(rank_trainer *trainer, const rank_options *options, size_t step, char *error,
                      size_t error_size) {
  return step == 0 ? rank_trainer_reset(trainer, options, error, error_size)
                   : rank_trainer_continue(trainer, options, error, error_size);
}

/* The epoch callback of a walk: the point's NDCG into the curves, and the walk's best weights. */
typedef struct walk_state {
  rank_path_curves *curves;
  size_t step;
  float *best_weights;
  size_t features;
  double best;
  const rank_fit_hooks *outer;
} walk_state;

static int walk_epoch(const rank_fit_epoch *epoch, void *user, char *error, size_t error_size) {
  walk_state *w = user;
  rank_path_curves *c = w->curves;
  /* fit numbers a run's epochs on from the epochs before it: this step's own count is the
   * report's epoch minus the steps before */
  unsigned before = 0;
  for (size_t k = 0; k < w->step; ++k)
    before += c->epochs[k];
  const size_t point = w->step * c->max_epochs + (epoch->report->epoch - before) - 1;
  c->sum[point] += epoch->valid_ndcg;
  c->reached[point]++;
  if (w->best_weights != NULL && epoch->valid_ndcg > w->best) {
    w->best = epoch->valid_ndcg;
    memcpy(w->best_weights, epoch->weights, w->features * sizeof *w->best_weights);
  }
  if (w->outer != NULL && w->outer->epoch != NULL) {
    return w->outer->epoch(epoch, w->outer->user, error, error_size);
  }
  return 1;
}

static void walk_batch(unsigned epoch, double done, void *user) {
  const walk_state *w = user;
  w->outer->batch(epoch, done, w->outer->user);
}

int rank_path_walk(rank_trainer *trainer, size_t features, const rank_dataset *valid,
                   const rank_options *options, const rank_fit_hooks *hooks,
                   rank_path_curves *curves, float *best_weights, int *interrupted, char *error,
                   size_t error_size) {
  *interrupted = 0;
  curves->folds++;
  float *scratch = malloc((features > 0 ? features : 1) * sizeof *scratch);
  if (scratch == NULL) {
    snprintf(error, error_size, "out of memory");
    return 0;
  }
  walk_state state = {curves, 0, best_weights, features, -1.0, hooks};
  /* the caller's hooks see their own user pointer: the walk relays to them */
  const rank_fit_hooks walk_hooks = {hooks != NULL && hooks->batch != NULL ? walk_batch : NULL,
                                     walk_epoch,
                                     &state,
                                     hooks != NULL ? hooks->stop : NULL,
                                     NULL,
                                     NULL};
  unsigned epochs_before = 0;
  int ok = 1;
  for (size_t k = 0; k < curves->steps && ok; ++k) {
    rank_options step_options = *options;
    step_options.l2 = curves->l2[k];
    step_options.epochs = curves->epochs[k];
    step_options.patience = 0; /* every point is scored: the folds' curves must line up */
    state.step = k;
    rank_fit_result fit = {.best_weights = scratch};
    ok = start_step(trainer, &step_options, k, error, error_size) &&
         rank_fit_more(trainer, features, valid, &step_options, epochs_before, &walk_hooks, &fit,
                       error, error_size);
    if (!ok) break;
    curves->seconds += fit.seconds;
    curves->pairs += fit.pairs;
    epochs_before += curves->epochs[k];
    if (fit.interrupted) *interrupted = 1;
    if (fit.interrupted || fit.diverged_at > 0) break;
  }
  free(scratch);
  return ok;
}

int rank_path_step_best(const rank_path_curves *c, size_t step, unsigned *epoch, double *ndcg) {
  int found = 0;
  for (unsigned e = 1; e <= c->epochs[step]; ++e) {
    /* a coarse grid of epoch counts: choosing among every epoch chases the held-out curve's noise
     * (measured: the --seed spread of held-out NDCG@10 tripled) */
    if (e % c->epoch_grid != 0 && e != c->epochs[step]) continue;
    const size_t point = step * c->max_epochs + e - 1;
    if (c->folds == 0 || c->reached[point] != c->folds) continue;
    const double mean = c->sum[point] / c->folds;
    if (!found || mean > *ndcg) {
      *ndcg = mean;
      *epoch = e;
      found = 1;
    }
  }
  return found;
}

int rank_path_choose(const rank_path_curves *c, rank_selection *s) {
  memset(s, 0, sizeof *s);
  size_t chosen = c->steps;
  unsigned chosen_epoch = 0;
  double best = -1.0;
  for (size_t k = 0; k < c->steps; ++k) {
    unsigned epoch = 0;
    double ndcg = 0.0;
    if (rank_path_step_best(c, k, &epoch, &ndcg) && ndcg > best) {
      best = ndcg;
      chosen = k;
      chosen_epoch = epoch;
    }
  }
  if (chosen == c->steps) return 0;
  for (size_t k = 0; k <= chosen; ++k) {
    s->l2[k] = c->l2[k];
    s->epochs[k] = k == chosen ? chosen_epoch : c->epochs[k];
  }
  s->count = chosen + 1;
  s->valid_ndcg = best;
  return 1;
}

int rank_replay(rank_trainer *trainer, size_t features, const rank_options *options,
                const rank_selection *selection, const rank_fit_hooks *hooks, float *weights,
                rank_fit_result *total, char *error, size_t error_size) {
  memset(total, 0, sizeof *total);
  unsigned epochs_before = 0;
  for (size_t k = 0; k < selection->count; ++k) {
    rank_options step_options = *options;
    step_options.l2 = selection->l2[k];
    step_options.epochs = selection->epochs[k];
    rank_fit_result fit = {.best_weights = weights};
    if (!start_step(trainer, &step_options, k, error, error_size) ||
        !rank_fit_more(trainer, features, NULL, &step_options, epochs_before, hooks, &fit, error,
                       error_size)) {
      return 0;
    }
    total->pairs += fit.pairs;
    total->seconds += fit.seconds;
    total->setup_seconds += fit.setup_seconds;
    total->epochs_run += fit.epochs_run;
    rank_stage_times *t = &total->stages;
    t->gemv += fit.stages.gemv;
    t->gather += fit.stages.gather;
    t->loss += fit.stages.loss;
    t->scatter += fit.stages.scatter;
    t->update += fit.stages.update;
    if (fit.interrupted) {
      snprintf(error, error_size, "interrupted");
      return 0;
    }
    if (fit.diverged_at > 0 || fit.epochs_run < step_options.epochs) {
      snprintf(error, error_size,
               "the refit on all the queries diverged at epoch %u of the step with l2 %g (the "
               "held-out runs did not); give --l2 and --holdout 0, or a lower --lr",
               fit.diverged_at, selection->l2[k]);
      return 0;
    }
    epochs_before += step_options.epochs;
  }
  return 1;
}
