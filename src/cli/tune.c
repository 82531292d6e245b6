/* tune.c: `mrank tune`, a grid search over the hyperparameters a user of this loss must choose,
 * on the public ranking API (mrank_tune in mrank_rank.h): the options go to
 * mrank_train_options_set, the search to mrank_tune, whose table this prints (text or --json). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/scoring.h"
#include "cli/train_options.h"
#include "mrank_rank.h"

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

enum { max_grids = 8 };

typedef struct tune_settings {
  const char *train, *query, *valid, *valid_query, *model;
  int json, refit, scorer_mlp;
  size_t folds, features;
  double max_label;
  const char *grids[max_grids];
  size_t grid_count;
  mrank_train_options *options;
} tune_settings;

/* The training options tune takes (mrank train's shared ones, --scorer, --device), by the
 * library's parser: 1 taken, 0 not one of them, -1 a bad value (said). */
static int parse_training_option(int argc, char **argv, int *i, tune_settings *s) {
  static const char *const names[] = {
      "--margin",          "--lr",       "--l2",     "--l1",
      "--holdout",         "--momentum", "--epochs", "--batch-queries",
      "--pairs-per-query", "--patience", "--seed",   "--scale",
      "--scorer",          "--device"};
  const char *arg = argv[*i];
  if (strcmp(arg, "--average") == 0 || strcmp(arg, "--no-average") == 0) {
    return mrank_train_options_set(s->options, "--average",
                                   strcmp(arg, "--average") == 0 ? "true" : "false") ==
                   MRANK_SUCCESS
               ? 1
               : -1;
  }
  for (size_t k = 0; k < sizeof names / sizeof names[0]; ++k) {
    if (!mrank_is_option(arg, names[k])) continue;
    const char *value = mrank_option_value(argc, argv, i, names[k]);
    if (value == NULL) return -1;
    if (mrank_train_options_set(s->options, names[k], value) != MRANK_SUCCESS) {
      mrank_error("%s", mrank_last_error());
      return -1;
    }
    if (strcmp(names[k], "--scorer") == 0) s->scorer_mlp = strcmp(value, "mlp") == 0;
    return 1;
  }
  return 0;
}

/* The tool's own options: 1 taken, 0 an error (said). */
static int parse_tool_option(int argc, char **argv, int *i, tune_settings *s) {
  const char *arg = argv[*i];
  if (strcmp(arg, "--json") == 0) return s->json = 1;
  if (strcmp(arg, "--refit") == 0 || strcmp(arg, "--no-refit") == 0) {
    s->refit = strcmp(arg, "--refit") == 0;
    return 1;
  }
  if (mrank_is_option(arg, "--max-label"))
    return mrank_parse_max_label(argc, argv, i, &s->max_label);
  static const char *const names[] = {"--train", "--query", "--valid",    "--valid-query",
                                      "--model", "--folds", "--features", "--grid"};
  const char **targets[] = {&s->train, &s->query, &s->valid, &s->valid_query, &s->model};
  int which = -1;
  for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k) {
    if (mrank_is_option(arg, names[k])) which = k;
  }
  if (which < 0) {
    fprintf(stderr, "mrank tune: unknown option \"%s\"; see 'mrank tune --help'\n", arg);
    return 0;
  }
  const char *value = mrank_option_value(argc, argv, i, names[which]);
  if (value == NULL) return 0;
  if (which < 5) {
    *targets[which] = value;
  } else if (which == 5) {
    if (!mrank_parse_size("--folds", value, &s->folds)) return 0;
    if (s->folds < 2 || s->folds > 20) {
      mrank_error("--folds is a whole number from 2 to 20, not %s", value);
      return 0;
    }
  } else if (which == 6) {
    uint64_t count = 0;
    if (!mrank_parse_u64("--features", value, &count)) return 0;
    if (count == 0 || count > ((size_t)1 << 24)) {
      mrank_error("--features must be 1 to %zu, not %s", (size_t)1 << 24, value);
      return 0;
    }
    s->features = (size_t)count;
  } else {
    if (s->grid_count == max_grids) {
      mrank_error("at most %d --grid options", max_grids);
      return 0;
    }
    s->grids[s->grid_count++] = value;
  }
  return 1;
}

