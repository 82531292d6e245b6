/* scoring.c: a model and the data it scores, loaded together for eval and predict. */
#include "cli/scoring.h"

#include <stdio.h>

int mrank_load_model_and_data(const char *model_path, const char *data_path, const char *query_path,
                              rank_model *model, rank_dataset *data, const char *command) {
  char error[1024];
  if (!rank_model_load(model_path, 0, model, error, sizeof error)) {
    fprintf(stderr, "mrank %s: %s\n", command, error);
    return 0;
  }
  /* the data is read with the model's feature count: an index beyond it is refused */
  if (!rank_dataset_load(data_path, query_path, model->features, data, error, sizeof error)) {
    if (rank_error_beyond_features(error)) {
      fprintf(stderr, "mrank %s: %s (the model %s has %zu features)\n", command, error, model_path,
              model->features);
    } else {
      fprintf(stderr, "mrank %s: %s\n", command, error);
    }
    rank_model_free(model);
    return 0;
  }
  return 1;
}
