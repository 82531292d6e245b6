/* encoding.c: piecewise-linear encoding on training quantiles (see encoding.h). */
#include "rank/encoding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int ascending(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

int rank_encoding_fit(const rank_dataset *train, size_t bins, rank_encoding *out) {
  memset(out, 0, sizeof *out);
  const size_t F = train->features, n = train->docs;
  const size_t per_feature = bins > 0 ? bins + 1 : 0;
  out->features = F;
  out->bins = bins;
  out->start = calloc(F + 1, sizeof *out->start);
  out->edges = malloc((F * per_feature + 1) * sizeof *out->edges);
  float *column = malloc((n + 1) * sizeof *column);
  if (out->start == NULL || out->edges == NULL || column == NULL) {
    free(column);
    rank_encoding_free(out);
    return 0;
  }
  size_t used = 0;
  for (size_t f = 0; f < F; ++f) {
    out->start[f] = used;
    if (bins == 0 || n == 0) continue;
    for (size_t i = 0; i < n; ++i)
      column[i] = train->x[i * F + f];
    qsort(column, n, sizeof *column, ascending);
    const size_t first = used;
    for (size_t t = 0; t <= bins; ++t) {
      const double h = (double)(n - 1) * (double)t / (double)bins;
      const size_t low = (size_t)floor(h);
      const size_t high = low + 1 < n ? low + 1 : low;
      const double value =
          (double)column[low] + (h - (double)low) * ((double)column[high] - (double)column[low]);
      const float edge = (float)value;
      /* repeated values (a feature that is mostly 0) give repeated quantiles: one edge each */
      if (used == first || edge > out->edges[used - 1]) out->edges[used++] = edge;
    }
    if (used - first == 1) used = first; /* one distinct value: no bin */
  }
  out->start[F] = used;
  free(column);
  return 1;
}

size_t rank_encoding_width(const rank_encoding *e) {
  size_t width = e->features;
  for (size_t f = 0; f < e->features; ++f) {
    const size_t edges = e->start[f + 1] - e->start[f];
    width += edges > 1 ? edges - 1 : 0;
  }
  return width;
}

static void encode_row(const rank_encoding *e, const float *row, size_t columns, float *out) {
  size_t c = e->features;
  for (size_t f = 0; f < e->features; ++f)
    out[f] = f < columns ? row[f] : 0.0f;
  for (size_t f = 0; f < e->features; ++f) {
    const float *edge = e->edges + e->start[f];
    const size_t count = e->start[f + 1] - e->start[f];
    const double x = out[f];
    for (size_t t = 0; t + 1 < count; ++t) {
      const double fraction = (x - edge[t]) / ((double)edge[t + 1] - (double)edge[t]);
      out[c++] = fraction <= 0.0 ? 0.0f : fraction >= 1.0 ? 1.0f : (float)fraction;
    }
  }
}

int rank_encoding_apply(const rank_encoding *e, const rank_dataset *data, size_t max_floats,
                        rank_dataset *out) {
  memset(out, 0, sizeof *out);
  const size_t W = rank_encoding_width(e), n = data->docs;
  if (W > 0 && n > max_floats / W) return 0;
  out->docs = n;
  out->features = W;
  out->queries = data->queries;
  out->x = malloc((n * W + 1) * sizeof *out->x);
  out->labels = malloc((n + 1) * sizeof *out->labels);
  out->query_start = malloc((data->queries + 1) * sizeof *out->query_start);
  out->qid = malloc((data->queries + 1) * sizeof *out->qid);
  if (out->x == NULL || out->labels == NULL || out->query_start == NULL || out->qid == NULL) {
    rank_dataset_free(out);
    return 0;
  }
  for (size_t i = 0; i < n; ++i)
    encode_row(e, data->x + i * data->features, data->features, out->x + i * W);
  /* rows to score may come without labels (mrank_model_score_dense): the encoding has none then */
  if (data->labels != NULL) {
    memcpy(out->labels, data->labels, n * sizeof *out->labels);
  } else {
    memset(out->labels, 0, n * sizeof *out->labels);
  }
  if (data->query_start != NULL) {
    memcpy(out->query_start, data->query_start, (data->queries + 1) * sizeof *out->query_start);
  } else {
    free(out->query_start);
    out->query_start = NULL;
  }
  if (data->qid != NULL) {
    memcpy(out->qid, data->qid, data->queries * sizeof *out->qid);
  } else {
    free(out->qid);
    out->qid = NULL;
  }
  return 1;
}

void rank_encoding_free(rank_encoding *e) {
  free(e->start);
  free(e->edges);
  memset(e, 0, sizeof *e);
}
