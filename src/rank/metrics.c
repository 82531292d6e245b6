/* metrics.c: NDCG, precision, MAP and pairwise accuracy. Documents are ranked by score, highest
 * first, ties broken by input order (a stable, reproducible ranking). */
#include "rank/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "rank/model.h"

const int rank_metric_cutoffs[4] = {1, 3, 5, 10};

typedef struct ranked {
  const double *scores;
  const float *labels;
} ranked;

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

int rank_evaluate(const rank_dataset *data, const double *scores, rank_metrics *out) {
  size_t largest = 0;
  for (size_t q = 0; q < data->queries; ++q) {
    const size_t n = data->query_start[q + 1] - data->query_start[q];
    if (n > largest) largest = n;
  }
  /* order, merge space, and a double key per document */
  size_t *scratch = malloc(largest * (2 * sizeof(size_t) + sizeof(double)) + 1);
  if (scratch == NULL) return 0;
  double ndcg[4] = {0}, precision[4] = {0}, average_precision = 0.0, correct = 0.0;
  size_t with_relevant = 0, pairs = 0;
  for (size_t q = 0; q < data->queries; ++q) {
    const size_t start = data->query_start[q], n = data->query_start[q + 1] - start;
    const float *labels = data->labels + start;
    const double *s = scores + start;
    for (int c = 0; c < 4; ++c)
      ndcg[c] += rank_ndcg_at(labels, s, n, rank_metric_cutoffs[c], scratch);
    size_t *order = scratch, *tmp = scratch + n;
    rank_indices(s, order, tmp, n);
    size_t relevant_seen = 0, relevant_total = 0;
    double precision_sum = 0.0;
    for (size_t i = 0; i < n; ++i)
      relevant_total += labels[i] > 0.0f;
    for (size_t i = 0; i < n; ++i) {
      if (labels[order[i]] > 0.0f) {
        relevant_seen++;
        precision_sum += (double)relevant_seen / (double)(i + 1);
      }
      for (int c = 0; c < 4; ++c) {
        if (i + 1 == (size_t)rank_metric_cutoffs[c] ||
            (i + 1 == n && n < (size_t)rank_metric_cutoffs[c])) {
          precision[c] += (double)relevant_seen / (double)rank_metric_cutoffs[c];
        }
      }
    }
    if (relevant_total > 0) {
      average_precision += precision_sum / (double)relevant_total;
      with_relevant++;
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        if (labels[i] <= labels[j]) continue;
        pairs++;
        correct += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
    }
  }
  free(scratch);
  const double queries = data->queries > 0 ? (double)data->queries : 1.0;
  for (int c = 0; c < 4; ++c) {
    out->ndcg[c] = ndcg[c] / queries;
    out->precision[c] = precision[c] / queries;
  }
  /* nothing to measure is not 0: NaN, shown as n/a */
  out->map = with_relevant > 0 ? average_precision / (double)with_relevant : NAN;
  out->pair_accuracy = pairs > 0 ? correct / (double)pairs : NAN;
  out->queries = data->queries;
  out->pairs = pairs;
  return 1;
}

/* NDCG@10 of weights on a data set */
double rank_ndcg10(const rank_dataset *data, const float *weights, size_t features) {
  double *scores = malloc(data->docs * sizeof *scores);
  rank_metrics m;
  if (scores == NULL) return NAN;
  rank_score(data, weights, features, scores);
  const int ok = rank_evaluate(data, scores, &m);
  free(scores);
  return ok ? m.ndcg[3] : NAN;
}
