/* lane.c: a lane's share of the queries, grouped by batch, and the host step (the device step of
 * rank/linear_device.c in plain C, with the CPU reference of the loss: the same operations in the
 * same order, so the same bits). */
#include "rank/lane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct batch_member {
  size_t batch, query;
} batch_member;

static int by_batch_then_query(const void *a, const void *b) {
  const batch_member *x = a, *y = b;
  if (x->batch != y->batch) return x->batch < y->batch ? -1 : 1;
  return (x->query > y->query) - (x->query < y->query);
}

int rank_lane_build(rank_lane *lane, const rank_dataset *data, const float *x, size_t first,
                    size_t last, size_t first_id, size_t batches) {
  memset(lane, 0, sizeof *lane);
  const size_t queries = last - first, F = data->features;
  const size_t docs = data->query_start[last] - data->query_start[first];
  batch_member *members = malloc((queries + 1) * sizeof *members);
  lane->query_id = malloc((queries + 1) * sizeof *lane->query_id);
  lane->batch_start = calloc(batches + 1, sizeof *lane->batch_start);
  lane->data.x = malloc(docs * F * sizeof(float) + 1);
  lane->data.labels = malloc(docs * sizeof(float) + 1);
  lane->data.query_start = malloc((queries + 1) * sizeof *lane->data.query_start);
  lane->data.qid = malloc((queries + 1) * sizeof *lane->data.qid);
  if (members == NULL || lane->query_id == NULL || lane->batch_start == NULL ||
      lane->data.x == NULL || lane->data.labels == NULL || lane->data.query_start == NULL ||
      lane->data.qid == NULL) {
    free(members);
    return 0;
  }
  lane->batches = batches;
  lane->data.docs = docs;
  lane->data.features = F;
  lane->data.queries = queries;
  for (size_t q = 0; q < queries; ++q)
    members[q] = (batch_member){(first_id + q) % batches, first + q};
  qsort(members, queries, sizeof *members, by_batch_then_query);
  size_t doc = 0;
  for (size_t k = 0; k < queries; ++k) {
    const size_t q = members[k].query, d0 = data->query_start[q], d1 = data->query_start[q + 1];
    lane->query_id[k] = first_id + (q - first);
    lane->data.qid[k] = data->qid[q];
    lane->data.query_start[k] = doc;
    memcpy(lane->data.x + doc * F, x + d0 * F, (d1 - d0) * F * sizeof(float));
    memcpy(lane->data.labels + doc, data->labels + d0, (d1 - d0) * sizeof(float));
    doc += d1 - d0;
    lane->batch_start[members[k].batch + 1]++;
  }
  lane->data.query_start[queries] = doc;
  for (size_t b = 0; b < batches; ++b) {
    const size_t here = lane->batch_start[b + 1];
    if (here > lane->max_batch_queries) lane->max_batch_queries = here;
    lane->batch_start[b + 1] = lane->batch_start[b] + here;
  }
  free(members);
  return rank_pairs_init(&lane->pairs, &lane->data);
}

int rank_lane_place(rank_lane *lane, cl_context cl, cl_device_id device, int profile, char *error,
                    size_t error_size) {
  const size_t D = lane->data.docs, F = lane->data.features;
  if (cl != NULL) {
    lane->on_device = 1;
    const int ok = rank_linear_device_init(&lane->dev, cl, device, lane->data.x, D, F,
                                           lane->data.query_start, lane->data.queries,
                                           lane->max_batch_queries, profile, error, error_size);
    free(lane->data.x); /* on the device now */
    lane->data.x = NULL;
    return ok;
  }
  float **arrays[] = {&lane->w,      &lane->w_average,    &lane->velocity,
                      &lane->scores, &lane->doc_gradient, &lane->partials};
  const size_t sizes[] = {F, F, F, D, D, (lane->max_batch_queries + 1) * F};
  for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; ++k) {
    *arrays[k] = calloc(sizes[k] + 1, sizeof(float));
    if (*arrays[k] == NULL) {
      snprintf(error, error_size, "out of memory");
      return 0;
    }
  }
  return 1;
}

void rank_lane_free(rank_lane *lane) {
  if (lane->on_device) rank_linear_device_free(&lane->dev);
  rank_pairs_free(&lane->pairs);
  void *arrays[] = {lane->w,          lane->w_average,    lane->velocity, lane->scores,
                    lane->x1,         lane->x2,           lane->ones,     lane->dx1,
                    lane->dx2,        lane->doc_gradient, lane->partials, lane->query_id,
                    lane->batch_start};
  for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; ++k)
    free(arrays[k]);
  rank_dataset_free(&lane->data);
  memset(lane, 0, sizeof *lane);
}

