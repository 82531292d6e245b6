/* test_model.c: the metrics against hand-computed values, and the model file (its mode, round
 * trip and refusals). */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rank_helpers.h"

Test(metrics, hand_computed_values) {
  /* one query, labels 2, 1, 0, ranked in reverse by the scores */
  const char *text = "2 qid:1 1:0\n1 qid:1 1:1\n0 qid:1 1:2\n0 qid:2 1:0\n0 qid:2 1:1\n";
  rank_dataset d;
  char error[512];
  cr_assert(parse(text, NULL, 0, &d, error), "%s", error);
  const double scores[] = {0.0, 1.0, 2.0, 5.0, 4.0};
  rank_metrics m;
  cr_assert(rank_evaluate(&d, scores, &m));
  /* DCG = 0/1 + 1/log2(3) + 3/log2(4) = 2.13093; ideal = 3 + 1/log2(3) = 3.63093; query 2 has no
   * relevant document and counts as 1 */
  const double ndcg3 = (1.0 / log2(3.0) + 1.5) / (3.0 + 1.0 / log2(3.0));
  cr_assert_float_eq(m.ndcg[1], (ndcg3 + 1.0) / 2.0, 1e-12);
  cr_assert_float_eq(m.ndcg[0], (0.0 + 1.0) / 2.0, 1e-12); /* top document has gain 0 */
  /* precision@3 = 2/3 for query 1, 0 for query 2; @1 = 0 for both */
  cr_assert_float_eq(m.precision[1], (2.0 / 3.0) / 2.0, 1e-12);
  cr_assert_float_eq(m.precision[0], 0.0, 1e-12);
  /* AP of query 1: relevant at ranks 2 and 3 -> (1/2 + 2/3) / 2; query 2 has none (left out) */
  cr_assert_float_eq(m.map, (0.5 + 2.0 / 3.0) / 2.0, 1e-12);
  cr_assert_eq(m.pairs, 3);
  cr_assert_float_eq(m.pair_accuracy, 0.0, 1e-12);
  const double right[] = {2.0, 1.0, 0.0, 1.0, 1.0};
  cr_assert(rank_evaluate(&d, right, &m));
  cr_assert_float_eq(m.ndcg[3], 1.0, 1e-12);
  cr_assert_float_eq(m.pair_accuracy, 1.0, 1e-12);
  rank_dataset_free(&d);
}

/* a fresh, empty temporary file's name in path (a mkstemp template) */
static void temp_file(char *path) {
  const int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  close(fd);
}

Test(model, a_written_file_has_the_mode_of_a_plain_one) {
  char dir[] = "/tmp/mrank-mode-XXXXXX", path[128], error[512];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/model.txt", dir);
  float weights[1] = {1.0f};
  rank_model model = {.features = 1, .weights = weights, .best_epoch = 4};
  rank_default_options(&model.options);
  umask(022);
  cr_assert(rank_model_save(&model, path, error, sizeof error), "%s", error);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0644, "new file: %o, not mkstemp's private 0600",
               st.st_mode & 0777);
  /* a file that is replaced keeps its mode */
  cr_assert_eq(chmod(path, 0640), 0);
  cr_assert(rank_model_save(&model, path, error, sizeof error), "%s", error);
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0640, "replaced file: %o", st.st_mode & 0777);
  unlink(path);
  rmdir(dir);
}

