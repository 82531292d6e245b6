/* trainer.c: the trainer's lifecycle (data scaled and put on the device once, a model reset for
 * each training, epochs of minibatch steps in a seeded order, the weights back in the data's
 * units) and the host step: the device step of rank/linear_device.c in plain C, with the CPU
 * reference of the loss. */
#include "rank/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_memory.h"
#include "random.h"
#include "rank/pairs.h"

struct rank_trainer {
  const rank_dataset *data;
  /* the features divided by scale[f] (NULL when every scale is 1: then data->x itself); freed once
   * it is on the device */
  float *x_scaled, *scale;
  size_t scaled_features;
  rank_options options;
  int on_host;
  mrank_context *ctx;
  char device[256];
  rank_pairs pairs;
  rank_linear_device dev;
  /* host state */
  float *w, *w_average, *velocity, *scores, *x1, *x2, *ones, *dx1, *dx2, *doc_gradient, *gradient;
  float *w_last; /* the last iterate read back beside the average, for L1's zeros */
  double steps;  /* updates since the reset, for the running average */
};

static void say(char *error, size_t size, const char *what, const char *detail) {
  snprintf(error, size, "%s%s%s", what, detail[0] ? ": " : "", detail);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* batches: runs of batch_queries consecutive queries, visited in an order drawn from the seed */
static size_t *batch_order(const rank_trainer *t, unsigned epoch, size_t *count) {
  const size_t size = t->options.batch_queries > 0 ? t->options.batch_queries : 1;
  *count = (t->data->queries + size - 1) / size;
  size_t *order = malloc((*count + 1) * sizeof *order);
  if (order == NULL) return NULL;
  for (size_t b = 0; b < *count; ++b)
    order[b] = b;
  mrank_random random = {t->options.seed * 2654435761ull + epoch + 1};
  for (size_t b = *count; b > 1; --b) {
    const size_t k = (size_t)(mrank_random_next(&random) % b);
    const size_t swap = order[b - 1];
    order[b - 1] = order[k];
    order[k] = swap;
  }
  return order;
}

/* ---- host: the device's steps in C, the loss through the CPU reference ---- */

static void host_step(rank_trainer *t, size_t q0, size_t q1, double *loss_total) {
  const rank_dataset *d = t->data;
  const rank_pairs *pairs = &t->pairs;
  const float *x = t->x_scaled != NULL ? t->x_scaled : d->x;
  const size_t d0 = d->query_start[q0], d1 = d->query_start[q1];
  const size_t p0 = pairs->query_start[q0], p1 = pairs->query_start[q1], count = p1 - p0;
  const size_t F = d->features;
  if (count == 0) return;
  for (size_t i = d0; i < d1; ++i) {
    float total = 0.0f;
    for (size_t f = 0; f < F; ++f)
      total += x[i * F + f] * t->w[f];
    t->scores[i] = total;
  }
  for (size_t p = p0; p < p1; ++p) {
    t->x1[p] = t->scores[pairs->a[p]];
    t->x2[p] = t->scores[pairs->b[p]];
  }
  float loss = 0.0f;
  mrank_forward_backward(t->ctx, count, t->x1 + p0, t->x2 + p0, t->ones + p0,
                         (float)t->options.margin, MRANK_REDUCTION_MEAN, &loss, t->dx1 + p0,
                         t->dx2 + p0);
  *loss_total += (double)loss * (double)count;
  for (size_t i = d0; i < d1; ++i) {
    float total = 0.0f;
    for (uint32_t e = pairs->doc_start[i]; e < pairs->doc_start[i + 1]; ++e) {
      const uint32_t code = pairs->doc_entries[e];
      total += (code & 1u) ? t->dx2[code >> 1] : t->dx1[code >> 1];
    }
    t->doc_gradient[i] = total;
  }
  for (size_t f = 0; f < F; ++f)
    t->gradient[f] = 0.0f;
  for (size_t i = d0; i < d1; ++i) {
    const float g = t->doc_gradient[i];
    if (g == 0.0f) continue;
    for (size_t f = 0; f < F; ++f)
      t->gradient[f] += x[i * F + f] * g;
  }
  const float lr = (float)t->options.lr, l2 = (float)t->options.l2,
              momentum = (float)t->options.momentum;
  const float threshold = lr * (float)t->options.l1;
  for (size_t f = 0; f < F; ++f) {
    const float g = t->gradient[f] + l2 * t->w[f];
    const float velocity = momentum * t->velocity[f] + g;
    t->velocity[f] = velocity;
    float next = t->w[f] - lr * velocity;
    if (t->options.l1 > 0.0) {
      next = next > threshold ? next - threshold : next < -threshold ? next + threshold : 0.0f;
    }
    t->w[f] = next;
  }
  t->steps += 1.0;
  const float share = (float)(1.0 / t->steps);
  for (size_t f = 0; f < F; ++f)
    t->w_average[f] += (t->w[f] - t->w_average[f]) * share;
}

static int ensure_host_pairs(rank_trainer *t) {
  float **arrays[] = {&t->x1, &t->x2, &t->ones, &t->dx1, &t->dx2};
  for (size_t k = 0; k < 5; ++k) {
    float *grown = realloc(*arrays[k], (t->pairs.count + 1) * sizeof(float));
    if (grown == NULL) return 0;
    *arrays[k] = grown;
  }
  for (size_t p = 0; p < t->pairs.count; ++p)
    t->ones[p] = 1.0f;
  return 1;
}

/* ---- the trainer ---- */

/* scale[f] from the training data; a scaled copy of x when some scale is not 1 */
static int scale_features(rank_trainer *t, rank_scale mode) {
  const rank_dataset *d = t->data;
  const size_t D = d->docs, F = d->features;
  for (size_t f = 0; f < F; ++f)
    t->scale[f] = 0.0f;
  for (size_t i = 0; i < D; ++i) {
    for (size_t f = 0; f < F; ++f) {
      const float magnitude = fabsf(d->x[i * F + f]);
      if (magnitude > t->scale[f]) t->scale[f] = magnitude;
    }
  }
  t->scaled_features = 0;
  for (size_t f = 0; f < F; ++f) {
    const float largest = t->scale[f];
    t->scale[f] = mode == RANK_SCALE_NONE                      ? 1.0f
                  : mode == RANK_SCALE_AUTO && largest <= 1.0f ? 1.0f
                  : largest > 0.0f                             ? largest
                                                               : 1.0f;
    t->scaled_features += t->scale[f] != 1.0f;
  }
  if (t->scaled_features == 0) return 1;
  t->x_scaled = malloc(D * F * sizeof(float) + 1);
  if (t->x_scaled == NULL) return 0;
  for (size_t i = 0; i < D; ++i) {
    for (size_t f = 0; f < F; ++f)
      t->x_scaled[i * F + f] = d->x[i * F + f] / t->scale[f];
  }
  return 1;
}

rank_trainer *rank_trainer_create(const rank_dataset *train, const char *selector, int profile,
                                  rank_scale scale, char *error, size_t error_size) {
  if (train->queries == 0) {
    say(error, error_size, "the training data has no query groups",
        "give qid: tokens or a group file (--query)");
    return NULL;
  }
  const size_t pairs = rank_pairs_planned(train, 0);
  if (pairs == 0) {
    say(error, error_size, "the training data has no pair to learn from",
        "in every query all documents have one label (a pair is two documents of one query with "
        "different labels)");
    return NULL;
  }
  rank_trainer *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->data = train;
  if (mrank_context_create(selector, &t->ctx) != MRANK_SUCCESS) {
    say(error, error_size, "no device", mrank_last_error());
    free(t);
    return NULL;
  }
  snprintf(t->device, sizeof t->device, "%s", mrank_context_device_name(t->ctx));
  t->on_host = mrank_context_cl_context(t->ctx) == NULL;
  const size_t D = train->docs, F = train->features;
  t->w = calloc(F, sizeof(float));
  t->w_average = calloc(F, sizeof(float));
  t->w_last = calloc(F + 1, sizeof(float));
  t->velocity = calloc(F, sizeof(float));
  t->gradient = calloc(F, sizeof(float));
  t->scores = calloc(D, sizeof(float));
  t->doc_gradient = calloc(D, sizeof(float));
  t->scale = calloc(F + 1, sizeof(float));
  if (!rank_pairs_init(&t->pairs, train) || t->w == NULL || t->w_average == NULL ||
      t->w_last == NULL || t->velocity == NULL || t->gradient == NULL || t->scores == NULL ||
      t->doc_gradient == NULL || t->scale == NULL || !scale_features(t, scale)) {
    say(error, error_size, "out of memory", "");
    rank_trainer_destroy(t);
    return NULL;
  }
  if (!t->on_host) {
    const int ok =
        rank_linear_device_init(&t->dev, &t->ctx, t->x_scaled != NULL ? t->x_scaled : train->x, D,
                                F, profile, error, error_size);
    free(t->x_scaled); /* on the device now */
    t->x_scaled = NULL;
    if (!ok) {
      rank_trainer_destroy(t);
      return NULL;
    }
  }
  return t;
}

void rank_trainer_destroy(rank_trainer *t) {
  if (t == NULL) return;
  rank_linear_device_free(&t->dev, &t->ctx);
  rank_pairs_free(&t->pairs);
  void *arrays[] = {t->w_average, t->w,     t->velocity, t->scores, t->x1,
                    t->x2,        t->ones,  t->dx1,      t->dx2,    t->doc_gradient,
                    t->gradient,  t->scale, t->x_scaled, t->w_last};
  for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; ++k)
    free(arrays[k]);
  free(t);
}