int rank_lane_reset(rank_lane *lane, char *error, size_t error_size) {
  if (lane->on_device) return rank_linear_device_reset(&lane->dev, error, error_size);
  const size_t F = lane->data.features;
  memset(lane->w, 0, F * sizeof(float));
  memset(lane->w_average, 0, F * sizeof(float));
  memset(lane->velocity, 0, F * sizeof(float));
  return 1;
}

static int grow_host_pairs(rank_lane *lane) {
  float **arrays[] = {&lane->x1, &lane->x2, &lane->ones, &lane->dx1, &lane->dx2};
  for (size_t k = 0; k < 5; ++k) {
    float *grown = realloc(*arrays[k], (lane->pairs.count + 1) * sizeof(float));
    if (grown == NULL) return 0;
    *arrays[k] = grown;
  }
  for (size_t p = 0; p < lane->pairs.count; ++p)
    lane->ones[p] = 1.0f;
  return 1;
}

int rank_lane_begin_epoch(rank_lane *lane, const rank_options *options, unsigned epoch, char *error,
                          size_t error_size) {
  const int made = rank_pairs_make_ids(&lane->pairs, &lane->data, options->pairs_per_query,
                                       options->seed, epoch, lane->query_id);
  if (made < 0) return -1;
  if (made == 0) return snprintf(error, error_size, "out of memory for the pairs"), 0;
  lane->loss_total = 0.0;
  if (lane->on_device)
    return rank_linear_device_begin_epoch(&lane->dev, &lane->pairs, error, error_size);
  if (!grow_host_pairs(lane)) return snprintf(error, error_size, "out of memory for the pairs"), 0;
  return 1;
}

void rank_lane_host_partials(rank_lane *lane, mrank_context *host, size_t batch, double margin) {
  const rank_dataset *d = &lane->data;
  const rank_pairs *pairs = &lane->pairs;
  const size_t q0 = lane->batch_start[batch], q1 = lane->batch_start[batch + 1];
  const size_t d0 = d->query_start[q0], d1 = d->query_start[q1];
  const size_t p0 = pairs->query_start[q0], p1 = pairs->query_start[q1], count = p1 - p0;
  const size_t F = d->features;
  const float *x = d->x;
  for (size_t i = d0; i < d1; ++i) {
    float total = 0.0f;
    for (size_t f = 0; f < F; ++f)
      total += x[i * F + f] * lane->w[f];
    lane->scores[i] = total;
  }
  for (size_t p = p0; p < p1; ++p) {
    lane->x1[p] = lane->scores[pairs->a[p]];
    lane->x2[p] = lane->scores[pairs->b[p]];
  }
  if (count > 0) {
    float loss = 0.0f;
    mrank_forward_backward(host, count, lane->x1 + p0, lane->x2 + p0, lane->ones + p0,
                           (float)margin, MRANK_REDUCTION_SUM, &loss, lane->dx1 + p0,
                           lane->dx2 + p0);
    lane->loss_total += (double)loss;
  }
  for (size_t i = d0; i < d1; ++i) {
    float total = 0.0f;
    for (uint32_t e = pairs->doc_start[i]; e < pairs->doc_start[i + 1]; ++e) {
      const uint32_t code = pairs->doc_entries[e];
      total += (code & 1u) ? lane->dx2[code >> 1] : lane->dx1[code >> 1];
    }
    lane->doc_gradient[i] = total;
  }
  for (size_t q = q0; q < q1; ++q) {
    float *row = lane->partials + (q - q0) * F;
    for (size_t f = 0; f < F; ++f) {
      float total = 0.0f;
      for (size_t i = d->query_start[q]; i < d->query_start[q + 1]; ++i)
        total += x[i * F + f] * lane->doc_gradient[i];
      row[f] = total;
    }
  }
}

void rank_lane_host_update(rank_lane *lane, const float *grad, const rank_options *o, float scale,
                           double step) {
  const size_t F = lane->data.features;
  const float lr = (float)o->lr, l2 = (float)o->l2, momentum = (float)o->momentum;
  const float l1 = (float)o->l1, threshold = lr * l1, share = (float)(1.0 / step);
  for (size_t f = 0; f < F; ++f) {
    const float g = grad[f] * scale + l2 * lane->w[f];
    const float velocity = momentum * lane->velocity[f] + g;
    lane->velocity[f] = velocity;
    float next = lane->w[f] - lr * velocity;
    if (l1 > 0.0f) {
      next = next > threshold ? next - threshold : next < -threshold ? next + threshold : 0.0f;
    }
    lane->w[f] = next;
    lane->w_average[f] = lane->w_average[f] + (next - lane->w_average[f]) * share;
  }
}
