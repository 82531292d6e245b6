/* eval.c: `mrank eval`, the ranking metrics of a model (or of a baseline) on a data set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/scoring.h"
#include "random.h"
#include "rank/dataset.h"
#include "rank/metrics.h"
#include "rank/model.h"

const char mrank_eval_help[] =
    "usage: mrank eval --model M --data FILE [--query FILE] [--json]\n"
    "       mrank eval --baseline random --data FILE [--query FILE] [--json]\n"
    "       mrank eval --baseline best-feature --train FILE [--train-query FILE] --data FILE ...\n"
    "\n"
    "Scores FILE with the model and prints NDCG@1,3,5,10 (gain 2^rel - 1, log2 discount; a query\n"
    "without a relevant document counts as 1), precision@1,3,5,10 and MAP (rel > 0 is relevant;\n"
    "MAP over the queries that have one), and pairwise accuracy (ties count half).\n"
    "The baselines score the same way: documents in random order (seed 1), or the single feature\n"
    "(and sign) with the best NDCG@10 on the --train data.\n";

static void print_metrics(const rank_metrics *m, int json, const char *what) {
  if (json) {
    printf("{\"scored_by\": ");
    mrank_json_string(stdout, what);
    printf(", \"queries\": %zu, \"pairs\": %zu", m->queries, m->pairs);
    for (int c = 0; c < 4; ++c)
      printf(", \"ndcg@%d\": %.6f", rank_metric_cutoffs[c], m->ndcg[c]);
    for (int c = 0; c < 4; ++c) {
      printf(", \"precision@%d\": %.6f", rank_metric_cutoffs[c], m->precision[c]);
    }
    printf(", \"map\": %.6f, \"pair_accuracy\": %.6f}\n", m->map, m->pair_accuracy);
    return;
  }
  printf("%s: %zu queries, %zu ordered pairs\n", what, m->queries, m->pairs);
  printf("NDCG       @1 %.4f  @3 %.4f  @5 %.4f  @10 %.4f\n", m->ndcg[0], m->ndcg[1], m->ndcg[2],
         m->ndcg[3]);
  printf("precision  @1 %.4f  @3 %.4f  @5 %.4f  @10 %.4f\n", m->precision[0], m->precision[1],
         m->precision[2], m->precision[3]);
  printf("MAP        %.4f\npair accuracy %.4f\n", m->map, m->pair_accuracy);
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
  rank_model model;
  rank_dataset data, train;
  memset(&model, 0, sizeof model);
  memset(&train, 0, sizeof train);
  if (model_path != NULL) {
    if (!mrank_load_model_and_data(model_path, data_path, query_path, &model, &data, "eval"))
      return 2;
    snprintf(what, sizeof what, "model %s", model_path);
  } else if (!rank_dataset_load(data_path, query_path, 0, &data, error, sizeof error)) {
    fprintf(stderr, "mrank eval: %s\n", error);
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
  } else if (!rank_dataset_load(train_path, train_query, data.features, &train, error,
                                sizeof error)) {
    fprintf(stderr, "mrank eval: %s\n", error);
  } else {
    size_t feature = 0;
    double sign = 1.0;
    if (train.queries > 0 && best_feature(&train, &feature, &sign)) {
      for (size_t d = 0; d < data.docs; ++d)
        scores[d] = sign * data.x[d * data.features + feature];
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
