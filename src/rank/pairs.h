/* pairs.h: the training pairs of an epoch: within each query every (i, j) with label_i > label_j,
 * or at most K of them drawn from the seed and the epoch; and the index from each document to its
 * pairs, in pair order, that the gradient's fixed-order gather walks. */
#ifndef MRANK_RANK_PAIRS_H
#define MRANK_RANK_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "rank/dataset.h"

/* A pair's document entries are coded 2p and 2p + 1 in uint32. */
#define RANK_MAX_PAIRS ((size_t)INT32_MAX)

typedef struct rank_pairs {
  uint32_t *a, *b;       /* pair p: document a[p] ranks above document b[p] */
  size_t *query_start;   /* queries + 1 offsets: query q's pairs are [start[q], start[q + 1]) */
  uint32_t *doc_start;   /* docs + 1 offsets into doc_entries */
  uint32_t *doc_entries; /* 2p when the document is a[p], 2p + 1 when it is b[p], in pair order */
  size_t count, capacity;
  int complete; /* every pair is made (no sampling): the next epoch keeps them */
} rank_pairs;

/* 0 when out of memory. */
int rank_pairs_init(rank_pairs *pairs, const rank_dataset *data);
/* The pairs of `epoch`: all of them (pairs_per_query 0, made once and kept), or in a query with
 * more than pairs_per_query of them, that many drawn uniformly without replacement from the seed,
 * the epoch and the query (the same draw on every device), without enumerating the others: memory
 * grows with the documents and the pairs kept, never with the pairs a query could make.
 * 1 made, 0 out of memory, -1 more than RANK_MAX_PAIRS. */
int rank_pairs_make(rank_pairs *pairs, const rank_dataset *data, unsigned pairs_per_query,
                    unsigned long long seed, unsigned epoch);
/* The same where query q's draw is made from query_ids[q] instead of q (its number in the whole
 * data set, when this is a share of it): the same pairs however the queries are spread. */
int rank_pairs_make_ids(rank_pairs *pairs, const rank_dataset *data, unsigned pairs_per_query,
                        unsigned long long seed, unsigned epoch, const size_t *query_ids);
void rank_pairs_free(rank_pairs *pairs);

/* The pairs an epoch makes with pairs_per_query `limit` (0: every ordered pair, label_i > label_j
 * within a query), counted without making them; SIZE_MAX when out of memory. */
size_t rank_pairs_planned(const rank_dataset *data, unsigned limit);

#endif /* MRANK_RANK_PAIRS_H */