const char *rank_trainer_device(const rank_trainer *t) {
  return t->device;
}

/* Bytes one pair of an epoch takes: on the host the pair (a, b) and its two document-index
 * entries, plus the host step's five floats; on the device the pair buffers (a, b, x1, x2, y, dx1,
 * dx2 and two index entries), allocated with half again to grow. */
enum { host_bytes_per_pair = 16, host_step_bytes_per_pair = 20, device_bytes_per_pair = 54 };

/* The epoch's pairs must fit: more than RANK_MAX_PAIRS, or more than memory holds, is refused
 * before anything is made, with what to do. */
static int pairs_fit(const rank_trainer *t, char *error, size_t error_size) {
  const size_t pairs = rank_pairs_planned(t->data, t->options.pairs_per_query);
  if (pairs == SIZE_MAX) return say(error, error_size, "out of memory counting the pairs", ""), 0;
  const char *hint = t->options.pairs_per_query > 0 ? "use a smaller --pairs-per-query K"
                                                    : "sample them with --pairs-per-query K";
  if (pairs > RANK_MAX_PAIRS) {
    snprintf(error, error_size, "%zu pairs in one epoch, more than %zu; %s", pairs, RANK_MAX_PAIRS,
             hint);
    return 0;
  }
  size_t host = mrank_size_mul_add(
      pairs, host_bytes_per_pair + (t->on_host ? host_step_bytes_per_pair : 0), 0);
  const size_t device = mrank_size_mul_add(pairs, device_bytes_per_pair, 0);
  if (!t->on_host && t->dev.host_unified) host = mrank_size_mul_add(1, host, device);
  const size_t available = mrank_host_memory_available();
  if (available > 0 && host > available) {
    snprintf(
        error, error_size,
        "the epoch's %zu pairs need %.2f GiB of host memory, more than the %.2f GiB available; "
        "%s",
        pairs, (double)host / 1073741824.0, (double)available / 1073741824.0, hint);
    return 0;
  }
  if (!t->on_host && !t->dev.host_unified && t->dev.memory > 0 && device > t->dev.memory) {
    snprintf(error, error_size,
             "the epoch's %zu pairs need %.2f GiB of device memory, more than the device's %.2f "
             "GiB; %s",
             pairs, (double)device / 1073741824.0, (double)t->dev.memory / 1073741824.0, hint);
    return 0;
  }
  return 1;
}

