/* metrics.c: NDCG, precision, recall, F1, MAP and pairwise accuracy, and their expected values
 * under random orders. Documents are ranked by score, highest
 * first, ties broken by input order (a stable, reproducible ranking). */
#include "rank/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rank/model.h"

const rank_cutoffs rank_default_cutoffs = {{1, 3, 5, 10}, 4};

/* insertion-free ranking: a stable merge sort of indices by score (descending) */
static void rank_indices(const double *key, size_t *order, size_t *tmp, size_t n) {
  for (size_t i = 0; i < n; ++i)
    order[i] = i;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      const size_t mid = lo + width < n ? lo + width : n,
                   hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi)
        tmp[k++] = key[order[b]] > key[order[a]] ? order[b++] : order[a++];
      while (a < mid)
        tmp[k++] = order[a++];
      while (b < hi)
        tmp[k++] = order[b++];
    }
    for (size_t i = 0; i < n; ++i)
      order[i] = tmp[i];
  }
}

static double gain(float label) {
  return pow(2.0, (double)label) - 1.0;
}

static double dcg(const float *labels, const size_t *order, size_t n, int k) {
  double total = 0.0;
  for (size_t i = 0; i < n && i < (size_t)k; ++i)
    total += gain(labels[order[i]]) / log2((double)i + 2.0);
  return total;
}

double rank_ndcg_at(const float *labels, const double *scores, size_t n, int k, size_t *scratch) {
  size_t *order = scratch, *tmp = scratch + n;
  double *ideal_key = (double *)(scratch + 2 * n);
  for (size_t i = 0; i < n; ++i)
    ideal_key[i] = labels[i];
  rank_indices(ideal_key, order, tmp, n);
  const double ideal = dcg(labels, order, n, k);
  if (ideal <= 0.0) return 1.0;
  rank_indices(scores, order, tmp, n);
  return dcg(labels, order, n, k) / ideal;
}

static double ideal_dcg(const float *labels, size_t n, int k, size_t *scratch) {
  size_t *order = scratch, *tmp = scratch + n;
  double *ideal_key = (double *)(scratch + 2 * n);
  for (size_t i = 0; i < n; ++i)
    ideal_key[i] = labels[i];
  rank_indices(ideal_key, order, tmp, n);
  return dcg(labels, order, n, k);
}

/* ---- pairs in O(n log n): a query of 60,000 documents took 12 s with the pairwise loop ---- */

typedef struct scored_doc {
  double score;
  size_t label_rank; /* 1-based rank of the document's label among the query's distinct labels */
} scored_doc;

static int by_score(const void *a, const void *b) {
  const double x = ((const scored_doc *)a)->score, y = ((const scored_doc *)b)->score;
  return (x > y) - (x < y);
}

static int by_float(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static int by_size(const void *a, const void *b) {
  const size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* Unordered pairs of different values among `count` sorted values: all pairs less the pairs of
 * equal values; each is one ordered pair (rel_i > rel_j). */
static size_t unequal_pairs(const size_t *sorted, size_t count) {
  size_t pairs = count > 1 ? count * (count - 1) / 2 : 0;
  for (size_t a = 0, b = 0; a < count; a = b) {
    while (b < count && sorted[b] == sorted[a])
      b++;
    pairs -= (b - a) * (b - a - 1) / 2;
  }
  return pairs;
}

/* The query's ordered pairs (rel_i > rel_j), from its labels sorted; 0 when out of memory. */
static int label_pairs(const float *labels, size_t n, size_t *pairs) {
  float *sorted = malloc((n + 1) * sizeof *sorted);
  if (sorted == NULL) return 0;
  memcpy(sorted, labels, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, by_float);
  *pairs = n > 1 ? n * (n - 1) / 2 : 0;
  for (size_t a = 0, b = 0; a < n; a = b) {
    while (b < n && sorted[b] == sorted[a])
      b++;
    *pairs -= (b - a) * (b - a - 1) / 2;
  }
  free(sorted);
  return 1;
}

/* The query's ordered pairs (rel_i > rel_j) and, of those, the ones its scores order rightly, a
 * tie counting half (a NaN score orders nothing). With documents taken by increasing score, a
 * Fenwick tree over label ranks counts, for each, the documents of lower score and lower label;
 * ties are the unequal-label pairs within a group of equal scores. Integer counts, so the ratio has
 * the bits of the pairwise loop it replaces. 0 when out of memory. */
static int count_pairs(const float *labels, const double *s, size_t n, size_t *pairs_out,
                       double *correct_out) {
  float *distinct = malloc((n + 1) * sizeof *distinct);
  scored_doc *docs = malloc((n + 1) * sizeof *docs);
  size_t *ranks = malloc((n + 1) * sizeof *ranks), *tree = calloc(n + 2, sizeof *tree);
  if (distinct == NULL || docs == NULL || ranks == NULL || tree == NULL) {
    free(distinct);
    free(docs);
    free(ranks);
    free(tree);
    return 0;
  }
  memcpy(distinct, labels, n * sizeof *distinct);
  qsort(distinct, n, sizeof *distinct, by_float);
  size_t levels = 0;
  for (size_t i = 0; i < n; ++i)
    if (levels == 0 || distinct[i] != distinct[levels - 1]) distinct[levels++] = distinct[i];
  size_t scored = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t lo = 0, hi = levels; /* the label's place among the distinct labels */
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      if (distinct[mid] <= labels[i])
        lo = mid;
      else
        hi = mid;
    }
    ranks[i] = lo + 1;
    if (!isnan(s[i])) docs[scored++] = (scored_doc){s[i], lo + 1};
  }
  qsort(ranks, n, sizeof *ranks, by_size);
  *pairs_out = unequal_pairs(ranks, n);
  qsort(docs, scored, sizeof *docs, by_score);
  size_t right = 0, tied = 0;
  for (size_t a = 0, b = 0; a < scored; a = b) {
    while (b < scored && docs[b].score == docs[a].score)
      b++;
    for (size_t d = a; d < b; ++d) {
      for (size_t r = docs[d].label_rank - 1; r > 0; r -= r & (~r + 1))
        right += tree[r];
      ranks[d - a] = docs[d].label_rank;
    }
    qsort(ranks, b - a, sizeof *ranks, by_size);
    tied += unequal_pairs(ranks, b - a);
    for (size_t d = a; d < b; ++d)
      for (size_t r = docs[d].label_rank; r <= levels; r += r & (~r + 1))
        tree[r]++;
  }
  *correct_out = (double)right + 0.5 * (double)tied;
  free(distinct);
  free(docs);
  free(ranks);
  free(tree);
  return 1;
}

