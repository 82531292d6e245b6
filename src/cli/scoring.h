/* scoring.h: the data sets the ranking commands read (the public ranking API, mrank_rank.h): a
 * model and the data it scores (eval, predict), training and validation data (train, tune). */
#ifndef MRANK_CLI_SCORING_H
#define MRANK_CLI_SCORING_H

#include "mrank_rank.h"

/* Loads the model, then the data (and its group file, or NULL) with labels up to max_label
 * (negative: any). Features beyond the model's count get weight 0: one warning line says so.
 * 0 after printing "mrank COMMAND: ..." on stderr (nothing is left allocated). */
int mrank_load_model_and_data(const char *model_path, const char *data_path, const char *query_path,
                              double max_label, mrank_model **model, mrank_dataset **data);

/* train and tune's data: train_path (its group file query, or NULL) with `features` columns (0:
 * the largest index) and labels up to max_label, then valid_path (when not NULL) with the training
 * data's count; 0 after printing what was wrong (*train and *valid NULL or to be destroyed). */
int mrank_load_train_valid(const char *train_path, const char *query, const char *valid_path,
                           const char *valid_query, size_t features, double max_label,
                           mrank_dataset **train, mrank_dataset **valid);

#endif /* MRANK_CLI_SCORING_H */
