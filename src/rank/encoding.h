/* encoding.h: the MLP's input encoding. Each feature keeps its own column and gains a piecewise-
 * linear encoding on the training data's quantiles (Gorishniy, Rubachev and Babenko, "On
 * Embeddings for Numerical Features in Tabular Deep Learning", 2022): with edges e_0 < ... < e_T,
 * column t of the feature is clamp((x - e_t) / (e_{t+1} - e_t), 0, 1). A network on these columns
 * sees where in the training distribution a value lies, which it cannot learn from a few hundred
 * queries on the raw value alone. */
#ifndef MRANK_RANK_ENCODING_H
#define MRANK_RANK_ENCODING_H

#include <stddef.h>

#include "rank/dataset.h"

/* The most bins a feature may get. */
#define RANK_ENCODING_MAX_BINS ((size_t)64)

typedef struct rank_encoding {
  size_t features; /* raw features (the encoded data's first columns, unchanged) */
  size_t bins;     /* the most bins a feature gets; 0: no encoding */
  size_t *start;   /* features + 1 offsets into edges: feature f's are edges[start[f] ..
                      start[f+1]), ascending and distinct; a feature with k edges gets k - 1 bins */
  float *edges;
} rank_encoding;

/* Edges at the quantiles 0, 1/bins, ..., 1 of each feature's values over the training documents
 * (linear interpolation between order statistics, numpy's default; repeated values merged). bins
 * 0 gives an encoding that adds nothing. 0 when out of memory. */
int rank_encoding_fit(const rank_dataset *train, size_t bins, rank_encoding *out);
/* The column count of encoded data: the features and every feature's bins. */
size_t rank_encoding_width(const rank_encoding *encoding);
/* data's rows encoded (features beyond the encoding's are dropped, missing ones are 0), its labels
 * and queries copied; 0 when out of memory or the result would pass `max_floats` (out then says
 * nothing). */
int rank_encoding_apply(const rank_encoding *encoding, const rank_dataset *data, size_t max_floats,
                        rank_dataset *out);
void rank_encoding_free(rank_encoding *encoding);

#endif /* MRANK_RANK_ENCODING_H */
