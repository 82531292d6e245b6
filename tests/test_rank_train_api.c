/* test_rank_train_api.c: training through the public ranking API (mrank_train_options_*,
 * mrank_train) as another program calls it, linked with libmrank alone: the model it returns for
 * arrays is byte for byte the file `mrank train` writes for the same data in a file with the same
 * options; the options parser refuses what mrank train refuses, with its messages; the callback
 * sees every epoch and stops training as Ctrl-C stops the command. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "mrank_rank.h"

enum { QUERIES = 30, DOCS = 10, FEATURES = 5, ROWS = QUERIES * DOCS };

/* Seeded data with a planted linear order: features in [0, 1) with 4 decimals (exact in float
 * and in text), labels 0-3 from the planted score. */
typedef struct arrays {
  float values[ROWS * FEATURES], labels[ROWS];
  int64_t qid[ROWS];
} arrays;

static void make_arrays(arrays *a, unsigned seed) {
  unsigned long long state = seed * 2654435761ull + 1;
  static const float planted[FEATURES] = {1.0f, -0.5f, 0.25f, 2.0f, 0.0f};
  for (size_t r = 0; r < ROWS; ++r) {
    float score = 0.0f;
    for (size_t f = 0; f < FEATURES; ++f) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      a->values[r * FEATURES + f] = (float)((state >> 33) % 10000) / 10000.0f;
      score += planted[f] * a->values[r * FEATURES + f];
    }
    a->labels[r] = score > 1.6f ? 3.0f : score > 1.1f ? 2.0f : score > 0.6f ? 1.0f : 0.0f;
    a->qid[r] = (int64_t)(r / DOCS) + 1;
  }
}

static void write_svmlight(const arrays *a, const char *path) {
  FILE *file = fopen(path, "w");
  cr_assert_not_null(file);
  for (size_t r = 0; r < ROWS; ++r) {
    fprintf(file, "%g qid:%lld", a->labels[r], (long long)a->qid[r]);
    for (size_t f = 0; f < FEATURES; ++f)
      fprintf(file, " %zu:%.4f", f + 1, a->values[r * FEATURES + f]);
    fputc('\n', file);
  }
  cr_assert_eq(fclose(file), 0);
}

static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  cr_assert_not_null(file, "%s", path);
  fseek(file, 0, SEEK_END);
  const long size = ftell(file);
  rewind(file);
  char *text = calloc((size_t)size + 1, 1);
  cr_assert_eq(fread(text, 1, (size_t)size, file), (size_t)size);
  fclose(file);
  return text;
}

static mrank_dataset *dense(const arrays *a) {
  mrank_dataset *data = NULL;
  cr_assert_eq(
      mrank_dataset_from_dense(ROWS, FEATURES, a->values, a->labels, a->qid, NULL, 0, &data),
      MRANK_SUCCESS, "%s", mrank_last_error());
  return data;
}

/* options from "name=value" pairs separated by spaces */
static mrank_train_options *options_of(const char *pairs) {
  mrank_train_options *options = NULL;
  cr_assert_eq(mrank_train_options_create(&options), MRANK_SUCCESS);
  char copy[512];
  snprintf(copy, sizeof copy, "%s", pairs);
  for (char *pair = strtok(copy, " "); pair != NULL; pair = strtok(NULL, " ")) {
    char *equals = strchr(pair, '=');
    cr_assert_not_null(equals, "%s", pair);
    *equals = '\0';
    cr_assert_eq(mrank_train_options_set(options, pair, equals + 1), MRANK_SUCCESS, "%s=%s: %s",
                 pair, equals + 1, mrank_last_error());
  }
  return options;
}

/* The same training by the command on the file: its model file's text. */
static char *trained_by_command(const char *data_path, const char *arguments, const char *dir) {
  char command[1024], model[256], *out = NULL;
  snprintf(model, sizeof model, "%s/command.model", dir);
  snprintf(command, sizeof command, "train --train %s --model %s --quiet %s", data_path, model,
           arguments);
  cr_assert_eq(run_cli("", command, &out), 0, "%s", out);
  free(out);
  return read_file(model);
}

