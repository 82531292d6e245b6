/* eval.c: `mrank eval`, the ranking metrics of a model (or of a baseline) on a data set, on the
 * public ranking API (mrank_rank.h: the data set, the model's scores, mrank_evaluate). */
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
#include "mrank_rank.h"
#include "rank/atomic_file.h" /* the tool's atomic writer (a temporary file, then rename) */
#include "rank/text_file.h"   /* the tool's reader of a text file (--scores) */

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

static const double *at_values(const mrank_metrics *m, int row) {
  return row == 0 ? m->ndcg : row == 1 ? m->precision : row == 2 ? m->recall : m->f1;
}

static void print_metrics(const mrank_metrics *m, int json, const char *what) {
  const int count = (int)m->cutoff_count;
  if (json) {
    printf("{\"scored_by\": ");
    mrank_json_string(stdout, what);
    printf(", \"queries\": %zu, \"pairs\": %zu", m->queries, m->pairs);
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < count; ++c) {
        printf(", \"%s@%u\": ", at_names[r], m->cutoffs[c]);
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
    for (int c = 0; c < count; ++c) {
      printf(" @%u ", m->cutoffs[c]);
      print_value(stdout, at_values(m, r)[c], 0);
      printf(c + 1 < count ? " " : "\n");
    }
  }
  printf("MAP        ");
  print_value(stdout, m->map, 0);
  printf("\npair accuracy ");
  print_value(stdout, m->pair_accuracy, 0);
  printf("\n");
}

/* the cutoffs of --eval-at */
typedef struct cutoff_list {
  unsigned k[MRANK_MAX_CUTOFFS];
  int count;
} cutoff_list;

/* --per-query: the header, then a line per query (qid, documents, pairs, then mrank_evaluate's
 * row: each metric at each cutoff, AP, pair accuracy) */
static int print_per_query(FILE *out, const mrank_dataset *data, const cutoff_list *cutoffs,
                           const double *rows, size_t queries) {
  uint64_t *qid = malloc((queries + 1) * sizeof *qid);
  size_t *documents = malloc((queries + 1) * sizeof *documents);
  size_t *pairs = malloc((queries + 1) * sizeof *pairs);
  const int ok = qid != NULL && documents != NULL && pairs != NULL &&
                 mrank_dataset_queries(data, qid, documents, pairs, queries) == MRANK_SUCCESS;
  if (ok) {
    fprintf(out, "qid\tdocuments\tpairs");
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < cutoffs->count; ++c)
        fprintf(out, "\t%s@%u", at_names[r], cutoffs->k[c]);
    }
    fprintf(out, "\tap\tpair_accuracy\n");
    const size_t width = 4 * (size_t)cutoffs->count + 2;
    for (size_t q = 0; q < queries; ++q) {
      fprintf(out, "%llu\t%zu\t%zu", (unsigned long long)qid[q], documents[q], pairs[q]);
      for (size_t k = 0; k < width; ++k) {
        const double v = rows[q * width + k];
        if (v != v) {
          fprintf(out, "\tn/a");
        } else {
          fprintf(out, "\t%.6f", v);
        }
      }
      fputc('\n', out);
    }
  }
  free(qid);
  free(documents);
  free(pairs);
  return ok;
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
  cutoff_list *cutoffs = into;
  char *end = NULL;
  errno = 0;
  const unsigned long long k = isdigit((unsigned char)item[0]) ? strtoull(item, &end, 10) : 0;
  if (end == NULL || *end != '\0' || errno != 0 || k < 1 || k > 100000) {
    mrank_error("%s: a cutoff is a whole number from 1 to 100000, not %s", option, item);
    return 0;
  }
  for (int c = 0; c < at; ++c) {
    if (cutoffs->k[c] >= (unsigned)k) {
      mrank_error("%s: give the cutoffs once each, in increasing order (%u before %s)", option,
                  cutoffs->k[c], item);
      return 0;
    }
  }
  cutoffs->k[at] = (unsigned)k;
  return 1;
}

/* The feature (and sign) with the best NDCG@10 on `train`, used alone as the score. */
static int best_feature(const mrank_dataset *train, size_t *feature, double *sign) {
  size_t rows = 0, features = 0;
  mrank_dataset_info(train, &rows, &features, NULL, NULL);
  float *column = malloc((rows + 1) * sizeof *column);
  double *scores = malloc((rows + 1) * sizeof *scores), best = -1.0;
  const unsigned ten = 10;
  mrank_metrics m;
  for (size_t f = 0; f < features && column != NULL && scores != NULL; ++f) {
    if (mrank_dataset_column(train, f, column, rows) != MRANK_SUCCESS) break;
    for (int direction = 0; direction < 2; ++direction) {
      const double s = direction ? -1.0 : 1.0;
      for (size_t d = 0; d < rows; ++d)
        scores[d] = s * column[d];
      if (mrank_evaluate(scores, train, &ten, 1, &m, NULL) == MRANK_SUCCESS && m.ndcg[0] > best) {
        best = m.ndcg[0];
        *feature = f;
        *sign = s;
      }
    }
  }
  free(column);
  free(scores);
  return best >= 0.0;
}

