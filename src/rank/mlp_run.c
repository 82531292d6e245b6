/* mlp_run.c: the MLP scorer's training as mrank train makes it (see mlp_run.h). Each run fits the
 * input encoding on its own data and trains its own linear base (so a fold's choice never sees its
 * held-out queries). The epoch count is chosen on the folds' curves (rank_choose_epoch) or is the
 * best epoch on --valid; the model keeps the encoding, the standardisation, the network and how it
 * was trained. */
#include "rank/mlp_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/metrics.h"
#include "rank/select.h"
#include "rank/subset.h"

/* NDCG@10 of the network on data, standardised with the trainer's statistics; NaN when out of
 * memory. */
static double network_ndcg(const rank_mlp_trainer *t, const rank_mlp_shape *shape,
                           const float *parameters, const rank_dataset *data) {
  double *scores = malloc((data->docs + 1) * sizeof *scores);
  rank_metrics m;
  const int ok = scores != NULL &&
                 rank_mlp_score(shape, parameters, rank_mlp_trainer_mean(t),
                                rank_mlp_trainer_deviation(t), data, scores) &&
                 rank_evaluate(data, scores, &m);
  free(scores);
  return ok ? m.ndcg10 : NAN;
}

static int finite_parameters(const float *p, size_t count) {
  for (size_t k = 0; k < count; ++k)
    if (!isfinite(p[k])) return 0;
  return 1;
}

/* Up to spec->epochs epochs from a fresh network (options: the request's, with the linear base's
 * start); best gets the best epoch's parameters (see mlp_run_spec). 0 with a message on failure. */
static int run_epochs(rank_mlp_trainer *t, const mlp_request *r, const rank_mlp_options *options,
                      const mlp_run_spec *spec, const rank_dataset *scored, float *best,
                      mlp_run *run, char *error, size_t error_size) {
  const size_t P = rank_mlp_parameter_count(&options->shape);
  float *current = malloc((P + 1) * sizeof *current);
  rank_options training = r->options;
  training.epochs = spec->epochs;
  if (current == NULL) return snprintf(error, error_size, "out of memory"), 0;
  if (!rank_mlp_trainer_reset(t, &training, options, error, error_size) ||
      !rank_mlp_trainer_parameters(t, current, error, error_size)) {
    free(current);
    return 0;
  }
  run->layers = rank_mlp_trainer_layers(t);
  if (spec->curve != NULL) spec->curve[0] = NAN;
  if (options->skip_start != NULL) { /* epoch 0: the linear base alone, a model of its own */
    run->has_best = 1;
    memcpy(best, current, P * sizeof *best);
    if (scored != NULL) {
      run->best_ndcg = network_ndcg(t, &options->shape, current, scored);
      if (spec->curve != NULL) spec->curve[0] = run->best_ndcg;
      rank_event_epoch(r->events, spec->what, 0, NAN, run->best_ndcg, 1, spec->final, 0, 0.0);
    }
  }
  unsigned stale = 0;
  int ok = 1;
  for (unsigned e = 1; e <= spec->epochs && ok && !rank_events_stopped(r->events); ++e) {
    rank_epoch_report report;
    ok = rank_mlp_trainer_epoch(t, e, &report, NULL, NULL, error, error_size) &&
         rank_mlp_trainer_parameters(t, current, error, error_size);
    if (!ok) break;
    if (!isfinite(report.train_loss) || !finite_parameters(current, P)) {
      run->diverged_at = e;
      break;
    }
    run->epochs_run = e;
    run->seconds += report.seconds;
    run->pairs += report.pairs;
    run->stages.gemv += report.stages.gemv;
    run->stages.activation += report.stages.activation;
    run->stages.gather += report.stages.gather;
    run->stages.loss += report.stages.loss;
    run->stages.scatter += report.stages.scatter;
    run->stages.update += report.stages.update;
    const double ndcg = scored != NULL ? network_ndcg(t, &options->shape, current, scored) : NAN;
    if (spec->curve != NULL) spec->curve[e] = ndcg;
    const int better = scored == NULL || !run->has_best || ndcg > run->best_ndcg;
    if (better) {
      run->has_best = 1;
      run->best_ndcg = ndcg;
      run->best_epoch = e;
      memcpy(best, current, P * sizeof *best);
      stale = 0;
    } else {
      stale++;
    }
    rank_event_epoch(r->events, spec->what, e, report.train_loss, ndcg, better, spec->final,
                     report.pairs, report.seconds);
    if (scored != NULL && spec->patience > 0 && stale >= spec->patience) break;
  }
  free(current);
  return ok;
}