Test(rank_train_api, arrays_train_the_model_mrank_train_writes_for_the_file) {
  arrays a;
  make_arrays(&a, 1);
  char dir[64] = "/tmp/mrank-train-api-XXXXXX", path[128];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/data.txt", dir);
  write_svmlight(&a, path);
  mrank_dataset *data = dense(&a);
  /* each with its command-line form: the defaults (l2 and epochs chosen on held-out folds, then
   * the refit), the options as given, and the MLP */
  const char *runs[][2] = {
      {"", ""},
      {"holdout=0 epochs=4 lr=0.1 seed=7 pairs-per-query=6",
       "--holdout 0 --epochs 4 --lr 0.1 --seed 7 --pairs-per-query 6"},
      {"scorer=mlp hidden=4 epochs=2 bins=2 device=host",
       "--scorer mlp --hidden 4 --epochs 2 --bins 2 --device host"},
  };
  for (size_t k = 0; k < sizeof runs / sizeof runs[0]; ++k) {
    mrank_train_options *options = options_of(runs[k][0]);
    mrank_model *model = NULL;
    cr_assert_eq(mrank_train(data, NULL, options, NULL, NULL, &model), MRANK_SUCCESS, "%s: %s",
                 runs[k][0], mrank_last_error());
    char *text = NULL, *want = trained_by_command(path, runs[k][1], dir);
    cr_assert_eq(mrank_model_to_string(model, &text), MRANK_SUCCESS);
    cr_assert_str_eq(text, want, "options \"%s\"", runs[k][0]);
    mrank_model_description d;
    cr_assert_eq(mrank_model_info(model, &d), MRANK_SUCCESS);
    cr_assert_str_eq(d.note, "", "a run that was not stopped has no note");
    mrank_string_free(text);
    free(want);
    mrank_model_destroy(model);
    mrank_train_options_destroy(options);
  }
  mrank_dataset_destroy(data);
  char command[128];
  snprintf(command, sizeof command, "rm -rf %s", dir);
  cr_assert_eq(system(command), 0);
}