/* What eval was asked. */
typedef struct eval_request {
  const char *model, *data, *query, *baseline, *train, *train_query, *per_query, *scores;
  cutoff_list cutoffs;
  int json;
  double max_label;
} eval_request;

/* -1 help, 0 an error (said), 1 parsed. */
static int parse_eval(int argc, char **argv, eval_request *r) {
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    if (strcmp(arg, "--json") == 0) {
      r->json = 1;
      continue;
    }
    if (mrank_is_option(arg, "--max-label")) {
      if (!mrank_parse_max_label(argc, argv, &i, &r->max_label)) return 0;
      continue;
    }
    if (mrank_is_option(arg, "--eval-at")) {
      const char *value = mrank_option_value(argc, argv, &i, "--eval-at");
      if (value == NULL || !mrank_parse_list("--eval-at", value, cutoff_item, &r->cutoffs,
                                             MRANK_MAX_CUTOFFS, &r->cutoffs.count)) {
        return 0;
      }
      continue;
    }
    static const char *const names[] = {"--model", "--data",        "--query",  "--baseline",
                                        "--train", "--train-query", "--scores", "--per-query"};
    const char **targets[] = {&r->model, &r->data,        &r->query,  &r->baseline,
                              &r->train, &r->train_query, &r->scores, &r->per_query};
    int which = -1;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k) {
      if (mrank_is_option(arg, names[k])) which = k;
    }
    if (which < 0) {
      fprintf(stderr, "mrank eval: unknown option \"%s\"; see 'mrank eval --help'\n", arg);
      return 0;
    }
    if ((*targets[which] = mrank_option_value(argc, argv, &i, names[which])) == NULL) return 0;
  }
  return 1;
}

/* The request taken together, and its files checked; 1 when it can run. */
static int check_eval(const eval_request *r) {
  if (r->data == NULL || (r->model != NULL) + (r->baseline != NULL) + (r->scores != NULL) != 1) {
    fprintf(stderr, "mrank eval: give --data, and one of --model, --baseline and --scores\n");
    return 0;
  }
  if (r->baseline != NULL && strcmp(r->baseline, "random") != 0 &&
      strcmp(r->baseline, "best-feature") != 0) {
    fprintf(stderr, "mrank eval: --baseline is random or best-feature, not \"%s\"\n", r->baseline);
    return 0;
  }
  if (r->baseline != NULL && strcmp(r->baseline, "best-feature") == 0 && r->train == NULL) {
    fprintf(stderr, "mrank eval: --baseline best-feature chooses the feature on --train FILE\n");
    return 0;
  }
  if (r->json && r->per_query != NULL && strcmp(r->per_query, "-") == 0) {
    mrank_error(
        "--json and --per-query - would both print to standard output; give --per-query "
        "a file");
    return 0;
  }
  /* the per-query table is checked before anything is read: never an input under another name */
  const mrank_path inputs[] = {{"--model", r->model}, {"--data", r->data},
                               {"--query", r->query}, {"--scores", r->scores},
                               {"--train", r->train}, {"--train-query", r->train_query}};
  const int to_file = r->per_query != NULL && strcmp(r->per_query, "-") != 0;
  const mrank_path outputs[] = {{"--per-query", to_file ? r->per_query : NULL}};
  return mrank_check_paths(inputs, 6, outputs, 1);
}

/* The best single feature of --train as scores of data; 0 after a message. */
static int best_feature_scores(const eval_request *r, const mrank_dataset *data, double *scores,
                               size_t docs, char *what, size_t what_size) {
  mrank_dataset *train = NULL;
  if (mrank_dataset_load_ex(r->train, r->train_query, 0, r->max_label, &train) != MRANK_SUCCESS) {
    fprintf(stderr, "mrank eval: %s\n", mrank_api_error());
    return 0;
  }
  size_t feature = 0, queries = 0, features = 0;
  double sign = 1.0;
  mrank_dataset_info(train, NULL, NULL, &queries, NULL);
  mrank_dataset_info(data, NULL, &features, NULL, NULL);
  int ok = queries > 0 && best_feature(train, &feature, &sign);
  mrank_dataset_destroy(train);
  if (!ok) {
    fprintf(stderr, "mrank eval: %s has no query groups\n", r->train);
    return 0;
  }
  float *column = feature < features ? malloc((docs + 1) * sizeof *column) : NULL;
  ok = feature >= features ||
       (column != NULL && mrank_dataset_column(data, feature, column, docs) == MRANK_SUCCESS);
  for (size_t d = 0; d < docs && ok; ++d)
    scores[d] = feature < features ? sign * column[d] : 0.0;
  free(column);
  if (!ok) mrank_error("out of memory");
  snprintf(what, what_size, "best single feature on %s: %s%zu", r->train, sign < 0 ? "-" : "",
           feature + 1);
  return ok;
}