/* -1 help, 0 an error (said), 1 parsed and checked. */
static int parse_tune(int argc, char **argv, tune_settings *s) {
  if (mrank_train_options_create(&s->options) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 0;
  }
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return -1;
    const int training = parse_training_option(argc, argv, &i, s);
    if (training < 0) return 0;
    if (training == 0 && !parse_tool_option(argc, argv, &i, s)) return 0;
  }
  /* the scorer named as on the command line: the library's messages then say --grid, --lr */
  mrank_train_options_set(s->options, "--scorer", s->scorer_mlp ? "mlp" : "linear");
  if (mrank_tune_check(s->grids, s->grid_count, s->options) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_last_error());
    return 0;
  }
  if (s->train == NULL || (s->valid == NULL && s->folds == 0) || s->model == NULL) {
    mrank_error(
        "--train, --valid (or --folds K) and --model are required; see 'mrank tune --help'");
    return 0;
  }
  if (s->folds > 0 && !s->refit) {
    mrank_error(
        "--folds trains each setting K times on parts of the data: the model written is "
        "the refit on all of it (leave out --no-refit)");
    return 0;
  }
  if (s->valid_query != NULL && s->valid == NULL) {
    mrank_error("--valid-query needs --valid");
    return 0;
  }
  const mrank_path inputs[] = {{"--train", s->train},
                               {"--query", s->query},
                               {"--valid", s->valid},
                               {"--valid-query", s->valid_query}};
  const mrank_path outputs[] = {{"--model", s->model}};
  return mrank_check_paths(inputs, 4, outputs, 1);
}

/* What the search tells: its progress lines on stderr (not with --json); Ctrl-C stops it. */
static int on_progress(const mrank_train_progress *p, void *user) {
  const tune_settings *s = user;
  if ((p->kind == MRANK_PROGRESS_NOTE || p->kind == MRANK_PROGRESS_WARNING) && !s->json) {
    fprintf(stderr, "%s\n", p->text);
  }
  return mrank_interrupted != 0;
}

static void print_value(double value) {
  if (isnan(value)) {
    printf("null");
  } else {
    printf("%.6f", value);
  }
}

static void print_json_row(const mrank_tune_setting *r, int mlp, int last) {
  printf("  {\"setting\": ");
  mrank_json_string(stdout, r->setting);
  if (mlp) {
    printf(", \"hidden\": ");
    mrank_json_string(stdout, r->hidden);
    printf(", \"dropout\": %g, \"lr\": %g, \"weight_decay\": %g, \"skip\": ", r->dropout, r->lr,
           r->weight_decay);
    mrank_json_string(stdout, r->skip);
    printf(", \"bins\": %zu, \"best_epoch\": %u, \"ndcg@10\": ", r->bins, r->best_epoch);
    print_value(r->ndcg10);
  } else {
    printf(
        ", \"lr\": %g, \"margin\": %g, \"l2\": %g, \"batch_queries\": %u, \"momentum\": %g, "
        "\"pairs_per_query\": %u, \"average\": %u, \"best_epoch\": %u, \"ndcg@10\": %.6f, "
        "\"pair_accuracy\": ",
        r->lr, r->margin, r->l2, r->batch_queries, r->momentum, r->pairs_per_query, r->average,
        r->best_epoch, r->found ? r->ndcg10 : 0.0);
    print_value(r->pair_accuracy);
  }
  printf(", \"seconds\": %.4f, \"diverged_at_epoch\": %u}%s\n", r->seconds, r->diverged_at_epoch,
         last ? "" : ",");
}

static void print_text_row(const mrank_tune_setting *r, int mlp, int width) {
  if (!r->found && mlp) {
    printf("%-*s %5s %8s %8.2f  diverged at epoch %u\n", width, r->setting, "-", "-", r->seconds,
           r->diverged_at_epoch);
    return;
  }
  if (!r->found) {
    printf("%-*s %5s %8s %8s %8.2f  diverged at epoch %u\n", width, r->setting, "-", "-", "-",
           r->seconds, r->diverged_at_epoch);
    return;
  }
  printf("%-*s %5u %8.4f ", width, r->setting, r->best_epoch, r->ndcg10);
  if (!mlp) {
    if (isnan(r->pair_accuracy)) {
      printf("%8s ", "n/a");
    } else {
      printf("%8.4f ", r->pair_accuracy);
    }
  }
  printf("%8.2f", r->seconds);
  if (!mlp && r->diverged_at_epoch > 0) printf("  diverged at epoch %u", r->diverged_at_epoch);
  printf("\n");
}

