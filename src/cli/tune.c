/* tune.c: `mrank tune`, a grid search over the hyperparameters a user of this loss must choose:
 * every combination trained on the device from the data already uploaded (no re-read, no
 * re-upload), early-stopped on the validation set, ranked by validation NDCG@10. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/interrupt.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/train_options.h"
#include "cli/tune_mlp.h"
#include "rank/dataset.h"
#include "rank/fit.h"
#include "rank/metrics.h"
#include "rank/model.h"
#include "rank/subset.h"
#include "rank/trainer.h"
#include "random.h"

const char mrank_tune_help[] =
    "usage: mrank tune --train FILE [--query FILE] (--valid FILE [--valid-query FILE] | --folds "
    "K)\n"
    "                  --model OUT --grid NAME=V1,V2,... [--grid ...] [--no-refit] [--scorer mlp]\n"
    "                  [--features N] [--max-label N] [training options] [--json]\n"
    "\n"
    "Trains every combination of the grids (names: lr, margin, l2, l1, batch-queries, momentum,\n"
    "pairs-per-query, average 0/1; with --scorer mlp: hidden (layers joined by x: 64x32,128),\n"
    "dropout, lr, weight-decay, skip (none, linear, base), bins (0 to 64); each name once; each\n"
    "value in the range mrank train takes) on the device, reusing the data uploaded once, each\n"
    "early-stopped on the validation set (--patience, default 5, 0 never stops early; within\n"
    "--epochs, default 30). Prints a table sorted by validation NDCG@10 (setting, best epoch,\n"
    "NDCG@10, pair accuracy, seconds) or --json. Then (--refit, the default) the best setting\n"
    "is trained again on the training and validation data together for its best epoch count,\n"
    "and that model is written to OUT; --no-refit writes the best setting's model as trained on\n"
    "--train alone.\n"
    "\n"
    "  --scorer mlp  tune the MLP scorer (mrank train --scorer mlp; its defaults where no grid\n"
    "              sets a value: 64,32 on the features and 8 bins of each, beside the linear\n"
    "              scorer (skip base), dropout 0.3, Adam lr 1e-3, weight decay 1e-4, 60 epochs;\n"
    "              with a base, epoch 0 is the linear scorer alone and a candidate too)\n"
    "  --folds K   K-fold by query instead of one validation file (2 to 20): the queries of\n"
    "              --train (and --valid, when given) are cut into K seeded parts, each setting is\n"
    "              trained K times for all its epochs, each time scored on the part left out,\n"
    "              and chosen (with its epoch count) by the mean NDCG@10 over the folds; one\n"
    "              noisy validation epoch then decides nothing alone. The refit is on all.\n"
    "\n"
    "Options not in a grid keep their values (see mrank train --help, --scale and --max-label\n"
    "included). A setting whose training diverges is marked and ranked last. SIGINT (Ctrl-C) or\n"
    "SIGTERM ends the search after the epoch under way: an unfinished search has chosen nothing,\n"
    "so no model is written.\n"
    "\n"
    "Exit status: 0 done, 1 every setting diverged (no model written), 2 usage, data, device or\n"
    "file error, 130 or 143 interrupted (no model written).\n";

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
  float *weights; /* one validation file: the best epoch's weights, trained on --train */
  /* folds: each epoch's NDCG@10 and pair accuracy summed over the folds, how many folds reached
   * it, and how many of those had a pair to measure */
  double *curve, *pair_curve;
  unsigned *reached, *pairs_reached;
} result;

static const char *const grid_names[] = {
    "lr", "margin", "l2", "l1", "batch-queries", "momentum", "pairs-per-query", "average"};
enum { grid_name_count = sizeof grid_names / sizeof grid_names[0], max_grids = grid_name_count };

/* One value of a grid, checked against the option's own range as `mrank train` checks it (average:
 * 0 or 1), naming the value. */
