/* scoring.c: a model and the data it scores, loaded together for eval and predict. */
#include "cli/scoring.h"

#include <stdio.h>

#include "cli/options.h"

int mrank_load_model_and_data(const char *model_path, const char *data_path, const char *query_path,
                              double max_label, mrank_model **model, mrank_dataset **data) {
  *data = NULL;
  if (mrank_model_load(model_path, model) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 0;
  }
  if (mrank_dataset_load_ex(data_path, query_path, 0, max_label, data) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    mrank_model_destroy(*model);
    *model = NULL;
    return 0;
  }
  /* as LightGBM and XGBoost do: a feature the model never saw contributes nothing */
  mrank_model_description d;
  size_t features = 0;
  mrank_model_info(*model, &d);
  mrank_dataset_info(*data, NULL, &features, NULL, NULL);
  if (features > d.features) {
    mrank_error(
        "warning: %s has features up to %zu, the model %s %zu; the %zu beyond the "
        "model's count get weight 0",
        data_path, features, model_path, d.features, features - d.features);
  }
  return 1;
}
