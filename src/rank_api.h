/* rank_api.h: what mrank_rank.h's handles hold: the ranker's own structures (src/rank/), shared by
 * the files that implement the public ranking API. */
#ifndef MRANK_RANK_API_H
#define MRANK_RANK_API_H

#include "mrank_rank.h"
#include "rank/dataset.h"
#include "rank/model.h"

struct mrank_dataset {
  rank_dataset data;
};

struct mrank_model {
  rank_model model;
  char note[256]; /* what a model mrank_train returned early is (mrank_model_description) */
};

#endif /* MRANK_RANK_API_H */