/* One query's metrics from its ranking (order: documents best first). */
static int query_metrics(const float *labels, const double *s, const size_t *order, size_t n,
                         const double *ideal, const rank_cutoffs *cutoffs, rank_metrics *m) {
  size_t relevant = 0;
  for (size_t i = 0; i < n; ++i)
    relevant += labels[i] > 0.0f;
  double precision_sum = 0.0, hits_at[RANK_MAX_CUTOFFS] = {0};
  size_t seen = 0;
  for (size_t i = 0; i < n; ++i) {
    if (labels[order[i]] > 0.0f) {
      seen++;
      precision_sum += (double)seen / (double)(i + 1);
    }
    for (int c = 0; c < cutoffs->count; ++c) {
      if (i + 1 == (size_t)cutoffs->k[c] || (i + 1 == n && n < (size_t)cutoffs->k[c])) {
        hits_at[c] = (double)seen;
      }
    }
  }
  for (int c = 0; c < cutoffs->count; ++c) {
    const int k = cutoffs->k[c];
    m->ndcg[c] = ideal[c] <= 0.0 ? 1.0 : dcg(labels, order, n, k) / ideal[c];
    m->precision[c] = hits_at[c] / (double)k;
    m->recall[c] = relevant > 0 ? hits_at[c] / (double)relevant : NAN;
    m->f1[c] = relevant > 0 ? 2.0 * hits_at[c] / ((double)k + (double)relevant) : NAN;
  }
  m->map = relevant > 0 ? precision_sum / (double)relevant : NAN;
  double correct = 0.0;
  size_t pairs = 0;
  if (!count_pairs(labels, s, n, &pairs, &correct)) return 0;
  m->pairs = pairs;
  m->pair_accuracy = pairs > 0 ? correct / (double)pairs : NAN;
  m->with_relevant = relevant > 0;
  return 1;
}

/* The exact expectation over uniformly random orders: every position holds each document with
 * probability 1/n, so E[DCG@k] is the mean gain times the discounts of the first min(k, n)
 * positions, and E[hits@k] = R min(k, n) / n; precision, recall and F1@k (2 hits / (k + R)) are
 * linear in the hits. For AP, E[rel_i rel_j] is R/n (i = j) or R(R-1)/(n(n-1)), which gives
 * E[AP] = (H_n + (R-1)/(n-1) (n - H_n)) / n. A pair is in order with probability 1/2. */
static int query_expected(const float *labels, size_t n, const double *ideal,
                          const rank_cutoffs *cutoffs, rank_metrics *m) {
  size_t relevant = 0;
  double mean_gain = 0.0, harmonic = 0.0;
  for (size_t i = 0; i < n; ++i) {
    relevant += labels[i] > 0.0f;
    mean_gain += gain(labels[i]);
    harmonic += 1.0 / (double)(i + 1);
  }
  mean_gain /= (double)n;
  const double R = (double)relevant, N = (double)n;
  for (int c = 0; c < cutoffs->count; ++c) {
    const int k = cutoffs->k[c];
    const size_t top = (size_t)k < n ? (size_t)k : n;
    double discounts = 0.0;
    for (size_t i = 0; i < top; ++i)
      discounts += 1.0 / log2((double)i + 2.0);
    const double hits = R * (double)top / N;
    m->ndcg[c] = ideal[c] <= 0.0 ? 1.0 : mean_gain * discounts / ideal[c];
    m->precision[c] = hits / (double)k;
    m->recall[c] = relevant > 0 ? hits / R : NAN;
    m->f1[c] = relevant > 0 ? 2.0 * hits / ((double)k + R) : NAN;
  }
  m->map = relevant == 0 ? NAN
           : n == 1      ? 1.0
                         : (harmonic + (R - 1.0) / (N - 1.0) * (N - harmonic)) / N;
  size_t pairs = 0;
  if (!label_pairs(labels, n, &pairs)) return 0;
  m->pairs = pairs;
  m->pair_accuracy = pairs > 0 ? 0.5 : NAN;
  m->with_relevant = relevant > 0;
  return 1;
}

