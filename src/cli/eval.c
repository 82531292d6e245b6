/* eval.c: `mrank eval`, the ranking metrics of a model (or of a baseline) on a data set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/scoring.h"
#include "cli/train_options.h"
#include "random.h"
#include "rank/dataset.h"
#include "rank/metrics.h"
#include "rank/model.h"

const char mrank_eval_help[] =
    "usage: mrank eval --model M --data FILE [--query FILE] [--max-label N] [--json]\n"
    "       mrank eval --baseline random --data FILE [--query FILE] [--json]\n"
    "       mrank eval --baseline best-feature --train FILE [--train-query FILE] --data FILE ...\n"
    "\n"
    "Scores FILE (\"-\": standard input) with the model and prints NDCG@1,3,5,10 (gain\n"
    "2^rel - 1, log2 discount; a query without a relevant document counts as 1),\n"
    "precision@1,3,5,10 and MAP (rel > 0 is relevant; MAP over the queries that have one), and\n"
    "pairwise accuracy (ties count half). A metric with nothing to measure (no relevant document\n"
    "anywhere for MAP, no pair for pair accuracy) is n/a (null in JSON). Features beyond the\n"
    "model's count score 0 (a warning says so); fewer features than the model's are fine.\n"
    "The baselines score the same way: documents in random order (seed 1), or the single feature\n"
    "(and sign) with the best NDCG@10 on the --train data.\n"
    "\n"
    "  --max-label N  relevance labels must be whole or fractional numbers from 0 to N (default\n"
    "                 31, LightGBM's limit; gains are 2^label - 1); at most 1000\n";

/* a metric, or n/a (JSON null) when it had nothing to measure */
static void print_value(double value, int json) {
  if (json) {
    if (value != value) {
      printf("null");
    } else {
      printf("%.6f", value);
    }
  } else if (value != value) {
    printf("   n/a");
  } else {
    printf("%.4f", value);
  }
}

static void print_metrics(const rank_metrics *m, int json, const char *what) {
  if (json) {
    printf("{\"scored_by\": ");
    mrank_json_string(stdout, what);
    printf(", \"queries\": %zu, \"pairs\": %zu", m->queries, m->pairs);
    for (int c = 0; c < 4; ++c) {
      printf(", \"ndcg@%d\": ", rank_metric_cutoffs[c]);
      print_value(m->ndcg[c], 1);
    }
    for (int c = 0; c < 4; ++c) {
      printf(", \"precision@%d\": ", rank_metric_cutoffs[c]);
      print_value(m->precision[c], 1);
    }
    printf(", \"map\": ");
    print_value(m->map, 1);
    printf(", \"pair_accuracy\": ");
    print_value(m->pair_accuracy, 1);
    printf("}\n");
    return;
  }
  printf("%s: %zu queries, %zu ordered pairs\n", what, m->queries, m->pairs);
  const char *rows[2] = {"NDCG      ", "precision "};
  const double *values[2] = {m->ndcg, m->precision};
  for (int r = 0; r < 2; ++r) {
    printf("%s", rows[r]);
    for (int c = 0; c < 4; ++c) {
      printf(" @%d ", rank_metric_cutoffs[c]);
      print_value(values[r][c], 0);
      printf(c < 3 ? " " : "\n");
    }
  }
  printf("MAP        ");
  print_value(m->map, 0);
  printf("\npair accuracy ");
  print_value(m->pair_accuracy, 0);
  printf("\n");
}

/* The feature (and sign) with the best NDCG@10 on `train`, used alone as the score. */
static int best_feature(const rank_dataset *train, size_t *feature, double *sign) {
  double *scores = malloc(train->docs * sizeof *scores), best = -1.0;
  rank_metrics m;
  if (scores == NULL) return 0;
  for (size_t f = 0; f < train->features; ++f) {
    for (int direction = 0; direction < 2; ++direction) {
      const double s = direction ? -1.0 : 1.0;
      for (size_t d = 0; d < train->docs; ++d)
        scores[d] = s * train->x[d * train->features + f];
      if (rank_evaluate(train, scores, &m) && m.ndcg[3] > best) {
        best = m.ndcg[3];
        *feature = f;
        *sign = s;
      }
    }
  }
  free(scores);
  return best >= 0.0;
}