static rank_mlp_trainer *make(const mlp_request *r, const rank_dataset *data, const char *what,
                              char *error, size_t error_size) {
  rank_mlp_trainer *t = rank_mlp_trainer_create(data, r->selector, r->profile, error, error_size);
  if (t != NULL && what != NULL) {
    char hidden[64], bins[48] = "";
    rank_mlp_hidden_text(&r->mlp.shape, hidden, sizeof hidden);
    if (r->mlp.bins > 0) snprintf(bins, sizeof bins, ", %zu bins a feature", r->mlp.bins);
    rank_event_note(
        r->events, what, 0,
        "%s on \"%s\": %zu documents, %zu queries, %zu inputs%s; MLP %s%s, dropout %g, %s lr %g",
        what, rank_mlp_trainer_device(t), data->docs, data->queries, data->features, bins, hidden,
        !r->mlp.shape.skip ? ""
        : r->mlp.base      ? " + the linear scorer"
                           : " + a linear term",
        r->mlp.dropout, rank_optimizer_name(r->mlp.optimizer), r->options.lr);
  }
  return t;
}

/* The encoded inputs must stay well inside the device's 32-bit offsets and a host's memory. */
#define MLP_MAX_INPUT_FLOATS ((size_t)1 << 31)

/* data's encoding fit, data (and scored, when not NULL) encoded with it. */
static int encode(const mlp_request *r, const rank_dataset *data, const rank_dataset *scored,
                  rank_encoding *encoding, rank_dataset *encoded, rank_dataset *scored_out,
                  char *error, size_t error_size) {
  if (!rank_encoding_fit(data, r->mlp.bins, encoding)) {
    return snprintf(error, error_size, "out of memory for the input encoding"), 0;
  }
  const size_t width = rank_encoding_width(encoding);
  const rank_dataset *parts[2] = {data, scored};
  rank_dataset *outs[2] = {encoded, scored_out};
  for (int k = 0; k < 2; ++k) {
    if (parts[k] == NULL) continue;
    if (!rank_encoding_apply(encoding, parts[k], MLP_MAX_INPUT_FLOATS, outs[k])) {
      snprintf(error, error_size,
               "%zu documents of %zu inputs (%zu features and %zu bins) %s; use fewer --bins "
               "(--bins 0: the features alone)",
               parts[k]->docs, width, encoding->features, width - encoding->features,
               parts[k]->docs > MLP_MAX_INPUT_FLOATS / (width > 0 ? width : 1)
                   ? "are more than the MLP takes"
                   : "do not fit in memory");
      return 0;
    }
  }
  return 1;
}

/* The linear term's start: the linear scorer as `mrank train` makes it with no options (the
 * request's seed), on the raw features, in the standardised units of the network's inputs (the
 * first data->features of them; the bins' columns start at 0). */
static float *linear_base(const mlp_request *r, const rank_dataset *data, const rank_mlp_trainer *t,
                          size_t inputs, char *error, size_t error_size) {
  rank_options options;
  rank_default_options(&options);
  options.seed = r->options.seed;
  options.l2 = NAN;
  float *weights = malloc((data->features + 1) * sizeof *weights);
  float *start = calloc(inputs + 1, sizeof *start);
  char detail[1024];
  if (weights == NULL || start == NULL) {
    snprintf(error, error_size, "out of memory");
  } else if (!rank_fit_chosen(data, r->selector, &options, weights, detail, sizeof detail)) {
    snprintf(error, error_size, "the linear base: %s", detail);
  } else {
    /* w . x = sum over f of (w_f d_f) (x_f - m_f) / d_f + a constant, which ranks nothing */
    const float *deviation = rank_mlp_trainer_deviation(t);
    for (size_t f = 0; f < data->features; ++f)
      start[f] = weights[f] * deviation[f];
    free(weights);
    return start;
  }
  free(weights);
  free(start);
  return NULL;
}

void rank_mlp_model_free(mlp_model *m) {
  rank_encoding_free(&m->encoding);
  free(m->parameters);
  free(m->mean);
  free(m->deviation);
  memset(m, 0, sizeof *m);
}