Test(rank_train_api, options_are_parsed_as_mrank_train_parses_them) {
  size_t count = 0;
  const char *const *names = mrank_train_option_names(&count);
  cr_assert_eq(count, 23, "the names of mrank train --help's training options");
  /* a value each takes, and one each refuses with the range in words */
  static const char *const cases[][4] = {
      {"scorer", "mlp", "tree", "linear or mlp"},
      {"margin", "0.5", "inf", "a finite number"},
      {"lr", "0.01", "0", "greater than 0"},
      {"l2", "0", "-1", "0 or more"},
      {"l1", "1e-3", "x", "expects a number (0 or more)"},
      {"momentum", "0.5", "1", "at least 0 and less than 1"},
      {"epochs", "3", "2.5", "a whole number from 1"},
      {"batch-queries", "4", "0", "a whole number from 1"},
      {"pairs-per-query", "0", "-1", "from 0 (every pair)"},
      {"patience", "0", "1e12", "from 0 (never stop early)"},
      {"holdout", "0.5", "0.6", "from 0 (none) to 0.5"},
      {"seed", "18446744073709551615", "-1", "a non-negative whole number"},
      {"scale", "max", "log", "auto, max or none"},
      {"average", "false", "maybe", "true or false"},
      {"hidden", "64,32", "0", ""},
      {"bins", "64", "65", "from 0 to 64"},
      {"dropout", "0", "1", "a probability in [0, 1)"},
      {"optimizer", "sgd", "rmsprop", "sgd, momentum or adam"},
      {"weight-decay", "0", "-1", "a number >= 0"},
      {"skip", "none", "all", "base, linear or none"},
      {"gemm", "dense", "cublas", "auto, dense or clblast"},
      {"device", "host", "", "a device selector"},
      {"profile", "true", "2", "true or false"},
  };
  cr_assert_eq(sizeof cases / sizeof cases[0], count);
  mrank_train_options *options = NULL;
  cr_assert_eq(mrank_train_options_create(&options), MRANK_SUCCESS);
  for (size_t k = 0; k < count; ++k) {
    cr_assert_str_eq(names[k], cases[k][0]);
    cr_assert_eq(mrank_train_options_set(options, cases[k][0], cases[k][1]), MRANK_SUCCESS,
                 "%s=%s: %s", cases[k][0], cases[k][1], mrank_last_error());
    cr_assert_eq(mrank_train_options_set(options, cases[k][0], cases[k][2]),
                 MRANK_ERROR_INVALID_ARGUMENT, "%s=%s", cases[k][0], cases[k][2]);
    cr_assert_not_null(strstr(mrank_last_error(), cases[k][0]), "%s", mrank_last_error());
    cr_assert_not_null(strstr(mrank_last_error(), cases[k][3]), "%s", mrank_last_error());
  }
  /* the command line's form, and its messages */
  cr_assert_eq(mrank_train_options_set(options, "--lr", "abc"), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_str_eq(mrank_last_error(), "--lr expects a number (greater than 0), not \"abc\"");
  cr_assert_eq(mrank_train_options_set(options, "learning-rate", "0.1"),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "unknown training option \"learning-rate\""));
  cr_assert_eq(mrank_train_options_set(options, "pairs_per_query", "3"),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "did you mean \"pairs-per-query\""), "%s",
                     mrank_last_error());
  cr_assert_eq(mrank_train_options_set(NULL, "lr", "1"), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_train_options_set(options, NULL, "1"), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_train_options_set(options, "lr", NULL), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "\"lr\""));
  mrank_train_options_destroy(options);
  /* an MLP option needs the MLP */
  options = options_of("hidden=8");
  cr_assert_eq(mrank_train_options_check(options), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "go with scorer mlp"), "%s", mrank_last_error());
  cr_assert_eq(mrank_train_options_set(options, "scorer", "mlp"), MRANK_SUCCESS);
  cr_assert_eq(mrank_train_options_check(options), MRANK_SUCCESS, "%s", mrank_last_error());
  mrank_train_options_destroy(options);
  mrank_train_options_destroy(NULL);
}

typedef struct seen {
  unsigned epochs, notes, batches, stop_at_epoch, stop_at_note, checkpoints;
  char stages[512];
} seen;

static int watch(const mrank_train_progress *p, void *user) {
  seen *s = user;
  if (p->kind == MRANK_PROGRESS_NOTE) {
    cr_assert_not_null(p->text);
    return ++s->notes == s->stop_at_note;
  }
  if (p->kind == MRANK_PROGRESS_BATCH) {
    cr_assert(p->fraction > 0.0 && p->fraction <= 1.0, "%g", p->fraction);
    s->batches++;
    return 0;
  }
  if (p->kind != MRANK_PROGRESS_EPOCH) return 0;
  if (strstr(s->stages, p->stage) == NULL && strlen(s->stages) + strlen(p->stage) + 2 < 512) {
    strcat(s->stages, p->stage);
    strcat(s->stages, ";");
  }
  s->checkpoints += p->model != NULL;
  return ++s->epochs == s->stop_at_epoch;
}

