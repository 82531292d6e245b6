/* train_mlp.c: `mrank train --scorer mlp` (see train_mlp.h). The epoch count is the one of best
 * mean held-out NDCG@10 over the folds (or of best NDCG@10 on --valid); the model keeps the
 * network, the training data's standardisation and how it was trained. */
#include "cli/train_mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/interrupt.h"
#include "cli/options.h"
#include "rank/metrics.h"
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

/* Up to `epochs` epochs from a fresh network; with `scored` (not NULL) each epoch's NDCG@10 on it
 * goes to curve[epoch - 1] and the best epoch's parameters to best (patience stops the run);
 * without, best gets the last epoch's. 0 with a message on failure. */
static int run_epochs(rank_mlp_trainer *t, const mlp_request *r, size_t features, unsigned epochs,
                      const rank_dataset *scored, double *curve, float *best, unsigned patience,
                      int print, mlp_run *run, char *error, size_t error_size) {
  rank_mlp_shape shape = r->mlp.shape;
  shape.features = features;
  const size_t P = rank_mlp_parameter_count(&shape);
  float *current = malloc((P + 1) * sizeof *current);
  memset(run, 0, sizeof *run);
  run->best_ndcg = -1.0;
  rank_options options = r->options;
  options.epochs = epochs;
  if (current == NULL) return snprintf(error, error_size, "out of memory"), 0;
  if (!rank_mlp_trainer_reset(t, &options, &r->mlp, error, error_size)) {
    free(current);
    return 0;
  }
  run->layers = rank_mlp_trainer_layers(t);
  unsigned stale = 0;
  int ok = 1;
  for (unsigned e = 1; e <= epochs && ok && !mrank_interrupted; ++e) {
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
    const double ndcg = scored != NULL ? network_ndcg(t, &shape, current, scored) : NAN;
    if (curve != NULL) curve[e - 1] = ndcg;
    const int better = scored == NULL || ndcg > run->best_ndcg;
    if (better) {
      run->best_ndcg = ndcg;
      run->best_epoch = e;
      memcpy(best, current, P * sizeof *best);
      stale = 0;
    } else {
      stale++;
    }
    if (print) {
      printf("epoch %3u  loss %.6f", e, report.train_loss);
      if (scored != NULL) printf("  valid NDCG@10 %.4f%s", ndcg, better ? " *" : "  ");
      printf("  %.3g pairs/s  %.2f s\n", report.seconds > 0 ? report.pairs / report.seconds : 0.0,
             report.seconds);
      fflush(stdout);
    }
    if (scored != NULL && patience > 0 && stale >= patience) break;
  }
  free(current);
  return ok;
}

static rank_mlp_trainer *make(const mlp_request *r, const rank_dataset *data, const char *what,
                              char *error, size_t error_size) {
  rank_mlp_trainer *t = rank_mlp_trainer_create(data, r->selector, r->profile, error, error_size);
  if (t != NULL && !r->quiet) {
    char hidden[64];
    rank_mlp_hidden_text(&r->mlp.shape, hidden, sizeof hidden);
    printf("%s on \"%s\": %zu documents, %zu queries, %zu features; MLP %s, dropout %g, %s lr %g\n",
           what, rank_mlp_trainer_device(t), data->docs, data->queries, data->features, hidden,
           r->mlp.dropout, rank_optimizer_name(r->mlp.optimizer), r->options.lr);
    fflush(stdout);
  }
  return t;
}

int mrank_mlp_run(const mlp_request *r, const rank_dataset *data, unsigned epochs,
                  const rank_dataset *scored, unsigned patience, double *curve, float *best,
                  float *mean, float *deviation, mlp_run *run, char *error, size_t error_size) {
  rank_mlp_trainer *t = rank_mlp_trainer_create(data, r->selector, r->profile, error, error_size);
  if (t == NULL) return 0;
  const int ok = run_epochs(t, r, data->features, epochs, scored, curve, best, patience, 0, run,
                            error, error_size);
  if (ok && mean != NULL) memcpy(mean, rank_mlp_trainer_mean(t), data->features * sizeof(float));
  if (ok && deviation != NULL) {
    memcpy(deviation, rank_mlp_trainer_deviation(t), data->features * sizeof(float));
  }
  rank_mlp_trainer_destroy(t);
  return ok;
}

