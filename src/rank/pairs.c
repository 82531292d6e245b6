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

/* ---- one query's pairs ---- */

/* The query's documents [start, end) as the sampler sees them: by_label holds them sorted by label
 * (ties by position), lower[i] how many of them have a smaller label than document start + i, and
 * prefix[i] the pairs of the documents before it (pairs are indexed document by document, each
 * document's partners in by_label order). */
typedef struct labelled {
  float label;
  uint32_t doc;
} labelled;

typedef struct query_index {
  labelled *by_label;
  size_t *lower, *prefix;
  size_t capacity;
} query_index;

static int by_label_then_position(const void *a, const void *b) {
  const labelled *x = a, *y = b;
  return x->label < y->label ? -1 : x->label > y->label ? 1 : (x->doc > y->doc) - (x->doc < y->doc);
}

/* The pairs of documents [start, end) (label_i > label_j); 0 when out of memory. */
static int index_query(query_index *qi, const rank_dataset *d, size_t start, size_t end,
                       size_t *total) {
  const size_t n = end - start;
  if (n > qi->capacity) {
    labelled *by_label = realloc(qi->by_label, n * sizeof *by_label);
    if (by_label != NULL) qi->by_label = by_label;
    size_t *lower = realloc(qi->lower, n * sizeof *lower);
    if (lower != NULL) qi->lower = lower;
    size_t *prefix = realloc(qi->prefix, (n + 1) * sizeof *prefix);
    if (prefix != NULL) qi->prefix = prefix;
    if (by_label == NULL || lower == NULL || prefix == NULL) return 0;
    qi->capacity = n;
  }
  for (size_t i = 0; i < n; ++i)
    qi->by_label[i] = (labelled){d->labels[start + i], (uint32_t)(start + i)};
  qsort(qi->by_label, n, sizeof *qi->by_label, by_label_then_position);
  /* in label order, a document's smaller-labelled partners are those before its label's run */
  size_t run_start = 0;
  for (size_t k = 0; k < n; ++k) {
    if (k > 0 && qi->by_label[k].label != qi->by_label[k - 1].label) run_start = k;
    qi->lower[qi->by_label[k].doc - start] = run_start;
  }
  qi->prefix[0] = 0;
  for (size_t i = 0; i < n; ++i)
    qi->prefix[i + 1] = qi->prefix[i] + qi->lower[i];
  *total = qi->prefix[n];
  return 1;
}

static void free_query_index(query_index *qi) {
  free(qi->by_label);
  free(qi->lower);
  free(qi->prefix);
}

/* A set of pair indices (open addressing, 64-bit keys; SIZE_MAX marks a free slot). */
typedef struct index_set {
  size_t *slots, mask;
} index_set;

static int set_init(index_set *set, size_t count) {
  size_t size = 16;
  while (size < 2 * count)
    size *= 2;
  set->slots = malloc(size * sizeof *set->slots);
  if (set->slots == NULL) return 0;
  for (size_t k = 0; k < size; ++k)
    set->slots[k] = SIZE_MAX;
  set->mask = size - 1;
  return 1;
}

/* 1 when added, 0 when it was there */
static int set_add(index_set *set, size_t value) {
  size_t k = (size_t)((value * 0x9e3779b97f4a7c15ull) >> 17) & set->mask;
  while (set->slots[k] != SIZE_MAX) {
    if (set->slots[k] == value) return 0;
    k = (k + 1) & set->mask;
  }
  set->slots[k] = value;
  return 1;
}

static int by_value(const void *a, const void *b) {
  const size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* Appends pair (i, j); 0 when out of memory, -1 past RANK_MAX_PAIRS. */
static int append(rank_pairs *pairs, size_t i, size_t j) {
  if (pairs->count == RANK_MAX_PAIRS) return -1;
  if (pairs->count == pairs->capacity && !grow(pairs)) return 0;
  pairs->a[pairs->count] = (uint32_t)i;
  pairs->b[pairs->count] = (uint32_t)j;
  pairs->count++;
  return 1;
}

/* `limit` of a query's `total` pairs drawn uniformly without replacement (Floyd's algorithm over
 * the pair indices, so that nothing is enumerated: memory O(limit), time O(limit log limit)),
 * appended in index order. 1, 0 out of memory, -1 past RANK_MAX_PAIRS. */
static int sample_query(rank_pairs *pairs, const query_index *qi, size_t start, size_t n,
                        size_t total, size_t limit, mrank_random *random) {
  index_set set;
  size_t *chosen = malloc(limit * sizeof *chosen);
  if (chosen == NULL || !set_init(&set, limit)) {
    free(chosen);
    return 0;
  }
  size_t count = 0;
  for (size_t top = total - limit; top < total; ++top) {
    const size_t pick = (size_t)(mrank_random_next(random) % ((uint64_t)top + 1));
    const size_t added = set_add(&set, pick) ? pick : top;
    if (added == top) set_add(&set, top);
    chosen[count++] = added;
  }
  free(set.slots);
  qsort(chosen, count, sizeof *chosen, by_value);
  int status = 1;
  size_t i = 0;
  for (size_t k = 0; k < count && status == 1; ++k) {
    while (qi->prefix[i + 1] <= chosen[k] && i + 1 < n)
      i++;
    const size_t partner = qi->by_label[chosen[k] - qi->prefix[i]].doc;
    status = append(pairs, start + i, partner);
  }
  free(chosen);
  return status;
}

int rank_pairs_make(rank_pairs *pairs, const rank_dataset *d, unsigned limit,
                    unsigned long long seed, unsigned epoch) {
  return rank_pairs_make_ids(pairs, d, limit, seed, epoch, NULL);
}

int rank_pairs_make_ids(rank_pairs *pairs, const rank_dataset *d, unsigned limit,
                        unsigned long long seed, unsigned epoch, const size_t *query_ids) {
  if (limit == 0 && pairs->complete) return 1;
  pairs->complete = 0;
  pairs->count = 0;
  pairs->query_start[0] = 0;
  query_index qi = {NULL, NULL, NULL, 0};
  int status = 1;
  for (size_t q = 0; q < d->queries && status == 1; ++q) {
    const size_t start = d->query_start[q], end = d->query_start[q + 1];
    size_t total = 0;
    if (!index_query(&qi, d, start, end, &total)) {
      status = 0;
    } else if (limit > 0 && total > limit) {
      const size_t id = query_ids != NULL ? query_ids[q] : q;
      mrank_random random = {seed * 1000003ull + epoch * 7919ull + id};
      status = sample_query(pairs, &qi, start, end - start, total, limit, &random);
    } else if (total > RANK_MAX_PAIRS - pairs->count) {
      status = -1;
    } else {
      for (size_t i = start; i < end && status == 1; ++i) {
        for (size_t j = start; j < end && status == 1; ++j) {
          if (d->labels[i] > d->labels[j]) status = append(pairs, i, j);
        }
      }
    }
    pairs->query_start[q + 1] = pairs->count;
  }
  free_query_index(&qi);
  if (status != 1) return status;
  if (!index_documents(pairs, d->docs)) return 0;
  pairs->complete = limit == 0;
  return 1;
}

size_t rank_pairs_planned(const rank_dataset *d, unsigned limit) {
  query_index qi = {NULL, NULL, NULL, 0};
  size_t pairs = 0, total = 0;
  for (size_t q = 0; q < d->queries; ++q) {
    if (!index_query(&qi, d, d->query_start[q], d->query_start[q + 1], &total)) {
      pairs = SIZE_MAX;
      break;
    }
    pairs += limit > 0 && total > limit ? limit : total;
  }
  free_query_index(&qi);
  return pairs;
}