/* The index of cutoff 10 in `cutoffs`, or -1. */
static int index_of_ten(const rank_cutoffs *cutoffs) {
  for (int c = 0; c < cutoffs->count; ++c) {
    if (cutoffs->k[c] == 10) return c;
  }
  return -1;
}

int rank_evaluate_at(const rank_dataset *data, const double *scores, const rank_cutoffs *asked,
                     rank_query_report each, void *user, rank_metrics *out) {
  /* NDCG@10 is always computed (train and tune choose by it): cutoff 10 is added when absent */
  rank_cutoffs cutoffs = *asked;
  int ten = index_of_ten(&cutoffs);
  const int added_ten = ten < 0 && cutoffs.count < RANK_MAX_CUTOFFS;
  if (added_ten) {
    ten = cutoffs.count;
    cutoffs.k[cutoffs.count++] = 10;
  }
  size_t largest = 0;
  for (size_t q = 0; q < data->queries; ++q) {
    const size_t n = data->query_start[q + 1] - data->query_start[q];
    if (n > largest) largest = n;
  }
  /* order, merge space, and a double key per document */
  size_t *scratch = malloc(largest * (2 * sizeof(size_t) + sizeof(double)) + 1);
  if (scratch == NULL) return 0;
  rank_metrics total, one;
  memset(&total, 0, sizeof total);
  double pairs_correct = 0.0;
  for (size_t q = 0; q < data->queries; ++q) {
    const size_t start = data->query_start[q], n = data->query_start[q + 1] - start;
    const float *labels = data->labels + start;
    memset(&one, 0, sizeof one);
    one.cutoffs = cutoffs;
    double ideal[RANK_MAX_CUTOFFS];
    for (int c = 0; c < cutoffs.count; ++c)
      ideal[c] = ideal_dcg(labels, n, cutoffs.k[c], scratch);
    int measured = 1;
    if (scores != NULL) {
      size_t *order = scratch, *tmp = scratch + n;
      rank_indices(scores + start, order, tmp, n);
      measured = query_metrics(labels, scores + start, order, n, ideal, &cutoffs, &one);
    } else {
      measured = query_expected(labels, n, ideal, &cutoffs, &one);
    }
    if (!measured) {
      free(scratch);
      return 0;
    }
    one.queries = 1;
    one.documents = n;
    one.ndcg10 = one.ndcg[ten];
    for (int c = 0; c < cutoffs.count; ++c) {
      total.ndcg[c] += one.ndcg[c];
      total.precision[c] += one.precision[c];
      if (one.with_relevant) {
        total.recall[c] += one.recall[c];
        total.f1[c] += one.f1[c];
      }
    }
    if (one.with_relevant) total.map += one.map;
    total.with_relevant += one.with_relevant;
    total.pairs += one.pairs;
    if (one.pairs > 0) pairs_correct += one.pair_accuracy * (double)one.pairs;
    total.documents += n;
    if (each != NULL) {
      one.cutoffs.count -= added_ten; /* the caller's cutoffs */
      each(q, &one, user);
    }
  }
  free(scratch);
  const double queries = data->queries > 0 ? (double)data->queries : 1.0;
  const double relevant = (double)total.with_relevant;
  out->cutoffs = *asked;
  for (int c = 0; c < cutoffs.count; ++c) {
    out->ndcg[c] = total.ndcg[c] / queries;
    out->precision[c] = total.precision[c] / queries;
    /* nothing to measure is not 0: NaN, shown as n/a */
    out->recall[c] = relevant > 0 ? total.recall[c] / relevant : NAN;
    out->f1[c] = relevant > 0 ? total.f1[c] / relevant : NAN;
  }
  out->ndcg10 = out->ndcg[ten];
  out->map = relevant > 0 ? total.map / relevant : NAN;
  out->pair_accuracy = total.pairs > 0 ? pairs_correct / (double)total.pairs : NAN;
  out->queries = data->queries;
  out->pairs = total.pairs;
  out->documents = total.documents;
  out->with_relevant = total.with_relevant;
  return 1;
}

int rank_evaluate(const rank_dataset *data, const double *scores, rank_metrics *out) {
  return rank_evaluate_at(data, scores, &rank_default_cutoffs, NULL, NULL, out);
}

/* NDCG@10 of weights on a data set */
double rank_ndcg10(const rank_dataset *data, const float *weights, size_t features) {
  double *scores = malloc(data->docs * sizeof *scores);
  rank_metrics m;
  if (scores == NULL) return NAN;
  rank_score(data, weights, features, scores);
  const int ok = rank_evaluate(data, scores, &m);
  free(scores);
  return ok ? m.ndcg10 : NAN;
}
