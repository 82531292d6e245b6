/* eval.c: `mrank eval`, the ranking metrics of a model (or of a baseline) on a data set. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/scoring.h"
#include "cli/train_options.h"
#include "rank/atomic_file.h"
#include "rank/dataset.h"
#include "rank/metrics.h"
#include "rank/model.h"

const char mrank_eval_help[] =
    "usage: mrank eval --model M --data FILE [--query FILE] [--max-label N] [--json]\n"
    "                  [--eval-at K,...] [--per-query OUT]\n"
    "       mrank eval --baseline random --data FILE [--query FILE] [options]\n"
    "       mrank eval --scores FILE --data FILE ... (scores from mrank predict or another tool)\n"
    "       mrank eval --baseline best-feature --train FILE [--train-query FILE] --data FILE ...\n"
    "\n"
    "Scores FILE (\"-\": standard input) with the model and prints, at each cutoff k, NDCG@k\n"
    "(gain 2^rel - 1, log2 discount; a query without a relevant document counts as 1),\n"
    "precision@k, recall@k and F1@k (rel > 0 is relevant), MAP, and pairwise accuracy (ties\n"
    "count half). Recall, F1 and MAP are means over the queries with a relevant document, pair\n"
    "accuracy over all ordered pairs; a metric with nothing to measure is n/a (null in JSON).\n"
    "Features beyond the model's count score 0 (a warning says so); fewer are fine; features "
    "whose\n"
    "weight is 0 (--l1) are skipped. The baselines score the same way: random order is the exact\n"
    "expected value of every metric over uniformly random orders; best-feature is the single\n"
    "feature (and sign) with the best NDCG@10 on the --train data.\n"
    "\n"
    "  --scores FILE    one score per line, a line per document of --data in its order (mrank\n"
    "                   predict's output, or another ranker's): scored with the same metrics\n"
    "  --eval-at K,...  cutoffs (default 1,3,5,10; at most 16, each at least 1)\n"
    "  --per-query OUT  one tab-separated line per query (qid, documents, pairs, then each "
    "metric)\n"
    "                   for error analysis; \"-\" is standard output\n"
    "  --max-label N    relevance labels must be whole or fractional numbers from 0 to N (default\n"
    "                   31, LightGBM's limit; gains are 2^label - 1); at most 1000\n\n"
    "\n"
    "Exit status: 0 done, 2 on a usage, data, model or file error.\n";

/* a metric, or n/a (JSON null) when it had nothing to measure */
static void print_value(FILE *out, double value, int json) {
  if (json) {
    if (value != value) {
      fprintf(out, "null");
    } else {
      fprintf(out, "%.6f", value);
    }
  } else if (value != value) {
    fprintf(out, "   n/a");
  } else {
    fprintf(out, "%.4f", value);
  }
}

static const char *const at_names[] = {"ndcg", "precision", "recall", "f1"};

static const double *at_values(const rank_metrics *m, int row) {
  return row == 0 ? m->ndcg : row == 1 ? m->precision : row == 2 ? m->recall : m->f1;
}

static void print_metrics(const rank_metrics *m, int json, const char *what) {
  if (json) {
    printf("{\"scored_by\": ");
    mrank_json_string(stdout, what);
    printf(", \"queries\": %zu, \"pairs\": %zu", m->queries, m->pairs);
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < m->cutoffs.count; ++c) {
        printf(", \"%s@%d\": ", at_names[r], m->cutoffs.k[c]);
        print_value(stdout, at_values(m, r)[c], 1);
      }
    }
    printf(", \"map\": ");
    print_value(stdout, m->map, 1);
    printf(", \"pair_accuracy\": ");
    print_value(stdout, m->pair_accuracy, 1);
    printf("}\n");
    return;
  }
  printf("%s: %zu queries, %zu ordered pairs\n", what, m->queries, m->pairs);
  const char *rows[4] = {"NDCG      ", "precision ", "recall    ", "F1        "};
  for (int r = 0; r < 4; ++r) {
    printf("%s", rows[r]);
    for (int c = 0; c < m->cutoffs.count; ++c) {
      printf(" @%d ", m->cutoffs.k[c]);
      print_value(stdout, at_values(m, r)[c], 0);
      printf(c + 1 < m->cutoffs.count ? " " : "\n");
    }
  }
  printf("MAP        ");
  print_value(stdout, m->map, 0);
  printf("\npair accuracy ");
  print_value(stdout, m->pair_accuracy, 0);
  printf("\n");
}

