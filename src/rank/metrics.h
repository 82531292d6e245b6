/* metrics.h: ranking metrics over query groups, from scores and relevance labels: NDCG, precision,
 * recall and F1 at cutoffs, MAP and pairwise accuracy; per query too; and their exact expected
 * values under a uniformly random order (the random baseline). */
#ifndef MRANK_RANK_METRICS_H
#define MRANK_RANK_METRICS_H

#include <stddef.h>

#include "rank/dataset.h"

enum { RANK_MAX_CUTOFFS = 16 };

/* The cutoffs k of the @k metrics, ascending, each at least 1. */
typedef struct rank_cutoffs {
  int k[RANK_MAX_CUTOFFS];
  int count;
} rank_cutoffs;

/* 1, 3, 5, 10 */
extern const rank_cutoffs rank_default_cutoffs;

/* The metrics of one query (or their means over queries). NaN where there is nothing to measure:
 * recall, F1 and MAP without a relevant document, pair accuracy without a pair. */
typedef struct rank_metrics {
  rank_cutoffs cutoffs;
  double ndcg[RANK_MAX_CUTOFFS];      /* gain 2^rel - 1, log2 discount; a query with no relevant
                                         document counts as 1, as LightGBM does */
  double precision[RANK_MAX_CUTOFFS]; /* relevant (rel > 0) among the top k, over k */
  double recall[RANK_MAX_CUTOFFS];    /* relevant among the top k, over the query's relevant */
  double f1[RANK_MAX_CUTOFFS];        /* 2 P R / (P + R) of the query (0 when both are 0) */
  double map;                         /* mean average precision */
  double pair_accuracy;               /* ordered pairs (rel_i > rel_j) scored s_i > s_j; ties
                                         count half */
  double ndcg10;                      /* NDCG@10, whatever the cutoffs */
  size_t queries, pairs, documents;
  size_t with_relevant; /* queries with a relevant document (the denominator of recall, F1, MAP) */
} rank_metrics;

/* Called for each query with its own metrics (queries = 1). */
typedef void (*rank_query_report)(size_t query, const rank_metrics *metrics, void *user);

/* Metrics of `scores` (one per document) on data's queries at the default cutoffs. 0 when out of
 * memory. */
int rank_evaluate(const rank_dataset *data, const double *scores, rank_metrics *out);
/* The same at `cutoffs`; each (may be NULL) sees every query's own metrics. scores NULL: the exact
 * expected value of every metric over uniformly random orders of each query's documents. */
int rank_evaluate_at(const rank_dataset *data, const double *scores, const rank_cutoffs *cutoffs,
                     rank_query_report each, void *user, rank_metrics *out);
/* NDCG@k of one query: documents [0, n) with their labels and scores. */
double rank_ndcg_at(const float *labels, const double *scores, size_t n, int k, size_t *scratch);

/* NDCG@10 of a linear model's weights on a data set (NaN when out of memory). */
double rank_ndcg10(const rank_dataset *data, const float *weights, size_t features);

#endif /* MRANK_RANK_METRICS_H */