/* The table, best first, as text or one JSON object. */
static void print_table(const tune_settings *s, const mrank_tune_result *result) {
  const size_t count = mrank_tune_result_count(result);
  const int mlp = s->scorer_mlp;
  int width = mlp ? 60 : (int)strlen("setting");
  mrank_tune_setting r;
  for (size_t k = 0; k < count && !mlp; ++k) {
    mrank_tune_result_setting(result, k, &r);
    if ((int)strlen(r.setting) > width) width = (int)strlen(r.setting);
  }
  if (s->json) {
    printf("{\"scorer\": \"%s\", \"chosen_on\": \"%s\"", mlp ? "mlp" : "linear",
           s->folds > 0 ? "folds" : "valid");
    if (!mlp) {
      printf(", \"device\": ");
      mrank_json_string(stdout, mrank_tune_result_device(result));
    }
    printf(", \"results\": [\n");
  } else if (mlp) {
    printf("%-60s %5s %8s %8s\n", "setting", "epoch", "NDCG@10", "seconds");
  } else {
    printf("%-*s %5s %8s %8s %8s\n", width, "setting", "epoch", "NDCG@10", "pairacc", "seconds");
  }
  for (size_t k = 0; k < count; ++k) {
    mrank_tune_result_setting(result, k, &r);
    if (s->json) {
      print_json_row(&r, mlp, k + 1 == count);
    } else {
      print_text_row(&r, mlp, width);
    }
  }
  if (s->json) printf("]}\n");
}

/* After the search: the table, the model written, the closing lines; the exit status. */
static int finish(const tune_settings *s, mrank_status status, const mrank_tune_result *result,
                  const mrank_model *model, size_t queries) {
  if (status == MRANK_ERROR_STOPPED || (status == MRANK_SUCCESS && mrank_interrupted)) {
    return mrank_tune_interrupted();
  }
  if (status != MRANK_SUCCESS && status != MRANK_ERROR_DIVERGED) {
    mrank_error("%s", mrank_api_error());
    return 2;
  }
  char diverged[1024]; /* said after the table, which reads the result (and clears the error) */
  snprintf(diverged, sizeof diverged, "%s", mrank_api_error());
  if (result != NULL) print_table(s, result);
  if (status == MRANK_ERROR_DIVERGED) {
    mrank_error("%s written", diverged);
    return 1;
  }
  if (mrank_model_save(model, s->model) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 2;
  }
  if (!s->json) {
    mrank_tune_setting best;
    mrank_tune_result_setting(result, 0, &best);
    if (s->scorer_mlp) {
      printf("%s: the best setting on %zu queries for %u epochs\n", s->refit ? "refit" : "trained",
             queries, best.best_epoch);
    } else if (s->refit) {
      printf("refit: the best setting on all %zu queries for %u epochs\n", queries,
             best.best_epoch);
    }
    printf("best model written to %s\n", s->model);
  }
  return 0;
}

int mrank_cmd_tune(int argc, char **argv) {
  tune_settings s = {.refit = 1, .max_label = 31};
  const int parsed = parse_tune(argc, argv, &s);
  int status = 2;
  mrank_dataset *train = NULL, *valid = NULL;
  if (parsed < 0) {
    fputs(mrank_tune_help, stdout);
    status = 0;
  } else if (parsed > 0 && mrank_load_train_valid(s.train, s.query, s.valid, s.valid_query,
                                                  s.features, s.max_label, &train, &valid)) {
    /* SIGINT and SIGTERM end the search after the epoch under way: an unfinished search has
     * chosen nothing, so it says how far it got and writes no model */
    mrank_catch_interrupts();
    size_t train_queries = 0, valid_queries = 0;
    mrank_dataset_info(train, NULL, NULL, &train_queries, NULL);
    if (valid != NULL) mrank_dataset_info(valid, NULL, NULL, &valid_queries, NULL);
    const size_t refit_queries = train_queries + (valid != NULL && s.refit ? valid_queries : 0);
    mrank_tune_result *result = NULL;
    mrank_model *model = NULL;
    const mrank_status searched = mrank_tune(train, valid, s.folds, s.grids, s.grid_count, s.refit,
                                             s.options, on_progress, &s, &result, &model);
    status = finish(&s, searched, result, model, refit_queries);
    mrank_tune_result_destroy(result);
    mrank_model_destroy(model);
  }
  mrank_dataset_destroy(train);
  mrank_dataset_destroy(valid);
  mrank_train_options_destroy(s.options);
  return status;
}