int mrank_mlp_save(const mlp_request *r, size_t features, const float *parameters,
                   const float *mean, const float *deviation, unsigned best_epoch, unsigned epochs,
                   const char *path, char *error, size_t error_size) {
  rank_model model;
  memset(&model, 0, sizeof model);
  model.features = features;
  model.mlp = r->mlp.shape;
  model.mlp.features = features;
  model.options = r->options;
  model.options.epochs = epochs;
  model.best_epoch = best_epoch;
  model.dropout = r->mlp.dropout;
  model.weight_decay = r->mlp.weight_decay;
  snprintf(model.optimizer, sizeof model.optimizer, "%s", rank_optimizer_name(r->mlp.optimizer));
  /* the arrays are the caller's: the model only points at them */
  model.weights = (float *)(size_t)parameters;
  model.mean = (float *)(size_t)mean;
  model.deviation = (float *)(size_t)deviation;
  return rank_model_save(&model, path, error, error_size);
}

/* The epoch count of best mean held-out NDCG@10 over the folds. */
static int choose_epochs(const mlp_request *r, unsigned *chosen, double *mean_ndcg, char *error,
                         size_t error_size) {
  const rank_dataset *train = r->train;
  rank_folds folds;
  if (!rank_make_folds(train, r->options.holdout, &folds)) {
    return snprintf(error, error_size, "out of memory"), 0;
  }
  const unsigned E = r->options.epochs;
  double *sum = calloc(E + 1, sizeof *sum), *curve = calloc(E + 1, sizeof *curve);
  unsigned *reached = calloc(E + 1, sizeof *reached);
  rank_mlp_shape shape = r->mlp.shape;
  shape.features = train->features;
  float *best = malloc((rank_mlp_parameter_count(&shape) + 1) * sizeof *best);
  int ok = sum != NULL && curve != NULL && reached != NULL && best != NULL;
  if (!ok) snprintf(error, error_size, "out of memory");
  if (ok && !r->quiet) {
    printf("choosing the epoch count on %zu held-out fold%s of %zu queries\n", folds.count,
           folds.count > 1 ? "s" : "", folds.held_out);
  }
  for (size_t k = 0; k < folds.count && ok && !mrank_interrupted; ++k) {
    rank_dataset inner, held_out;
    memset(&inner, 0, sizeof inner);
    memset(&held_out, 0, sizeof held_out);
    if (!rank_fold_parts(train, &folds, k, &inner, &held_out)) {
      snprintf(error, error_size, "out of memory for the held-out queries");
      ok = 0;
      break;
    }
    char what[32];
    snprintf(what, sizeof what, "fold %zu of %zu", k + 1, folds.count);
    rank_mlp_trainer *t = make(r, &inner, what, error, error_size);
    mlp_run run;
    ok = t != NULL &&
         run_epochs(t, r, inner.features, E, &held_out, curve, best, 0, 0, &run, error, error_size);
    for (unsigned e = 0; ok && e < run.epochs_run; ++e) {
      sum[e] += curve[e];
      reached[e]++;
    }
    if (ok && !r->quiet) {
      printf("  best held-out NDCG@10 %.4f at epoch %u of %u%s\n", run.best_ndcg, run.best_epoch,
             run.epochs_run, run.diverged_at ? " (then diverged)" : "");
    }
    rank_mlp_trainer_destroy(t);
    rank_dataset_free(&inner);
    rank_dataset_free(&held_out);
  }
  /* the epoch count every fold reached, of best mean */
  *chosen = 0;
  *mean_ndcg = -1.0;
  for (unsigned e = 0; ok && e < E; ++e) {
    if (reached[e] != folds.count) break;
    const double mean = sum[e] / (double)folds.count;
    if (mean > *mean_ndcg) {
      *mean_ndcg = mean;
      *chosen = e + 1;
    }
  }
  free(sum);
  free(curve);
  free(reached);
  free(best);
  free(folds.order);
  return ok;
}