static int grid_item(const char *option, const char *item, void *into, int at) {
  grid *g = into;
  char *end = NULL;
  const double value = strtod(item, &end);
  const char *range = "0 or 1";
  const int known = end != item && *end == '\0' && isfinite(value);
  const int ok = strcmp(g->name, "average") == 0
                     ? known && (value == 0.0 || value == 1.0)
                     : known && mrank_training_value_ok(g->name, value, &range);
  if (!known) {
    mrank_error("%s %s: \"%s\" is not a number", option, g->name, item);
    return 0;
  }
  if (!ok) {
    mrank_error("%s %s: \"%s\" is not %s", option, g->name, item, range);
    return 0;
  }
  g->values[at] = value;
  return 1;
}

static int parse_grid(const char *text, grid *g) {
  const char *equals = strchr(text, '=');
  g->name = NULL;
  for (int k = 0; k < grid_name_count && equals != NULL; ++k) {
    if (strlen(grid_names[k]) == (size_t)(equals - text) &&
        strncmp(text, grid_names[k], (size_t)(equals - text)) == 0) {
      g->name = grid_names[k];
    }
  }
  if (g->name == NULL) {
    mrank_error(
        "--grid \"%s\": expected NAME=V1,V2,... with NAME one of lr, margin, l2, l1, "
        "batch-queries, momentum, pairs-per-query, average",
        text);
    return 0;
  }
  return mrank_parse_list("--grid", equals + 1, grid_item, g, max_values, &g->count);
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

/* trains one setting with early stopping; fills r */
static int train_one(rank_trainer *trainer, const rank_dataset *train, const rank_dataset *valid,
                     result *r, char *error, size_t size) {
  rank_fit_result fit = {.best_weights = r->weights};
  const rank_fit_hooks hooks = {NULL, NULL, NULL, &mrank_interrupted, NULL, NULL};
  if (!rank_fit(trainer, train->features, valid, &r->options, &hooks, &fit, error, size)) return 0;
  r->best_epoch = fit.best_epoch;
  r->diverged_at = fit.diverged_at;
  r->ndcg = fit.best_ndcg;
  r->seconds = fit.seconds;
  double *scores = malloc(valid->docs * sizeof *scores);
  rank_metrics m;
  if (scores == NULL) return 0;
  rank_score(valid, r->weights, train->features, scores);
  const int ok = rank_evaluate(valid, scores, &m);
  r->pair_accuracy = m.pair_accuracy;
  free(scores);
  return ok;
}

/* A fold's run: the setting it trains, its held-out part, and room for that part's scores. */
typedef struct fold_run {
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
  return 1;
}

/* Every setting on every fold (the fold's trainer made once), all epochs, then each setting's
 * epoch of best mean NDCG@10 over the folds that all reached it. */
static int tune_folds(const rank_dataset *all, size_t folds, const char *selector,
                      const rank_options *base, result *results, size_t settings, int json,
                      char *device, size_t device_size, char *error, size_t size) {
  if (all->queries < folds) {
    snprintf(error, size, "%zu queries cannot make %zu folds", all->queries, folds);
    return 0;
  }
  size_t *order = rank_kfold_order(all->queries, base->seed);
  if (order == NULL) {
    snprintf(error, size, "out of memory");
    return 0;
  }
  int ok = 1;
  for (size_t s = 0; s < settings && ok; ++s) {
    const size_t length = results[s].options.epochs + 1;
    results[s].curve = calloc(length, sizeof(double));
    results[s].pair_curve = calloc(length, sizeof(double));
    results[s].reached = calloc(length, sizeof(unsigned));
    results[s].pairs_reached = calloc(length, sizeof(unsigned));
    ok = results[s].curve != NULL && results[s].reached != NULL && results[s].pair_curve != NULL &&
         results[s].pairs_reached != NULL;
  }
  double *scores = ok ? malloc((all->docs + 1) * sizeof *scores) : NULL;
  ok = scores != NULL;
  for (size_t k = 0; k < folds && ok && !mrank_interrupted; ++k) {
    rank_dataset inner, held_out;
    ok = rank_kfold_parts(all, order, folds, k, &inner, &held_out);
    rank_trainer *trainer =
        ok ? rank_trainer_create(&inner, selector, 0, base->scale, error, size) : NULL;
    if (!ok) snprintf(error, size, "out of memory for the folds");
    ok = trainer != NULL;
    if (ok && k == 0) snprintf(device, device_size, "%s", rank_trainer_device(trainer));
    if (ok && !json) {
      fprintf(stderr, "fold %zu of %zu on \"%s\": %zu settings, %zu queries held out\n", k + 1,
              folds, rank_trainer_device(trainer), settings, held_out.queries);
    }
    for (size_t s = 0; s < settings && ok && !mrank_interrupted; ++s) {
      result *r = &results[s];
      rank_options options = r->options;
      options.patience = 0; /* every epoch is scored: the folds' curves must line up */
      fold_run run = {r, &held_out, scores};
      const rank_fit_hooks hooks = {NULL, add_to_curve, &run, &mrank_interrupted, NULL, NULL};
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
  for (size_t s = 0; s < settings && ok; ++s) {
    result *r = &results[s];
    r->best_epoch = 0;
    r->ndcg = -1.0;
    r->pair_accuracy = NAN; /* the folds choose by NDCG@10 alone; pair accuracy is reported */
    for (unsigned e = 0; e < r->options.epochs; ++e) {
      if (r->reached[e] != folds) continue;
      const double mean = r->curve[e] / (double)folds;
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
    if (!json) {
      char text[256];
      describe(&r->options, text, sizeof text);
      if (r->best_epoch > 0) {
        fprintf(stderr, "  [%zu/%zu] %s: mean NDCG@10 %.4f at epoch %u\n", s + 1, settings, text,
                r->ndcg, r->best_epoch);
      } else {
        fprintf(stderr, "  [%zu/%zu] %s: diverged at epoch %u\n", s + 1, settings, text,
                r->diverged_at);
      }
    }
  }
  return ok;
}

int mrank_cmd_tune(int argc, char **argv) {
  const char *train_path = NULL, *query = NULL, *valid_path = NULL, *valid_query = NULL;
  const char *model_path = NULL, *selector = NULL;
  int json = 0, refit = 1;
  size_t folds = 0;
  grid grids[max_grids];
  int grid_count = 0;
  const char *grid_texts[max_grids];
  int scorer_mlp = 0, lr_given = 0, epochs_given = 0;
  size_t features = 0;
  double max_label = RANK_DEFAULT_MAX_LABEL;
  rank_options base;
  rank_default_options(&base);
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(mrank_tune_help, stdout);
      return 0;
    }
    if (strcmp(arg, "--json") == 0) {
      json = 1;
      continue;
    }
    if (strcmp(arg, "--refit") == 0 || strcmp(arg, "--no-refit") == 0) {
      refit = strcmp(arg, "--refit") == 0;
      continue;
    }
    if (mrank_is_option(arg, "--folds")) {
      const char *value = mrank_option_value(argc, argv, &i, "--folds");
      if (value == NULL || !mrank_parse_size("--folds", value, &folds)) return 2;
      if (folds < 2 || folds > 20) {
        mrank_error("--folds is a whole number from 2 to 20, not %s", value);
        return 2;
      }
      continue;
    }
    if (mrank_is_option(arg, "--scorer")) {
      const char *value = mrank_option_value(argc, argv, &i, "--scorer");
      if (value == NULL) return 2;
      if (strcmp(value, "linear") != 0 && strcmp(value, "mlp") != 0) {
        mrank_error("--scorer is linear or mlp, not \"%s\"", value);
        return 2;
      }
      scorer_mlp = strcmp(value, "mlp") == 0;
      continue;
    }
    if (mrank_is_option(arg, "--lr")) lr_given = 1;
    if (mrank_is_option(arg, "--epochs")) epochs_given = 1;
    const int shared = mrank_parse_training_option(argc, argv, &i, &base);
    if (shared < 0) return 2;
    if (shared > 0) continue;
    if (mrank_is_option(arg, "--grid")) {
      const char *value = mrank_option_value(argc, argv, &i, "--grid");
      if (value == NULL) return 2;
      if (grid_count == max_grids) {
        mrank_error("at most %d --grid options", max_grids);
        return 2;
      }
      grid_texts[grid_count++] = value; /* parsed once the scorer is known */
      continue;
    }
    if (mrank_is_option(arg, "--max-label")) {
      if (!mrank_parse_max_label(argc, argv, &i, &max_label)) return 2;
      continue;
    }
    if (mrank_is_option(arg, "--features")) {
      const char *value = mrank_option_value(argc, argv, &i, "--features");
      uint64_t count = 0;
      if (value == NULL || !mrank_parse_u64("--features", value, &count)) return 2;
      if (count == 0 || count > RANK_MAX_FEATURES) {
        mrank_error("--features must be 1 to %zu, not %s", RANK_MAX_FEATURES, value);
        return 2;
      }
      features = (size_t)count;
      continue;
    }
    static const char *const names[] = {"--train",       "--query", "--valid",
                                        "--valid-query", "--model", "--device"};
    const char **targets[] = {&train_path,  &query,      &valid_path,
                              &valid_query, &model_path, &selector};
    int which = -1;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k) {
      if (mrank_is_option(arg, names[k])) which = k;
    }
    if (which < 0) {
      fprintf(stderr, "mrank tune: unknown option \"%s\"; see 'mrank tune --help'\n", arg);
      return 2;
    }
    if ((*targets[which] = mrank_option_value(argc, argv, &i, names[which])) == NULL) return 2;
  }
  for (int g = 0; g < grid_count && !scorer_mlp; ++g) {
    if (!parse_grid(grid_texts[g], &grids[g])) return 2;
    for (int h = 0; h < g; ++h) {
      if (grids[h].name == grids[g].name) {
        fprintf(stderr, "mrank tune: --grid %s is given twice; list all its values in one\n",
                grids[g].name);
        return 2;
      }
    }
  }
  if (train_path == NULL || (valid_path == NULL && folds == 0) || model_path == NULL) {
    mrank_error(
        "--train, --valid (or --folds K) and --model are required; see 'mrank tune "
        "--help'");
    return 2;
  }
  if (folds > 0 && !refit) {
    mrank_error(
        "--folds trains each setting K times on parts of the data: the model written is "
        "the refit on all of it (leave out --no-refit)");
    return 2;
  }
  if (valid_query != NULL && valid_path == NULL) {
    mrank_error("--valid-query needs --valid");
    return 2;
  }
  const mrank_path inputs[] = {{"--train", train_path},
                               {"--query", query},
                               {"--valid", valid_path},
                               {"--valid-query", valid_query}};
  const mrank_path outputs[] = {{"--model", model_path}};
  if (!mrank_check_paths(inputs, 4, outputs, 1)) return 2;
  size_t settings = 1; /* of the linear grids (the MLP's are counted by tune_mlp.c) */
  for (int g = 0; g < grid_count && !scorer_mlp; ++g)
    settings *= (size_t)grids[g].count;
  if (settings > max_settings) {
    fprintf(stderr, "mrank tune: the grids make %zu settings, more than %d; use fewer values\n",
            settings, max_settings);
    return 2;
  }
  char error[1024], device[256] = "";
  rank_dataset train, valid;
  memset(&valid, 0, sizeof valid);
  const rank_read_limits limits = {features, max_label};
  if (!rank_dataset_load_checked(train_path, query, &limits, &train, error, sizeof error)) {
    mrank_error("%s", error);
    return 2;
  }
  const rank_read_limits valid_limits = {train.features, max_label};
  if (valid_path != NULL && !rank_dataset_load_checked(valid_path, valid_query, &valid_limits,
                                                       &valid, error, sizeof error)) {
    fprintf(stderr, "mrank tune: %s%s\n", error, features == 0 ? mrank_features_hint(error) : "");
    rank_dataset_free(&train);
    return 2;
  }
  int status = 2;
  result *results = calloc(settings, sizeof *results);
  rank_trainer *trainer = NULL;
  rank_dataset pool;
  memset(&pool, 0, sizeof pool);
  if (results == NULL || (valid_path != NULL && valid.queries == 0)) {
    fprintf(stderr, "mrank tune: %s\n",
            results == NULL ? "out of memory" : "the validation data has no queries");
    goto done;
  }
  /* the data of the refit and of the folds: --train and --valid together */
  if ((refit || folds > 0) && valid_path != NULL && !rank_dataset_concat(&train, &valid, &pool)) {
    fprintf(stderr, "mrank tune: out of memory\n");
    goto done;
  }
  const rank_dataset *all = valid_path != NULL && (refit || folds > 0) ? &pool : &train;
  /* SIGINT and SIGTERM end the search after the epoch under way: an unfinished search has
   * chosen nothing, so it says how far it got and writes no model */
  mrank_catch_interrupts();
  if (scorer_mlp) {
    mlp_request request;
    memset(&request, 0, sizeof request);
    request.selector = selector;
    request.options = base;
    rank_mlp_default_options(&request.mlp);
    /* the MLP's own defaults where not given, as train --scorer mlp */
    if (!lr_given) request.options.lr = 1e-3;
    if (!epochs_given) request.options.epochs = 60;
    request.options.average = 0;
    request.options.holdout = 0.0;
    /* nothing told (tune prints its own table); Ctrl-C stops the setting under way */
    static const rank_events events = {NULL, NULL, &mrank_interrupted};
    request.events = &events;
    status =
        mrank_tune_mlp(&request, grid_texts, grid_count, &train, valid_path != NULL ? &valid : NULL,
                       all, folds, refit, model_path, json);
    goto done;
  }
  for (size_t s = 0; s < settings; ++s) {
    result *r = &results[s];
    r->options = base;
    size_t rest = s;
    int valid_setting = 1;
    for (int g = 0; g < grid_count; ++g) {
      valid_setting &= apply(&r->options, grids[g].name, grids[g].values[rest % grids[g].count]);
      rest /= (size_t)grids[g].count;
    }
    char text[256];
    describe(&r->options, text, sizeof text);
    if (!valid_setting) {
      fprintf(stderr, "mrank tune: setting %s is out of range\n", text);
      goto done;
    }
    r->weights = calloc(train.features, sizeof(float));
    if (r->weights == NULL) {
      fprintf(stderr, "mrank tune: out of memory\n");
      goto done;
    }
  }
  if (folds > 0) {
    if (!tune_folds(all, folds, selector, &base, results, settings, json, device, sizeof device,
                    error, sizeof error)) {
      fprintf(stderr, "mrank tune: %s\n", error);
      goto done;
    }
  } else {
    trainer = rank_trainer_create(&train, selector, 0, base.scale, error, sizeof error);
    if (trainer == NULL) {
      fprintf(stderr, "mrank tune: %s\n", error);
      goto done;
    }
    snprintf(device, sizeof device, "%s", rank_trainer_device(trainer));
    if (!json) {
      fprintf(stderr, "tuning %zu settings on \"%s\" (%zu documents, %zu queries)\n", settings,
              rank_trainer_device(trainer), train.docs, train.queries);
    }
    for (size_t s = 0; s < settings && !mrank_interrupted; ++s) {
      result *r = &results[s];
      char text[256];
      describe(&r->options, text, sizeof text);
      if (!train_one(trainer, &train, &valid, r, error, sizeof error)) {
        fprintf(stderr, "mrank tune: %s: %s\n", text, error);
        goto done;
      }
      if (!json && r->diverged_at > 0) {
        fprintf(stderr, "  [%zu/%zu] %s: diverged at epoch %u\n", s + 1, settings, text,
                r->diverged_at);
      } else if (!json) {
        fprintf(stderr, "  [%zu/%zu] %s: NDCG@10 %.4f\n", s + 1, settings, text, r->ndcg);
      }
    }
  }
  if (mrank_interrupted) {
    status = mrank_tune_interrupted();
    goto done;
  }
  qsort(results, settings, sizeof *results, by_ndcg);
  if (json) {
    printf("{\"scorer\": \"linear\", \"chosen_on\": \"%s\", \"device\": ",
           folds > 0 ? "folds" : "valid");
    mrank_json_string(stdout, device);
    printf(", \"results\": [\n");
  }
  int width = (int)strlen("setting");
  for (size_t s = 0; s < settings; ++s) {
    char text[256];
    describe(&results[s].options, text, sizeof text);
    if ((int)strlen(text) > width) width = (int)strlen(text);
  }
  if (!json) {
    printf("%-*s %5s %8s %8s %8s\n", width, "setting", "epoch", "NDCG@10", "pairacc", "seconds");
  }
  for (size_t s = 0; s < settings; ++s) {
    char text[256];
    describe(&results[s].options, text, sizeof text);
    if (json) {
      printf("  {\"setting\": ");
      mrank_json_string(stdout, text);
      printf(
          ", \"lr\": %g, \"margin\": %g, \"l2\": %g, \"batch_queries\": %u, \"momentum\": %g, "
          "\"pairs_per_query\": %u, \"average\": %u, \"best_epoch\": %u, \"ndcg@10\": %.6f, "
          "\"pair_accuracy\": ",
          results[s].options.lr, results[s].options.margin, results[s].options.l2,
          results[s].options.batch_queries, results[s].options.momentum,
          results[s].options.pairs_per_query, results[s].options.average, results[s].best_epoch,
          results[s].best_epoch > 0 ? results[s].ndcg : 0.0);
      if (isnan(results[s].pair_accuracy)) {
        printf("null");
      } else {
        printf("%.6f", results[s].pair_accuracy);
      }
      printf(", \"seconds\": %.4f, \"diverged_at_epoch\": %u}%s\n", results[s].seconds,
             results[s].diverged_at, s + 1 < settings ? "," : "");
    } else if (results[s].best_epoch == 0) {
      printf("%-*s %5s %8s %8s %8.2f  diverged at epoch %u\n", width, text, "-", "-", "-",
             results[s].seconds, results[s].diverged_at);
    } else {
      printf("%-*s %5u %8.4f ", width, text, results[s].best_epoch, results[s].ndcg);
      if (isnan(results[s].pair_accuracy)) {
        printf("%8s", "n/a");
      } else {
        printf("%8.4f", results[s].pair_accuracy);
      }
      printf(" %8.2f", results[s].seconds);
      if (results[s].diverged_at > 0) printf("  diverged at epoch %u", results[s].diverged_at);
      printf("\n");
    }
  }
  if (json) printf("]}\n");
  if (results[0].best_epoch == 0) {
    fprintf(stderr,
            "mrank tune: every setting diverged (the loss or the weights stopped being finite "
            "numbers); try smaller lr values%s. No model written\n",
            base.scale == RANK_SCALE_MAX ? "" : " or --scale max");
    status = 1;
    goto done;
  }
  rank_model best = {.features = train.features,
                     .weights = results[0].weights,
                     .options = results[0].options,
                     .best_epoch = results[0].best_epoch};
  best.options.holdout = 0.0;
  if (refit) {
    /* the best setting again, on all the data, for its best epoch count */
    rank_trainer_destroy(trainer);
    trainer = rank_trainer_create(all, selector, 0, base.scale, error, sizeof error);
    rank_options options = best.options;
    options.epochs = best.best_epoch;
    options.patience = 0;
    rank_fit_result fit = {.best_weights = best.weights};
    const rank_fit_hooks hooks = {NULL, NULL, NULL, &mrank_interrupted, NULL, NULL};
    if (trainer == NULL ||
        !rank_fit(trainer, all->features, NULL, &options, &hooks, &fit, error, sizeof error)) {
      fprintf(stderr, "mrank tune: the refit: %s\n", error);
      goto done;
    }
    if (mrank_interrupted) {
      status = mrank_tune_interrupted();
      goto done;
    }
    if (fit.diverged_at > 0) {
      fprintf(stderr,
              "mrank tune: the refit on all %zu queries diverged at epoch %u (the validation "
              "run did not); try --no-refit or a smaller lr. No model written\n",
              all->queries, fit.diverged_at);
      status = 1;
      goto done;
    }
    if (!json) {
      printf("refit: the best setting on all %zu queries for %u epochs\n", all->queries,
             best.best_epoch);
    }
  }
  if (!rank_model_save(&best, model_path, error, sizeof error)) {
    fprintf(stderr, "mrank tune: %s\n", error);
    goto done;
  }
  if (!json) printf("best model written to %s\n", model_path);
  status = 0;
done:
  for (size_t s = 0; results != NULL && s < settings; ++s) {
    free(results[s].weights);
    free(results[s].curve);
    free(results[s].pair_curve);
    free(results[s].reached);
    free(results[s].pairs_reached);
  }
  free(results);
  rank_trainer_destroy(trainer);
  rank_dataset_free(&pool);
  rank_dataset_free(&train);
  rank_dataset_free(&valid);
  return status;
}
