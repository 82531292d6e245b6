/* scoring.c: a model and the data it scores, loaded together for eval and predict. */
#include "cli/scoring.h"

#include <stdio.h>

#include "cli/options.h"

int mrank_load_model_and_data(const char *model_path, const char *data_path, const char *query_path,
                              double max_label, rank_model *model, rank_dataset *data) {
  char error[1024];
  if (!rank_model_load(model_path, 0, model, error, sizeof error)) {
    mrank_error("%s", error);
    return 0;
  }
  const rank_read_limits limits = {0, max_label};
  if (!rank_dataset_load_checked(data_path, query_path, &limits, data, error, sizeof error)) {
    mrank_error("%s", error);
    rank_model_free(model);
    return 0;
  }
  /* as LightGBM and XGBoost do: a feature the model never saw contributes nothing */
  if (data->features > model->features) {
    mrank_error(
        "warning: %s has features up to %zu, the model %s %zu; the %zu beyond the "
        "model's count get weight 0",
        data_path, data->features, model_path, model->features, data->features - model->features);
  }
  return 1;
}
