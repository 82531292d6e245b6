/* linear_run.c: the linear scorer's training as mrank train makes it (see linear_run.h): a plain
 * run, or the choice of l2 and the epoch count (rank/select.h) on held-out folds or validation
 * data, then the replay on all the queries. */
#include "rank/linear_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rank/fit.h"
#include "rank/metrics.h"
#include "rank/select.h"
#include "rank/subset.h"
#include "rank/trainer.h"
#include "rank_api.h"

/* The state of a training: the best model so far and what the events need. */
typedef struct train_run {
  const linear_request *request;
  rank_model *best;
  const char *stage; /* "training", "fold 2 of 5", "refit" */
  int has_valid;     /* the run is scored on validation data */
  int per_epoch;     /* a run whose epochs make the model (no choice after it) */
  /* while choosing: the walk's curves, whose best point says how run->best's weights were
   * trained; how many queries trained them (the fold's), of how many */
  const rank_path_curves *curves;
  size_t trained_queries, kept_queries, all_queries;
  struct mrank_model snapshot; /* the best model so far, for the epoch event */
} train_run;

/* What a training did. */
typedef struct train_outcome {
  unsigned diverged_at, stale_epochs;
  int interrupted;
  rank_fit_result fit; /* the run whose profile is told */
  char written[256];   /* a stop while choosing: what the weights are (empty: what was chosen) */
} train_outcome;

static void tell_batch(unsigned epoch, double done, void *user) {
  const train_run *run = user;
  mrank_train_progress p = rank_progress_blank(MRANK_PROGRESS_BATCH, run->stage);
  p.epoch = epoch;
  p.fraction = done;
  rank_event_send(run->request->events, &p);
}

/* The path and the choice written into the model. */
static void record_choice(rank_model *model, const rank_selection *selection) {
  model->path_count = selection->count;
  for (size_t k = 0; k < selection->count; ++k) {
    model->path_l2[k] = selection->l2[k];
    model->path_epochs[k] = selection->epochs[k];
  }
  model->options.l2 = selection->l2[selection->count - 1];
  model->best_epoch = selection->epochs[selection->count - 1];
}

/* The snapshot of the best model so far (NULL when there is none yet): while choosing, the
 * walk's best weights under the l2 and path that trained them, never an unchosen l2. */
static const mrank_model *best_so_far(train_run *run) {
  run->snapshot.model = *run->best; /* shares the weights: read during the event only */
  run->snapshot.note[0] = '\0';
  if (run->per_epoch) return run->best->best_epoch > 0 ? &run->snapshot : NULL;
  rank_selection point;
  if (run->curves == NULL || !rank_path_best_point(run->curves, &point)) return NULL;
  record_choice(&run->snapshot.model, &point);
  return &run->snapshot;
}

static int after_epoch(const rank_fit_epoch *e, void *user, char *error, size_t error_size) {
  (void)error, (void)error_size;
  train_run *run = user;
  /* the walk under way has just kept these weights: they are trained on its queries */
  if (run->curves != NULL && run->curves->best_found &&
      run->curves->best_walk == run->curves->folds) {
    run->kept_queries = run->trained_queries;
  }
  if (run->per_epoch && e->better) {
    memcpy(run->best->weights, e->weights, run->best->features * sizeof(float));
    run->best->best_epoch = e->report->epoch;
  }
  const rank_events *events = run->request->events;
  if (events == NULL || events->callback == NULL) return 1;
  mrank_train_progress p = rank_progress_blank(MRANK_PROGRESS_EPOCH, run->stage);
  p.epoch = e->report->epoch;
  p.train_loss = e->report->train_loss;
  p.valid_ndcg = e->valid_ndcg;
  p.train_ndcg = run->per_epoch && run->has_valid
                     ? rank_ndcg10(run->request->train, e->weights, run->best->features)
                     : NAN;
  p.best = e->better;
  p.final = run->per_epoch;
  p.pairs = e->report->pairs;
  p.seconds = e->report->seconds;
  p.model = best_so_far(run);
  rank_event_send(events, &p);
  return 1;
}