Test(rank_train_api, the_callback_sees_every_epoch_and_stops_training) {
  arrays a;
  make_arrays(&a, 2);
  mrank_dataset *data = dense(&a);
  mrank_train_options *plain = options_of("holdout=0 epochs=5 batch-queries=4");
  seen s = {0};
  mrank_model *model = NULL;
  cr_assert_eq(mrank_train(data, NULL, plain, watch, &s, &model), MRANK_SUCCESS, "%s",
               mrank_last_error());
  /* 30 queries in batches of 4: 8 batches an epoch */
  cr_assert(s.epochs == 5 && s.batches == 40 && s.checkpoints == 5, "%u %u %u", s.epochs, s.batches,
            s.checkpoints);
  cr_assert_str_eq(s.stages, "training;");
  mrank_model_destroy(model);
  /* stopped after epoch 2: the model of epoch 2 (without validation data every epoch is the
   * best so far) */
  memset(&s, 0, sizeof s);
  s.stop_at_epoch = 2;
  cr_assert_eq(mrank_train(data, NULL, plain, watch, &s, &model), MRANK_SUCCESS);
  mrank_model_description d;
  cr_assert_eq(mrank_model_info(model, &d), MRANK_SUCCESS);
  cr_assert(d.best_epoch == 2 && s.epochs == 2, "%u %u", d.best_epoch, s.epochs);
  mrank_model_destroy(model);
  /* stopped at the set-up note, before any epoch: no model */
  memset(&s, 0, sizeof s);
  s.stop_at_note = 1;
  model = (mrank_model *)&s;
  cr_assert_eq(mrank_train(data, NULL, plain, watch, &s, &model), MRANK_ERROR_STOPPED);
  cr_assert_null(model);
  cr_assert_eq(s.epochs, 0);
  /* the defaults: folds of held-out queries, then the refit; stopped in the first fold, the
   * model is that walk's best point, said so */
  mrank_train_options *defaults = options_of("");
  memset(&s, 0, sizeof s);
  cr_assert_eq(mrank_train(data, NULL, defaults, watch, &s, &model), MRANK_SUCCESS);
  cr_assert_not_null(strstr(s.stages, "fold 1 of "), "%s", s.stages);
  cr_assert_not_null(strstr(s.stages, "refit;"), "%s", s.stages);
  mrank_model_destroy(model);
  memset(&s, 0, sizeof s);
  s.stop_at_epoch = 3;
  cr_assert_eq(mrank_train(data, NULL, defaults, watch, &s, &model), MRANK_SUCCESS);
  cr_assert_eq(mrank_model_info(model, &d), MRANK_SUCCESS);
  cr_assert_not_null(strstr(d.note, "the best point of fold 1's walk"), "%s", d.note);
  cr_assert(d.path_count >= 1 && d.best_epoch >= 1, "%zu %u", d.path_count, d.best_epoch);
  mrank_model_destroy(model);
  mrank_train_options_destroy(plain);
  mrank_train_options_destroy(defaults);
  mrank_dataset_destroy(data);
}

Test(rank_train_api, bad_arguments_and_divergence_are_said) {
  arrays a;
  make_arrays(&a, 3);
  mrank_dataset *data = dense(&a), *narrow = NULL, *wide = NULL;
  mrank_train_options *options = options_of("holdout=0 epochs=2");
  mrank_model *model = NULL;
  cr_assert_eq(mrank_train(NULL, NULL, options, NULL, NULL, &model), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "train is NULL"));
  cr_assert_eq(mrank_train(data, NULL, NULL, NULL, NULL, &model), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "options is NULL"));
  cr_assert_eq(mrank_train(data, NULL, options, NULL, NULL, NULL), MRANK_ERROR_INVALID_ARGUMENT);
  /* validation data of fewer features is widened with zeros; of more, refused */
  float more[ROWS * (FEATURES + 1)];
  memset(more, 0, sizeof more);
  cr_assert_eq(
      mrank_dataset_from_dense(ROWS, FEATURES - 2, a.values, a.labels, a.qid, NULL, 0, &narrow),
      MRANK_SUCCESS);
  cr_assert_eq(mrank_dataset_from_dense(ROWS, FEATURES + 1, more, a.labels, a.qid, NULL, 0, &wide),
               MRANK_SUCCESS);
  cr_assert_eq(mrank_train(data, narrow, options, NULL, NULL, &model), MRANK_SUCCESS, "%s",
               mrank_last_error());
  mrank_model_destroy(model);
  cr_assert_eq(mrank_train(data, wide, options, NULL, NULL, &model), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "valid has 6 features but train 5"), "%s",
                     mrank_last_error());
  cr_assert_null(model);
  /* an MLP option without the MLP */
  mrank_train_options *mixed = options_of("dropout=0.1");
  cr_assert_eq(mrank_train(data, NULL, mixed, NULL, NULL, &model), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "go with scorer mlp"));
  /* a learning rate that makes the weights overflow float: diverged, no model, and what to do */
  mrank_train_options *wild = options_of("holdout=0 epochs=3 lr=1e38 scale=none");
  cr_assert_eq(mrank_train(data, NULL, wild, NULL, NULL, &model), MRANK_ERROR_DIVERGED);
  cr_assert_null(model);
  cr_assert_not_null(strstr(mrank_last_error(), "diverged"), "%s", mrank_last_error());
  cr_assert_not_null(strstr(mrank_last_error(), "lower lr (1e+38 now)"), "%s", mrank_last_error());
  mrank_train_options_destroy(wild);
  mrank_train_options_destroy(mixed);
  mrank_train_options_destroy(options);
  mrank_dataset_destroy(narrow);
  mrank_dataset_destroy(wide);
  mrank_dataset_destroy(data);
}

