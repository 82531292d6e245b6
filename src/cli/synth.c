/* synth.c: `mrank synth`, a LETOR file from a planted linear model, for tests, benchmarks and
 * demonstrations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "rank/atomic_file.h"
#include "rank/dataset.h"
#include "rank/synth.h"

const char mrank_synth_help[] =
    "usage: mrank synth --out OUT [--queries Q] [--docs D] [--features F] [--noise S] [--seed N]\n"
    "                   [--raw] [--irrelevant K] [--nonlinear W]\n"
    "\n"
    "Writes a LETOR file from a planted linear model: features uniform in [0, 1), a hidden weight\n"
    "vector w, and per query the documents' w . x + noise (normal, standard deviation S times "
    "that\n"
    "of the scores) cut into relevance labels 0-4 by rank (the top 5% 4, then 3, 2, 1, 0). "
    "Training\n"
    "on it should recover the planted order. Defaults: 200 queries of 40 documents, 20 features,\n"
    "noise 0.1, seed 1. The planted weights go to OUT.weights (one per line, in the data's\n"
    "units).\n"
    "\n"
    "  --raw            raw features, as MSLR-WEB's and Istella's: feature f is its [0, 1) value\n"
    "                   times a scale from 1 to 1e4 (log-uniform), a whole count for odd indices\n"
    "                   and a score with 2 decimals for even ones; the planted order is the same\n"
    "  --irrelevant K   the last K features have planted weight 0 (for L1: --l1 should zero "
    "them)\n"
    "  --nonlinear W    a planted non-linear part of weight W (0 to 1) in the score: products of\n"
    "                   the feature pairs 1 and 2, 3 and 4, 5 and 6, which no linear model holds\n"
    "                   (train --scorer mlp can); OUT.weights keeps the linear part's weights\n\n"
    "\n"
    "Exit status: 0 done, 2 on a usage or file error, 130 or 143 interrupted (nothing written).\n";

/* What synth was asked. */
typedef struct synth_request {
  const char *out;
  uint64_t queries, docs, features, seed, irrelevant;
  int raw;
  float noise, nonlinear;
} synth_request;

/* -1 help, 0 an error (said), 1 parsed. */
static int parse_synth(int argc, char **argv, synth_request *r) {
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i], *value = NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    uint64_t *number = mrank_is_option(arg, "--queries")      ? &r->queries
                       : mrank_is_option(arg, "--docs")       ? &r->docs
                       : mrank_is_option(arg, "--features")   ? &r->features
                       : mrank_is_option(arg, "--seed")       ? &r->seed
                       : mrank_is_option(arg, "--irrelevant") ? &r->irrelevant
                                                              : NULL;
    if (strcmp(arg, "--raw") == 0) {
      r->raw = 1;
    } else if (mrank_is_option(arg, "--out")) {
      if ((r->out = mrank_option_value(argc, argv, &i, "--out")) == NULL) return 0;
    } else if (mrank_is_option(arg, "--nonlinear")) {
      if ((value = mrank_option_value(argc, argv, &i, "--nonlinear")) == NULL ||
          !mrank_parse_float("--nonlinear", value, &r->nonlinear)) {
        return 0;
      }
      if (!(r->nonlinear >= 0.0f && r->nonlinear <= 1.0f)) {
        mrank_error("--nonlinear is a weight from 0 to 1, not %s", value);
        return 0;
      }
    } else if (mrank_is_option(arg, "--noise")) {
      if ((value = mrank_option_value(argc, argv, &i, "--noise")) == NULL ||
          !mrank_parse_float("--noise", value, &r->noise)) {
        return 0;
      }
      if (r->noise < 0) {
        mrank_error("--noise must be 0 or more, not %s", value);
        return 0;
      }
    } else if (number != NULL) {
      if ((value = mrank_option_value(argc, argv, &i, arg)) == NULL ||
          !mrank_parse_u64(arg, value, number)) {
        return 0;
      }
      if (*number == 0) {
        mrank_error("%s must be 1 or more", arg);
        return 0;
      }
    } else {
      fprintf(stderr, "mrank synth: unknown option \"%s\"; see 'mrank synth --help'\n", arg);
      return 0;
    }
  }
  return 1;
}

