/* tune_linear.c: mrank tune for the linear scorer (see tune.h): every setting trained on the
 * device from the data uploaded once (one trainer for --valid, one per fold), early-stopped on the
 * validation data or scored at every epoch on each fold's held-out queries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/fit.h"
#include "rank/metrics.h"
#include "rank/subset.h"
#include "rank/trainer.h"
#include "rank/tune.h"

enum { max_values = 64, max_settings = 100000 };

typedef struct grid {
  const char *name;
  double values[max_values];
  int count;
} grid;

typedef struct result {
  rank_options options;
  unsigned best_epoch;  /* 0: no epoch gave finite weights */
  unsigned diverged_at; /* the epoch whose loss or weights were not finite, or 0 */
  double ndcg, pair_accuracy, seconds;
  float *weights; /* the best epoch's weights (one validation file: trained on train) */
  /* folds: each epoch's NDCG@10 and pair accuracy summed over the folds, how many folds reached
   * it, and how many of those had a pair to measure */
  double *curve, *pair_curve;
  unsigned *reached, *pairs_reached;
} result;

static const char *const grid_names[] = {
    "lr", "margin", "l2", "l1", "batch-queries", "momentum", "pairs-per-query", "average"};
enum { grid_name_count = sizeof grid_names / sizeof grid_names[0], max_grids = grid_name_count };

/* One value of a grid, checked against the option's own range as mrank train checks it (average:
 * 0 or 1), naming the value. */
static int grid_value(const char *option, grid *g, const char *item, int at, char *error,
                      size_t error_size) {
  char *end = NULL;
  const double value = strtod(item, &end);
  const char *range = "0 or 1";
  const int known = end != item && *end == '\0' && isfinite(value);
  const int ok = strcmp(g->name, "average") == 0
                     ? known && (value == 0.0 || value == 1.0)
                     : known && rank_config_value_ok(g->name, value, &range);
  if (!known) {
    snprintf(error, error_size, "%s %s: \"%s\" is not a number", option, g->name, item);
    return 0;
  }
  if (!ok) {
    snprintf(error, error_size, "%s %s: \"%s\" is not %s", option, g->name, item, range);
    return 0;
  }
  g->values[at] = value;
  return 1;
}

/* "NAME=V1,V2,..." into g. */
static int parse_grid(const char *option, const char *text, grid *g, char *error,
                      size_t error_size) {
  const char *equals = strchr(text, '=');
  g->name = NULL;
  g->count = 0;
  for (int k = 0; k < grid_name_count && equals != NULL; ++k) {
    if (strlen(grid_names[k]) == (size_t)(equals - text) &&
        strncmp(text, grid_names[k], (size_t)(equals - text)) == 0) {
      g->name = grid_names[k];
    }
  }
  if (g->name == NULL) {
    snprintf(error, error_size,
             "%s \"%s\": expected NAME=V1,V2,... with NAME one of lr, margin, l2, l1, "
             "batch-queries, momentum, pairs-per-query, average",
             option, text);
    return 0;
  }
  const char *p = equals + 1;
  for (;;) {
    const size_t length = strcspn(p, ",");
    char item[256];
    if (length == 0) {
      snprintf(error, error_size, "%s \"%s\": an empty item; separate values with single commas",
               option, equals + 1);
      return 0;
    }
    if (length >= sizeof item) {
      snprintf(error, error_size, "%s: the item \"%.40s...\" is too long", option, p);
      return 0;
    }
    if (g->count >= max_values) {
      snprintf(error, error_size, "%s: at most %d values", option, max_values);
      return 0;
    }
    memcpy(item, p, length);
    item[length] = '\0';
    if (!grid_value(option, g, item, g->count, error, error_size)) return 0;
    g->count++;
    if (p[length] == '\0') return 1;
    p += length + 1;
  }
}

static int apply(rank_options *o, const char *name, double value) {
  if (strcmp(name, "lr") == 0) o->lr = value;
  if (strcmp(name, "margin") == 0) o->margin = value;
  if (strcmp(name, "l2") == 0) o->l2 = value;
  if (strcmp(name, "l1") == 0) o->l1 = value;
  if (strcmp(name, "momentum") == 0) o->momentum = value;
  if (strcmp(name, "batch-queries") == 0) o->batch_queries = (unsigned)value;
  if (strcmp(name, "pairs-per-query") == 0) o->pairs_per_query = (unsigned)value;
  if (strcmp(name, "average") == 0) o->average = value != 0.0;
  return o->lr > 0 && o->l2 >= 0 && o->l1 >= 0 && o->momentum >= 0 && o->momentum < 1 &&
         o->batch_queries > 0 && value >= 0;
}