static void tell_profile(const linear_request *r, const rank_fit_result *f) {
  const rank_stage_times *t = &f->stages;
  const double device = t->gemv + t->gather + t->loss + t->scatter + t->update;
  rank_event_note(r->events, "profile", 0,
                  "%zu pairs in %.3f s: %.3g pairs/s; device time by stage (profiling events):",
                  f->pairs, f->seconds, f->seconds > 0 ? (double)f->pairs / f->seconds : 0.0);
  const char *names[] = {"scores and gradient rows", "gather", "loss (fused)", "scatter", "update"};
  const double times[] = {t->gemv, t->gather, t->loss, t->scatter, t->update};
  for (int k = 0; k < 5; ++k) {
    rank_event_note(r->events, "profile", 0, "  %-22s %9.3f ms  %5.1f%%", names[k], times[k] * 1e3,
                    device > 0 ? 100.0 * times[k] / device : 0.0);
  }
  rank_event_note(r->events, "profile", 0, "  %-22s %9.3f ms of %.3f ms wall", "device total",
                  device * 1e3, f->seconds * 1e3);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A trainer on data, with the set-up note (device, sizes, scaling, seconds). */
static rank_trainer *make_trainer(const linear_request *r, const rank_dataset *data,
                                  const char *what, char *error, size_t error_size) {
  const double start = now();
  rank_trainer *trainer =
      rank_trainer_create(data, r->selector, r->profile, r->options.scale, error, error_size);
  if (trainer == NULL) return NULL;
  char scaled[96] = "";
  const size_t count = rank_trainer_scaled_features(trainer);
  if (count > 0) {
    snprintf(scaled, sizeof scaled, " (%zu scaled to [-1, 1], --scale %s)", count,
             rank_scale_name(r->options.scale));
  }
  rank_event_note(r->events, what, 0,
                  "%s on \"%s\": %zu documents, %zu queries, %zu features%s; set-up %.2f s", what,
                  rank_trainer_device(trainer), data->docs, data->queries, data->features, scaled,
                  now() - start);
  return trainer;
}

/* holdout 0 (or too few queries to hold any out): epochs with the options as given. */
static int train_plain(const linear_request *r, const rank_options *options, train_run *run,
                       train_outcome *outcome, char *error, size_t error_size) {
  rank_trainer *trainer = make_trainer(r, r->train, "training", error, error_size);
  if (trainer == NULL) return 0;
  run->per_epoch = 1;
  run->stage = "training";
  const rank_fit_hooks hooks = {tell_batch, after_epoch, run, rank_events_stop_flag(r->events),
                                NULL,       NULL};
  outcome->fit.best_weights = run->best->weights;
  const int ok = rank_fit(trainer, r->train->features, r->valid, options, &hooks, &outcome->fit,
                          error, error_size);
  if (!ok && outcome->fit.failed_at > 0) {
    char prefix[32];
    const int length = snprintf(prefix, sizeof prefix, "epoch %u: ", outcome->fit.failed_at);
    const size_t used = strlen(error);
    if (length > 0 && used + (size_t)length < error_size) {
      memmove(error + length, error, used + 1);
      memcpy(error, prefix, (size_t)length);
    }
  }
  run->best->best_epoch = outcome->fit.best_epoch;
  outcome->diverged_at = outcome->fit.diverged_at;
  outcome->stale_epochs = outcome->fit.stale_epochs;
  outcome->interrupted = outcome->fit.interrupted;
  if (outcome->fit.setup_seconds > 0) {
    rank_event_note(r->events, "training", 0,
                    "(pairs made and put on the device: %.2f s, not in the epochs' times)",
                    outcome->fit.setup_seconds);
  }
  rank_trainer_destroy(trainer);
  return ok;
}

static void tell_curves(const linear_request *r, const rank_path_curves *curves) {
  for (size_t k = 0; k < curves->steps; ++k) {
    unsigned epoch = 0;
    double ndcg = 0.0;
    if (!rank_path_step_best(curves, k, &epoch, &ndcg)) {
      rank_event_note(r->events, "choice", 0, "  l2 %-8.3g (not reached: an earlier step diverged)",
                      curves->l2[k]);
      continue;
    }
    rank_event_note(r->events, "choice", 0, "  l2 %-8.3g valid NDCG@10 %.4f at epoch %2u of %2u",
                    curves->l2[k], ndcg, epoch, curves->epochs[k]);
  }
}

/* The walk on every fold (or on the validation data), averaged into the curves. */
static int walk_folds(const linear_request *r, const rank_options *options, train_run *run,
                      rank_path_curves *curves, int *interrupted, char *error, size_t error_size) {
  const rank_dataset *train = r->train, *valid = r->valid;
  rank_folds folds = {NULL, 1, 0};
  if (valid == NULL && !rank_make_folds(train, options->holdout, &folds)) {
    snprintf(error, error_size, "out of memory for the held-out queries");
    return 0;
  }
  const char *what =
      curves->steps > 1 ? "l2 (1 ... 1e-06, warm-started) and the epoch count" : "the epoch count";
  if (valid == NULL) {
    rank_event_note(r->events, "choice", 0,
                    "choosing %s on held-out queries: %zu fold(s) of %zu queries each", what,
                    folds.count, folds.held_out);
  } else {
    rank_event_note(r->events, "choice", 0, "choosing %s on %zu validation queries", what,
                    valid->queries);
  }
  int ok = 1;
  const rank_fit_hooks hooks = {tell_batch, after_epoch, run, rank_events_stop_flag(r->events),
                                NULL,       NULL};
  for (size_t k = 0; k < folds.count && ok && !*interrupted; ++k) {
    rank_dataset inner, held_out;
    memset(&inner, 0, sizeof inner);
    memset(&held_out, 0, sizeof held_out);
    if (valid == NULL && !rank_fold_parts(train, &folds, k, &inner, &held_out)) {
      snprintf(error, error_size, "out of memory for the held-out queries");
      ok = 0;
      break;
    }
    char stage[64];
    snprintf(stage, sizeof stage, "fold %zu of %zu", k + 1, folds.count);
    run->stage = valid == NULL ? stage : "training";
    run->trained_queries = valid == NULL ? inner.queries : train->queries;
    rank_trainer *trainer =
        make_trainer(r, valid == NULL ? &inner : train, run->stage, error, error_size);
    ok = trainer != NULL &&
         rank_path_walk(trainer, train->features, valid == NULL ? &held_out : valid, options,
                        &hooks, curves, run->best->weights, interrupted, error, error_size);
    run->stage = "choice";
    rank_trainer_destroy(trainer);
    rank_dataset_free(&inner);
    rank_dataset_free(&held_out);
  }
  free(folds.order);
  return ok;
}

/* What a stopped choice returns, for the note: the walk's best point, on which queries it was
 * trained, and when the run stopped. */
static void describe_stopped(train_outcome *outcome, int on_valid, unsigned walk,
                             const train_run *run, const char *when) {
  if (on_valid) {
    snprintf(outcome->written, sizeof outcome->written,
             "the best point on --valid so far; interrupted %s", when);
  } else {
    snprintf(outcome->written, sizeof outcome->written,
             "the best point of fold %u's walk, trained on %zu of the %zu queries; interrupted "
             "%s",
             walk, run->kept_queries, run->all_queries, when);
  }
}

/* The same walk on all the queries up to the choice; a stop during it returns the walk's best
 * point instead (its weights, as what they are). */
static int refit(const linear_request *r, const rank_options *options,
                 const rank_selection *selection, const rank_selection *walk_point,
                 unsigned kept_walk, train_run *run, train_outcome *outcome, char *error,
                 size_t error_size) {
  const rank_dataset *train = r->train;
  rank_trainer *trainer = make_trainer(r, train, "refit", error, error_size);
  if (trainer == NULL) return 0;
  run->per_epoch = 0;
  run->curves = NULL;
  run->stage = "refit";
  const rank_fit_hooks hooks = {tell_batch, after_epoch, run, rank_events_stop_flag(r->events),
                                NULL,       NULL};
  float *chosen_so_far = malloc(train->features * sizeof *chosen_so_far);
  if (chosen_so_far != NULL) {
    memcpy(chosen_so_far, run->best->weights, train->features * sizeof *chosen_so_far);
  }
  const rank_fit_result *total = &outcome->fit;
  int ok =
      chosen_so_far != NULL && rank_replay(trainer, train->features, options, selection, &hooks,
                                           run->best->weights, &outcome->fit, error, error_size);
  if (chosen_so_far == NULL) snprintf(error, error_size, "out of memory");
  if (ok) {
    rank_event_note(r->events, "refit", 0,
                    "refit on all %zu queries: %u epochs over %zu step(s), %.3g pairs/s, %.2f s",
                    train->queries, total->epochs_run, selection->count,
                    total->seconds > 0 ? (double)total->pairs / total->seconds : 0.0,
                    total->seconds);
  }
  if (!ok && rank_events_stopped(r->events) && chosen_so_far != NULL) {
    memcpy(run->best->weights, chosen_so_far, train->features * sizeof *chosen_so_far);
    record_choice(run->best, walk_point);
    describe_stopped(outcome, 0, kept_walk, run, "during the refit on all");
    outcome->interrupted = 1;
    ok = 1;
  }
  free(chosen_so_far);
  rank_trainer_destroy(trainer);
  return ok;
}

/* The choice of l2 and the epoch count, on the validation data or on held-out folds, then (with
 * held-out folds) the replay on all the queries. */
static int train_choosing(const linear_request *r, const rank_options *options, train_run *run,
                          train_outcome *outcome, char *error, size_t error_size) {
  const int l2_given = !isnan(options->l2);
  const double *path = l2_given ? &options->l2 : rank_default_l2_path;
  const size_t path_count = l2_given ? 1 : sizeof rank_default_l2_path / sizeof(double);
  /* later steps start from the step before: a third of the epochs carries them */
  const unsigned later = options->epochs / 3 > 0 ? options->epochs / 3 : 1;
  rank_path_curves curves;
  if (!rank_path_curves_init(&curves, path, path_count, options->epochs, later)) {
    snprintf(error, error_size, "out of memory");
    return 0;
  }
  const rank_dataset *valid = r->valid;
  run->per_epoch = valid != NULL && path_count == 1;
  run->has_valid = valid != NULL;
  run->curves = run->per_epoch ? NULL : &curves;
  run->all_queries = r->train->queries;
  int ok = walk_folds(r, options, run, &curves, &outcome->interrupted, error, error_size);
  rank_selection selection, walk_point;
  const int chosen = ok && !outcome->interrupted && rank_path_choose(&curves, &selection);
  const int kept = rank_path_best_point(&curves, &walk_point);
  const unsigned kept_walk = curves.best_walk;
  if (ok && path_count > 1 && !outcome->interrupted) tell_curves(r, &curves);
  rank_path_curves_free(&curves);
  run->curves = NULL;
  if (!ok) return 0;
  if (outcome->interrupted) {
    /* nothing was chosen: the weights returned are the walk's best point, described as such */
    if (run->per_epoch) {
      snprintf(outcome->written, sizeof outcome->written,
               "the best epoch on --valid so far; interrupted before the last epoch");
    } else {
      run->best->best_epoch = 0;
      if (kept) {
        record_choice(run->best, &walk_point);
        describe_stopped(outcome, valid != NULL, kept_walk, run, "before the choice");
      }
    }
    return 1;
  }
  if (!chosen) {
    outcome->diverged_at = 1;
    return 1;
  }
  record_choice(run->best, &selection);
  rank_event_note(r->events, "choice", 0,
                  "chosen: l2 %g, %u epochs of its step (mean valid NDCG@10 %.4f)",
                  selection.l2[selection.count - 1], selection.epochs[selection.count - 1],
                  selection.valid_ndcg);
  if (valid != NULL) return 1; /* validation data: the chosen weights stand */
  return refit(r, options, &selection, &walk_point, kept_walk, run, outcome, error, error_size);
}

/* Whether training chooses l2 and the epoch count, and the options it then trains with. */
static int plan(const linear_request *r, rank_options *options) {
  enum { least_held_out = 5 }; /* holding out needs queries enough on both sides */
  const rank_dataset *train = r->train;
  *options = r->options;
  int choosing = r->valid != NULL || options->holdout > 0;
  if (choosing && r->valid == NULL &&
      (double)train->queries * options->holdout < (double)least_held_out) {
    if (train->queries > 0) {
      rank_event_note(
          r->events, "choice", 0,
          "note: %zu queries are too few to hold out %g of them (at least %d) for the choice of "
          "l2 and the epoch count: training %u epochs with l2 %g (--holdout 0 says so without "
          "this note)",
          train->queries, options->holdout, least_held_out, options->epochs,
          isnan(options->l2) ? 1e-4 : options->l2);
    }
    choosing = 0;
  }
  if (!choosing) {
    if (isnan(options->l2)) options->l2 = 1e-4;
    options->holdout = 0.0;
  } else if (r->valid != NULL) {
    options->holdout = 0.0;
  }
  return choosing;
}

mrank_status rank_train_linear(const linear_request *r, rank_model *best, char *note,
                               size_t note_size, char *error, size_t error_size) {
  memset(best, 0, sizeof *best);
  if (note_size > 0) note[0] = '\0';
  rank_options options;
  const int choosing = plan(r, &options);
  best->features = r->train->features;
  best->options = options;
  best->weights = calloc(best->features + 1, sizeof(float));
  if (best->weights == NULL)
    return snprintf(error, error_size, "out of memory"), MRANK_ERROR_OUT_OF_MEMORY;
  train_run run = {.request = r,
                   .best = best,
                   .stage = "training",
                   .has_valid = r->valid != NULL,
                   .per_epoch = 1};
  train_outcome outcome;
  memset(&outcome, 0, sizeof outcome);
  const int ok = choosing ? train_choosing(r, &options, &run, &outcome, error, error_size)
                          : train_plain(r, &options, &run, &outcome, error, error_size);
  if (!ok) {
    rank_model_free(best);
    return rank_error_status(error);
  }
  if (outcome.diverged_at > 0) {
    const char *d = r->dashed ? "--" : "";
    snprintf(error, error_size,
             "epoch %u: the loss or the weights are no longer finite numbers (the training "
             "diverged); lower %slr (%g now)%s%s%s",
             outcome.diverged_at, d, options.lr,
             options.scale == RANK_SCALE_MAX ? "" : " or scale every feature (",
             options.scale == RANK_SCALE_MAX ? "" : d,
             options.scale == RANK_SCALE_MAX ? "" : "scale max)");
    if (r->valid == NULL || best->best_epoch == 0) rank_model_free(best);
    return MRANK_ERROR_DIVERGED;
  }
  if (outcome.stale_epochs > 0) {
    rank_event_note(r->events, "training", 0,
                    "early stop: no better validation NDCG@10 for %u epochs", outcome.stale_epochs);
  }
  if (rank_events_stopped(r->events) && best->best_epoch == 0) {
    rank_model_free(best);
    snprintf(error, error_size, "stopped before an epoch ended; no model");
    return MRANK_ERROR_STOPPED;
  }
  snprintf(note, note_size, "%s", outcome.written);
  if (r->profile) tell_profile(r, &outcome.fit);
  return MRANK_SUCCESS;
}