static void print_profile(const mlp_run *run) {
  const rank_stage_times *t = &run->stages;
  const double device = t->gemv + t->activation + t->gather + t->loss + t->scatter + t->update;
  const int dense = run->layers != NULL && strcmp(run->layers, "dense") == 0;
  printf(
      "%zu pairs in %.3f s: %.3g pairs/s; device time by stage (profiling events; layers: "
      "%s):\n",
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
    printf("  %-34s %9.3f ms  %5.1f%%\n", names[k], times[k] * 1e3,
           device > 0 ? 100.0 * times[k] / device : 0.0);
  }
  printf("  %-34s %9.3f ms of %.3f ms wall\n", "device total", device * 1e3, run->seconds * 1e3);
}

int mrank_train_mlp(const mlp_request *r) {
  char error[2048];
  const rank_dataset *train = r->train;
  rank_mlp_shape shape = r->mlp.shape;
  shape.features = train->features;
  const size_t P = rank_mlp_parameter_count(&shape);
  float *parameters = malloc((P + 1) * sizeof(float));
  float *mean = malloc((train->features + 1) * sizeof(float));
  float *deviation = malloc((train->features + 1) * sizeof(float));
  int status = 2;
  rank_mlp_trainer *t = NULL;
  mlp_run run;
  memset(&run, 0, sizeof run);
  if (parameters == NULL || mean == NULL || deviation == NULL) {
    mrank_error("out of memory for the network");
    goto done;
  }
  mrank_catch_interrupts();
  unsigned epochs = r->options.epochs;
  enum { least_held_out = 5 };
  const int choosing = r->valid == NULL && r->options.holdout > 0 &&
                       (double)train->queries * r->options.holdout >= (double)least_held_out;
  if (choosing) {
    double mean = 0.0;
    if (!choose_epochs(r, &epochs, &mean, error, sizeof error)) {
      mrank_error("%s", error);
      goto done;
    }
    if (mrank_interrupted) {
      mrank_error("interrupted while choosing the epoch count; no model written");
      status = 128 + mrank_interrupted;
      goto done;
    }
    if (epochs == 0) {
      fprintf(stderr, "mrank train: every fold diverged in its first epoch; lower --lr (%g now)\n",
              r->options.lr);
      status = 1;
      goto done;
    }
    if (!r->quiet) printf("chosen: %u epochs (mean held-out NDCG@10 %.4f)\n", epochs, mean);
  }
  t = make(r, train, choosing ? "refit" : "training", error, sizeof error);
  if (t == NULL) {
    mrank_error("%s", error);
    goto done;
  }
  if (!run_epochs(t, r, train->features, epochs, r->valid, NULL, parameters, r->options.patience,
                  !r->quiet && !choosing, &run, error, sizeof error)) {
    mrank_error("%s", error);
    goto done;
  }
  if (run.best_epoch == 0) {
    fprintf(stderr,
            "mrank train: epoch %u: the loss or the network is no longer finite (the training "
            "diverged); lower --lr (%g now); no model written\n",
            run.diverged_at, r->options.lr);
    status = 1;
    goto done;
  }
  if (run.diverged_at > 0) {
    fprintf(stderr, "mrank train: epoch %u diverged; the best epoch before it (%u) is kept\n",
            run.diverged_at, run.best_epoch);
  }
  memcpy(mean, rank_mlp_trainer_mean(t), train->features * sizeof(float));
  memcpy(deviation, rank_mlp_trainer_deviation(t), train->features * sizeof(float));
  if (mrank_interrupted) fprintf(stderr, "mrank train: interrupted; writing the model so far\n");
  if (!mrank_mlp_save(r, train->features, parameters, mean, deviation, run.best_epoch, epochs,
                      r->model_path, error, sizeof error)) {
    mrank_error("%s", error);
    goto done;
  }
  if (!r->quiet) {
    char hidden[64];
    rank_mlp_hidden_text(&shape, hidden, sizeof hidden);
    printf("model (MLP %s, %zu parameters, epoch %u%s) written to %s\n", hidden, P, run.best_epoch,
           r->valid != NULL ? ", best validation NDCG@10" : "", r->model_path);
  }
  if (r->profile) print_profile(&run);
  status = mrank_interrupted ? 128 + mrank_interrupted : 0;
done:
  rank_mlp_trainer_destroy(t);
  free(parameters);
  free(mean);
  free(deviation);
  return status;
}