int rank_mlp_run(const mlp_request *r, const rank_dataset *data, const mlp_run_spec *spec,
                 mlp_model *model, mlp_run *run, char *error, size_t error_size) {
  memset(run, 0, sizeof *run);
  memset(model, 0, sizeof *model);
  run->best_ndcg = -1.0;
  rank_dataset encoded, scored;
  memset(&encoded, 0, sizeof encoded);
  memset(&scored, 0, sizeof scored);
  rank_mlp_trainer *t = NULL;
  float *start = NULL;
  rank_mlp_options options = r->mlp;
  int ok = encode(r, data, spec->scored, &model->encoding, &encoded, &scored, error, error_size) &&
           (t = make(r, &encoded, spec->what, error, error_size)) != NULL;
  const size_t inputs = encoded.features;
  options.shape.features = inputs;
  if (ok && r->mlp.base) {
    start = linear_base(r, data, t, inputs, error, error_size);
    ok = start != NULL;
    options.skip_start = start;
    options.skip_frozen = 1;
  }
  const size_t P = rank_mlp_parameter_count(&options.shape);
  model->inputs = inputs;
  model->parameters = malloc((P + 1) * sizeof(float));
  model->mean = malloc((inputs + 1) * sizeof(float));
  model->deviation = malloc((inputs + 1) * sizeof(float));
  if (ok && (model->parameters == NULL || model->mean == NULL || model->deviation == NULL)) {
    ok = 0;
    snprintf(error, error_size, "out of memory for the network");
  }
  ok = ok && run_epochs(t, r, &options, spec, spec->scored != NULL ? &scored : NULL,
                        model->parameters, run, error, error_size);
  if (ok) {
    memcpy(model->mean, rank_mlp_trainer_mean(t), inputs * sizeof(float));
    memcpy(model->deviation, rank_mlp_trainer_deviation(t), inputs * sizeof(float));
  }
  rank_mlp_trainer_destroy(t);
  free(start);
  rank_dataset_free(&encoded);
  rank_dataset_free(&scored);
  if (!ok) rank_mlp_model_free(model);
  return ok;
}

void rank_mlp_fill_model(const mlp_request *r, size_t features, mlp_model *m, unsigned best_epoch,
                         unsigned epochs, int take, rank_model *model) {
  memset(model, 0, sizeof *model);
  model->features = features;
  model->mlp = r->mlp.shape;
  model->mlp.features = m->inputs;
  model->base = r->mlp.base;
  model->encoding = m->encoding;
  model->options = r->options;
  model->options.epochs = epochs;
  model->best_epoch = best_epoch;
  model->dropout = r->mlp.dropout;
  model->weight_decay = r->mlp.weight_decay;
  snprintf(model->optimizer, sizeof model->optimizer, "%s", rank_optimizer_name(r->mlp.optimizer));
  model->weights = m->parameters;
  model->mean = m->mean;
  model->deviation = m->deviation;
  if (take) memset(m, 0, sizeof *m); /* the model owns the arrays now */
}

int rank_mlp_save(const mlp_request *r, size_t features, mlp_model *m, unsigned best_epoch,
                  unsigned epochs, const char *path, char *error, size_t error_size) {
  rank_model model;
  rank_mlp_fill_model(r, features, m, best_epoch, epochs, 0, &model);
  return rank_model_save(&model, path, error, error_size);
}

/* The epoch count chosen on held-out folds (0: the linear base alone); *found 0 when no epoch
 * count was reached by every fold. */
static int choose_epochs(const mlp_request *r, unsigned *chosen, int *found, double *mean_ndcg,
                         char *error, size_t error_size) {
  const rank_dataset *train = r->train;
  rank_folds folds;
  if (!rank_make_folds(train, r->options.holdout, &folds)) {
    return snprintf(error, error_size, "out of memory"), 0;
  }
  const unsigned E = r->options.epochs, first = r->mlp.base ? 0 : 1;
  const size_t stride = (size_t)E + 1;
  double *curves = calloc(folds.count * stride, sizeof *curves);
  unsigned reached = E + 1; /* the epoch counts every fold reached: [0, reached) */
  int ok = curves != NULL;
  if (!ok) snprintf(error, error_size, "out of memory");
  if (ok) {
    rank_event_note(r->events, "choice", 0,
                    "choosing the epoch count on %zu held-out fold%s of %zu queries", folds.count,
                    folds.count > 1 ? "s" : "", folds.held_out);
  }
  for (size_t k = 0; k < folds.count && ok && !rank_events_stopped(r->events); ++k) {
    rank_dataset inner, held_out;
    if (!rank_fold_parts(train, &folds, k, &inner, &held_out)) {
      snprintf(error, error_size, "out of memory for the held-out queries");
      ok = 0;
      break;
    }
    char what[32];
    snprintf(what, sizeof what, "fold %zu of %zu", k + 1, folds.count);
    const mlp_run_spec spec = {E, &held_out, 0, curves + k * stride, what, 0};
    mlp_model model;
    mlp_run run;
    ok = rank_mlp_run(r, &inner, &spec, &model, &run, error, error_size);
    rank_mlp_model_free(&model);
    if (ok && run.epochs_run + 1 < reached) reached = run.epochs_run + 1;
    if (ok) {
      rank_event_note(r->events, what, 0, "  best held-out NDCG@10 %.4f at epoch %u of %u%s%s",
                      run.best_ndcg, run.best_epoch, run.epochs_run,
                      run.best_epoch == 0 ? " (the linear base alone)" : "",
                      run.diverged_at ? " (then diverged)" : "");
    }
    rank_dataset_free(&inner);
    rank_dataset_free(&held_out);
  }
  *found = ok && reached > first;
  *chosen = *found
                ? rank_choose_epoch(curves, folds.count, E, first, reached, r->mlp.base, mean_ndcg)
                : 0;
  free(curves);
  free(folds.order);
  return ok;
}

