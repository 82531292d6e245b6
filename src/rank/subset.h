/* subset.h: parts of a data set by query: the seeded split that `mrank split`, train's internal
 * validation part and tune's folds share, and an in-memory copy of some queries. */
#ifndef MRANK_RANK_SUBSET_H
#define MRANK_RANK_SUBSET_H

#include <stddef.h>

#include "rank/dataset.h"

/* The queries 0 .. queries - 1 shuffled from the seed into order[] (queries entries); the first
 * *cut (round(fraction * queries), at least 1 and at most queries - 1) form the first part. Each
 * part is then sorted back into file order. Needs queries >= 2. */
void rank_query_split(size_t queries, double fraction, unsigned long long seed, size_t *order,
                      size_t *cut);

/* The queries order[0 .. count) of data, in that order, as a data set of their own (the same
 * feature count). 0 when out of memory (*out is then empty). */
int rank_dataset_subset(const rank_dataset *data, const size_t *order, size_t count,
                        rank_dataset *out);

/* a's queries, then b's, as one data set (the same feature count: b's columns beyond a's are
 * dropped, missing ones are 0). 0 when out of memory (*out is then empty). */
int rank_dataset_concat(const rank_dataset *a, const rank_dataset *b, rank_dataset *out);

/* The held-out folds of the training queries (train's internal choice): fold k holds out the k-th
 * run of round(holdout * queries) queries of one shuffle from a fixed seed of its own (so no query
 * is held out twice, and --seed moves only the batch order). Small data gets as many folds as fit
 * (at most 5), large data one: a part of 1000 queries or more is steady enough to choose from. */
typedef struct rank_folds {
  size_t *order; /* the shuffled queries (free it) */
  size_t count, held_out;
} rank_folds;

/* Needs queries >= 2. 0 when out of memory. */
int rank_make_folds(const rank_dataset *train, double holdout, rank_folds *folds);
/* Fold k's training and held-out parts, each in file order. 0 when out of memory. */
int rank_fold_parts(const rank_dataset *train, const rank_folds *folds, size_t k,
                    rank_dataset *inner, rank_dataset *held_out);

/* tune's K folds: the queries 0 .. queries - 1 in one shuffle from the seed (NULL when out of
 * memory); fold k of `folds` holds out the k-th run of queries of it, [queries k / folds,
 * queries (k + 1) / folds), and trains on the rest (order kept). 0 when out of memory. */
size_t *rank_kfold_order(size_t queries, unsigned long long seed);
int rank_kfold_parts(const rank_dataset *all, const size_t *order, size_t folds, size_t k,
                     rank_dataset *inner, rank_dataset *held_out);

#endif /* MRANK_RANK_SUBSET_H */