Test(model, round_trip_and_refusals) {
  char path[] = "/tmp/mrank-model-XXXXXX";
  temp_file(path);
  float weights[3] = {0.5f, -1.25f, 3e-7f};
  const rank_options options = {.margin = 1,
                                .lr = 0.1,
                                .l2 = 0,
                                .momentum = 0.9,
                                .l1 = 0.25,
                                .holdout = 0.2,
                                .epochs = 5,
                                .batch_queries = 4,
                                .pairs_per_query = 0,
                                .patience = 2,
                                .seed = 42,
                                .average = 1,
                                .scale = RANK_SCALE_MAX};
  rank_model model = {.features = 3,
                      .weights = weights,
                      .options = options,
                      .best_epoch = 4,
                      .path_count = 2,
                      .path_l2 = {1.0, 0.01},
                      .path_epochs = {7, 4}};
  char error[512];
  cr_assert(rank_model_save(&model, path, error, sizeof error), "%s", error);
  rank_model back;
  cr_assert(rank_model_load(path, 3, &back, error, sizeof error), "%s", error);
  cr_assert(back.weights[0] == 0.5f && back.weights[1] == -1.25f && back.weights[2] == 3e-7f);
  cr_assert(back.options.seed == 42 && back.best_epoch == 4 && back.options.batch_queries == 4 &&
            back.options.average == 1 && back.options.scale == RANK_SCALE_MAX);
  cr_assert(back.options.l1 == 0.25 && back.options.holdout == 0.2, "l1 and holdout round trip");
  cr_assert(back.path_count == 2 && back.path_l2[0] == 1.0 && back.path_l2[1] == 0.01 &&
                back.path_epochs[0] == 7 && back.path_epochs[1] == 4,
            "the path round trips");
  rank_model_free(&back);
  cr_assert(!rank_model_load(path, 4, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "the model has 3 features, the data 4"), "%s", error);
  FILE *file = fopen(path, "w");
  fputs("mrank-model 5\nfeatures 3\n", file);
  fclose(file);
  cr_assert(!rank_model_load(path, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "version 5"), "%s", error);
  /* found by fuzz_model: a header whose "weights" line is cut short once advanced the reader by a
   * stale %n count, past the end of the text */
  const char cut[] =
      "mrank-model 1\nfeatures 2\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0\n"
      "best-epoch 3\nweig";
  cr_assert(!rank_model_parse("cut", cut, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "cut:5: expected \"weights\""), "%s", error);
  /* a version 1 model (before scale=) reads as unscaled; an unknown scale is refused */
  const char before[] =
      "mrank-model 1\nfeatures 1\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0\n"
      "best-epoch 3\nweights\n0.25\n";
  cr_assert(rank_model_parse("before", before, 0, &back, error, sizeof error), "%s", error);
  cr_assert(back.options.scale == RANK_SCALE_NONE && back.weights[0] == 0.25f);
  rank_model_free(&back);
  const char unknown[] =
      "mrank-model 2\nfeatures 1\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0 scale=zscore\n"
      "best-epoch 3\nweights\n0.25\n";
  cr_assert(!rank_model_parse("unknown", unknown, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "expected scale=auto, max or none"), "%s", error);
  const char missing[] =
      "mrank-model 2\nfeatures 1\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0\n"
      "best-epoch 3\nweights\n0.25\n";
  cr_assert(!rank_model_parse("missing", missing, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "missing:3: expected scale="), "%s", error);
  /* version 3: l1= and holdout= end the options, a path line follows; a version 2 model reads
   * with l1 0 and no path */
  const char v2[] =
      "mrank-model 2\nfeatures 1\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0 scale=auto\n"
      "best-epoch 3\nweights\n0.25\n";
  cr_assert(rank_model_parse("v2", v2, 0, &back, error, sizeof error), "%s", error);
  cr_assert(back.options.l1 == 0 && back.path_count == 0 && back.weights[0] == 0.25f);
  rank_model_free(&back);
  const char no_path[] =
      "mrank-model 3\nfeatures 1\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0 scale=auto "
      "l1=0 holdout=0.2\nbest-epoch 3\nweights\n0.25\n";
  cr_assert(!rank_model_parse("no_path", no_path, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "no_path:4: expected \"path -\""), "%s", error);
  const char bad_l1[] =
      "mrank-model 3\nfeatures 1\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0 scale=auto "
      "l1=-1 holdout=0.2\npath -\nbest-epoch 3\nweights\n0.25\n";
  cr_assert(!rank_model_parse("bad_l1", bad_l1, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "bad_l1:3: expected l1=X"), "%s", error);
  const char weight_line[] =
      "mrank-model 3\nfeatures 2\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 "
      "epochs=30 batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0 scale=auto "
      "l1=0 holdout=0.2\npath 1:2 0.1:3\nbest-epoch 3\nweights\n0.25\nx\n";
  cr_assert(!rank_model_parse("weight_line", weight_line, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "weight_line:8: expected weight 2 of 2"), "%s", error);
  unlink(path);
}

/* A NaN or infinite weight scores every document alike (pair accuracy 0, -nan for every score):
 * refused like 1e39, naming line and column. */
