/* demo_mlp.c: the second half of `mrank demo`'s training: data whose planted score is mostly
 * non-linear (products of feature pairs, mrank synth --nonlinear), the linear scorer and the MLP
 * trained on the same queries, both scored on held-out ones beside the planted score's own NDCG. */
#include "cli/demo_mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/fit.h"
#include "rank/metrics.h"
#include "rank/mlp_train.h"
#include "rank/synth.h"
#include "rank/trainer.h"

enum { train_queries = 400, test_queries = 100, docs = 20, features = 10, mlp_epochs = 40 };
static const double nonlinear = 0.7;

static double ndcg10_of(const rank_dataset *data, const double *scores) {
  rank_metrics m;
  return rank_evaluate(data, scores, &m) ? m.ndcg10 : -1.0;
}

/* held-out NDCG@10 of the linear scorer trained with train's options as given (--holdout 0) */
static double linear_ndcg(const char *selector, const rank_dataset *train, const rank_dataset *test,
                          uint64_t seed, double *scores, char *error, size_t error_size) {
  rank_options options;
  rank_default_options(&options);
  options.seed = seed;
  float weights[features];
  rank_fit_result fit = {.best_weights = weights};
  rank_trainer *t = rank_trainer_create(train, selector, 0, options.scale, error, error_size);
  const int ok = t != NULL && rank_fit(t, features, NULL, &options, NULL, &fit, error, error_size);
  rank_trainer_destroy(t);
  if (!ok) return -1.0;
  rank_score(test, weights, features, scores);
  return ndcg10_of(test, scores);
}

static double mlp_ndcg(const char *selector, const rank_dataset *train, const rank_dataset *test,
                       uint64_t seed, double *scores, double *seconds, char *error,
                       size_t error_size) {
  rank_options options;
  rank_default_options(&options);
  options.seed = seed;
  options.lr = 1e-3;
  options.average = 0;
  rank_mlp_options mlp;
  rank_mlp_default_options(&mlp);
  mlp.shape.features = features;
  const size_t P = rank_mlp_parameter_count(&mlp.shape);
  float *parameters = malloc(P * sizeof *parameters);
  rank_mlp_trainer *t =
      parameters != NULL ? rank_mlp_trainer_create(train, selector, 0, error, error_size) : NULL;
  int ok = t != NULL && rank_mlp_trainer_reset(t, &options, &mlp, error, error_size);
  *seconds = 0.0;
  for (unsigned e = 1; ok && e <= mlp_epochs; ++e) {
    rank_epoch_report report;
    ok = rank_mlp_trainer_epoch(t, e, &report, NULL, NULL, error, error_size);
    *seconds += report.seconds;
  }
  ok = ok && rank_mlp_trainer_parameters(t, parameters, error, error_size) &&
       rank_mlp_score(&mlp.shape, parameters, rank_mlp_trainer_mean(t),
                      rank_mlp_trainer_deviation(t), test, scores);
  rank_mlp_trainer_destroy(t);
  free(parameters);
  return ok ? ndcg10_of(test, scores) : -1.0;
}

int mrank_demo_mlp(const char *selector, uint64_t seed) {
  rank_synth synth;
  rank_dataset train = {0}, test = {0};
  double *scores = calloc(test_queries * docs, sizeof *scores);
  char error[1024] = "out of memory";
  int result = -1;
  if (scores != NULL && rank_synth_init(&synth, docs, features, 0.1, seed + 1)) {
    rank_synth_nonlinear(&synth, nonlinear);
    if (rank_synth_dataset(&synth, train_queries, 1, &train) &&
        rank_synth_dataset(&synth, test_queries, train_queries + 1, &test)) {
      for (size_t d = 0; d < test.docs; ++d)
        scores[d] = rank_synth_score(&synth, test.x + d * features);
      const double planted = ndcg10_of(&test, scores);
      double seconds = 0.0;
      const double linear = linear_ndcg(selector, &train, &test, seed, scores, error, sizeof error);
      const double mlp = linear < 0.0 ? -1.0
                                      : mlp_ndcg(selector, &train, &test, seed, scores, &seconds,
                                                 error, sizeof error);
      if (linear >= 0.0 && mlp >= 0.0) {
        /* the planted products are 70% of the score and invisible to a linear model; an MLP
         * that learns them recovers most of the order: 0.2 above linear, within 0.05 of the
         * planted score's own NDCG (measured here: linear 0.58, MLP 0.95, planted 0.99) */
        result = mlp >= linear + 0.2 && mlp >= planted - 0.05;
        printf("train     linear scorer: held-out NDCG@10 %.4f\n", linear);
        rank_mlp_options defaults;
        rank_mlp_default_options(&defaults);
        printf(
            "          MLP 64,32 (Adam, dropout %g, %d epochs, %.2f s): %.4f; the planted "
            "score's %.4f: %s\n",
            defaults.dropout, mlp_epochs, seconds, mlp, planted,
            result ? "the MLP recovers what the linear scorer cannot"
                   : "FAIL: the MLP is not 0.2 above linear and within 0.05 of the planted");
      }
    }
    rank_synth_free(&synth);
  }
  if (result < 0) fprintf(stderr, "mrank demo: training the MLP failed: %s\n", error);
  rank_dataset_free(&train);
  rank_dataset_free(&test);
  free(scores);
  return result;
}
