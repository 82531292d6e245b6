/* tune_mlp.c: mrank tune for the MLP scorer (see tune.h): a grid over the MLP's settings (hidden,
 * dropout, lr, weight-decay, skip, bins), each trained from scratch, chosen by validation NDCG@10
 * (early-stopped) or by the mean over K folds, then trained again for its epoch count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/encoding.h"
#include "rank/mlp_run.h"
#include "rank/subset.h"
#include "rank/tune.h"

enum { max_values = 16, max_settings = 10000 };

typedef struct mlp_grid {
  int kind; /* 0 hidden, 1 dropout, 2 lr, 3 weight-decay, 4 skip (0 none, 1 linear, 2 base),
               5 bins */
  rank_mlp_shape shapes[max_values];
  double values[max_values];
  int count;
} mlp_grid;

static const char *const grid_names[] = {"hidden", "dropout", "lr", "weight-decay", "skip", "bins"};
enum { grid_kinds = sizeof grid_names / sizeof grid_names[0] };

static int grid_name(const char *text) {
  const char *equals = strchr(text, '=');
  for (int k = 0; k < grid_kinds && equals != NULL; ++k) {
    if (strlen(grid_names[k]) == (size_t)(equals - text) &&
        strncmp(text, grid_names[k], (size_t)(equals - text)) == 0) {
      return k;
    }
  }
  return -1;
}

/* One value of grid g into g->values[g->count] (or its shapes). */
static int grid_value(const char *option, mlp_grid *g, char *item, char *error, size_t size) {
  if (g->kind == 0) {
    for (char *c = item; *c; ++c)
      if (*c == 'x') *c = ',';
    char detail[256];
    if (!rank_mlp_parse_hidden(item, &g->shapes[g->count], detail, sizeof detail)) {
      snprintf(error, size, "%s hidden: %s (layers joined by x: 64x32)", option, detail);
      return 0;
    }
    return 1;
  }
  if (g->kind == 4) {
    /* 0 and 1 as before base was a choice: none and linear */
    rank_mlp_options skip;
    const int named = rank_mlp_skip_parse(item, &skip);
    if (!named && strcmp(item, "0") != 0 && strcmp(item, "1") != 0) {
      snprintf(error, size, "%s skip: \"%s\" is not none, linear or base", option, item);
      return 0;
    }
    g->values[g->count] = named ? (skip.base ? 2 : skip.shape.skip) : item[0] - '0';
    return 1;
  }
  char *end = NULL;
  const double v = strtod(item, &end);
  const int ok = end != item && *end == '\0' && isfinite(v) &&
                 (g->kind == 1   ? v >= 0 && v < 1
                  : g->kind == 2 ? v > 0
                  : g->kind == 5 ? v == floor(v) && v >= 0 && v <= RANK_ENCODING_MAX_BINS
                                 : v >= 0);
  if (!ok) {
    snprintf(error, size, "%s %s: \"%s\" is not %s", option, grid_names[g->kind], item,
             g->kind == 1   ? "a probability in [0, 1)"
             : g->kind == 2 ? "a number above 0"
             : g->kind == 5 ? "a whole number of bins, 0 to 64"
                            : "a number >= 0");
    return 0;
  }
  g->values[g->count] = v;
  return 1;
}

/* "hidden=64x32,128" (layers joined by x), "dropout=0,0.1", ...; option: "--grid" or "grid" */
static int parse_grid(const char *option, const char *text, mlp_grid *g, char *error, size_t size) {
  g->kind = grid_name(text);
  g->count = 0;
  if (g->kind < 0) {
    snprintf(error, size,
             "%s \"%s\": with %s the names are hidden (64x32,128), dropout, lr, weight-decay, "
             "skip (none, linear, base) and bins",
             option, text, option[0] == '-' ? "--scorer mlp" : "scorer mlp");
    return 0;
  }
  const char *p = strchr(text, '=') + 1;
  while (*p != '\0') {
    const size_t length = strcspn(p, ",");
    char item[128];
    if (length == 0 || length >= sizeof item || g->count == max_values) {
      snprintf(error, size, "%s \"%s\": 1 to %d values, separated by commas", option, text,
               max_values);
      return 0;
    }
    memcpy(item, p, length);
    item[length] = '\0';
    if (!grid_value(option, g, item, error, size)) return 0;
    g->count++;
    p += length;
    if (*p == ',') {
      p++;
      if (*p == '\0') {
        snprintf(error, size, "%s \"%s\": a trailing comma", option, text);
        return 0;
      }
    }
  }
  return 1;
}