Test(model, non_finite_weights_are_refused) {
  const char *head =
      "mrank-model 2\nfeatures 2\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 epochs=30 "
      "batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0 scale=auto\nbest-epoch 3\n"
      "weights\n";
  const char *weights[] = {"0.5\nnan\n", "inf\n1\n", "0.5\n-inf\n", "1e39\n1\n"};
  const char *where[] = {"m:7:1: weight 2 of 2 is nan", "m:6:1: weight 1 of 2 is inf",
                         "m:7:1: weight 2 of 2 is -inf",
                         "m:6:1: weight 1 of 2 is 1e39, not a finite number"};
  for (int k = 0; k < 4; ++k) {
    char text[512], error[512];
    rank_model model;
    snprintf(text, sizeof text, "%s%s", head, weights[k]);
    cr_assert(!rank_model_parse("m", text, 0, &model, error, sizeof error), "%s accepted",
              weights[k]);
    cr_assert_not_null(strstr(error, where[k]), "%s", error);
  }
}

/* Weights that training drives towards 0 (an MLP's weights of a constant feature, under weight
 * decay) become subnormal; the writer prints them with 9 digits and the reader must take them back
 * as they were (strtof reports ERANGE for them). */
Test(model, subnormal_weights_round_trip) {
  const char *head =
      "mrank-model 2\nfeatures 3\noptions margin=1 lr=0.05 l2=0.0001 momentum=0.9 epochs=30 "
      "batch-queries=8 pairs-per-query=0 patience=5 seed=1 average=0 scale=auto\nbest-epoch 3\n"
      "weights\n";
  const float tiny[3] = {6.91471428e-39f, -1.40129846e-45f, -2.99786675e-38f};
  char text[512], error[512];
  snprintf(text, sizeof text, "%s%.9g\n%.9g\n%.9g\n", head, tiny[0], tiny[1], tiny[2]);
  rank_model model;
  cr_assert(rank_model_parse("m", text, 0, &model, error, sizeof error), "%s", error);
  for (int k = 0; k < 3; ++k)
    cr_assert(model.weights[k] == tiny[k], "weight %d: %g read as %g", k, tiny[k],
              model.weights[k]);
  rank_model_free(&model);
  /* below the smallest subnormal: 0, as the text means */
  snprintf(text, sizeof text, "%s1e-60\n1\n2\n", head);
  cr_assert(rank_model_parse("m", text, 0, &model, error, sizeof error), "%s", error);
  cr_assert(model.weights[0] == 0.0f);
  rank_model_free(&model);
}

/* MAP without a relevant document and pair accuracy without a pair have nothing to measure: NaN
 * (n/a), never 0. */
Test(metrics, nothing_to_measure_is_not_zero) {
  rank_dataset d;
  char error[512];
  cr_assert(parse("0 qid:1 1:1\n0 qid:1 1:0\n", NULL, 0, &d, error), "%s", error);
  const double scores[] = {1.0, 0.0};
  rank_metrics m;
  cr_assert(rank_evaluate(&d, scores, &m));
  cr_assert_eq(m.pairs, 0);
  cr_assert(isnan(m.pair_accuracy) && isnan(m.map), "pair accuracy %g, MAP %g", m.pair_accuracy,
            m.map);
  cr_assert_float_eq(m.ndcg[3], 1.0, 0.0, "no relevant document counts as 1, as LightGBM");
  rank_dataset_free(&d);
}

