/* metrics.h: ranking metrics over query groups, from scores and relevance labels. */
#ifndef MRANK_RANK_METRICS_H
#define MRANK_RANK_METRICS_H

#include <stddef.h>

#include "rank/dataset.h"

typedef struct rank_metrics {
  double ndcg[4];       /* @1, @3, @5, @10: gain 2^rel - 1, log2 discount; a query with no
                           relevant document counts as 1, as LightGBM does */
  double precision[4];  /* @1, @3, @5, @10: relevant (rel > 0) among the top k, over k */
  double map;           /* mean average precision over the queries with a relevant document (NaN
                           when there is none) */
  double pair_accuracy; /* ordered pairs (rel_i > rel_j) scored s_i > s_j; ties count half (NaN
                           without a pair) */
  size_t queries, pairs;
} rank_metrics;

extern const int rank_metric_cutoffs[4]; /* 1, 3, 5, 10 */

/* Metrics of `scores` (one per document) on data's queries. 0 when out of memory. */
int rank_evaluate(const rank_dataset *data, const double *scores, rank_metrics *out);
/* NDCG@k of one query: documents [0, n) with their labels and scores. */
double rank_ndcg_at(const float *labels, const double *scores, size_t n, int k, size_t *scratch);

/* NDCG@10 of a linear model's weights on a data set (NaN when out of memory). */
double rank_ndcg10(const rank_dataset *data, const float *weights, size_t features);

#endif /* MRANK_RANK_METRICS_H */
