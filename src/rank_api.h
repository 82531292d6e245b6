/* rank_api.h: what mrank_rank.h's handles hold: the ranker's own structures (src/rank/), shared by
 * the files that implement the public ranking API. */
#ifndef MRANK_RANK_API_H
#define MRANK_RANK_API_H

#include "mrank_rank.h"
#include "rank/dataset.h"
#include "rank/config.h"
#include "rank/model.h"

struct mrank_dataset {
  rank_dataset data;
};

struct mrank_model {
  rank_model model;
  char note[256]; /* what a model mrank_train returned early is (mrank_model_description) */
};

struct mrank_train_options {
  rank_train_config config;
};

/* valid with train's feature count: as given (*widened left empty), or widened with zero columns
 * into *widened (a file whose last features are absent); more features than train is refused.
 * The message (mrank_last_error) has no function name: the caller adds its own. */
mrank_status rank_api_same_width(const rank_dataset *train, const rank_dataset *valid,
                                 rank_dataset *widened);

#endif /* MRANK_RANK_API_H */