/* --per-query: the header, then a line per query */
typedef struct per_query {
  FILE *out;
  const rank_dataset *data;
} per_query;

static void per_query_header(FILE *out, const rank_cutoffs *cutoffs) {
  fprintf(out, "qid\tdocuments\tpairs");
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < cutoffs->count; ++c)
      fprintf(out, "\t%s@%d", at_names[r], cutoffs->k[c]);
  }
  fprintf(out, "\tap\tpair_accuracy\n");
}

static void per_query_line(size_t q, const rank_metrics *m, void *user) {
  per_query *p = user;
  fprintf(p->out, "%llu\t%zu\t%zu", p->data->qid[q], m->documents, m->pairs);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < m->cutoffs.count; ++c) {
      const double v = at_values(m, r)[c];
      if (v != v) {
        fprintf(p->out, "\tn/a");
      } else {
        fprintf(p->out, "\t%.6f", v);
      }
    }
  }
  const double last[2] = {m->map, m->pair_accuracy};
  for (int k = 0; k < 2; ++k) {
    if (last[k] != last[k]) {
      fprintf(p->out, "\tn/a");
    } else {
      fprintf(p->out, "\t%.6f", last[k]);
    }
  }
  fputc('\n', p->out);
}

/* --scores: one finite number per line, a line per document of the data, in its order. */
static int read_scores(const char *path, double *scores, size_t docs) {
  size_t length = 0;
  char error[1024];
  char *text = rank_read_file(path, &length, error, sizeof error);
  if (text == NULL) {
    mrank_error("%s", error);
    return 0;
  }
  const char *p = text;
  size_t line = 0;
  int ok = 1;
  while (ok && *p != '\0') {
    char *end = NULL;
    errno = 0;
    const double value = strtod(p, &end);
    line++;
    /* an underflow (ERANGE with a value at most DBL_MIN) is a tiny score, taken as read */
    const int overflow = errno == ERANGE && fabs(value) > DBL_MIN;
    if (end == p || overflow || !isfinite(value) || (*end != '\n' && *end != '\0')) {
      mrank_error("%s:%zu: expected one finite score per line", path, line);
      ok = 0;
    } else if (line > docs) {
      mrank_error("%s has more scores than the data's %zu documents", path, docs);
      ok = 0;
    } else {
      scores[line - 1] = value;
      p = *end == '\n' ? end + 1 : end;
    }
  }
  if (ok && line != docs) {
    mrank_error("%s has %zu scores for the data's %zu documents (one per document, in order)", path,
                line, docs);
    ok = 0;
  }
  free(text);
  return ok;
}

