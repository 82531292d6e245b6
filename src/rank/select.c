/* select.c: the L2 path walk (on each fold), the choice from the averaged validation curves, and
 * the replay on all the data. */
#include "rank/select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/metrics.h"
#include "rank/subset.h"

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
    /* beside the weights, where they came from, so that they can be described truly */
    c->best_found = 1;
    c->best_walk = c->folds;
    c->best_step = w->step;
    c->best_epoch = epoch->report->epoch - before;
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

int rank_path_best_point(const rank_path_curves *curves, rank_selection *out) {
  memset(out, 0, sizeof *out);
  if (!curves->best_found) return 0;
  out->count = curves->best_step + 1;
  for (size_t k = 0; k < out->count; ++k) {
    out->l2[k] = curves->l2[k];
    out->epochs[k] = k == curves->best_step ? curves->best_epoch : curves->epochs[k];
  }
  out->valid_ndcg = NAN;
  return 1;
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

/* one fold's walk on a trainer of its own, added to the curves */
static int walk_fold(const rank_dataset *data, const rank_folds *folds, size_t k,
                     const char *selector, const rank_options *options, rank_path_curves *curves,
                     char *error, size_t error_size) {
  rank_dataset inner, held_out;
  if (!rank_fold_parts(data, folds, k, &inner, &held_out)) {
    snprintf(error, error_size, "out of memory for the held-out queries");
    return 0;
  }
  rank_trainer *trainer =
      rank_trainer_create(&inner, selector, 0, options->scale, error, error_size);
  int interrupted = 0;
  const int ok =
      trainer != NULL && rank_path_walk(trainer, data->features, &held_out, options, NULL, curves,
                                        NULL, &interrupted, error, error_size);
  rank_trainer_destroy(trainer);
  rank_dataset_free(&inner);
  rank_dataset_free(&held_out);
  return ok;
}

int rank_fit_chosen(const rank_dataset *data, const char *selector, const rank_options *options,
                    float *weights, char *error, size_t error_size) {
  /* as mrank train: a held-out part needs queries enough to mean something */
  enum { least_held_out = 5 };
  rank_options o = *options;
  const int choosing = o.holdout > 0 && (double)data->queries * o.holdout >= least_held_out;
  rank_selection selection;
  if (!choosing) {
    selection.count = 1;
    selection.l2[0] = isnan(o.l2) ? 1e-4 : o.l2;
    selection.epochs[0] = o.epochs;
  } else {
    const int l2_given = !isnan(o.l2);
    const unsigned later = o.epochs / 3 > 0 ? o.epochs / 3 : 1;
    rank_path_curves curves;
    rank_folds folds;
    if (!rank_path_curves_init(&curves, l2_given ? &o.l2 : rank_default_l2_path,
                               l2_given ? 1 : sizeof rank_default_l2_path / sizeof(double),
                               o.epochs, later)) {
      snprintf(error, error_size, "out of memory");
      return 0;
    }
    if (!rank_make_folds(data, o.holdout, &folds)) {
      rank_path_curves_free(&curves);
      snprintf(error, error_size, "out of memory for the held-out queries");
      return 0;
    }
    int ok = 1;
    for (size_t k = 0; k < folds.count && ok; ++k)
      ok = walk_fold(data, &folds, k, selector, &o, &curves, error, error_size);
    free(folds.order);
    const int chosen = ok && rank_path_choose(&curves, &selection);
    rank_path_curves_free(&curves);
    if (!ok) return 0;
    if (!chosen) {
      snprintf(error, error_size,
               "the linear scorer diverged in its first epoch on every held-out fold");
      return 0;
    }
  }
  rank_trainer *trainer = rank_trainer_create(data, selector, 0, o.scale, error, error_size);
  rank_fit_result total;
  const int ok = trainer != NULL && rank_replay(trainer, data->features, &o, &selection, NULL,
                                                weights, &total, error, error_size);
  rank_trainer_destroy(trainer);
  return ok;
}

static double fold_mean(const double *curves, size_t folds, size_t stride, unsigned e) {
  double sum = 0.0;
  for (size_t k = 0; k < folds; ++k)
    sum += curves[k * stride + e];
  return sum / (double)folds;
}

unsigned rank_choose_epoch(const double *curves, size_t folds, unsigned E, unsigned first,
                           unsigned reached, int one_error_rule, double *mean_ndcg) {
  const size_t stride = (size_t)E + 1;
  unsigned best = first;
  for (unsigned e = first + 1; e < reached; ++e) {
    if (fold_mean(curves, folds, stride, e) > fold_mean(curves, folds, stride, best)) best = e;
  }
  *mean_ndcg = fold_mean(curves, folds, stride, best);
  if (!one_error_rule || folds < 2) return best;
  for (unsigned e = first; e < best; ++e) {
    double sum = 0.0, squares = 0.0;
    for (size_t k = 0; k < folds; ++k) {
      const double d = curves[k * stride + best] - curves[k * stride + e];
      sum += d;
      squares += d * d;
    }
    const double n = (double)folds, mean = sum / n;
    const double variance = (squares - n * mean * mean) / (n - 1.0);
    const double error = sqrt(variance > 0.0 ? variance : 0.0) / sqrt(n);
    if (mean <= error) {
      *mean_ndcg = fold_mean(curves, folds, stride, e);
      return e;
    }
  }
  return best;
}