/* The scores of the request on data (NULL in *scored: the random order's exact expectation);
 * 0 after a message. */
static int score(const eval_request *r, const mrank_model *model, const mrank_dataset *data,
                 double *scores, const double **scored, char *what, size_t what_size) {
  size_t docs = 0;
  mrank_dataset_info(data, &docs, NULL, NULL, NULL);
  *scored = scores;
  if (model != NULL) {
    snprintf(what, what_size, "model %s", r->model);
    if (mrank_model_score(model, data, scores) == MRANK_SUCCESS) return 1;
    fprintf(stderr, "mrank eval: %s\n", mrank_api_error());
    return 0;
  }
  if (r->scores != NULL) {
    snprintf(what, what_size, "scores %s", r->scores);
    return read_scores(r->scores, scores, docs);
  }
  if (strcmp(r->baseline, "random") == 0) {
    *scored = NULL;
    snprintf(what, what_size, "random order (the expected value over all orders)");
    return 1;
  }
  return best_feature_scores(r, data, scores, docs, what, what_size);
}

/* The metrics, and the per-query table to its file (atomically) or standard output; 0 after a
 * message. */
static int evaluate(const eval_request *r, const mrank_dataset *data, const double *scored,
                    const char *what) {
  size_t queries = 0;
  mrank_dataset_info(data, NULL, NULL, &queries, NULL);
  const size_t width = 4 * (size_t)r->cutoffs.count + 2;
  double *rows = r->per_query != NULL ? malloc((queries * width + 1) * sizeof *rows) : NULL;
  mrank_metrics m;
  if ((r->per_query != NULL && rows == NULL) ||
      mrank_evaluate(scored, data, r->cutoffs.k, (size_t)r->cutoffs.count, &m, rows) !=
          MRANK_SUCCESS) {
    mrank_error("%s", rows == NULL && r->per_query != NULL ? "out of memory" : mrank_api_error());
    free(rows);
    return 0;
  }
  int ok = 1;
  if (r->per_query != NULL && strcmp(r->per_query, "-") == 0) {
    ok = print_per_query(stdout, data, &r->cutoffs, rows, queries);
  } else if (r->per_query != NULL) {
    rank_atomic_file file;
    const int opened = rank_atomic_open(&file, r->per_query);
    ok = opened && print_per_query(file.file, data, &r->cutoffs, rows, queries);
    if (ok && !rank_atomic_commit(&file))
      ok = 0; /* commit closes: no abort after it */
    else if (!ok && opened)
      rank_atomic_abort(&file);
    if (!ok) mrank_error("cannot write %s: %s", r->per_query, strerror(errno));
  }
  free(rows);
  if (ok) print_metrics(&m, r->json, what);
  return ok;
}

int mrank_cmd_eval(int argc, char **argv) {
  eval_request r = {.cutoffs = {{1, 3, 5, 10}, 4}, .max_label = 31};
  const int parsed = parse_eval(argc, argv, &r);
  if (parsed < 0) {
    fputs(mrank_eval_help, stdout);
    return 0;
  }
  if (parsed == 0 || !check_eval(&r)) return 2;
  mrank_model *model = NULL;
  mrank_dataset *data = NULL;
  if (r.model != NULL) {
    if (!mrank_load_model_and_data(r.model, r.data, r.query, r.max_label, &model, &data)) return 2;
  } else if (mrank_dataset_load_ex(r.data, r.query, 0, r.max_label, &data) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 2;
  }
  size_t docs = 0, queries = 0;
  mrank_dataset_info(data, &docs, NULL, &queries, NULL);
  double *scores = malloc((docs + 1) * sizeof *scores);
  const double *scored = NULL;
  char what[512];
  int status = 2;
  if (queries == 0) {
    fprintf(stderr, "mrank eval: %s has no query groups (give qid: tokens or --query FILE)\n",
            r.data);
  } else if (scores == NULL) {
    fprintf(stderr, "mrank eval: out of memory\n");
  } else if (score(&r, model, data, scores, &scored, what, sizeof what) &&
             evaluate(&r, data, scored, what)) {
    status = 0;
  }
  free(scores);
  mrank_model_destroy(model);
  mrank_dataset_destroy(data);
  return status;
}