int rank_trainer_reset(rank_trainer *t, const rank_options *options, char *error,
                       size_t error_size) {
  t->options = *options;
  if (!pairs_fit(t, error, error_size)) return 0;
  const size_t F = t->data->features;
  memset(t->w, 0, F * sizeof(float));
  memset(t->w_average, 0, F * sizeof(float));
  t->steps = 0.0;
  memset(t->velocity, 0, F * sizeof(float));
  return t->on_host || rank_linear_device_reset(&t->dev, error, error_size);
}

int rank_trainer_continue(rank_trainer *t, const rank_options *options, char *error,
                          size_t error_size) {
  t->options = *options;
  if (!pairs_fit(t, error, error_size)) return 0;
  /* w, the velocity and the running average go on: the model is the average over the whole walk
   * (restarting it at each step made the choice twice as sensitive to --seed, measured) */
  return 1;
}

int rank_trainer_epoch(rank_trainer *t, unsigned epoch, rank_epoch_report *report,
                       void (*progress)(double done, void *user), void *user, char *error,
                       size_t error_size) {
  const double start = now();
  memset(report, 0, sizeof *report);
  report->epoch = epoch;
  const int made =
      rank_pairs_make(&t->pairs, t->data, t->options.pairs_per_query, t->options.seed, epoch);
  if (made < 0) {
    snprintf(error, error_size,
             "more than %zu pairs in one epoch; sample them with --pairs-per-query K",
             RANK_MAX_PAIRS);
    return 0;
  }
  if (made == 0) return say(error, error_size, "out of memory for the pairs", ""), 0;
  size_t batches = 0;
  size_t *order = batch_order(t, epoch, &batches);
  if (order == NULL) return say(error, error_size, "out of memory", ""), 0;
  const size_t size = t->options.batch_queries > 0 ? t->options.batch_queries : 1;
  double loss_total = 0.0;
  int ok = t->on_host ? ensure_host_pairs(t)
                      : rank_linear_device_begin_epoch(&t->dev, &t->pairs, error, error_size);
  /* making the pairs and putting them on the device (once for a run without sampling) is set-up:
   * the epoch's time is the steps' */
  report->setup_seconds = now() - start;
  for (size_t b = 0; b < batches && ok; ++b) {
    const size_t q0 = order[b] * size;
    const size_t q1 = q0 + size < t->data->queries ? q0 + size : t->data->queries;
    if (t->on_host) {
      host_step(t, q0, q1, &loss_total);
    } else {
      const size_t pairs = t->pairs.query_start[q1] - t->pairs.query_start[q0];
      if (pairs > 0) t->steps += 1.0;
      ok = rank_linear_device_step(&t->dev, t->ctx, t->data, &t->pairs, q0, q1, &t->options,
                                   t->steps, &report->stages, error, error_size);
    }
    if (progress != NULL) progress((double)(b + 1) / (double)batches, user);
  }
  free(order);
  if (!ok) return 0;
  if (!t->on_host && !rank_linear_device_loss(&t->dev, &loss_total, error, error_size)) return 0;
  report->pairs = t->pairs.count;
  report->train_loss = t->pairs.count > 0 ? loss_total / (double)t->pairs.count : 0.0;
  report->seconds = now() - start - report->setup_seconds;
  return 1;
}