typedef struct mlp_setting {
  mlp_request request;
  int found; /* best_epoch is a model (0: the linear base alone) */
  unsigned best_epoch, diverged_at;
  double ndcg, seconds;
} mlp_setting;

static void describe(const mlp_request *r, char *out, size_t size) {
  char hidden[64];
  rank_mlp_hidden_text(&r->mlp.shape, hidden, sizeof hidden);
  snprintf(out, size, "hidden=%s dropout=%g lr=%g weight-decay=%g skip=%s bins=%zu", hidden,
           r->mlp.dropout, r->options.lr, r->mlp.weight_decay, rank_mlp_skip_name(&r->mlp),
           r->mlp.bins);
}

static int by_ndcg(const void *a, const void *b) {
  const mlp_setting *x = a, *y = b;
  return x->ndcg < y->ndcg ? 1 : x->ndcg > y->ndcg ? -1 : 0;
}

/* one setting scored: on valid (early-stopped), or the mean curve over the folds of all */
static int score_setting(mlp_setting *s, const rank_dataset *train, const rank_dataset *valid,
                         const rank_dataset *all, size_t folds, char *error, size_t size) {
  const mlp_request *r = &s->request;
  const unsigned E = r->options.epochs, first = r->mlp.base ? 0 : 1;
  double *curve = calloc(E + 1, sizeof *curve), *sum = calloc(E + 1, sizeof *sum);
  unsigned *reached = calloc(E + 1, sizeof *reached);
  int ok = curve != NULL && sum != NULL && reached != NULL;
  if (!ok) snprintf(error, size, "out of memory");
  mlp_run run;
  mlp_model model;
  s->found = 0;
  if (ok && folds == 0) {
    const mlp_run_spec spec = {E, valid, r->options.patience, NULL, NULL, 0};
    ok = rank_mlp_run(r, train, &spec, &model, &run, error, size);
    rank_mlp_model_free(&model);
    s->found = run.has_best;
    s->best_epoch = run.best_epoch;
    s->ndcg = run.has_best ? run.best_ndcg : -1.0;
    s->diverged_at = run.diverged_at;
    s->seconds = run.seconds;
  } else if (ok && all->queries < folds) {
    snprintf(error, size, "%zu queries cannot make %zu folds", all->queries, folds);
    ok = 0;
  } else if (ok) {
    size_t *order = rank_kfold_order(all->queries, r->options.seed);
    ok = order != NULL;
    for (size_t k = 0; k < folds && ok; ++k) {
      rank_dataset inner, held_out;
      ok = rank_kfold_parts(all, order, folds, k, &inner, &held_out);
      if (!ok) snprintf(error, size, "out of memory for the folds");
      const mlp_run_spec spec = {E, &held_out, 0, curve, NULL, 0};
      ok = ok && rank_mlp_run(r, &inner, &spec, &model, &run, error, size);
      if (ok) rank_mlp_model_free(&model);
      for (unsigned e = first; ok && e <= run.epochs_run; ++e) {
        sum[e] += curve[e];
        reached[e]++;
      }
      if (ok && run.diverged_at > 0 && (s->diverged_at == 0 || run.diverged_at < s->diverged_at))
        s->diverged_at = run.diverged_at;
      s->seconds += run.seconds;
      rank_dataset_free(&inner);
      rank_dataset_free(&held_out);
    }
    free(order);
    s->ndcg = -1.0;
    s->best_epoch = 0;
    for (unsigned e = first; ok && e <= E && reached[e] == folds; ++e) {
      if (!s->found || sum[e] / (double)folds > s->ndcg) {
        s->ndcg = sum[e] / (double)folds;
        s->best_epoch = e;
        s->found = 1;
      }
    }
  }
  free(curve);
  free(sum);
  free(reached);
  return ok;
}

