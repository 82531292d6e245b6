/* test_metrics.c: recall and F1 against hand-computed values, the random baseline's exact
 * expectation against every permutation of small queries, cutoffs beyond a query's size, and
 * eval's --eval-at and --per-query as a user runs them. */
#include <stdio.h>
#include <unistd.h>

#include "json_check.h"
#include "rank_helpers.h"

Test(metrics, recall_and_f1_by_hand) {
  /* one query of 4: labels 1, 0, 2, 0 ranked 0, 1, 2, 3 (the scores' order); two relevant */
  const char *text = "1 qid:1 1:4\n0 qid:1 1:3\n2 qid:1 1:2\n0 qid:1 1:1\n";
  rank_dataset d;
  char error[512];
  cr_assert(parse(text, NULL, 0, &d, error), "%s", error);
  const double scores[] = {4, 3, 2, 1};
  const rank_cutoffs cutoffs = {{1, 2, 3, 10}, 4};
  rank_metrics m;
  cr_assert(rank_evaluate_at(&d, scores, &cutoffs, NULL, NULL, &m));
  /* hits@1 = 1, @2 = 1, @3 = 2, @10 = 2 (the query has 4 documents) */
  const double hits[] = {1, 1, 2, 2}, k[] = {1, 2, 3, 10};
  for (int c = 0; c < 4; ++c) {
    cr_assert_float_eq(m.recall[c], hits[c] / 2.0, 1e-15, "recall@%g", k[c]);
    cr_assert_float_eq(m.precision[c], hits[c] / k[c], 1e-15, "precision@%g", k[c]);
    const double p = hits[c] / k[c], r = hits[c] / 2.0;
    cr_assert_float_eq(m.f1[c], 2 * p * r / (p + r), 1e-15, "F1@%g", k[c]);
  }
  cr_assert_float_eq(m.ndcg10, m.ndcg[3], 0.0);
  rank_dataset_free(&d);
}

/* n! orders of one query's scores, through Heap's algorithm */
static int next_permutation(double *a, int n) {
  int i = n - 2;
  while (i >= 0 && a[i] >= a[i + 1])
    i--;
  if (i < 0) return 0;
  int j = n - 1;
  while (a[j] <= a[i])
    j--;
  double t = a[i];
  a[i] = a[j];
  a[j] = t;
  for (int l = i + 1, r = n - 1; l < r; ++l, --r) {
    t = a[l];
    a[l] = a[r];
    a[r] = t;
  }
  return 1;
}

/* The random baseline is the exact mean over all orders: computed here by brute force over all
 * 7! = 5040 orders of a query with tied labels (so ties between labels, not scores, matter), at
 * cutoffs within and beyond its size. The two differ only by the rounding of a 5040-term mean. */
Test(metrics, the_random_baseline_is_the_exact_mean_over_all_orders) {
  const char *text =
      "2 qid:1 1:1\n0 qid:1 1:1\n1 qid:1 1:1\n0 qid:1 1:1\n3 qid:1 1:1\n"
      "1 qid:1 1:1\n0 qid:1 1:1\n";
  rank_dataset d;
  char error[512];
  cr_assert(parse(text, NULL, 0, &d, error), "%s", error);
  const rank_cutoffs cutoffs = {{1, 3, 5, 10}, 4};
  rank_metrics expected, one, mean;
  cr_assert(rank_evaluate_at(&d, NULL, &cutoffs, NULL, NULL, &expected));
  memset(&mean, 0, sizeof mean);
  double scores[7] = {1, 2, 3, 4, 5, 6, 7};
  int orders = 0;
  do {
    cr_assert(rank_evaluate_at(&d, scores, &cutoffs, NULL, NULL, &one));
    for (int c = 0; c < 4; ++c) {
      mean.ndcg[c] += one.ndcg[c];
      mean.precision[c] += one.precision[c];
      mean.recall[c] += one.recall[c];
      mean.f1[c] += one.f1[c];
    }
    mean.map += one.map;
    mean.pair_accuracy += one.pair_accuracy;
    orders++;
  } while (next_permutation(scores, 7));
  cr_assert_eq(orders, 5040);
  const double tolerance = 1e-12; /* 5040 additions of numbers below 1, in double */
  for (int c = 0; c < 4; ++c) {
    cr_assert_float_eq(expected.ndcg[c], mean.ndcg[c] / orders, tolerance, "NDCG@%d", cutoffs.k[c]);
    cr_assert_float_eq(expected.precision[c], mean.precision[c] / orders, tolerance, "precision@%d",
                       cutoffs.k[c]);
    cr_assert_float_eq(expected.recall[c], mean.recall[c] / orders, tolerance, "recall@%d",
                       cutoffs.k[c]);
    cr_assert_float_eq(expected.f1[c], mean.f1[c] / orders, tolerance, "F1@%d", cutoffs.k[c]);
  }
  cr_assert_float_eq(expected.map, mean.map / orders, tolerance, "MAP");
  cr_assert_float_eq(expected.pair_accuracy, 0.5, 0.0);
  cr_assert_float_eq(mean.pair_accuracy / orders, 0.5, tolerance);
  rank_dataset_free(&d);
}

Test(metrics, nothing_to_measure_is_nan_never_zero) {
  /* no relevant document anywhere and no pair: recall, F1, MAP and pair accuracy are n/a */
  const char *text = "0 qid:1 1:1\n0 qid:1 1:2\n";
  rank_dataset d;
  char error[512];
  cr_assert(parse(text, NULL, 0, &d, error), "%s", error);
  const double scores[] = {1, 2};
  rank_metrics m;
  cr_assert(rank_evaluate(&d, scores, &m));
  cr_assert(isnan(m.recall[0]) && isnan(m.f1[3]) && isnan(m.map) && isnan(m.pair_accuracy));
  cr_assert_float_eq(m.ndcg[3], 1.0, 0.0, "a query without a relevant document counts as 1");
  rank_dataset_free(&d);
}

