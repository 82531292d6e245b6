/* test_rank_api.c: the public ranking API (mrank_rank.h) as another program calls it: linked with
 * libmrank alone, through the public headers alone. Its scores are mrank predict's and its
 * metrics mrank eval's for the same model and data; arrays give what the file gives; a model's
 * text is its file; bad arguments are refused with what was wrong. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "mrank_rank.h"

/* A synthetic file and models of both scorers trained on it by the mrank command. */
typedef struct fixture {
  char dir[64], data[128], linear[160], mlp[160];
} fixture;

static void make_fixture(fixture *f) {
  snprintf(f->dir, sizeof f->dir, "/tmp/mrank-api-XXXXXX");
  cr_assert_not_null(mkdtemp(f->dir));
  snprintf(f->data, sizeof f->data, "%s/data.txt", f->dir);
  snprintf(f->linear, sizeof f->linear, "%s/linear.model", f->dir);
  snprintf(f->mlp, sizeof f->mlp, "%s/mlp.model", f->dir);
  char arguments[1024], *out = NULL;
  snprintf(arguments, sizeof arguments,
           "synth --queries 30 --docs 12 --features 6 --nonlinear 0.5 --out %s && '%s' train "
           "--train %s --model %s --epochs 3 --quiet && '%s' train --scorer mlp --train %s "
           "--model %s --epochs 3 --hidden 8 --quiet",
           f->data, MRANK_CLI_PATH, f->data, f->linear, MRANK_CLI_PATH, f->data, f->mlp);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
}

static void remove_fixture(const fixture *f) {
  char command[256];
  snprintf(command, sizeof command, "rm -rf %s", f->dir);
  cr_assert_eq(system(command), 0);
}

/* The lines of `mrank predict` as numbers. */
static double *predicted(const char *model, const char *data, size_t rows) {
  char arguments[512], *out = NULL;
  snprintf(arguments, sizeof arguments, "predict --model %s --data %s", model, data);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  double *scores = malloc(rows * sizeof *scores);
  char *p = out;
  for (size_t r = 0; r < rows; ++r)
    scores[r] = strtod(p, &p);
  free(out);
  return scores;
}

Test(rank_api, scores_and_metrics_are_predicts_and_evals) {
  fixture f;
  make_fixture(&f);
  mrank_dataset *data = NULL;
  cr_assert_eq(mrank_dataset_load(f.data, NULL, &data), MRANK_SUCCESS, "%s", mrank_last_error());
  size_t rows = 0, features = 0, queries = 0, pairs = 0;
  cr_assert_eq(mrank_dataset_info(data, &rows, &features, &queries, &pairs), MRANK_SUCCESS);
  cr_assert(rows == 360 && features == 6 && queries == 30, "%zu %zu %zu", rows, features, queries);
  const char *models[] = {f.linear, f.mlp};
  for (int m = 0; m < 2; ++m) {
    mrank_model *model = NULL;
    cr_assert_eq(mrank_model_load(models[m], &model), MRANK_SUCCESS, "%s", mrank_last_error());
    double *scores = malloc(rows * sizeof *scores), *want = predicted(models[m], f.data, rows);
    cr_assert_eq(mrank_model_score(model, data, scores), MRANK_SUCCESS, "%s", mrank_last_error());
    for (size_t r = 0; r < rows; ++r) {
      char ours[32], theirs[32]; /* predict prints 9 significant digits */
      snprintf(ours, sizeof ours, "%.9g", scores[r]);
      snprintf(theirs, sizeof theirs, "%.9g", want[r]);
      cr_assert_str_eq(ours, theirs, "model %d, row %zu", m, r);
    }
    /* eval --json prints every metric with 6 decimals: the API's, so printed, are those */
    mrank_metrics metrics;
    const unsigned cutoffs[] = {1, 3, 5, 10};
    cr_assert_eq(mrank_evaluate(scores, data, cutoffs, 4, &metrics, NULL), MRANK_SUCCESS, "%s",
                 mrank_last_error());
    char arguments[512], *json = NULL, expected[128];
    snprintf(arguments, sizeof arguments, "eval --model %s --data %s --json", models[m], f.data);
    cr_assert_eq(run_cli("", arguments, &json), 0, "%s", json);
    const char *names[] = {"ndcg", "precision", "recall", "f1"};
    const double *values[] = {metrics.ndcg, metrics.precision, metrics.recall, metrics.f1};
    for (int k = 0; k < 4; ++k) {
      for (int c = 0; c < 4; ++c) {
        snprintf(expected, sizeof expected, "\"%s@%u\": %.6f", names[k], cutoffs[c], values[k][c]);
        cr_assert_not_null(strstr(json, expected), "%s in %s", expected, json);
      }
    }
    snprintf(expected, sizeof expected, "\"map\": %.6f, \"pair_accuracy\": %.6f", metrics.map,
             metrics.pair_accuracy);
    cr_assert_not_null(strstr(json, expected), "%s in %s", expected, json);
    cr_assert_eq(metrics.pairs, pairs, "the metrics count the data set's pairs");
    free(json);
    free(scores);
    free(want);
    mrank_model_destroy(model);
  }
  mrank_dataset_destroy(data);
  remove_fixture(&f);
}