int mrank_cmd_synth(int argc, char **argv) {
  synth_request r = {NULL, 200, 40, 20, 1, 0, 0, 0.1f, 0.0f};
  const int parsed = parse_synth(argc, argv, &r);
  if (parsed < 0) {
    fputs(mrank_synth_help, stdout);
    return 0;
  }
  if (parsed == 0) return 2;
  const char *out = r.out;
  const uint64_t queries = r.queries, docs = r.docs, features = r.features, seed = r.seed,
                 irrelevant = r.irrelevant;
  const int raw = r.raw;
  const float noise = r.noise, nonlinear = r.nonlinear;
  if (out == NULL) {
    fprintf(stderr, "mrank synth: --out OUT is required\n");
    return 2;
  }
  if (docs > 100000 || features > 100000 || queries * docs > 100000000ull) {
    fprintf(stderr,
            "mrank synth: too large (at most 1e8 documents, 1e5 features or documents a "
            "query)\n");
    return 2;
  }
  char weights_path[4096];
  snprintf(weights_path, sizeof weights_path, "%s.weights", out);
  const mrank_path outputs[] = {{"--out", out}, {"--out (its .weights)", weights_path}};
  if (!mrank_check_paths(NULL, 0, outputs, 2)) return 2;
  rank_synth synth;
  float *x = NULL, *labels = NULL;
  rank_atomic_file data_file, weights_file;
  int data_open = 0, weights_open = 0;
  const char *failed = NULL; /* the file that could not be written */
  int error = 0;
  if (irrelevant > features) {
    mrank_error("--irrelevant %llu is more than the %llu features", (unsigned long long)irrelevant,
                (unsigned long long)features);
    return 2;
  }
  if (!rank_synth_init(&synth, (size_t)docs, (size_t)features, noise, seed) ||
      !rank_synth_configure(&synth, raw, (size_t)irrelevant) ||
      (rank_synth_nonlinear(&synth, nonlinear), 0) ||
      (x = malloc(docs * features * sizeof *x)) == NULL ||
      (labels = malloc(docs * sizeof *labels)) == NULL) {
    failed = "memory";
    error = ENOMEM;
  } else if (!(data_open = rank_atomic_open(&data_file, out))) {
    failed = out;
    error = errno;
  } else if (!(weights_open = rank_atomic_open(&weights_file, weights_path))) {
    failed = weights_path;
    error = errno;
  }
  /* Ctrl-C or SIGTERM stops between queries; the temporary files go, as on any failure */
  mrank_catch_interrupts();
  for (uint64_t f = 0; failed == NULL && f < features; ++f)
    fprintf(weights_file.file, "%.9g\n", rank_synth_weight(&synth, (size_t)f));
  for (uint64_t q = 0; failed == NULL && q < queries && !mrank_interrupted; ++q) {
    rank_synth_query(&synth, x, labels);
    for (uint64_t d = 0; d < docs; ++d) {
      fprintf(data_file.file, "%d qid:%llu", (int)labels[d], (unsigned long long)(q + 1));
      for (uint64_t f = 0; f < features; ++f) {
        /* raw counts as whole numbers, raw scores with their 2 decimals: each reads back to the
         * same float */
        const int decimals = !raw ? 6 : f % 2 == 0 ? 0 : 2;
        fprintf(data_file.file, " %llu:%.*f", (unsigned long long)(f + 1), decimals,
                x[d * features + f]);
      }
      fputc('\n', data_file.file);
    }
    if (ferror(data_file.file)) {
      failed = out;
      error = errno;
    }
  }
  const int stopped = mrank_interrupted != 0;
  if (failed == NULL && !stopped) {
    /* both commit, or neither file is left behind */
    if (!rank_atomic_commit(&weights_file)) {
      failed = weights_path;
      error = errno;
      rank_atomic_abort(&data_file);
    } else if (!rank_atomic_commit(&data_file)) {
      failed = out;
      error = errno;
      remove(weights_path);
    }
  } else {
    if (data_open) rank_atomic_abort(&data_file);
    if (weights_open) rank_atomic_abort(&weights_file);
  }
  rank_synth_free(&synth);
  free(x);
  free(labels);
  if (stopped) {
    mrank_error("interrupted; nothing written");
    return 128 + mrank_interrupted;
  }
  if (failed != NULL) {
    mrank_error("cannot write %s: %s", failed, strerror(error));
    return 2;
  }
  printf(
      "synth: %llu queries x %llu documents, %llu features, noise %g -> %s (planted weights in "
      "%s)\n",
      (unsigned long long)queries, (unsigned long long)docs, (unsigned long long)features, noise,
      out, weights_path);
  return 0;
}