Test(rank_train_api, a_data_sets_queries_and_columns_are_its_arrays) {
  arrays a;
  make_arrays(&a, 4);
  mrank_dataset *data = dense(&a);
  uint64_t qid[QUERIES];
  size_t documents[QUERIES], pairs[QUERIES], all_pairs = 0, counted = 0;
  cr_assert_eq(mrank_dataset_queries(data, qid, documents, pairs, QUERIES), MRANK_SUCCESS, "%s",
               mrank_last_error());
  cr_assert_eq(mrank_dataset_info(data, NULL, NULL, NULL, &all_pairs), MRANK_SUCCESS);
  for (size_t q = 0; q < QUERIES; ++q) {
    cr_assert(qid[q] == q + 1 && documents[q] == DOCS, "query %zu: %llu %zu", q,
              (unsigned long long)qid[q], documents[q]);
    size_t want = 0; /* the ordered pairs label_i > label_j, counted here the plain way */
    for (size_t i = 0; i < DOCS; ++i)
      for (size_t j = 0; j < DOCS; ++j)
        want += a.labels[q * DOCS + i] > a.labels[q * DOCS + j];
    cr_assert_eq(pairs[q], want, "query %zu", q);
    counted += pairs[q];
  }
  cr_assert_eq(counted, all_pairs);
  cr_assert_eq(mrank_dataset_queries(data, qid, NULL, NULL, QUERIES - 1),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "the data has 30 queries"));
  float column[ROWS];
  cr_assert_eq(mrank_dataset_column(data, 3, column, ROWS), MRANK_SUCCESS);
  for (size_t r = 0; r < ROWS; ++r)
    cr_assert_eq(column[r], a.values[r * FEATURES + 3], "row %zu", r);
  cr_assert_eq(mrank_dataset_column(data, FEATURES, column, ROWS), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_dataset_column(data, 0, column, ROWS + 1), MRANK_ERROR_INVALID_ARGUMENT);
  /* scores NULL: the expectation over random orders, whose pair accuracy is exactly one half
   * (each ordered pair is either way round with probability 1/2) */
  mrank_metrics m;
  cr_assert_eq(mrank_evaluate(NULL, data, NULL, 0, &m, NULL), MRANK_SUCCESS, "%s",
               mrank_last_error());
  cr_assert(fabs(m.pair_accuracy - 0.5) < 1e-12, "%.17g", m.pair_accuracy);
  mrank_dataset_destroy(data);
}

static int stop_at_second_note(const mrank_train_progress *p, void *user) {
  unsigned *notes = user;
  return p->kind == MRANK_PROGRESS_NOTE && ++*notes == 2;
}