int mrank_cmd_eval(int argc, char **argv) {
  const char *model_path = NULL, *data_path = NULL, *query_path = NULL, *baseline = NULL;
  const char *train_path = NULL, *train_query = NULL;
  int json = 0;
  double max_label = RANK_DEFAULT_MAX_LABEL;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(mrank_eval_help, stdout);
      return 0;
    }
    if (strcmp(arg, "--json") == 0) {
      json = 1;
      continue;
    }
    if (mrank_is_option(arg, "--max-label")) {
      if (!mrank_parse_max_label(argc, argv, &i, &max_label)) return 2;
      continue;
    }
    static const char *const names[] = {"--model",    "--data",  "--query",
                                        "--baseline", "--train", "--train-query"};
    const char **targets[] = {&model_path, &data_path,  &query_path,
                              &baseline,   &train_path, &train_query};
    int which = -1;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k) {
      if (mrank_is_option(arg, names[k])) which = k;
    }
    if (which < 0) {
      fprintf(stderr, "mrank eval: unknown option \"%s\"; see 'mrank eval --help'\n", arg);
      return 2;
    }
    if ((*targets[which] = mrank_option_value(argc, argv, &i, names[which])) == NULL) return 2;
  }
  if (data_path == NULL || (model_path == NULL) == (baseline == NULL)) {
    fprintf(stderr, "mrank eval: give --data, and --model or --baseline (not both)\n");
    return 2;
  }
  if (baseline != NULL && strcmp(baseline, "random") != 0 &&
      strcmp(baseline, "best-feature") != 0) {
    fprintf(stderr, "mrank eval: --baseline is random or best-feature, not \"%s\"\n", baseline);
    return 2;
  }
  if (baseline != NULL && strcmp(baseline, "best-feature") == 0 && train_path == NULL) {
    fprintf(stderr, "mrank eval: --baseline best-feature chooses the feature on --train FILE\n");
    return 2;
  }
  char error[1024], what[512];
  const rank_read_limits limits = {0, max_label};
  rank_model model;
  rank_dataset data, train;
  memset(&model, 0, sizeof model);
  memset(&train, 0, sizeof train);
  if (model_path != NULL) {
    if (!mrank_load_model_and_data(model_path, data_path, query_path, max_label, &model, &data)) {
      return 2;
    }
    snprintf(what, sizeof what, "model %s", model_path);
  } else if (!rank_dataset_load_checked(data_path, query_path, &limits, &data, error,
                                        sizeof error)) {
    mrank_error("%s", error);
    return 2;
  }
  int status = 2;
  double *scores = malloc(data.docs * sizeof *scores);
  rank_metrics m;
  if (data.queries == 0) {
    fprintf(stderr, "mrank eval: %s has no query groups (give qid: tokens or --query FILE)\n",
            data_path);
  } else if (scores == NULL) {
    fprintf(stderr, "mrank eval: out of memory\n");
  } else if (model_path != NULL) {
    rank_score(&data, model.weights, model.features, scores);
    status = rank_evaluate(&data, scores, &m) ? 0 : 2;
  } else if (strcmp(baseline, "random") == 0) {
    mrank_random random = {1};
    for (size_t d = 0; d < data.docs; ++d)
      scores[d] = (double)mrank_random_next(&random);
    snprintf(what, sizeof what, "random order (seed 1)");
    status = rank_evaluate(&data, scores, &m) ? 0 : 2;
  } else if (!rank_dataset_load_checked(train_path, train_query, &limits, &train, error,
                                        sizeof error)) {
    fprintf(stderr, "mrank eval: %s\n", error);
  } else {
    size_t feature = 0;
    double sign = 1.0;
    if (train.queries > 0 && best_feature(&train, &feature, &sign)) {
      for (size_t d = 0; d < data.docs; ++d)
        scores[d] = feature < data.features ? sign * data.x[d * data.features + feature] : 0.0;
      snprintf(what, sizeof what, "best single feature on %s: %s%zu", train_path,
               sign < 0 ? "-" : "", feature + 1);
      status = rank_evaluate(&data, scores, &m) ? 0 : 2;
    } else {
      fprintf(stderr, "mrank eval: %s has no query groups\n", train_path);
    }
  }
  if (status == 0) print_metrics(&m, json, what);
  free(scores);
  rank_model_free(&model);
  rank_dataset_free(&data);
  rank_dataset_free(&train);
  return status;
}
