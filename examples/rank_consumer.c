/* rank_consumer.c: the ranking API (mrank_rank.h) from another program: a model trained on arrays
 * in memory (mrank_train, on the host: the CPU reference, so it runs where no OpenCL device is),
 * saved and loaded back; a model that `mrank train` wrote; their scores and metrics; and a model
 * through its text, as a binding pickles it.
 *   usage: rank_consumer MODEL      (a model of 3 features: mrank train on `mrank synth
 *                                   --features 3` data writes one)
 * Prints the metrics, "trained, saved and loaded: the same scores" and "scores match the model's
 * text" when each copy of a model scores the same bits as the original. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mrank_rank.h>

/* two queries of three documents, three features each, row-major */
static const float values[] = {0.9f, 0.1f, 0.3f, 0.2f, 0.8f, 0.5f, 0.4f, 0.4f, 0.4f,
                               0.7f, 0.6f, 0.1f, 0.1f, 0.2f, 0.9f, 0.5f, 0.5f, 0.5f};
static const float labels[] = {2, 0, 1, 1, 0, 2};
static const int64_t qid[] = {1, 1, 1, 2, 2, 2};

/* Trains on the arrays, saves to path, loads it back: 1 when both score the same. */
static int train_save_load(const mrank_dataset *data, const char *path) {
  mrank_train_options *options = NULL;
  mrank_model *model = NULL, *loaded = NULL;
  double scores[6], again[6];
  int ok = mrank_train_options_create(&options) == MRANK_SUCCESS &&
           mrank_train_options_set(options, "device", "host") == MRANK_SUCCESS &&
           mrank_train_options_set(options, "holdout", "0") == MRANK_SUCCESS &&
           mrank_train_options_set(options, "epochs", "5") == MRANK_SUCCESS &&
           mrank_train(data, NULL, options, NULL, NULL, &model) == MRANK_SUCCESS &&
           mrank_model_save(model, path) == MRANK_SUCCESS &&
           mrank_model_load(path, &loaded) == MRANK_SUCCESS &&
           mrank_model_score(model, data, scores) == MRANK_SUCCESS &&
           mrank_model_score_dense(loaded, 6, 3, values, again) == MRANK_SUCCESS;
  if (!ok) fprintf(stderr, "rank_consumer: %s\n", mrank_last_error());
  ok = ok && memcmp(scores, again, sizeof scores) == 0;
  if (ok) printf("trained, saved and loaded: the same scores\n");
  mrank_model_destroy(loaded);
  mrank_model_destroy(model);
  mrank_train_options_destroy(options);
  return ok;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: rank_consumer MODEL (a model of 3 features)\n");
    return 2;
  }
  mrank_dataset *data = NULL;
  mrank_model *model = NULL, *copy = NULL;
  char *text = NULL, path[4096];
  double scores[6], again[6];
  mrank_metrics metrics;
  int status = 1;
  snprintf(path, sizeof path, "%s.trained", argv[1]);
  if (mrank_dataset_from_dense(6, 3, values, labels, qid, NULL, 0, &data) != MRANK_SUCCESS ||
      mrank_model_load(argv[1], &model) != MRANK_SUCCESS ||
      mrank_model_score(model, data, scores) != MRANK_SUCCESS ||
      mrank_evaluate(scores, data, NULL, 0, &metrics, NULL) != MRANK_SUCCESS ||
      mrank_model_to_string(model, &text) != MRANK_SUCCESS ||
      mrank_model_from_string(text, &copy) != MRANK_SUCCESS ||
      mrank_model_score_dense(copy, 6, 3, values, again) != MRANK_SUCCESS) {
    fprintf(stderr, "rank_consumer: %s\n", mrank_last_error());
  } else {
    printf("%zu queries, %zu pairs: NDCG@10 %.4f, pair accuracy %.4f\n", metrics.queries,
           metrics.pairs, metrics.ndcg[3], metrics.pair_accuracy);
    if (memcmp(scores, again, sizeof scores) == 0 && train_save_load(data, path)) {
      printf("scores match the model's text\n");
      status = 0;
    }
  }
  remove(path);
  mrank_string_free(text);
  mrank_model_destroy(copy);
  mrank_model_destroy(model);
  mrank_dataset_destroy(data);
  return status;
}