int rank_trainer_weights(rank_trainer *t, float *weights, char *error, size_t error_size) {
  const size_t F = t->data->features;
  /* with L1, the last step's zeros are the model's: the average keeps its sparsity pattern */
  const int sparse = t->options.l1 > 0.0 && t->options.average;
  if (t->on_host) {
    memcpy(weights, t->options.average ? t->w_average : t->w, F * sizeof(float));
    if (sparse) memcpy(t->w_last, t->w, F * sizeof(float));
  } else if (!rank_linear_device_weights(&t->dev, (int)t->options.average, weights,
                                         sparse ? t->w_last : NULL, error, error_size)) {
    return 0;
  }
  if (sparse) {
    for (size_t f = 0; f < F; ++f) {
      if (t->w_last[f] == 0.0f) weights[f] = 0.0f;
    }
  }
  /* w.(x / scale) = (w / scale).x: weights for the data's own units */
  for (size_t f = 0; f < F; ++f)
    weights[f] /= t->scale[f];
  return 1;
}

int rank_weights_finite(const float *weights, size_t features, double loss) {
  int finite = isfinite(loss);
  for (size_t f = 0; f < features && finite; ++f)
    finite = isfinite(weights[f]);
  return finite;
}

size_t rank_trainer_scaled_features(const rank_trainer *t) {
  return t->scaled_features;
}
