/* tune_mlp.c: `mrank tune --scorer mlp`: a grid over the MLP's settings (hidden, dropout, lr,
 * weight-decay, skip, bins), each trained from scratch, chosen by validation NDCG@10 (early-stopped
 * on
 * --valid) or by the mean over --folds K, then refit on all the data for its epoch count. */
#include "cli/tune_mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/interrupt.h"
#include "cli/json.h"
#include "cli/options.h"
#include "rank/subset.h"

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

int mrank_mlp_grid_name(const char *text) {
  const char *equals = strchr(text, '=');
  for (int k = 0; k < grid_kinds && equals != NULL; ++k) {
    if (strlen(grid_names[k]) == (size_t)(equals - text) &&
        strncmp(text, grid_names[k], (size_t)(equals - text)) == 0) {
      return k;
    }
  }
  return -1;
}

/* "hidden=64x32,128" (layers joined by x), "dropout=0,0.1", ... */
static int parse_grid(const char *text, mlp_grid *g) {
  g->kind = mrank_mlp_grid_name(text);
  g->count = 0;
  if (g->kind < 0) {
    mrank_error(
        "--grid \"%s\": with --scorer mlp the names are hidden (64x32,128), dropout, lr, "
        "weight-decay, skip (none, linear, base) and bins",
        text);
    return 0;
  }
  const char *p = strchr(text, '=') + 1;
  while (*p != '\0') {
    const size_t length = strcspn(p, ",");
    char item[128];
    if (length == 0 || length >= sizeof item || g->count == max_values) {
      mrank_error("--grid \"%s\": 1 to %d values, separated by commas", text, max_values);
      return 0;
    }
    memcpy(item, p, length);
    item[length] = '\0';
    if (g->kind == 0) {
      for (char *c = item; *c; ++c)
        if (*c == 'x') *c = ',';
      char error[256];
      if (!rank_mlp_parse_hidden(item, &g->shapes[g->count], error, sizeof error)) {
        mrank_error("--grid hidden: %s (layers joined by x: 64x32)", error);
        return 0;
      }
    } else if (g->kind == 4) {
      /* 0 and 1 as before base was a choice: none and linear */
      rank_mlp_options skip;
      const int named = rank_mlp_skip_parse(item, &skip);
      if (!named && strcmp(item, "0") != 0 && strcmp(item, "1") != 0) {
        mrank_error("--grid skip: \"%s\" is not none, linear or base", item);
        return 0;
      }
      g->values[g->count] = named ? (skip.base ? 2 : skip.shape.skip) : item[0] - '0';
    } else {
      char *end = NULL;
      const double v = strtod(item, &end);
      const int ok = end != item && *end == '\0' && isfinite(v) &&
                     (g->kind == 1   ? v >= 0 && v < 1
                      : g->kind == 2 ? v > 0
                      : g->kind == 5 ? v == floor(v) && v >= 0 && v <= RANK_ENCODING_MAX_BINS
                                     : v >= 0);
      if (!ok) {
        mrank_error("--grid %s: \"%s\" is not %s", grid_names[g->kind], item,
                    g->kind == 1   ? "a probability in [0, 1)"
                    : g->kind == 2 ? "a number above 0"
                    : g->kind == 5 ? "a whole number of bins, 0 to 64"
                                   : "a number >= 0");
        return 0;
      }
      g->values[g->count] = v;
    }
    g->count++;
    p += length;
    if (*p == ',') {
      p++;
      if (*p == '\0') {
        mrank_error("--grid \"%s\": a trailing comma", text);
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

static void print_table(const mlp_setting *results, size_t settings) {
  char text[256];
  printf("%-60s %5s %8s %8s\n", "setting", "epoch", "NDCG@10", "seconds");
  for (size_t s = 0; s < settings; ++s) {
    describe(&results[s].request, text, sizeof text);
    if (!results[s].found) {
      printf("%-60s %5s %8s %8.2f  diverged at epoch %u\n", text, "-", "-", results[s].seconds,
             results[s].diverged_at);
    } else {
      printf("%-60s %5u %8.4f %8.2f\n", text, results[s].best_epoch, results[s].ndcg,
             results[s].seconds);
    }
  }
}

/* The table as JSON, best first: each setting's values by name, as the linear scorer's tune
 * prints them. ndcg@10 is null where the setting never gave a model. */
static void print_json(const mlp_setting *results, size_t settings, size_t folds) {
  char text[256], hidden[64];
  printf("{\"scorer\": \"mlp\", \"chosen_on\": \"%s\", \"results\": [\n",
         folds > 0 ? "folds" : "valid");
  for (size_t s = 0; s < settings; ++s) {
    const mlp_request *r = &results[s].request;
    describe(r, text, sizeof text);
    rank_mlp_hidden_text(&r->mlp.shape, hidden, sizeof hidden);
    printf("  {\"setting\": ");
    mrank_json_string(stdout, text);
    printf(", \"hidden\": ");
    mrank_json_string(stdout, hidden);
    printf(", \"dropout\": %g, \"lr\": %g, \"weight_decay\": %g, \"skip\": ", r->mlp.dropout,
           r->options.lr, r->mlp.weight_decay);
    mrank_json_string(stdout, rank_mlp_skip_name(&r->mlp));
    printf(", \"bins\": %zu, \"best_epoch\": %u, \"ndcg@10\": ", r->mlp.bins,
           results[s].best_epoch);
    if (results[s].found) {
      printf("%.6f", results[s].ndcg);
    } else {
      printf("null");
    }
    printf(", \"seconds\": %.4f, \"diverged_at_epoch\": %u}%s\n", results[s].seconds,
           results[s].diverged_at, s + 1 < settings ? "," : "");
  }
  printf("]}\n");
}

int mrank_tune_mlp(const mlp_request *base, const char *const *grid_texts, int grid_count,
                   const rank_dataset *train, const rank_dataset *valid, const rank_dataset *all,
                   size_t folds, int refit, const char *model_path, int json) {
  mlp_grid grids[grid_kinds];
  int seen[grid_kinds] = {0};
  for (int g = 0; g < grid_count; ++g) {
    if (grid_count > grid_kinds || !parse_grid(grid_texts[g], &grids[g])) return 2;
    if (seen[grids[g].kind]++) {
      mrank_error("--grid %s is given twice; list all its values in one",
                  grid_names[grids[g].kind]);
      return 2;
    }
  }
  size_t settings = 1;
  for (int g = 0; g < grid_count; ++g)
    settings *= (size_t)grids[g].count;
  if (settings > max_settings) {
    mrank_error("the grids make %zu settings, more than %d; use fewer values", settings,
                max_settings);
    return 2;
  }
  mlp_setting *results = calloc(settings, sizeof *results);
  if (results == NULL) return mrank_error("out of memory"), 2;
  char error[2048], text[256];
  int status = 2;
  if (!json) {
    fprintf(stderr, "tuning %zu MLP settings%s\n", settings,
            folds > 0 ? " on folds" : " on the validation data");
  }
  for (size_t s = 0; s < settings && !mrank_interrupted; ++s) {
    mlp_setting *r = &results[s];
    r->request = *base;
    size_t rest = s;
    for (int g = 0; g < grid_count; ++g) {
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
    describe(&r->request, text, sizeof text);
    if (!score_setting(r, train, valid, all, folds, error, sizeof error)) {
      mrank_error("%s: %s", text, error);
      goto done;
    }
    if (json) {
      continue;
    } else if (r->found) {
      fprintf(stderr, "  [%zu/%zu] %s: %sNDCG@10 %.4f at epoch %u\n", s + 1, settings, text,
              folds > 0 ? "mean " : "", r->ndcg, r->best_epoch);
    } else {
      fprintf(stderr, "  [%zu/%zu] %s: diverged at epoch %u\n", s + 1, settings, text,
              r->diverged_at);
    }
  }
  if (mrank_interrupted) {
    status = mrank_tune_interrupted();
    goto done;
  }
  qsort(results, settings, sizeof *results, by_ndcg);
  if (json) {
    print_json(results, settings, folds);
  } else {
    print_table(results, settings);
  }
  if (!results[0].found) {
    fprintf(stderr,
            "mrank tune: every setting diverged; try smaller lr values. No model written\n");
    status = 1;
    goto done;
  }
  /* the best setting trained again: on all the data (refit) or on --train, for its epochs */
  const mlp_request *best = &results[0].request;
  const rank_dataset *data = refit ? all : train;
  const mlp_run_spec spec = {results[0].best_epoch, NULL, 0, NULL, NULL, 0};
  mlp_model model;
  mlp_run run;
  if (!rank_mlp_run(best, data, &spec, &model, &run, error, sizeof error)) {
    mrank_error("the %s: %s", refit ? "refit" : "final run", error);
  } else if (mrank_interrupted) {
    status = mrank_tune_interrupted();
  } else if (run.diverged_at > 0 || !run.has_best) {
    fprintf(stderr, "mrank tune: the %s diverged at epoch %u; try a smaller lr. No model written\n",
            refit ? "refit" : "final run", run.diverged_at);
    status = 1;
  } else if (!rank_mlp_save(best, data->features, &model, run.best_epoch, results[0].best_epoch,
                            model_path, error, sizeof error)) {
    mrank_error("%s", error);
  } else {
    if (!json) {
      printf("%s: the best setting on %zu queries for %u epochs\nbest model written to %s\n",
             refit ? "refit" : "trained", data->queries, results[0].best_epoch, model_path);
    }
    status = 0;
  }
  rank_mlp_model_free(&model);
done:
  free(results);
  return status;
}