static void describe(const rank_options *o, char *out, size_t size) {
  snprintf(out, size,
           "lr=%g margin=%g l2=%g l1=%g batch-queries=%u momentum=%g pairs-per-query=%u "
           "average=%u",
           o->lr, o->margin, o->l2, o->l1, o->batch_queries, o->momentum, o->pairs_per_query,
           o->average);
}

static int by_ndcg(const void *a, const void *b) {
  const result *x = a, *y = b;
  return x->ndcg < y->ndcg ? 1 : x->ndcg > y->ndcg ? -1 : 0;
}

/* After each epoch: an EPOCH event (its callback's answer is how Ctrl-C reaches the search). */
static int tell_epoch(const rank_fit_epoch *e, void *user, char *error, size_t size) {
  (void)error, (void)size;
  rank_event_epoch(user, "tuning", e->report->epoch, e->report->train_loss, e->valid_ndcg,
                   e->better, 0, e->report->pairs, e->report->seconds);
  return 1;
}

/* trains one setting with early stopping; fills r */
static int train_one(const rank_tune_request *q, rank_trainer *trainer, result *r, char *error,
                     size_t size) {
  const rank_dataset *train = q->train, *valid = q->valid;
  rank_fit_result fit = {.best_weights = r->weights};
  const rank_fit_hooks hooks = {
      NULL, tell_epoch, (void *)q->events, rank_events_stop_flag(q->events), NULL, NULL};
  if (!rank_fit(trainer, train->features, valid, &r->options, &hooks, &fit, error, size)) return 0;
  r->best_epoch = fit.best_epoch;
  r->diverged_at = fit.diverged_at;
  r->ndcg = fit.best_ndcg;
  r->seconds = fit.seconds;
  double *scores = malloc((valid->docs + 1) * sizeof *scores);
  rank_metrics m;
  if (scores == NULL) return snprintf(error, size, "out of memory"), 0;
  rank_score(valid, r->weights, train->features, scores);
  const int ok = rank_evaluate(valid, scores, &m);
  if (!ok) snprintf(error, size, "out of memory");
  r->pair_accuracy = m.pair_accuracy;
  free(scores);
  return ok;
}

/* A fold's run: the setting it trains, its held-out part, and room for that part's scores. */
typedef struct fold_run {
  const rank_events *events;
  result *r;
  const rank_dataset *held_out;
  double *scores;
} fold_run;

/* The epoch callback of a fold's run: its NDCG@10 and pair accuracy into the setting's curves. */
static int add_to_curve(const rank_fit_epoch *epoch, void *user, char *error, size_t size) {
  fold_run *run = user;
  result *r = run->r;
  const unsigned e = epoch->report->epoch - 1;
  r->curve[e] += epoch->valid_ndcg;
  r->reached[e]++;
  rank_metrics m;
  rank_score(run->held_out, epoch->weights, run->held_out->features, run->scores);
  if (!rank_evaluate(run->held_out, run->scores, &m)) {
    snprintf(error, size, "out of memory measuring a fold");
    return 0;
  }
  if (!isnan(m.pair_accuracy)) {
    r->pair_curve[e] += m.pair_accuracy;
    r->pairs_reached[e]++;
  }
  return tell_epoch(epoch, (void *)run->events, error, size);
}

/* Each setting's epoch of best mean NDCG@10 over the folds that all reached it. */
static void choose_fold_epochs(const rank_tune_request *q, result *results, size_t settings) {
  for (size_t s = 0; s < settings; ++s) {
    result *r = &results[s];
    r->best_epoch = 0;
    r->ndcg = -1.0;
    r->pair_accuracy = NAN; /* the folds choose by NDCG@10 alone; pair accuracy is reported */
    for (unsigned e = 0; e < r->options.epochs; ++e) {
      if (r->reached[e] != q->folds) continue;
      const double mean = r->curve[e] / (double)q->folds;
      if (mean > r->ndcg) {
        r->ndcg = mean;
        r->best_epoch = e + 1;
      }
    }
    /* the mean over the folds with a pair to measure at the chosen epoch (n/a with none) */
    const unsigned chosen = r->best_epoch > 0 ? r->best_epoch - 1 : 0;
    if (r->best_epoch > 0 && r->pairs_reached[chosen] > 0) {
      r->pair_accuracy = r->pair_curve[chosen] / (double)r->pairs_reached[chosen];
    }
    char text[256];
    describe(&r->options, text, sizeof text);
    if (r->best_epoch > 0) {
      rank_event_note(q->events, "choice", 0, "  [%zu/%zu] %s: mean NDCG@10 %.4f at epoch %u",
                      s + 1, settings, text, r->ndcg, r->best_epoch);
    } else {
      rank_event_note(q->events, "choice", 0, "  [%zu/%zu] %s: diverged at epoch %u", s + 1,
                      settings, text, r->diverged_at);
    }
  }
}