/* The grids parsed, each name once, and the count of the settings they make; 0 with a message. */
static int parse_grids(const rank_tune_request *q, mlp_grid *grids, size_t *settings, char *error,
                       size_t size) {
  const char *option = q->config->dashed ? "--grid" : "grid";
  int seen[grid_kinds] = {0};
  *settings = 1;
  for (size_t g = 0; g < q->grid_count; ++g) {
    if (q->grid_count > grid_kinds) {
      snprintf(error, size, "at most %d %s options with the MLP", grid_kinds, option);
      return 0;
    }
    if (!parse_grid(option, q->grids[g], &grids[g], error, size)) return 0;
    if (seen[grids[g].kind]++) {
      snprintf(error, size, "%s %s is given twice; list all its values in one", option,
               grid_names[grids[g].kind]);
      return 0;
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

int rank_tune_mlp_check(const rank_tune_request *q, char *error, size_t size) {
  mlp_grid grids[grid_kinds];
  size_t settings = 0;
  return parse_grids(q, grids, &settings, error, size);
}

/* Setting s of the grids, from base. */
static void make_setting(const mlp_request *base, const mlp_grid *grids, size_t grid_count,
                         size_t s, mlp_setting *r) {
  r->request = *base;
  size_t rest = s;
  for (size_t g = 0; g < grid_count; ++g) {
    const int at = (int)(rest % (size_t)grids[g].count);
    rest /= (size_t)grids[g].count;
    if (grids[g].kind == 0) {
      const int skip = r->request.mlp.shape.skip;
      r->request.mlp.shape = grids[g].shapes[at];
      r->request.mlp.shape.skip = skip;
    }
    if (grids[g].kind == 4) {
      r->request.mlp.shape.skip = grids[g].values[at] != 0.0;
      r->request.mlp.base = grids[g].values[at] == 2.0;
    }
    if (grids[g].kind == 5) r->request.mlp.bins = (size_t)grids[g].values[at];
    if (grids[g].kind == 1) r->request.mlp.dropout = grids[g].values[at];
    if (grids[g].kind == 2) r->request.options.lr = grids[g].values[at];
    if (grids[g].kind == 3) r->request.mlp.weight_decay = grids[g].values[at];
  }
}

/* The search's base request: the options, with the MLP's own defaults where not given (as
 * mrank tune --scorer mlp always had them: lr 1e-3, 60 epochs), no averaging, no held-out part. */
static void base_request(const rank_tune_request *q, mlp_request *base) {
  const rank_train_config *c = q->config;
  memset(base, 0, sizeof *base);
  base->selector = c->device;
  base->options = c->options;
  base->mlp = c->mlp;
  base->dashed = c->dashed;
  base->events = q->events;
  if (!c->lr_given) base->options.lr = 1e-3;
  if (!c->epochs_given) base->options.epochs = 60;
  if (isnan(base->options.l2)) base->options.l2 = 1e-4; /* mrank train's default, as tune's */
  base->options.average = 0;
  base->options.holdout = 0.0;
}

static void fill_row(const mlp_setting *r, mrank_tune_setting *row) {
  describe(&r->request, row->setting, sizeof row->setting);
  row->found = r->found;
  row->best_epoch = r->best_epoch;
  row->diverged_at_epoch = r->diverged_at;
  row->ndcg10 = r->found ? r->ndcg : NAN;
  row->pair_accuracy = NAN;
  row->seconds = r->seconds;
  const rank_options *o = &r->request.options;
  row->lr = o->lr;
  row->margin = o->margin;
  row->l2 = o->l2;
  row->l1 = o->l1;
  row->momentum = o->momentum;
  row->batch_queries = o->batch_queries;
  row->pairs_per_query = o->pairs_per_query;
  row->average = o->average;
  rank_mlp_hidden_text(&r->request.mlp.shape, row->hidden, sizeof row->hidden);
  row->dropout = r->request.mlp.dropout;
  row->weight_decay = r->request.mlp.weight_decay;
  snprintf(row->skip, sizeof row->skip, "%s", rank_mlp_skip_name(&r->request.mlp));
  row->bins = r->request.mlp.bins;
}

/* Every setting scored, in the grids' order; 0 with a message (a stop is not a failure). */
static int score_all(const rank_tune_request *q, mlp_setting *results, size_t settings, char *error,
                     size_t size) {
  char text[256], detail[2048];
  rank_event_note(q->events, "choice", 0, "tuning %zu MLP settings%s", settings,
                  q->folds > 0 ? " on folds" : " on the validation data");
  for (size_t s = 0; s < settings && !rank_events_stopped(q->events); ++s) {
    mlp_setting *r = &results[s];
    describe(&r->request, text, sizeof text);
    if (!score_setting(r, q->train, q->valid, q->all, q->folds, detail, sizeof detail)) {
      snprintf(error, size, "%s: %s", text, detail);
      return 0;
    }
    if (r->found) {
      rank_event_note(q->events, "choice", 0, "  [%zu/%zu] %s: %sNDCG@10 %.4f at epoch %u", s + 1,
                      settings, text, q->folds > 0 ? "mean " : "", r->ndcg, r->best_epoch);
    } else {
      rank_event_note(q->events, "choice", 0, "  [%zu/%zu] %s: diverged at epoch %u", s + 1,
                      settings, text, r->diverged_at);
    }
  }
  return 1;
}

/* The best setting trained again: on all the data (refit) or on train, for its epochs. */
static mrank_status train_best(const rank_tune_request *q, const mlp_setting *best,
                               rank_model *model, char *error, size_t size) {
  const rank_dataset *data = q->refit ? q->all : q->train;
  const mlp_run_spec spec = {best->best_epoch, NULL, 0, NULL, NULL, 0};
  const char *what = q->refit ? "refit" : "final run";
  mlp_model trained;
  mlp_run run;
  char detail[2048];
  if (!rank_mlp_run(&best->request, data, &spec, &trained, &run, detail, sizeof detail)) {
    snprintf(error, size, "the %s: %s", what, detail);
    return rank_error_status(error);
  }
  mrank_status status = MRANK_SUCCESS;
  if (rank_events_stopped(q->events)) {
    snprintf(error, size, "stopped during the %s: nothing was chosen, no model", what);
    status = MRANK_ERROR_STOPPED;
  } else if (run.diverged_at > 0 || !run.has_best) {
    snprintf(error, size, "the %s diverged at epoch %u; try a smaller lr. No model", what,
             run.diverged_at);
    status = MRANK_ERROR_DIVERGED;
  } else {
    rank_mlp_fill_model(&best->request, data->features, &trained, run.best_epoch, best->best_epoch,
                        1, model);
  }
  rank_mlp_model_free(&trained);
  return status;
}

mrank_status rank_tune_mlp(const rank_tune_request *q, rank_tune_table *table, rank_model *model,
                           char *error, size_t size) {
  memset(table, 0, sizeof *table);
  memset(model, 0, sizeof *model);
  mlp_grid grids[grid_kinds];
  size_t settings = 0;
  if (!parse_grids(q, grids, &settings, error, size)) return MRANK_ERROR_INVALID_ARGUMENT;
  mlp_setting *results = calloc(settings, sizeof *results);
  table->rows = calloc(settings + 1, sizeof *table->rows);
  if (results == NULL || table->rows == NULL) {
    free(results);
    snprintf(error, size, "out of memory");
    return MRANK_ERROR_OUT_OF_MEMORY;
  }
  mlp_request base;
  base_request(q, &base);
  for (size_t s = 0; s < settings; ++s)
    make_setting(&base, grids, q->grid_count, s, &results[s]);
  mrank_status status = MRANK_SUCCESS;
  if (!score_all(q, results, settings, error, size)) {
    status = rank_error_status(error);
  } else if (rank_events_stopped(q->events)) {
    snprintf(error, size, "stopped before the search ended: nothing was chosen, no model");
    status = MRANK_ERROR_STOPPED;
  } else {
    qsort(results, settings, sizeof *results, by_ndcg);
    table->count = settings;
    for (size_t s = 0; s < settings; ++s)
      fill_row(&results[s], &table->rows[s]);
    if (!results[0].found) {
      snprintf(error, size, "every setting diverged; try smaller lr values. No model");
      status = MRANK_ERROR_DIVERGED;
    } else {
      status = train_best(q, &results[0], model, error, size);
    }
  }
  free(results);
  return status;
}