/* The device time by stage, as notes (profile). */
static void tell_profile(const mlp_request *r, const mlp_run *run) {
  const rank_stage_times *t = &run->stages;
  const double device = t->gemv + t->activation + t->gather + t->loss + t->scatter + t->update;
  const int dense = run->layers != NULL && strcmp(run->layers, "dense") == 0;
  rank_event_note(
      r->events, "profile", 0,
      "%zu pairs in %.3f s: %.3g pairs/s; device time by stage (profiling events; layers: %s):",
      run->pairs, run->seconds, run->seconds > 0 ? (double)run->pairs / run->seconds : 0.0,
      run->layers != NULL ? run->layers : "?");
  const char *names[] = {
      dense ? "layers (GEMM with bias, ReLU, dropout)" : "GEMM and GEMV (layers)",
      dense ? "activation (in the layers' kernels)" : "activation (bias, ReLU, dropout)",
      "gather",
      "loss (fused)",
      "scatter + last layer's delta",
      "update (optimiser)"};
  const double times[] = {t->gemv, t->activation, t->gather, t->loss, t->scatter, t->update};
  for (int k = 0; k < 6; ++k) {
    rank_event_note(r->events, "profile", 0, "  %-34s %9.3f ms  %5.1f%%", names[k], times[k] * 1e3,
                    device > 0 ? 100.0 * times[k] / device : 0.0);
  }
  rank_event_note(r->events, "profile", 0, "  %-34s %9.3f ms of %.3f ms wall", "device total",
                  device * 1e3, run->seconds * 1e3);
}

mrank_status rank_train_mlp(const mlp_request *r, rank_model *out, char *note, size_t note_size,
                            char *error, size_t error_size) {
  const rank_dataset *train = r->train;
  mlp_model model;
  mlp_run run;
  memset(&run, 0, sizeof run);
  memset(out, 0, sizeof *out);
  if (note_size > 0) note[0] = '\0';
  unsigned epochs = r->options.epochs;
  enum { least_held_out = 5 };
  const int choosing = r->valid == NULL && r->options.holdout > 0 &&
                       (double)train->queries * r->options.holdout >= (double)least_held_out;
  if (choosing) {
    double mean = 0.0;
    int found = 0;
    if (!choose_epochs(r, &epochs, &found, &mean, error, error_size))
      return rank_error_status(error);
    if (rank_events_stopped(r->events)) {
      snprintf(error, error_size, "stopped while choosing the epoch count; no model");
      return MRANK_ERROR_STOPPED;
    }
    if (!found) {
      snprintf(error, error_size, "every fold diverged in its first epoch; lower %slr (%g now)",
               r->dashed ? "--" : "", r->options.lr);
      return MRANK_ERROR_DIVERGED;
    }
    rank_event_note(
        r->events, "choice", 0, "chosen: %u epochs%s (mean held-out NDCG@10 %.4f)", epochs,
        epochs == 0 ? ": the linear base alone ranked the held-out queries best" : "", mean);
  }
  const mlp_run_spec spec = {
      epochs, r->valid, r->options.patience, NULL, choosing ? "refit" : "training", !choosing};
  if (!rank_mlp_run(r, train, &spec, &model, &run, error, error_size)) {
    return rank_error_status(error);
  }
  if (!run.has_best) {
    snprintf(error, error_size,
             "epoch %u: the loss or the network is no longer finite (the training diverged); "
             "lower %slr (%g now); no model",
             run.diverged_at, r->dashed ? "--" : "", r->options.lr);
    rank_mlp_model_free(&model);
    return MRANK_ERROR_DIVERGED;
  }
  if (run.diverged_at > 0) {
    rank_event_note(r->events, spec.what, 1,
                    "epoch %u diverged; the best epoch before it (%u) is kept", run.diverged_at,
                    run.best_epoch);
  }
  if (rank_events_stopped(r->events)) {
    snprintf(note, note_size, "after epoch %u of %u; the model is epoch %u's", run.epochs_run,
             epochs, run.best_epoch);
  }
  if (r->profile) tell_profile(r, &run);
  rank_mlp_fill_model(r, train->features, &model, run.best_epoch, epochs, 1, out);
  return MRANK_SUCCESS;
}