Test(model, an_mlp_round_trips_and_scores_as_its_network) {
  char path[] = "/tmp/mrank-mlp-model-XXXXXX", error[512];
  temp_file(path);
  rank_model model;
  memset(&model, 0, sizeof model);
  rank_default_options(&model.options);
  model.features = 3;
  model.mlp = (rank_mlp_shape){3, 2, {4, 2}, 0};
  model.dropout = 0.1;
  model.weight_decay = 1e-5;
  snprintf(model.optimizer, sizeof model.optimizer, "adam");
  const size_t P = rank_mlp_parameter_count(&model.mlp);
  cr_assert_eq(P, 3 * 4 + 4 + 4 * 2 + 2 + 2);
  model.weights = malloc(P * sizeof(float));
  model.mean = malloc(3 * sizeof(float));
  model.deviation = malloc(3 * sizeof(float));
  rank_mlp_init(&model.mlp, 5, model.weights);
  for (size_t k = 0; k < P; ++k)
    model.weights[k] += 0.125f * (float)(k % 3); /* biases not all zero */
  const float mean[] = {0.5f, -1.0f, 2.0f}, deviation[] = {1.0f, 0.25f, 3.0f};
  memcpy(model.mean, mean, sizeof mean);
  memcpy(model.deviation, deviation, sizeof deviation);
  cr_assert(rank_model_save(&model, path, error, sizeof error), "%s", error);
  rank_model back;
  cr_assert(rank_model_load(path, 3, &back, error, sizeof error), "%s", error);
  cr_assert_eq(back.mlp.layers, 2);
  cr_assert(back.mlp.hidden[0] == 4 && back.mlp.hidden[1] == 2);
  cr_assert_eq(memcmp(back.weights, model.weights, P * sizeof(float)), 0);
  cr_assert_eq(memcmp(back.mean, mean, sizeof mean), 0);
  cr_assert_eq(memcmp(back.deviation, deviation, sizeof deviation), 0);
  cr_assert_str_eq(back.optimizer, "adam");
  /* one document by hand: standardise, two ReLU layers, the output */
  rank_dataset d;
  cr_assert(parse("1 qid:1 1:1.5 2:-0.5 3:5\n0 qid:1 1:0 2:0 3:0\n", NULL, 0, &d, error), "%s",
            error);
  double scores[2];
  cr_assert(rank_model_score(&back, &d, scores));
  const float *p = back.weights;
  double x[3], h1[4], h2[2], want = 0.0;
  for (int f = 0; f < 3; ++f)
    x[f] = (d.x[f] - mean[f]) / deviation[f];
  for (int u = 0; u < 4; ++u) {
    double z = p[12 + u];
    for (int f = 0; f < 3; ++f)
      z += x[f] * p[f * 4 + u];
    h1[u] = z > 0 ? z : 0;
  }
  for (int u = 0; u < 2; ++u) {
    double z = p[16 + 8 + u];
    for (int k = 0; k < 4; ++k)
      z += h1[k] * p[16 + k * 2 + u];
    h2[u] = z > 0 ? z : 0;
  }
  for (int u = 0; u < 2; ++u)
    want += h2[u] * p[26 + u];
  /* the same sums in the same order in double: equal to the last bits of double rounding */
  cr_assert(fabs(scores[0] - want) <= 1e-12 * (1.0 + fabs(want)), "%.17g vs %.17g", scores[0],
            want);
  /* a damaged standardisation line is refused with its line number */
  char *text = read_text_file(path);
  char *at = strstr(text, "standardisation\n") + 16;
  at[0] = 'x';
  cr_assert(!rank_model_parse("damaged", text, 0, &back, error, sizeof error));
  cr_assert_not_null(strstr(error, "damaged:8: expected the mean and deviation of feature 1"), "%s",
                     error);
  free(text);
  rank_dataset_free(&d);
  rank_model_free(&back);
  rank_model_free(&model);
  unlink(path);
}

Test(model, an_mlp_with_a_linear_term_round_trips) {
  char path[] = "/tmp/mrank-mlp-skip-XXXXXX", error[512];
  temp_file(path);
  rank_model model;
  memset(&model, 0, sizeof model);
  rank_default_options(&model.options);
  model.features = 2;
  model.mlp = (rank_mlp_shape){2, 1, {3}, 1};
  snprintf(model.optimizer, sizeof model.optimizer, "adam");
  const size_t P = rank_mlp_parameter_count(&model.mlp);
  cr_assert_eq(P, 2 * 3 + 3 + 3 + 2);
  model.weights = calloc(P, sizeof(float));
  model.mean = calloc(2, sizeof(float));
  model.deviation = malloc(2 * sizeof(float));
  model.deviation[0] = model.deviation[1] = 1.0f;
  model.weights[P - 2] = 2.0f; /* the network is all zero: the score is the linear term */
  model.weights[P - 1] = -1.0f;
  cr_assert(rank_model_save(&model, path, error, sizeof error), "%s", error);
  rank_model back;
  cr_assert(rank_model_load(path, 2, &back, error, sizeof error), "%s", error);
  cr_assert_eq(back.mlp.skip, 1);
  rank_dataset d;
  cr_assert(parse("1 qid:1 1:3 2:1\n0 qid:1 1:1 2:4\n", NULL, 0, &d, error), "%s", error);
  double scores[2];
  cr_assert(rank_model_score(&back, &d, scores));
  cr_assert(scores[0] == 5.0 && scores[1] == -2.0, "%g %g", scores[0], scores[1]);
  rank_dataset_free(&d);
  rank_model_free(&back);
  rank_model_free(&model);
  unlink(path);
}

