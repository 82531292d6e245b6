/* scoring.c: the data sets the ranking commands read (see scoring.h). */
#include "cli/scoring.h"

#include <stdio.h>

#include "cli/options.h"
#include "cli/train_options.h" /* mrank_features_hint */

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

int mrank_load_train_valid(const char *train_path, const char *query, const char *valid_path,
                           const char *valid_query, size_t features, double max_label,
                           mrank_dataset **train, mrank_dataset **valid) {
  *train = *valid = NULL;
  if (mrank_dataset_load_ex(train_path, query, features, max_label, train) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 0;
  }
  if (valid_path == NULL) return 1;
  size_t columns = 0, queries = 0;
  mrank_dataset_info(*train, NULL, &columns, NULL, NULL);
  if (mrank_dataset_load_ex(valid_path, valid_query, columns, max_label, valid) != MRANK_SUCCESS) {
    const char *error = mrank_api_error();
    mrank_error("%s%s", error, features == 0 ? mrank_features_hint(error) : "");
    return 0;
  }
  mrank_dataset_info(*valid, NULL, NULL, &queries, NULL);
  if (queries == 0) {
    mrank_error("%s has no query groups (give qid: or --valid-query)", valid_path);
    return 0;
  }
  return 1;
}
