/* rank_helpers.h: what the learning-to-rank tests share: data parsed from text, a short training
 * run, NDCG@10 of weights, and `mrank synth` files in a folder of their own.
 *
 * Every rank test that has a .timeout has the same one: Criterion 2.4.1's runner leaks a 48-byte
 * timer record when tests with different timeouts run together, which fails the LeakSanitizer run.
 */
#ifndef MRANK_TEST_RANK_HELPERS_H
#define MRANK_TEST_RANK_HELPERS_H

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli_run.h"
#include "helpers.h"
#include "rank/dataset.h"
#include "rank/metrics.h"
#include "rank/model.h"
#include "rank/trainer.h"

static inline int parse(const char *text, const char *groups, size_t features, rank_dataset *out,
                        char *error) {
  return rank_dataset_parse("t.txt", text, strlen(text), "t.query", groups,
                            groups ? strlen(groups) : 0, features, out, error, 512);
}

static inline void train_model(const rank_dataset *d, const char *selector, const rank_options *o,
                               float *weights) {
  char error[512];
  rank_trainer *t = rank_trainer_create(d, selector, 0, o->scale, error, sizeof error);
  cr_assert_not_null(t, "%s", error);
  cr_assert(rank_trainer_reset(t, o, error, sizeof error), "%s", error);
  for (unsigned e = 1; e <= o->epochs; ++e) {
    rank_epoch_report report;
    cr_assert(rank_trainer_epoch(t, e, &report, NULL, NULL, error, sizeof error), "%s", error);
    cr_assert(isfinite(report.train_loss));
  }
  cr_assert(rank_trainer_weights(t, weights, error, sizeof error), "%s", error);
  rank_trainer_destroy(t);
}

static inline double ndcg10(const rank_dataset *d, const float *w) {
  double *scores = malloc(d->docs * sizeof *scores);
  rank_metrics m;
  rank_score(d, w, d->features, scores);
  cr_assert(rank_evaluate(d, scores, &m));
  free(scores);
  return m.ndcg10;
}

/* Runs `mrank synth OPTIONS --out dir/synth.txt` in a fresh folder; path gets the file's name. */
static inline void synth_file(char *dir, char *path, size_t path_size, const char *options) {
  char arguments[512];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, path_size, "%s/synth.txt", dir);
  snprintf(arguments, sizeof arguments, "synth %s --out %s", options, path);
  char *out = NULL;
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
}

/* Removes what synth_file made, and the model a test wrote next to it (<path>.model). */
static inline void remove_synth_file(const char *dir, const char *path) {
  char other[160];
  snprintf(other, sizeof other, "%s.weights", path);
  unlink(other);
  snprintf(other, sizeof other, "%s.model", path);
  unlink(other);
  unlink(path);
  rmdir(dir);
}

/* Runs `mrank ARGUMENTS 2>&1`, and checks its exit status and that its output holds `expected`. */
static inline void expect_cli(const char *arguments, int status, const char *expected) {
  char command[1200], *out = NULL;
  snprintf(command, sizeof command, "%s 2>&1", arguments);
  cr_assert_eq(run_cli("", command, &out), status, "%s: %s", arguments, out);
  cr_assert_not_null(strstr(out, expected), "%s: %s", arguments, out);
  free(out);
}

#endif /* MRANK_TEST_RANK_HELPERS_H */