/* an MLP whose inputs are the features and their bins (rank/encoding.h) with its linear base */
Test(model, an_mlp_with_bins_and_a_base_round_trips_in_format_4) {
  char path[] = "/tmp/mrank-mlp-bins-XXXXXX", error[512];
  temp_file(path);
  rank_model model;
  memset(&model, 0, sizeof model);
  rank_default_options(&model.options);
  model.features = 2;
  /* feature 1: edges 0, 1, 3 (two bins); feature 2: none. Inputs: x1, x2, bin 1, bin 2 */
  size_t start[] = {0, 3, 3};
  float edges[] = {0.0f, 1.0f, 3.0f};
  model.encoding = (rank_encoding){2, 2, start, edges};
  model.mlp = (rank_mlp_shape){4, 1, {3}, 1};
  model.base = 1;
  snprintf(model.optimizer, sizeof model.optimizer, "adam");
  const size_t P = rank_mlp_parameter_count(&model.mlp);
  cr_assert_eq(P, 4 * 3 + 3 + 3 + 4);
  float *weights = calloc(P, sizeof(float)), mean[4] = {0}, deviation[4] = {1, 1, 1, 1};
  /* the network all zero and the linear term on the bins alone: bin 1 + 2 bin 2 */
  weights[P - 2] = 1.0f;
  weights[P - 1] = 2.0f;
  model.weights = weights;
  model.mean = mean;
  model.deviation = deviation;
  cr_assert(rank_model_save(&model, path, error, sizeof error), "%s", error);
  char *text = read_text_file(path);
  cr_assert(strncmp(text, "mrank-model 4\n", 14) == 0, "%s", text);
  cr_assert_not_null(strstr(text, " skip=base bins=2\nencoding\n3 0 1 3\n0\nstandardisation\n"),
                     "%s", text);
  rank_model back;
  cr_assert(rank_model_load(path, 2, &back, error, sizeof error), "%s", error);
  cr_assert(back.base == 1 && back.mlp.skip == 1 && back.mlp.features == 4);
  cr_assert(back.encoding.bins == 2 && back.encoding.start[1] == 3 && back.encoding.start[2] == 3);
  cr_assert_eq(memcmp(back.encoding.edges, edges, sizeof edges), 0);
  rank_dataset d;
  cr_assert(parse("1 qid:1 1:2 2:7\n0 qid:1 1:0.5 2:1\n", NULL, 0, &d, error), "%s", error);
  double scores[2];
  cr_assert(rank_model_score(&back, &d, scores));
  /* x1 = 2: bin 1 (2 - 0) / 1 -> 1, bin 2 (2 - 1) / 2 = 0.5; x1 = 0.5: 0.5 and 0 */
  cr_assert(scores[0] == 2.0 && scores[1] == 0.5, "%g %g", scores[0], scores[1]);
  rank_model_free(&back);
  rank_dataset_free(&d);
  /* damaged encodings are refused with the line and what was expected */
  const struct {
    const char *from, *to, *said;
  } damage[] = {
      {"\n3 0 1 3\n", "\n3 0 3 1\n", ":8: expected the edge count of feature 1"},
      {"\n3 0 1 3\n", "\n1 0    \n", ":8: expected the edge count of feature 1"},
      {"\n3 0 1 3\n", "\n4 0 1 3\n", "(0, or 2 to 3) and its edges"},
      {" bins=2\n", " bins=0\n", ":6: expected \"scorer mlp"},
      {"encoding\n", "encodinG\n", ":7: expected \"encoding\""},
  };
  for (size_t k = 0; k < sizeof damage / sizeof damage[0]; ++k) {
    char *copy = strdup(text);
    char *at = strstr(copy, damage[k].from);
    cr_assert_not_null(at);
    memcpy(at, damage[k].to, strlen(damage[k].to));
    cr_assert(!rank_model_parse("damaged", copy, 0, &back, error, sizeof error), "%zu", k);
    cr_assert_not_null(strstr(error, damage[k].said), "%zu: %s", k, error);
    rank_model_free(&back);
    free(copy);
  }
  free(text);
  /* without bins or a base the model is written in format 3, which older readers take */
  model.encoding = (rank_encoding){2, 0, NULL, NULL};
  model.mlp.features = 2;
  model.base = 0;
  cr_assert(rank_model_save(&model, path, error, sizeof error), "%s", error);
  text = read_text_file(path);
  cr_assert(strncmp(text, "mrank-model 3\n", 14) == 0, "%s", text);
  cr_assert_not_null(strstr(text, " skip=linear\nstandardisation\n"), "%s", text);
  free(text);
  free(weights);
  unlink(path);
}