Test(metrics, eval_at_and_per_query_as_a_user_runs_them) {
  char dir[] = "/tmp/mrank-metrics-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path, "--queries 6 --docs 9 --features 4 --seed 2");
  char per_query[160];
  snprintf(per_query, sizeof per_query, "%s.tsv", path);
  snprintf(arguments, sizeof arguments,
           "eval --baseline random --data %s --eval-at 2,20 --per-query %s --json", path,
           per_query);
  char *out = NULL;
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  cr_assert(json_is_valid(out), "%s", out);
  cr_assert_not_null(strstr(out, "\"recall@20\": 1.000000"),
                     "every relevant document is in a top 20 of 9: %s", out);
  cr_assert_not_null(strstr(out, "\"pair_accuracy\": 0.500000"), "%s", out);
  cr_assert_null(strstr(out, "ndcg@10"), "only the cutoffs asked for: %s", out);
  free(out);
  char *lines = read_text_file(per_query);
  cr_assert_not_null(lines);
  cr_assert_eq(strncmp(lines, "qid\tdocuments\tpairs\tndcg@2\tndcg@20\tprecision@2", 45), 0, "%s",
               lines);
  size_t count = 0;
  for (const char *c = lines; *c; ++c)
    count += *c == '\n';
  cr_assert_eq(count, 7, "a header and one line per query: %s", lines);
  cr_assert_not_null(strstr(lines, "\n1\t9\t"), "qid 1, 9 documents: %s", lines);
  free(lines);
  unlink(per_query);
  expect_cli("eval --baseline random --data /dev/null --eval-at 5,3", 2, "increasing order");
  expect_cli("eval --baseline random --data /dev/null --eval-at 0", 2, "from 1 to 100000");
  remove_synth_file(dir, path);
}

/* --scores: another ranker's predictions scored by the same code as a model's */
Test(metrics, eval_scores_a_file_of_predictions_like_the_model, .timeout = 60) {
  char dir[] = "/tmp/mrank-scores-XXXXXX", path[128], arguments[1024], *out = NULL;
  synth_file(dir, path, sizeof path, "--queries 8 --docs 10 --features 4 --seed 3");
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model --holdout 0 --quiet",
           path, path);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  char scores[160], *by_model = NULL, *by_scores = NULL;
  snprintf(scores, sizeof scores, "%s.scores", path);
  snprintf(arguments, sizeof arguments, "predict --model %s.model --data %s --output %s", path,
           path, scores);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "eval --model %s.model --data %s --json", path, path);
  cr_assert_eq(run_cli("", arguments, &by_model), 0, "%s", by_model);
  snprintf(arguments, sizeof arguments, "eval --scores %s --data %s --json", scores, path);
  cr_assert_eq(run_cli("", arguments, &by_scores), 0, "%s", by_scores);
  /* the same metrics after the "scored_by" field */
  cr_assert_str_eq(strstr(by_model, "\"queries\""), strstr(by_scores, "\"queries\""));
  free(by_model);
  free(by_scores);
  FILE *file = fopen(scores, "a");
  fputs("1.5\n", file);
  fclose(file);
  snprintf(arguments, sizeof arguments, "eval --scores %s --data %s", scores, path);
  expect_cli(arguments, 2, "more scores than the data's 80 documents");
  file = fopen(scores, "w");
  fputs("1\nfast\n", file);
  fclose(file);
  expect_cli(arguments, 2, ":2: expected one finite score per line");
  unlink(scores);
  remove_synth_file(dir, path);
}

/* Pair accuracy counted by sorting (O(n log n); the pairwise loop took 12 s on one query of
 * 60,000 documents) equals the pairwise definition bit for bit: every ordered pair rel_i > rel_j,
 * s_i > s_j counting 1, a tie 1/2, a NaN score 0. Random queries with many ties in labels and in
 * scores, and NaN scores. */
Test(metrics, pair_accuracy_by_sorting_equals_the_pairwise_definition) {
  uint64_t state = 12345;
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + (size_t)(trial * 7 % 97);
    float labels[100];
    double scores[100];
    for (size_t i = 0; i < n; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      labels[i] = (float)((state >> 33) % (trial % 5 + 1));
      scores[i] = (double)((state >> 40) % (trial % 3 == 0 ? 4 : 1000)) - 2.0;
      if (trial % 7 == 0 && (state >> 20) % 9 == 0) scores[i] = NAN;
    }
    double correct = 0.0;
    size_t pairs = 0;
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        if (labels[i] <= labels[j]) continue;
        pairs++;
        correct += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
      }
    }
    size_t start[2] = {0, n};
    unsigned long long qid = 1;
    const rank_dataset data = {n, 1, labels, labels, 1, start, &qid};
    rank_metrics m;
    cr_assert(rank_evaluate(&data, scores, &m));
    cr_assert_eq(m.pairs, pairs, "trial %d: %zu pairs, the definition %zu", trial, m.pairs, pairs);
    if (pairs == 0) {
      cr_assert(isnan(m.pair_accuracy), "trial %d: no pair is NaN", trial);
    } else {
      const double want = correct / (double)pairs;
      cr_assert(memcmp(&m.pair_accuracy, &want, sizeof want) == 0, "trial %d: %.17g, want %.17g",
                trial, m.pair_accuracy, want);
    }
    rank_metrics expected;
    cr_assert(rank_evaluate(&data, NULL, &expected));
    cr_assert_eq(expected.pairs, pairs, "trial %d: the random baseline counts the same pairs",
                 trial);
  }
}
