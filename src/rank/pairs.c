/* pairs.c: the pairs of an epoch and the document -> pairs index. */
#include "rank/pairs.h"

#include <stdlib.h>
#include <string.h>

#include "random.h"

int rank_pairs_init(rank_pairs *pairs, const rank_dataset *data) {
  memset(pairs, 0, sizeof *pairs);
  pairs->query_start = calloc(data->queries + 1, sizeof *pairs->query_start);
  pairs->doc_start = calloc(data->docs + 1, sizeof *pairs->doc_start);
  return pairs->query_start != NULL && pairs->doc_start != NULL;
}

void rank_pairs_free(rank_pairs *pairs) {
  free(pairs->a);
  free(pairs->b);
  free(pairs->query_start);
  free(pairs->doc_start);
  free(pairs->doc_entries);
  memset(pairs, 0, sizeof *pairs);
}

/* 1, or 0 when out of memory */
static int grow(rank_pairs *pairs) {
  const size_t capacity = pairs->capacity ? 2 * pairs->capacity : 4096;
  uint32_t *a = realloc(pairs->a, capacity * sizeof *a);
  if (a != NULL) pairs->a = a;
  uint32_t *b = realloc(pairs->b, capacity * sizeof *b);
  if (b != NULL) pairs->b = b;
  if (a == NULL || b == NULL) return 0;
  pairs->capacity = capacity;
  return 1;
}

/* document -> pairs, a counting sort by document that keeps pair order */
static int index_documents(rank_pairs *pairs, size_t docs) {
  memset(pairs->doc_start, 0, (docs + 1) * sizeof *pairs->doc_start);
  for (size_t p = 0; p < pairs->count; ++p) {
    pairs->doc_start[pairs->a[p] + 1]++;
    pairs->doc_start[pairs->b[p] + 1]++;
  }
  for (size_t i = 0; i < docs; ++i)
    pairs->doc_start[i + 1] += pairs->doc_start[i];
  free(pairs->doc_entries);
  pairs->doc_entries = malloc((2 * pairs->count + 1) * sizeof *pairs->doc_entries);
  uint32_t *fill = malloc((docs + 1) * sizeof *fill);
  if (pairs->doc_entries == NULL || fill == NULL) {
    free(fill);
    return 0;
  }
  memcpy(fill, pairs->doc_start, (docs + 1) * sizeof *fill);
  for (size_t p = 0; p < pairs->count; ++p) {
    pairs->doc_entries[fill[pairs->a[p]]++] = (uint32_t)(2 * p);
    pairs->doc_entries[fill[pairs->b[p]]++] = (uint32_t)(2 * p + 1);
  }
  free(fill);
  return 1;
}

int rank_pairs_make(rank_pairs *pairs, const rank_dataset *d, unsigned limit,
                    unsigned long long seed, unsigned epoch) {
  if (limit == 0 && pairs->complete) return 1;
  pairs->complete = 0;
  pairs->count = 0;
  pairs->query_start[0] = 0;
  for (size_t q = 0; q < d->queries; ++q) {
    const size_t start = d->query_start[q], end = d->query_start[q + 1];
    const size_t first = pairs->count;
    for (size_t i = start; i < end; ++i) {
      for (size_t j = start; j < end; ++j) {
        if (d->labels[i] <= d->labels[j]) continue;
        if (pairs->count == RANK_MAX_PAIRS) return -1;
        if (pairs->count == pairs->capacity && !grow(pairs)) return 0;
        pairs->a[pairs->count] = (uint32_t)i;
        pairs->b[pairs->count] = (uint32_t)j;
        pairs->count++;
      }
    }
    const size_t count = pairs->count - first;
    if (limit > 0 && count > limit) {
      mrank_random random = {seed * 1000003ull + epoch * 7919ull + q};
      for (size_t k = 0; k < limit; ++k) { /* partial Fisher-Yates */
        const size_t pick = k + (size_t)(mrank_random_next(&random) % (count - k));
        const uint32_t a = pairs->a[first + k], b = pairs->b[first + k];
        pairs->a[first + k] = pairs->a[first + pick];
        pairs->b[first + k] = pairs->b[first + pick];
        pairs->a[first + pick] = a;
        pairs->b[first + pick] = b;
      }
      pairs->count = first + limit;
    }
    pairs->query_start[q + 1] = pairs->count;
  }
  if (!index_documents(pairs, d->docs)) return 0;
  pairs->complete = limit == 0;
  return 1;
}