static int alloc_curves(result *results, size_t settings) {
  for (size_t s = 0; s < settings; ++s) {
    const size_t length = results[s].options.epochs + 1;
    results[s].curve = calloc(length, sizeof(double));
    results[s].pair_curve = calloc(length, sizeof(double));
    results[s].reached = calloc(length, sizeof(unsigned));
    results[s].pairs_reached = calloc(length, sizeof(unsigned));
    if (results[s].curve == NULL || results[s].reached == NULL || results[s].pair_curve == NULL ||
        results[s].pairs_reached == NULL) {
      return 0;
    }
  }
  return 1;
}

/* Every setting on every fold (the fold's trainer made once), all epochs. */
static int tune_folds(const rank_tune_request *q, const rank_options *base, result *results,
                      size_t settings, char *device, size_t device_size, char *error, size_t size) {
  const rank_dataset *all = q->all;
  if (all->queries < q->folds) {
    snprintf(error, size, "%zu queries cannot make %zu folds", all->queries, q->folds);
    return 0;
  }
  size_t *order = rank_kfold_order(all->queries, base->seed);
  double *scores = malloc((all->docs + 1) * sizeof *scores);
  int ok = order != NULL && scores != NULL && alloc_curves(results, settings);
  if (!ok) snprintf(error, size, "out of memory");
  const char *selector = q->config->device;
  for (size_t k = 0; k < q->folds && ok && !rank_events_stopped(q->events); ++k) {
    rank_dataset inner, held_out;
    ok = rank_kfold_parts(all, order, q->folds, k, &inner, &held_out);
    rank_trainer *trainer =
        ok ? rank_trainer_create(&inner, selector, 0, base->scale, error, size) : NULL;
    if (!ok) snprintf(error, size, "out of memory for the folds");
    ok = trainer != NULL;
    if (ok && k == 0) snprintf(device, device_size, "%s", rank_trainer_device(trainer));
    if (ok) {
      rank_event_note(q->events, "choice", 0,
                      "fold %zu of %zu on \"%s\": %zu settings, %zu queries held out", k + 1,
                      q->folds, rank_trainer_device(trainer), settings, held_out.queries);
    }
    for (size_t s = 0; s < settings && ok && !rank_events_stopped(q->events); ++s) {
      result *r = &results[s];
      rank_options options = r->options;
      options.patience = 0; /* every epoch is scored: the folds' curves must line up */
      fold_run run = {q->events, r, &held_out, scores};
      const rank_fit_hooks hooks = {NULL, add_to_curve, &run, rank_events_stop_flag(q->events),
                                    NULL, NULL};
      rank_fit_result fit = {.best_weights = r->weights};
      ok = rank_fit(trainer, all->features, &held_out, &options, &hooks, &fit, error, size);
      r->seconds += fit.seconds;
      if (fit.diverged_at > 0 && (r->diverged_at == 0 || fit.diverged_at < r->diverged_at)) {
        r->diverged_at = fit.diverged_at;
      }
    }
    rank_trainer_destroy(trainer);
    rank_dataset_free(&inner);
    rank_dataset_free(&held_out);
  }
  free(order);
  free(scores);
  if (ok && !rank_events_stopped(q->events)) choose_fold_epochs(q, results, settings);
  return ok;
}

