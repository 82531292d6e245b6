/* scoring.h: a model and the data it scores, as eval and predict load them (the public ranking
 * API, mrank_rank.h). */
#ifndef MRANK_CLI_SCORING_H
#define MRANK_CLI_SCORING_H

#include "mrank_rank.h"

/* Loads the model, then the data (and its group file, or NULL) with labels up to max_label
 * (negative: any). Features beyond the model's count get weight 0: one warning line says so.
 * 0 after printing "mrank COMMAND: ..." on stderr (nothing is left allocated). */
int mrank_load_model_and_data(const char *model_path, const char *data_path, const char *query_path,
                              double max_label, mrank_model **model, mrank_dataset **data);

#endif /* MRANK_CLI_SCORING_H */