static int cutoff_item(const char *option, const char *item, void *into, int at) {
  rank_cutoffs *cutoffs = into;
  char *end = NULL;
  errno = 0;
  const unsigned long long k = isdigit((unsigned char)item[0]) ? strtoull(item, &end, 10) : 0;
  if (end == NULL || *end != '\0' || errno != 0 || k < 1 || k > 100000) {
    mrank_error("%s: a cutoff is a whole number from 1 to 100000, not %s", option, item);
    return 0;
  }
  for (int c = 0; c < at; ++c) {
    if (cutoffs->k[c] >= (int)k) {
      mrank_error("%s: give the cutoffs once each, in increasing order (%d before %s)", option,
                  cutoffs->k[c], item);
      return 0;
    }
  }
  cutoffs->k[at] = (int)k;
  return 1;
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
      if (rank_evaluate(train, scores, &m) && m.ndcg10 > best) {
        best = m.ndcg10;
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
  const char *train_path = NULL, *train_query = NULL, *per_query_path = NULL;
  const char *scores_path = NULL;
  rank_cutoffs cutoffs = rank_default_cutoffs;
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
    if (mrank_is_option(arg, "--eval-at")) {
      const char *value = mrank_option_value(argc, argv, &i, "--eval-at");
      if (value == NULL || !mrank_parse_list("--eval-at", value, cutoff_item, &cutoffs,
                                             RANK_MAX_CUTOFFS, &cutoffs.count)) {
        return 2;
      }
      continue;
    }
    if (mrank_is_option(arg, "--per-query")) {
      if ((per_query_path = mrank_option_value(argc, argv, &i, "--per-query")) == NULL) return 2;
      continue;
    }
    static const char *const names[] = {"--model", "--data",        "--query", "--baseline",
                                        "--train", "--train-query", "--scores"};
    const char **targets[] = {&model_path, &data_path,   &query_path, &baseline,
                              &train_path, &train_query, &scores_path};
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
  if (data_path == NULL || (model_path != NULL) + (baseline != NULL) + (scores_path != NULL) != 1) {
    fprintf(stderr, "mrank eval: give --data, and one of --model, --baseline and --scores\n");
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
  if (json && per_query_path != NULL && strcmp(per_query_path, "-") == 0) {
    mrank_error(
        "--json and --per-query - would both print to standard output; give --per-query "
        "a file");
    return 2;
  }
  /* the per-query table is checked before anything is read: never an input under another name */
  const mrank_path inputs[] = {{"--model", model_path}, {"--data", data_path},
                               {"--query", query_path}, {"--scores", scores_path},
                               {"--train", train_path}, {"--train-query", train_query}};
  const int per_query_to_file = per_query_path != NULL && strcmp(per_query_path, "-") != 0;
  const mrank_path outputs[] = {{"--per-query", per_query_to_file ? per_query_path : NULL}};
  if (!mrank_check_paths(inputs, 6, outputs, 1)) return 2;
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
  const double *scored = scores; /* NULL: the random order's exact expectation */
  rank_metrics m;
  if (data.queries == 0) {
    fprintf(stderr, "mrank eval: %s has no query groups (give qid: tokens or --query FILE)\n",
            data_path);
  } else if (scores == NULL) {
    fprintf(stderr, "mrank eval: out of memory\n");
  } else if (model_path != NULL) {
    if (rank_model_score(&model, &data, scores)) {
      status = 0;
    } else {
      fprintf(stderr, "mrank eval: out of memory scoring with the model\n");
    }
  } else if (scores_path != NULL) {
    status = read_scores(scores_path, scores, data.docs) ? 0 : 2;
    snprintf(what, sizeof what, "scores %s", scores_path);
  } else if (strcmp(baseline, "random") == 0) {
    scored = NULL;
    snprintf(what, sizeof what, "random order (the expected value over all orders)");
    status = 0;
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
      status = 0;
    } else {
      fprintf(stderr, "mrank eval: %s has no query groups\n", train_path);
    }
  }
  rank_atomic_file per_query_file;
  per_query lines = {stdout, &data};
  const int to_file = per_query_path != NULL && strcmp(per_query_path, "-") != 0;
  if (status == 0 && to_file) {
    if (rank_atomic_open(&per_query_file, per_query_path)) {
      lines.out = per_query_file.file;
    } else {
      mrank_error("cannot write %s: %s", per_query_path, strerror(errno));
      status = 2;
    }
  }
  if (status == 0) {
    if (per_query_path != NULL) per_query_header(lines.out, &cutoffs);
    if (!rank_evaluate_at(&data, scored, &cutoffs, per_query_path != NULL ? per_query_line : NULL,
                          &lines, &m)) {
      mrank_error("out of memory");
      status = 2;
    }
  }
  if (to_file && lines.out != stdout) {
    if (status == 0 && !rank_atomic_commit(&per_query_file)) {
      mrank_error("cannot write %s: %s", per_query_path, strerror(errno));
      status = 2;
    } else if (status != 0) {
      rank_atomic_abort(&per_query_file);
    }
  }
  if (status == 0) print_metrics(&m, json, what);
  free(scores);
  rank_model_free(&model);
  rank_dataset_free(&data);
  rank_dataset_free(&train);
  return status;
}