/* Every setting on the validation data, one trainer for all. */
static int tune_valid(const rank_tune_request *q, const rank_options *base, result *results,
                      size_t settings, char *device, size_t device_size, char *error, size_t size) {
  rank_trainer *trainer =
      rank_trainer_create(q->train, q->config->device, 0, base->scale, error, size);
  if (trainer == NULL) return 0;
  snprintf(device, device_size, "%s", rank_trainer_device(trainer));
  rank_event_note(q->events, "choice", 0,
                  "tuning %zu settings on \"%s\" (%zu documents, %zu queries)", settings,
                  rank_trainer_device(trainer), q->train->docs, q->train->queries);
  int ok = 1;
  for (size_t s = 0; s < settings && ok && !rank_events_stopped(q->events); ++s) {
    result *r = &results[s];
    char text[256];
    describe(&r->options, text, sizeof text);
    char detail[1024];
    ok = train_one(q, trainer, r, detail, sizeof detail);
    if (!ok) {
      snprintf(error, size, "%s: %s", text, detail);
    } else if (r->diverged_at > 0) {
      rank_event_note(q->events, "choice", 0, "  [%zu/%zu] %s: diverged at epoch %u", s + 1,
                      settings, text, r->diverged_at);
    } else {
      rank_event_note(q->events, "choice", 0, "  [%zu/%zu] %s: NDCG@10 %.4f", s + 1, settings, text,
                      r->ndcg);
    }
  }
  rank_trainer_destroy(trainer);
  return ok;
}

/* The grids parsed, and the count of the settings they make; 0 with a message. */
static int parse_grids(const rank_tune_request *q, grid *grids, size_t *settings, char *error,
                       size_t size) {
  const char *option = q->config->dashed ? "--grid" : "grid";
  if (q->grid_count > max_grids) {
    snprintf(error, size, "at most %d %s options", max_grids, option);
    return 0;
  }
  *settings = 1;
  for (size_t g = 0; g < q->grid_count; ++g) {
    if (!parse_grid(option, q->grids[g], &grids[g], error, size)) return 0;
    for (size_t h = 0; h < g; ++h) {
      if (grids[h].name == grids[g].name) {
        snprintf(error, size, "%s %s is given twice; list all its values in one", option,
                 grids[g].name);
        return 0;
      }
    }
    *settings *= (size_t)grids[g].count;
  }
  if (*settings > max_settings) {
    snprintf(error, size, "the grids make %zu settings, more than %d; use fewer values", *settings,
             max_settings);
    return 0;
  }
  return 1;
}

int rank_tune_linear_check(const rank_tune_request *q, char *error, size_t size) {
  grid grids[max_grids];
  size_t settings = 0;
  return parse_grids(q, grids, &settings, error, size);
}

/* The grids' settings from base (*settings of them), each with room for its weights. */
static result *make_settings(const rank_tune_request *q, const rank_options *base, size_t *settings,
                             char *error, size_t size) {
  grid grids[max_grids];
  if (!parse_grids(q, grids, settings, error, size)) return NULL;
  result *results = calloc(*settings, sizeof *results);
  for (size_t s = 0; s < *settings && results != NULL; ++s) {
    result *r = &results[s];
    r->options = *base;
    size_t rest = s;
    int in_range = 1;
    for (size_t g = 0; g < q->grid_count; ++g) {
      in_range &= apply(&r->options, grids[g].name, grids[g].values[rest % (size_t)grids[g].count]);
      rest /= (size_t)grids[g].count;
    }
    char text[256];
    describe(&r->options, text, sizeof text);
    r->weights = calloc(q->train->features + 1, sizeof(float));
    if (!in_range || r->weights == NULL) {
      snprintf(error, size, in_range ? "out of memory" : "setting %s is out of range", text);
      for (size_t k = 0; k <= s; ++k)
        free(results[k].weights);
      free(results);
      return NULL;
    }
  }
  if (results == NULL) snprintf(error, size, "out of memory");
  return results;
}

static void free_settings(result *results, size_t settings) {
  for (size_t s = 0; results != NULL && s < settings; ++s) {
    free(results[s].weights);
    free(results[s].curve);
    free(results[s].pair_curve);
    free(results[s].reached);
    free(results[s].pairs_reached);
  }
  free(results);
}

/* The table's rows, best first. */
static int fill_table(const result *results, size_t settings, rank_tune_table *table) {
  table->rows = calloc(settings + 1, sizeof *table->rows);
  if (table->rows == NULL) return 0;
  table->count = settings;
  for (size_t s = 0; s < settings; ++s) {
    const result *r = &results[s];
    mrank_tune_setting *row = &table->rows[s];
    describe(&r->options, row->setting, sizeof row->setting);
    row->found = r->best_epoch > 0;
    row->best_epoch = r->best_epoch;
    row->diverged_at_epoch = r->diverged_at;
    row->ndcg10 = row->found ? r->ndcg : NAN;
    row->pair_accuracy = r->pair_accuracy;
    row->seconds = r->seconds;
    row->lr = r->options.lr;
    row->margin = r->options.margin;
    row->l2 = r->options.l2;
    row->l1 = r->options.l1;
    row->momentum = r->options.momentum;
    row->batch_queries = r->options.batch_queries;
    row->pairs_per_query = r->options.pairs_per_query;
    row->average = r->options.average;
  }
  return 1;
}