/* The same rows as a dense array (with qid, and with group sizes) and as CSR: the same scores and
 * metrics as from the file; per_query holds eval --per-query's columns. */
Test(rank_api, arrays_give_what_the_file_gives) {
  fixture f;
  make_fixture(&f);
  mrank_dataset *file = NULL;
  mrank_model *model = NULL;
  cr_assert_eq(mrank_dataset_load(f.data, NULL, &file), MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_model_load(f.mlp, &model), MRANK_SUCCESS, "%s", mrank_last_error());
  size_t rows = 0, features = 0, queries = 0;
  cr_assert_eq(mrank_dataset_info(file, &rows, &features, &queries, NULL), MRANK_SUCCESS);
  /* the file's values back out: scoring a one-hot row gives nothing to read them by, so the test
   * reads the LETOR text itself (label qid:Q i:v ...) */
  float *values = calloc(rows * features, sizeof *values), *labels = malloc(rows * sizeof *labels);
  int64_t *qid = malloc(rows * sizeof *qid), *indptr = calloc(rows + 1, sizeof *indptr);
  int32_t *indices = malloc(rows * features * sizeof *indices);
  float *stored = malloc(rows * features * sizeof *stored);
  size_t *sizes = calloc(queries, sizeof *sizes);
  FILE *text = fopen(f.data, "r");
  cr_assert_not_null(text);
  char line[4096];
  size_t r = 0, q = 0;
  while (r < rows && fgets(line, sizeof line, text) != NULL) {
    char *p = line;
    labels[r] = strtof(p, &p);
    qid[r] = strtoll(p + strlen(" qid:"), &p, 10);
    if (r > 0 && qid[r] != qid[r - 1]) q++;
    sizes[q]++;
    indptr[r + 1] = indptr[r];
    for (char *colon = strchr(p, ':'); colon != NULL; colon = strchr(p, ':')) {
      const long column = strtol(p, NULL, 10) - 1;
      const float value = strtof(colon + 1, &p);
      values[r * features + (size_t)column] = value;
      indices[indptr[r + 1]] = (int32_t)column;
      stored[indptr[r + 1]++] = value;
    }
    r++;
  }
  fclose(text);
  mrank_dataset *dense = NULL, *grouped = NULL, *csr = NULL;
  cr_assert_eq(mrank_dataset_from_dense(rows, features, values, labels, qid, NULL, 0, &dense),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(
      mrank_dataset_from_dense(rows, features, values, labels, NULL, sizes, queries, &grouped),
      MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(
      mrank_dataset_from_csr(rows, features, indptr, indices, stored, labels, qid, NULL, 0, &csr),
      MRANK_SUCCESS, "%s", mrank_last_error());
  double *want = malloc(rows * sizeof *want), *got = malloc(rows * sizeof *got);
  cr_assert_eq(mrank_model_score(model, file, want), MRANK_SUCCESS);
  mrank_metrics from_file, from_array;
  const size_t width = 4 * 4 + 2;
  double *rows_file = malloc(queries * width * sizeof(double));
  double *rows_array = malloc(queries * width * sizeof(double));
  cr_assert_eq(mrank_evaluate(want, file, NULL, 0, &from_file, rows_file), MRANK_SUCCESS);
  mrank_dataset *const arrays[] = {dense, grouped, csr};
  for (int a = 0; a < 3; ++a) {
    cr_assert_eq(mrank_model_score(model, arrays[a], got), MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert(memcmp(got, want, rows * sizeof *got) == 0, "array %d: the file's score bits", a);
    cr_assert_eq(mrank_evaluate(got, arrays[a], NULL, 0, &from_array, rows_array), MRANK_SUCCESS);
    cr_assert(memcmp(&from_array.ndcg, &from_file.ndcg, sizeof from_file.ndcg) == 0, "array %d", a);
    cr_assert(memcmp(rows_array, rows_file, queries * width * sizeof(double)) == 0, "array %d", a);
  }
  cr_assert_eq(mrank_model_score_dense(model, rows, features, values, got), MRANK_SUCCESS, "%s",
               mrank_last_error());
  cr_assert(memcmp(got, want, rows * sizeof *got) == 0, "score_dense: the file's score bits");
  /* per_query's first column is each query's NDCG@1; their mean is the metric's */
  double mean = 0.0;
  for (size_t k = 0; k < queries; ++k)
    mean += rows_file[k * width];
  cr_assert_float_eq(mean / (double)queries, from_file.ndcg[0], 1e-12);
  mrank_dataset_destroy(dense);
  mrank_dataset_destroy(grouped);
  mrank_dataset_destroy(csr);
  mrank_dataset_destroy(file);
  mrank_model_destroy(model);
  free(values), free(labels), free(qid), free(indptr), free(indices), free(stored), free(sizes);
  free(want), free(got), free(rows_file), free(rows_array);
  remove_fixture(&f);
}

/* A model's text is its file, byte for byte; from that text it scores the same; saved, it is the
 * same file again. The description and the linear weights. */
Test(rank_api, a_model_round_trips_through_its_text) {
  fixture f;
  make_fixture(&f);
  const char *models[] = {f.linear, f.mlp};
  for (int m = 0; m < 2; ++m) {
    mrank_model *model = NULL, *again = NULL;
    cr_assert_eq(mrank_model_load(models[m], &model), MRANK_SUCCESS, "%s", mrank_last_error());
    char *text = NULL, *file = read_text_file(models[m]);
    cr_assert_eq(mrank_model_to_string(model, &text), MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert_str_eq(text, file, "the text is the file");
    cr_assert_eq(mrank_model_from_string(text, &again), MRANK_SUCCESS, "%s", mrank_last_error());
    char path[256];
    snprintf(path, sizeof path, "%s/saved.model", f.dir);
    cr_assert_eq(mrank_model_save(again, path), MRANK_SUCCESS, "%s", mrank_last_error());
    char *saved = read_text_file(path);
    cr_assert_str_eq(saved, file, "saved again, the same file");
    mrank_model_description info;
    cr_assert_eq(mrank_model_info(again, &info), MRANK_SUCCESS);
    cr_assert_str_eq(info.scorer, m == 0 ? "linear" : "mlp");
    cr_assert_eq(info.features, 6);
    float weights[6];
    if (m == 0) {
      cr_assert_eq(info.parameters, 6);
      cr_assert_eq(mrank_model_linear_weights(again, weights, 6), MRANK_SUCCESS);
      /* each weight is the score of its one-hot row */
      for (int k = 0; k < 6; ++k) {
        float row[6] = {0};
        row[k] = 1.0f;
        double s = 0.0;
        cr_assert_eq(mrank_model_score_dense(again, 1, 6, row, &s), MRANK_SUCCESS);
        cr_assert_eq(s, (double)weights[k], "weight %d", k);
      }
      cr_assert_eq(mrank_model_linear_weights(again, weights, 5), MRANK_ERROR_INVALID_ARGUMENT);
    } else {
      cr_assert(info.hidden_layers == 1 && info.hidden[0] == 8, "%zu", info.hidden_layers);
      cr_assert_eq(mrank_model_linear_weights(again, weights, 6), MRANK_ERROR_UNSUPPORTED);
      cr_assert_not_null(strstr(mrank_last_error(), "the model is an MLP"));
    }
    mrank_string_free(text);
    free(file);
    free(saved);
    mrank_model_destroy(model);
    mrank_model_destroy(again);
  }
  remove_fixture(&f);
}

/* Each bad argument is refused with its status and a message that names it; *out stays NULL. */
Test(rank_api, bad_arguments_are_refused_by_name) {
  const float values[6] = {1, 2, 3, 4, 5, 6}, labels[3] = {1, 0, 2};
  const int64_t split_qid[3] = {1, 2, 1}, qid[3] = {7, 7, 8};
  const size_t short_groups[1] = {2}, zero_groups[2] = {3, 0};
  const int64_t indptr[4] = {0, 1, 2, 3}, bad_indptr[4] = {0, 2, 1, 3};
  const int32_t outside[3] = {0, 5, 1}, stored_labels_cols[3] = {0, 1, 0};
  const float nan_values[6] = {1, 2, NAN, 4, 5, 6}, bad_labels[3] = {1, -1, 0};
  mrank_dataset *data = (mrank_dataset *)1;
  const struct {
    mrank_status status, expected;
    const char *words;
  } cases[] = {
      {mrank_dataset_from_dense(3, 2, values, labels, split_qid, NULL, 0, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "qid 1 comes back at row 2"},
      {mrank_dataset_from_dense(3, 2, values, labels, qid, short_groups, 1, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "exactly one of qid"},
      {mrank_dataset_from_dense(3, 2, values, labels, NULL, short_groups, 1, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "add up to 2 rows, but there are 3"},
      {mrank_dataset_from_dense(3, 2, values, labels, NULL, zero_groups, 2, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "group_sizes[1] is 0"},
      {mrank_dataset_from_dense(3, 2, nan_values, labels, qid, NULL, 0, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "row 1, column 0 is nan"},
      {mrank_dataset_from_dense(3, 2, values, bad_labels, qid, NULL, 0, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "labels[1] is -1"},
      {mrank_dataset_from_dense(3, 2, values, NULL, qid, NULL, 0, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "labels is NULL"},
      {mrank_dataset_from_csr(3, 2, indptr, outside, values, labels, qid, NULL, 0, &data),
       MRANK_ERROR_INVALID_ARGUMENT, "row 1 has column index 5"},
      {mrank_dataset_from_csr(3, 2, bad_indptr, stored_labels_cols, values, labels, qid, NULL, 0,
                              &data),
       MRANK_ERROR_INVALID_ARGUMENT, "indptr[2] = 1 is below indptr[1] = 2"},
      {mrank_dataset_load("/nonexistent/data.txt", NULL, &data), MRANK_ERROR_IO,
       "/nonexistent/data.txt: cannot open"},
      {mrank_dataset_load(NULL, NULL, &data), MRANK_ERROR_INVALID_ARGUMENT, "path is NULL"},
      {mrank_dataset_info(NULL, NULL, NULL, NULL, NULL), MRANK_ERROR_INVALID_ARGUMENT,
       "data is NULL"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    cr_assert_eq(cases[k].status, cases[k].expected, "case %zu", k);
    (void)cases[k].words;
  }
  /* the messages, case by case (mrank_last_error is the last call's) */
  const char *expected_last = "data is NULL";
  cr_assert_not_null(strstr(mrank_last_error(), expected_last), "%s", mrank_last_error());
  cr_assert_null(data, "a refused call leaves *out NULL");
  cr_assert_eq(mrank_dataset_from_dense(3, 2, values, labels, split_qid, NULL, 0, &data),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "qid 1 comes back at row 2 after other queries"),
                     "%s", mrank_last_error());
  cr_assert_eq(mrank_dataset_from_csr(3, 2, indptr, outside, values, labels, qid, NULL, 0, &data),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "row 1 has column index 5 (indices[1])"), "%s",
                     mrank_last_error());
  mrank_model *model = (mrank_model *)1;
  cr_assert_eq(mrank_model_from_string("mrank-model 9\n", &model), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "the model text"), "%s", mrank_last_error());
  cr_assert_null(model);
  cr_assert_eq(mrank_model_load("/nonexistent/m", &model), MRANK_ERROR_IO, "%s",
               mrank_last_error());
  cr_assert_eq(mrank_model_score(NULL, NULL, NULL), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_evaluate(NULL, NULL, NULL, 0, NULL, NULL), MRANK_ERROR_INVALID_ARGUMENT);
  mrank_dataset_destroy(NULL);
  mrank_model_destroy(NULL);
  /* metrics: finite scores and increasing cutoffs */
  cr_assert_eq(mrank_dataset_from_dense(3, 2, values, labels, qid, NULL, 0, &data), MRANK_SUCCESS);
  mrank_metrics m;
  const double scores[3] = {1, NAN, 0};
  const unsigned backwards[2] = {5, 3};
  cr_assert_eq(mrank_evaluate(scores, data, NULL, 0, &m, NULL), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "scores[1] is nan"), "%s", mrank_last_error());
  const double finite[3] = {1, 0.5, 0};
  cr_assert_eq(mrank_evaluate(finite, data, backwards, 2, &m, NULL), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "cutoffs[1] is 3"), "%s", mrank_last_error());
  cr_assert_eq(mrank_evaluate(finite, data, NULL, 0, &m, NULL), MRANK_SUCCESS);
  cr_assert_eq(m.queries, 2);
  cr_assert_eq(m.pairs, 1, "query 7 has labels 1 and 0: one ordered pair");
  cr_assert_eq(m.pair_accuracy, 1.0, "scored 1 above 0.5");
  mrank_dataset_destroy(data);
}
