/* rank_consumer.c: the ranking API (mrank_rank.h) from another program: a model that `mrank train`
 * wrote, a data set made from arrays in memory, its scores and its metrics; and the model through
 * its text, as a binding pickles it.
 *   usage: rank_consumer MODEL      (a model of 3 features: mrank train on `mrank synth
 *                                   --features 3` data writes one)
 * Prints the metrics and "scores match the model's text" when the model read back from its own
 * text scores the same bits. */
#include <stdio.h>
#include <string.h>

#include <mrank_rank.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: rank_consumer MODEL (a model of 3 features)\n");
    return 2;
  }
  /* two queries of three documents, three features each, row-major */
  const float values[] = {0.9f, 0.1f, 0.3f, 0.2f, 0.8f, 0.5f, 0.4f, 0.4f, 0.4f,
                          0.7f, 0.6f, 0.1f, 0.1f, 0.2f, 0.9f, 0.5f, 0.5f, 0.5f};
  const float labels[] = {2, 0, 1, 1, 0, 2};
  const int64_t qid[] = {1, 1, 1, 2, 2, 2};
  mrank_dataset *data = NULL;
  mrank_model *model = NULL, *copy = NULL;
  char *text = NULL;
  double scores[6], again[6];
  mrank_metrics metrics;
  int status = 1;
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
    if (memcmp(scores, again, sizeof scores) == 0) {
      printf("scores match the model's text\n");
      status = 0;
    }
  }
  mrank_string_free(text);
  mrank_model_destroy(copy);
  mrank_model_destroy(model);
  mrank_dataset_destroy(data);
  return status;
}
