/* subset.c: seeded query splits and in-memory subsets of a data set. */
#include "rank/subset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "random.h"

static int by_index(const void *a, const void *b) {
  const size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

void rank_query_split(size_t queries, double fraction, unsigned long long seed, size_t *order,
                      size_t *cut) {
  for (size_t q = 0; q < queries; ++q)
    order[q] = q;
  mrank_random random = {seed};
  for (size_t q = queries; q > 1; --q) {
    const size_t k = (size_t)(mrank_random_next(&random) % q), swap = order[q - 1];
    order[q - 1] = order[k];
    order[k] = swap;
  }
  size_t first = (size_t)llround(fraction * (double)queries);
  if (first == 0) first = 1;
  if (first >= queries) first = queries - 1;
  /* each part keeps the file's query order */
  qsort(order, first, sizeof *order, by_index);
  qsort(order + first, queries - first, sizeof *order, by_index);
  *cut = first;
}

int rank_dataset_subset(const rank_dataset *data, const size_t *order, size_t count,
                        rank_dataset *out) {
  memset(out, 0, sizeof *out);
  size_t docs = 0;
  for (size_t k = 0; k < count; ++k)
    docs += data->query_start[order[k] + 1] - data->query_start[order[k]];
  const size_t F = data->features;
  out->docs = docs;
  out->features = F;
  out->queries = count;
  out->x = malloc(docs * F * sizeof(float) + 1);
  out->labels = malloc(docs * sizeof(float) + 1);
  out->query_start = malloc((count + 1) * sizeof(size_t));
  out->qid = malloc(count * sizeof(unsigned long long) + 1);
  if (out->x == NULL || out->labels == NULL || out->query_start == NULL || out->qid == NULL) {
    rank_dataset_free(out);
    return 0;
  }
  size_t at = 0;
  for (size_t k = 0; k < count; ++k) {
    const size_t q = order[k], d0 = data->query_start[q], n = data->query_start[q + 1] - d0;
    out->query_start[k] = at;
    out->qid[k] = data->qid[q];
    memcpy(out->x + at * F, data->x + d0 * F, n * F * sizeof(float));
    memcpy(out->labels + at, data->labels + d0, n * sizeof(float));
    at += n;
  }
  out->query_start[count] = at;
  return 1;
}

int rank_dataset_concat(const rank_dataset *a, const rank_dataset *b, rank_dataset *out) {
  memset(out, 0, sizeof *out);
  const size_t F = a->features, docs = a->docs + b->docs, queries = a->queries + b->queries;
  out->docs = docs;
  out->features = F;
  out->queries = queries;
  out->x = calloc(docs * F + 1, sizeof(float));
  out->labels = malloc(docs * sizeof(float) + 1);
  out->query_start = malloc((queries + 1) * sizeof(size_t));
  out->qid = malloc(queries * sizeof(unsigned long long) + 1);
  if (out->x == NULL || out->labels == NULL || out->query_start == NULL || out->qid == NULL) {
    rank_dataset_free(out);
    return 0;
  }
  memcpy(out->x, a->x, a->docs * F * sizeof(float));
  const size_t columns = b->features < F ? b->features : F;
  for (size_t d = 0; d < b->docs; ++d)
    memcpy(out->x + (a->docs + d) * F, b->x + d * b->features, columns * sizeof(float));
  memcpy(out->labels, a->labels, a->docs * sizeof(float));
  memcpy(out->labels + a->docs, b->labels, b->docs * sizeof(float));
  for (size_t q = 0; q < a->queries; ++q) {
    out->query_start[q] = a->query_start[q];
    out->qid[q] = a->qid[q];
  }
  for (size_t q = 0; q < b->queries; ++q) {
    out->query_start[a->queries + q] = a->docs + b->query_start[q];
    out->qid[a->queries + q] = b->qid[q];
  }
  out->query_start[queries] = docs;
  return 1;
}

int rank_make_folds(const rank_dataset *train, double holdout, rank_folds *folds) {
  enum { steady_queries = 1000, most_folds = 5 };
  folds->order = malloc(train->queries * sizeof *folds->order);
  if (folds->order == NULL) return 0;
  for (size_t q = 0; q < train->queries; ++q)
    folds->order[q] = q;
  /* its own fixed seed: --seed moves the batch order, not which queries choose */
  mrank_random random = {0x686f6c646f7574ull};
  for (size_t q = train->queries; q > 1; --q) {
    const size_t k = (size_t)(mrank_random_next(&random) % q), swap = folds->order[q - 1];
    folds->order[q - 1] = folds->order[k];
    folds->order[k] = swap;
  }
  folds->held_out = (size_t)llround(holdout * (double)train->queries);
  if (folds->held_out == 0) folds->held_out = 1;
  if (folds->held_out >= train->queries) folds->held_out = train->queries - 1;
  const size_t fit = train->queries / folds->held_out;
  folds->count = folds->held_out >= steady_queries ? 1 : fit < most_folds ? fit : most_folds;
  if (folds->count == 0) folds->count = 1;
  return 1;
}

int rank_fold_parts(const rank_dataset *train, const rank_folds *folds, size_t k,
                    rank_dataset *inner, rank_dataset *held_out) {
  const size_t Q = train->queries, first = k * folds->held_out;
  size_t *kept = malloc(Q * sizeof *kept), *out = kept != NULL ? kept + (Q - folds->held_out) : 0;
  if (kept == NULL) return 0;
  size_t at = 0;
  for (size_t q = 0; q < Q; ++q) {
    if (q < first || q >= first + folds->held_out) kept[at++] = folds->order[q];
  }
  memcpy(out, folds->order + first, folds->held_out * sizeof *out);
  qsort(kept, at, sizeof *kept, by_index);
  qsort(out, folds->held_out, sizeof *out, by_index);
  const int made = rank_dataset_subset(train, kept, at, inner) &&
                   rank_dataset_subset(train, out, folds->held_out, held_out);
  free(kept);
  if (!made) rank_dataset_free(inner);
  return made;
}

size_t *rank_kfold_order(size_t queries, unsigned long long seed) {
  size_t *order = malloc((queries + 1) * sizeof *order);
  if (order == NULL) return NULL;
  for (size_t q = 0; q < queries; ++q)
    order[q] = q;
  mrank_random random = {seed ^ 0x666f6c6473ull};
  for (size_t q = queries; q > 1; --q) {
    const size_t k = (size_t)(mrank_random_next(&random) % q), swap = order[q - 1];
    order[q - 1] = order[k];
    order[k] = swap;
  }
  return order;
}

int rank_kfold_parts(const rank_dataset *all, const size_t *order, size_t folds, size_t k,
                     rank_dataset *inner, rank_dataset *held_out) {
  const size_t first = all->queries * k / folds, last = all->queries * (k + 1) / folds;
  size_t *kept = malloc((all->queries + 1) * sizeof *kept), count = 0;
  memset(inner, 0, sizeof *inner);
  memset(held_out, 0, sizeof *held_out);
  if (kept == NULL) return 0;
  for (size_t q = 0; q < all->queries; ++q) {
    if (q < first || q >= last) kept[count++] = order[q];
  }
  const int ok = rank_dataset_subset(all, kept, count, inner) &&
                 rank_dataset_subset(all, order + first, last - first, held_out);
  free(kept);
  if (!ok) rank_dataset_free(inner);
  return ok;
}