/* The best setting again, on all the data, for its best epoch count: into weights. */
static mrank_status refit_best(const rank_tune_request *q, const rank_options *best,
                               unsigned epochs, float *weights, char *error, size_t size) {
  char detail[1024] = ""; /* the trainer's or the run's failure, said as the refit's */
  rank_trainer *trainer =
      rank_trainer_create(q->all, q->config->device, 0, best->scale, detail, sizeof detail);
  rank_options options = *best;
  options.epochs = epochs;
  options.patience = 0;
  rank_fit_result fit = {.best_weights = weights};
  const rank_fit_hooks hooks = {
      NULL, tell_epoch, (void *)q->events, rank_events_stop_flag(q->events), NULL, NULL};
  const int ok = trainer != NULL && rank_fit(trainer, q->all->features, NULL, &options, &hooks,
                                             &fit, detail, sizeof detail);
  rank_trainer_destroy(trainer);
  if (!ok) {
    snprintf(error, size, "the refit: %s", detail);
    return rank_error_status(error);
  }
  if (rank_events_stopped(q->events)) {
    snprintf(error, size, "stopped during the refit: nothing was chosen, no model");
    return MRANK_ERROR_STOPPED;
  }
  if (fit.diverged_at > 0) {
    snprintf(error, size,
             "the refit on all %zu queries diverged at epoch %u (the validation run did not); try "
             "%s or a smaller lr. No model",
             q->all->queries, fit.diverged_at, q->config->dashed ? "--no-refit" : "refit 0");
    return MRANK_ERROR_DIVERGED;
  }
  return MRANK_SUCCESS;
}

mrank_status rank_tune_linear(const rank_tune_request *q, rank_tune_table *table, rank_model *model,
                              char *error, size_t size) {
  memset(table, 0, sizeof *table);
  memset(model, 0, sizeof *model);
  rank_options base = q->config->options;
  if (isnan(base.l2)) {
    rank_options defaults;
    rank_default_options(&defaults);
    base.l2 = defaults.l2; /* tune trains each setting as given: the default l2 of mrank train */
  }
  size_t settings = 0;
  result *results = make_settings(q, &base, &settings, error, size);
  if (results == NULL)
    return strstr(error, "out of memory") ? MRANK_ERROR_OUT_OF_MEMORY
                                          : MRANK_ERROR_INVALID_ARGUMENT;
  const int ok = q->folds > 0 ? tune_folds(q, &base, results, settings, table->device,
                                           sizeof table->device, error, size)
                              : tune_valid(q, &base, results, settings, table->device,
                                           sizeof table->device, error, size);
  mrank_status status = MRANK_SUCCESS;
  if (!ok) {
    status = rank_error_status(error);
  } else if (rank_events_stopped(q->events)) {
    snprintf(error, size, "stopped before the search ended: nothing was chosen, no model");
    status = MRANK_ERROR_STOPPED;
  } else {
    qsort(results, settings, sizeof *results, by_ndcg);
    if (!fill_table(results, settings, table)) {
      status = MRANK_ERROR_OUT_OF_MEMORY;
      snprintf(error, size, "out of memory");
    } else if (results[0].best_epoch == 0) {
      snprintf(error, size,
               "every setting diverged (the loss or the weights stopped being finite numbers); "
               "try smaller lr values%s. No model",
               base.scale == RANK_SCALE_MAX ? ""
               : q->config->dashed          ? " or --scale max"
                                            : " or scale max");
      status = MRANK_ERROR_DIVERGED;
    } else if (q->refit) {
      status = refit_best(q, &results[0].options, results[0].best_epoch, results[0].weights, error,
                          size);
    }
  }
  if (status == MRANK_SUCCESS) {
    model->features = q->train->features;
    model->weights = results[0].weights;
    results[0].weights = NULL; /* the model's now */
    model->options = results[0].options;
    model->options.holdout = 0.0;
    model->best_epoch = results[0].best_epoch;
  }
  free_settings(results, settings);
  return status;
}