Test(rank_train_api, tune_returns_mrank_tunes_table_and_model) {
  arrays a, b;
  make_arrays(&a, 5);
  make_arrays(&b, 6);
  char dir[64] = "/tmp/mrank-tune-api-XXXXXX", train_path[128], valid_path[128];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(train_path, sizeof train_path, "%s/train.txt", dir);
  snprintf(valid_path, sizeof valid_path, "%s/valid.txt", dir);
  write_svmlight(&a, train_path);
  write_svmlight(&b, valid_path);
  mrank_dataset *train = dense(&a), *valid = dense(&b);
  const char *grids[] = {"lr=0.1,0.01", "l2=0.01,0.0001"};
  mrank_train_options *options = options_of("epochs=4");
  /* on valid, with the refit; then 3 folds: the command's model bytes, and its table's order */
  const size_t folds[] = {0, 3};
  for (int k = 0; k < 2; ++k) {
    mrank_tune_result *result = NULL;
    mrank_model *model = NULL;
    cr_assert_eq(
        mrank_tune(train, valid, folds[k], grids, 2, 1, options, NULL, NULL, &result, &model),
        MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert_eq(mrank_tune_result_count(result), 4);
    mrank_tune_setting best, row;
    cr_assert_eq(mrank_tune_result_setting(result, 0, &best), MRANK_SUCCESS);
    cr_assert(best.found && best.best_epoch >= 1 && best.best_epoch <= 4, "%u", best.best_epoch);
    for (size_t r = 1; r < 4; ++r) {
      cr_assert_eq(mrank_tune_result_setting(result, r, &row), MRANK_SUCCESS);
      cr_assert(row.ndcg10 <= best.ndcg10, "best first: row %zu %g > %g", r, row.ndcg10,
                best.ndcg10);
    }
    cr_assert_eq(mrank_tune_result_setting(result, 4, &row), MRANK_ERROR_INVALID_ARGUMENT);
    /* the command: on --valid, or folds cut from --train and --valid together */
    char command[2048], model_path[256], *out = NULL, *text = NULL;
    snprintf(model_path, sizeof model_path, "%s/tuned.model", dir);
    snprintf(command, sizeof command,
             "tune --train %s --valid %s --model %s --json --epochs 4 --grid lr=0.1,0.01 --grid "
             "l2=0.01,0.0001 %s",
             train_path, valid_path, model_path, k == 0 ? "" : "--folds 3");
    cr_assert_eq(run_cli("", command, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, best.setting), "the best setting first: %s\n%s", best.setting,
                       out);
    free(out);
    char *want = read_file(model_path);
    cr_assert_eq(mrank_model_to_string(model, &text), MRANK_SUCCESS);
    cr_assert_str_eq(text, want, "folds %zu", folds[k]);
    free(want);
    mrank_string_free(text);
    mrank_model_destroy(model);
    mrank_tune_result_destroy(result);
  }
  /* what is refused, named as the library's caller named it */
  mrank_tune_result *result = NULL;
  mrank_model *model = NULL;
  const char *bad[] = {"lr=0.1,fast"};
  cr_assert_eq(mrank_tune(train, valid, 0, bad, 1, 1, options, NULL, NULL, &result, &model),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "grid lr: \"fast\" is not a number"), "%s",
                     mrank_last_error());
  cr_assert_eq(mrank_tune_check(bad, 1, options), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_tune(train, NULL, 0, grids, 2, 1, options, NULL, NULL, &result, &model),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "give valid data, or folds"));
  cr_assert_eq(mrank_tune(train, valid, 1, grids, 2, 1, options, NULL, NULL, &result, &model),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_tune(train, valid, 3, grids, 2, 0, options, NULL, NULL, &result, &model),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert(result == NULL && model == NULL);
  /* stopped by the callback: nothing chosen, no model */
  unsigned notes = 0;
  cr_assert_eq(mrank_tune(train, valid, 0, grids, 2, 1, options, stop_at_second_note, &notes,
                          &result, &model),
               MRANK_ERROR_STOPPED);
  cr_assert_null(model);
  mrank_tune_result_destroy(result);
  mrank_train_options_destroy(options);
  mrank_dataset_destroy(train);
  mrank_dataset_destroy(valid);
  char command[128];
  snprintf(command, sizeof command, "rm -rf %s", dir);
  cr_assert_eq(system(command), 0);
}
