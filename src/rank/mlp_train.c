/* mlp_train.c: the MLP trainer's lifecycle (standardised data put on the device once, a fresh
 * network for each training, epochs of minibatch steps in a seeded order) and the host step: the
 * device's steps (rank/mlp_device.c) in plain loops, with the CPU reference of the loss. */
#include "rank/mlp_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "random.h"
#include "rank/mlp_device.h"
#include "rank/pairs.h"

struct rank_mlp_trainer {
  const rank_dataset *data;
  float *x; /* standardised (kept for the host step; freed once on a device) */
  float *mean, *deviation;
  rank_options options;
  rank_mlp_options mlp;
  size_t parameters, max_batch_docs;
  size_t trained; /* the optimiser steps parameters [0, trained) (the linear term may be frozen) */
  int on_host, profile;
  mrank_context *ctx;
  char device[256];
  rank_pairs pairs;
  rank_mlp_device dev;
  unsigned long step; /* optimiser steps since the reset */
  /* the host's network and its batch state */
  float *p, *g, *m, *v, *average;
  float *z[RANK_MLP_MAX_LAYERS], *a[RANK_MLP_MAX_LAYERS], *d1, *d2;
  float *scores, *doc_gradient, *x1, *x2, *ones, *dx1, *dx2;
  size_t pair_room;
  rank_mlp_shape host_shape; /* of the host arrays */
};

static int say(char *error, size_t size, const char *what) {
  snprintf(error, size, "%s", what);
  return 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* the most documents of any batch of batch_queries consecutive queries */
static size_t largest_batch(const rank_dataset *d, size_t batch_queries) {
  size_t largest = 1;
  for (size_t q0 = 0; q0 < d->queries; q0 += batch_queries) {
    const size_t q1 = q0 + batch_queries < d->queries ? q0 + batch_queries : d->queries;
    const size_t docs = d->query_start[q1] - d->query_start[q0];
    if (docs > largest) largest = docs;
  }
  return largest;
}

void rank_mlp_trainer_destroy(rank_mlp_trainer *t) {
  if (t == NULL) return;
  if (!t->on_host) rank_mlp_device_free(&t->dev);
  mrank_context_destroy(t->ctx);
  rank_pairs_free(&t->pairs);
  free(t->average);
  float *arrays[] = {t->x,  t->mean,   t->deviation,    t->p,  t->g,  t->m,    t->v,   t->d1,
                     t->d2, t->scores, t->doc_gradient, t->x1, t->x2, t->ones, t->dx1, t->dx2};
  for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; ++k)
    free(arrays[k]);
  for (size_t l = 0; l < RANK_MLP_MAX_LAYERS; ++l) {
    free(t->z[l]);
    free(t->a[l]);
  }
  free(t);
}

rank_mlp_trainer *rank_mlp_trainer_create(const rank_dataset *train, const char *selector,
                                          int profile, char *error, size_t error_size) {
  if (train->queries == 0) {
    say(error, error_size, "the training data has no query groups: give qid: tokens or --query");
    return NULL;
  }
  if (rank_pairs_planned(train, 0) == 0) {
    say(error, error_size,
        "the training data has no pair to learn from: in every query all documents have one "
        "label");
    return NULL;
  }
  rank_mlp_trainer *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->data = train;
  t->profile = profile;
  const size_t D = train->docs, F = train->features;
  t->mean = malloc((F + 1) * sizeof(float));
  t->deviation = malloc((F + 1) * sizeof(float));
  t->x = malloc(D * F * sizeof(float) + 1);
  t->scores = calloc(D + 1, sizeof(float));
  t->doc_gradient = calloc(D + 1, sizeof(float));
  if (t->mean == NULL || t->deviation == NULL || t->x == NULL || t->scores == NULL ||
      t->doc_gradient == NULL || !rank_mlp_standardisation(train, t->mean, t->deviation) ||
      !rank_pairs_init(&t->pairs, train)) {
    say(error, error_size, "out of memory");
    rank_mlp_trainer_destroy(t);
    return NULL;
  }
  for (size_t i = 0; i < D; ++i) {
    for (size_t f = 0; f < F; ++f)
      t->x[i * F + f] = (train->x[i * F + f] - t->mean[f]) / t->deviation[f];
  }
  if (mrank_context_create(selector, &t->ctx) != MRANK_SUCCESS) {
    snprintf(error, error_size, "%s", mrank_last_error());
    rank_mlp_trainer_destroy(t);
    return NULL;
  }
  t->on_host = mrank_context_cl_context(t->ctx) == NULL;
  if (mrank_context_device_count(t->ctx) > 1) {
    say(error, error_size, "the MLP scorer trains on one device: pick one (P:D), not a set");
    t->on_host = 1; /* nothing is on a device yet */
    rank_mlp_trainer_destroy(t);
    return NULL;
  }
  snprintf(t->device, sizeof t->device, "%s", mrank_context_device_name(t->ctx));
  return t;
}

const char *rank_mlp_trainer_device(const rank_mlp_trainer *t) {
  return t->device;
}

const char *rank_mlp_trainer_layers(const rank_mlp_trainer *t) {
  return t->on_host ? "host loops" : rank_mlp_layers_name(t->dev.layers);
}

const float *rank_mlp_trainer_mean(const rank_mlp_trainer *t) {
  return t->mean;
}

const float *rank_mlp_trainer_deviation(const rank_mlp_trainer *t) {
  return t->deviation;
}

/* the host's per-batch arrays for this shape and batch size */
static int host_arrays(rank_mlp_trainer *t, const rank_mlp_shape *s) {
  const size_t P = rank_mlp_parameter_count(s), B = t->max_batch_docs;
  float **params[] = {&t->p, &t->g, &t->m, &t->v, &t->average};
  for (size_t k = 0; k < 5; ++k) {
    free(*params[k]);
    *params[k] = calloc(P + 1, sizeof(float));
    if (*params[k] == NULL) return 0;
  }
  size_t widest = 1;
  for (size_t l = 0; l < RANK_MLP_MAX_LAYERS; ++l) {
    free(t->z[l]);
    free(t->a[l]);
    t->z[l] = t->a[l] = NULL;
    if (l >= s->layers) continue;
    if (s->hidden[l] > widest) widest = s->hidden[l];
    t->z[l] = calloc(B * s->hidden[l] + 1, sizeof(float));
    t->a[l] = calloc(B * s->hidden[l] + 1, sizeof(float));
    if (t->z[l] == NULL || t->a[l] == NULL) return 0;
  }
  free(t->d1);
  free(t->d2);
  t->d1 = calloc(B * widest + 1, sizeof(float));
  t->d2 = calloc(B * widest + 1, sizeof(float));
  t->host_shape = *s;
  return t->d1 != NULL && t->d2 != NULL;
}

int rank_mlp_trainer_reset(rank_mlp_trainer *t, const rank_options *options,
                           const rank_mlp_options *mlp, char *error, size_t error_size) {
  t->options = *options;
  t->mlp = *mlp;
  t->mlp.shape.features = t->data->features;
  const rank_mlp_shape *s = &t->mlp.shape;
  t->parameters = rank_mlp_parameter_count(s);
  t->step = 0;
  const size_t batch = options->batch_queries > 0 ? options->batch_queries : 1;
  const size_t largest = largest_batch(t->data, batch);
  float *initial = malloc((t->parameters + 1) * sizeof *initial);
  if (initial == NULL) return say(error, error_size, "out of memory");
  rank_mlp_init(s, options->seed, initial);
  if (s->skip && mlp->skip_start != NULL) {
    memcpy(initial + rank_mlp_skip_offset(s), mlp->skip_start, s->features * sizeof *initial);
    memset(initial + rank_mlp_output_offset(s), 0, s->hidden[s->layers - 1] * sizeof *initial);
  }
  t->trained = s->skip && mlp->skip_frozen ? rank_mlp_skip_offset(s) : t->parameters;
  int ok = 1;
  if (t->on_host) {
    if (largest > t->max_batch_docs || memcmp(s, &t->host_shape, sizeof *s) != 0) {
      if (largest > t->max_batch_docs) t->max_batch_docs = largest;
      ok = host_arrays(t, s) || say(error, error_size, "out of memory for the network");
    }
    if (ok) {
      memcpy(t->p, initial, t->parameters * sizeof(float));
      memset(t->g, 0, t->parameters * sizeof(float));
      memset(t->m, 0, t->parameters * sizeof(float));
      memset(t->v, 0, t->parameters * sizeof(float));
      memset(t->average, 0, t->parameters * sizeof(float));
    }
  } else {
    if (t->dev.x == NULL || largest > t->dev.max_batch_docs) {
      if (t->dev.x != NULL) rank_mlp_device_free(&t->dev);
      ok = rank_mlp_device_init(&t->dev, t->ctx, t->x, t->data->docs, t->data->features, largest,
                                t->profile, error, error_size);
    }
    ok = ok && rank_mlp_device_reset(&t->dev, s, mlp->layers, initial, error, error_size);
  }
  free(initial);
  return ok;
}

/* ---- the host step ---- */

typedef struct host_batch {
  size_t d0, d1, p0, p1;
  uint32_t seed, step, threshold;
  float scale; /* 1 / (1 - dropout) */
} host_batch;

/* x . w as kernels/mlp.cl's dot_row sums it, so that the host's scores are the device's bits: 8
 * running lanes over the blocks of 8, added as a fixed tree, then the rest in order */
static float dot_in_lanes(const float *x, const float *w, size_t n) {
  float lane[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    for (size_t j = 0; j < 8; ++j)
      lane[j] = x[k + j] * w[k + j] + lane[j];
  }
  float total =
      ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; k < n; ++k)
    total = x[k] * w[k] + total;
  return total;
}

static void host_forward(rank_mlp_trainer *t, const host_batch *b) {
  const rank_mlp_shape *s = &t->mlp.shape;
  const size_t rows = b->d1 - b->d0, F = s->features, L = s->layers;
  for (size_t l = 0; l < L; ++l) {
    const size_t in = rank_mlp_layer_inputs(s, l), out = s->hidden[l];
    const float *input = l == 0 ? t->x + b->d0 * F : t->a[l - 1];
    const float *w = t->p + rank_mlp_weight_offset(s, l), *bias = t->p + rank_mlp_bias_offset(s, l);
    for (size_t i = 0; i < rows; ++i) {
      for (size_t u = 0; u < out; ++u) {
        /* from the bias, then each input in order: kernels/mlp.cl's dense_forward, whose bits
         * these are */
        float value = bias[u];
        for (size_t k = 0; k < in; ++k)
          value = input[i * in + k] * w[k * out + u] + value;
        t->z[l][i * out + u] = value;
        const int on =
            value > 0.0f &&
            (b->threshold == 0 || rank_mlp_keep(b->seed, b->step, (uint32_t)l,
                                                (uint32_t)(b->d0 + i), (uint32_t)u, b->threshold));
        t->a[l][i * out + u] = on ? value * b->scale : 0.0f;
      }
    }
  }
  const size_t H = s->hidden[L - 1];
  const float *w = t->p + rank_mlp_output_offset(s), *v = t->p + rank_mlp_skip_offset(s);
  for (size_t i = 0; i < rows; ++i) {
    float total = dot_in_lanes(t->a[L - 1] + i * H, w, H);
    if (s->skip) total = total + dot_in_lanes(t->x + (b->d0 + i) * F, v, F);
    t->scores[b->d0 + i] = total;
  }
}

/* the unit was on at this step: positive and kept by the dropout mask */
static int unit_on(const host_batch *b, size_t layer, size_t i, size_t u, float z) {
  return z > 0.0f &&
         (b->threshold == 0 || rank_mlp_keep(b->seed, b->step, (uint32_t)layer,
                                             (uint32_t)(b->d0 + i), (uint32_t)u, b->threshold));
}

static void host_backward(rank_mlp_trainer *t, const host_batch *b) {
  const rank_mlp_shape *s = &t->mlp.shape;
  const size_t rows = b->d1 - b->d0, F = s->features, L = s->layers, H = s->hidden[L - 1];
  const float per_pair = (float)(1.0 / (double)(b->p1 - b->p0));
  const float *g = t->doc_gradient + b->d0;
  float *gw = t->g + rank_mlp_output_offset(s);
  const float *w = t->p + rank_mlp_output_offset(s);
  for (size_t u = 0; u < H; ++u) {
    float total = 0.0f;
    for (size_t i = 0; i < rows; ++i)
      total += t->a[L - 1][i * H + u] * g[i];
    gw[u] = per_pair * total;
  }
  if (s->skip) {
    float *gv = t->g + rank_mlp_skip_offset(s);
    for (size_t f = 0; f < F; ++f) {
      float total = 0.0f;
      for (size_t i = 0; i < rows; ++i)
        total += t->x[(b->d0 + i) * F + f] * g[i];
      gv[f] = per_pair * total;
    }
  }
  const float scale = b->scale * per_pair;
  float *dz = t->d1, *da = t->d2;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t u = 0; u < H; ++u) {
      dz[i * H + u] = unit_on(b, L - 1, i, u, t->z[L - 1][i * H + u]) ? g[i] * w[u] * scale : 0.0f;
    }
  }
  for (size_t l = L; l-- > 0;) {
    const size_t in = rank_mlp_layer_inputs(s, l), out = s->hidden[l];
    const float *input = l == 0 ? t->x + b->d0 * F : t->a[l - 1];
    float *gW = t->g + rank_mlp_weight_offset(s, l), *gb = t->g + rank_mlp_bias_offset(s, l);
    const float *W = t->p + rank_mlp_weight_offset(s, l);
    for (size_t k = 0; k < in; ++k) {
      for (size_t u = 0; u < out; ++u) {
        float total = 0.0f;
        for (size_t i = 0; i < rows; ++i)
          total += input[i * in + k] * dz[i * out + u];
        gW[k * out + u] = total;
      }
    }
    for (size_t u = 0; u < out; ++u) {
      float total = 0.0f;
      for (size_t i = 0; i < rows; ++i)
        total += dz[i * out + u];
      gb[u] = total;
    }
    if (l == 0) break;
    for (size_t i = 0; i < rows; ++i) {
      for (size_t k = 0; k < in; ++k) {
        float total = 0.0f;
        for (size_t u = 0; u < out; ++u)
          total += dz[i * out + u] * W[k * out + u];
        da[i * in + k] = unit_on(b, l - 1, i, k, t->z[l - 1][i * in + k]) ? total * b->scale : 0.0f;
      }
    }
    float *swap = dz;
    dz = da;
    da = swap;
  }
}

static void host_optimize(rank_mlp_trainer *t, float bias1, float bias2, float share) {
  const float lr = (float)t->options.lr, decay = (float)t->mlp.weight_decay,
              momentum = (float)t->options.momentum;
  for (size_t k = 0; k < t->trained; ++k) {
    const float grad = t->g[k] + decay * t->p[k];
    if (t->mlp.optimizer == RANK_SGD) {
      t->p[k] = t->p[k] - lr * grad;
    } else if (t->mlp.optimizer == RANK_MOMENTUM) {
      const float velocity = momentum * t->m[k] + grad;
      t->m[k] = velocity;
      t->p[k] = t->p[k] - lr * velocity;
    } else {
      const float first = 0.9f * t->m[k] + 0.1f * grad;
      const float second = 0.999f * t->v[k] + 0.001f * grad * grad;
      t->m[k] = first;
      t->v[k] = second;
      t->p[k] = t->p[k] - lr * (first / bias1) / (sqrtf(second / bias2) + 1e-8f);
    }
    t->average[k] = t->average[k] + (t->p[k] - t->average[k]) * share;
  }
}

static int host_pairs(rank_mlp_trainer *t) {
  if (t->pairs.count + 1 <= t->pair_room) return 1;
  float **arrays[] = {&t->x1, &t->x2, &t->ones, &t->dx1, &t->dx2};
  const size_t room = t->pairs.count + 1;
  for (size_t k = 0; k < 5; ++k) {
    float *grown = realloc(*arrays[k], room * sizeof(float));
    if (grown == NULL) return 0;
    *arrays[k] = grown;
  }
  for (size_t p = 0; p < room; ++p)
    t->ones[p] = 1.0f;
  t->pair_room = room;
  return 1;
}

static void host_step(rank_mlp_trainer *t, const host_batch *b, double *loss_total, int take) {
  host_forward(t, b);
  const rank_pairs *pairs = &t->pairs;
  const size_t count = b->p1 - b->p0;
  for (size_t p = b->p0; p < b->p1; ++p) {
    t->x1[p] = t->scores[pairs->a[p]];
    t->x2[p] = t->scores[pairs->b[p]];
  }
  float loss = 0.0f;
  mrank_forward_backward(t->ctx, count, t->x1 + b->p0, t->x2 + b->p0, t->ones + b->p0,
                         (float)t->options.margin, MRANK_REDUCTION_SUM, &loss, t->dx1 + b->p0,
                         t->dx2 + b->p0);
  *loss_total += loss;
  for (size_t d = b->d0; d < b->d1; ++d) {
    float total = 0.0f;
    for (uint32_t e = pairs->doc_start[d]; e < pairs->doc_start[d + 1]; ++e) {
      const uint32_t code = pairs->doc_entries[e];
      total += (code & 1u) ? t->dx2[code >> 1] : t->dx1[code >> 1];
    }
    t->doc_gradient[d] = total;
  }
  host_backward(t, b);
  if (!take) return;
  const double steps = (double)t->step;
  host_optimize(t, (float)(1.0 - pow(0.9, steps)), (float)(1.0 - pow(0.999, steps)),
                (float)(1.0 / steps));
}

/* ---- epochs ---- */

static size_t *batch_order(const rank_mlp_trainer *t, unsigned epoch, size_t *count) {
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

/* One step over queries [q0, q1) (the optimiser's step taken when `take`). */
static int run_step(rank_mlp_trainer *t, size_t q0, size_t q1, int take, double *loss_total,
                    rank_stage_times *stages, char *error, size_t error_size) {
  const rank_dataset *d = t->data;
  const size_t p0 = t->pairs.query_start[q0], p1 = t->pairs.query_start[q1];
  if (p1 == p0) return 1;
  t->step += take;
  const uint32_t threshold = rank_mlp_dropout_threshold(t->mlp.dropout);
  const float scale = threshold > 0 ? (float)(1.0 / (1.0 - t->mlp.dropout)) : 1.0f;
  const uint32_t seed = (uint32_t)(t->options.seed * 0x9e3779b97f4a7c15ull >> 32);
  if (t->on_host) {
    const host_batch b = {d->query_start[q0], d->query_start[q1], p0,   p1, seed,
                          (uint32_t)t->step,  threshold,          scale};
    host_step(t, &b, loss_total, take);
    return 1;
  }
  const double steps = (double)(t->step > 0 ? t->step : 1);
  const rank_mlp_step st = {d->query_start[q0],
                            d->query_start[q1],
                            p0,
                            p1,
                            (float)t->options.margin,
                            (float)t->options.lr,
                            (float)t->mlp.weight_decay,
                            (float)t->options.momentum,
                            scale,
                            (int)t->mlp.optimizer,
                            (float)(1.0 - pow(0.9, steps)),
                            (float)(1.0 - pow(0.999, steps)),
                            t->options.average ? (float)(1.0 / steps) : 0.0f,
                            seed,
                            (uint32_t)t->step,
                            threshold,
                            take,
                            t->trained};
  return rank_mlp_device_step(&t->dev, &st, stages, error, error_size);
}

static int begin_epoch(rank_mlp_trainer *t, unsigned epoch, char *error, size_t error_size) {
  const int made =
      rank_pairs_make(&t->pairs, t->data, t->options.pairs_per_query, t->options.seed, epoch);
  if (made < 0) {
    snprintf(error, error_size,
             "more than %zu pairs in one epoch; sample them with --pairs-per-query K",
             RANK_MAX_PAIRS);
    return 0;
  }
  if (made == 0) return say(error, error_size, "out of memory for the pairs");
  if (t->on_host) return host_pairs(t) || say(error, error_size, "out of memory for the pairs");
  return rank_mlp_device_begin_epoch(&t->dev, &t->pairs, error, error_size);
}

int rank_mlp_trainer_epoch(rank_mlp_trainer *t, unsigned epoch, rank_epoch_report *report,
                           void (*progress)(double done, void *user), void *user, char *error,
                           size_t error_size) {
  const double start = now();
  memset(report, 0, sizeof *report);
  report->epoch = epoch;
  if (!begin_epoch(t, epoch, error, error_size)) return 0;
  size_t batches = 0;
  size_t *order = batch_order(t, epoch, &batches);
  if (order == NULL) return say(error, error_size, "out of memory");
  const size_t size = t->options.batch_queries > 0 ? t->options.batch_queries : 1;
  report->setup_seconds = now() - start;
  double loss_total = 0.0;
  int ok = 1;
  for (size_t k = 0; k < batches && ok; ++k) {
    const size_t q0 = order[k] * size;
    const size_t q1 = q0 + size < t->data->queries ? q0 + size : t->data->queries;
    ok = run_step(t, q0, q1, 1, &loss_total, &report->stages, error, error_size);
    if (progress != NULL) progress((double)(k + 1) / (double)batches, user);
  }
  free(order);
  if (!ok) return 0;
  if (!t->on_host && !rank_mlp_device_loss(&t->dev, &loss_total, error, error_size)) return 0;
  report->pairs = t->pairs.count;
  report->train_loss = t->pairs.count > 0 ? loss_total / (double)t->pairs.count : 0.0;
  report->seconds = now() - start - report->setup_seconds;
  return 1;
}

int rank_mlp_trainer_parameters(rank_mlp_trainer *t, float *parameters, char *error,
                                size_t error_size) {
  /* with averaging (options.average), the running average of the parameters over the steps */
  const int average = t->options.average != 0 && t->step > 0;
  const size_t frozen = t->parameters - t->trained; /* never stepped: never averaged */
  if (t->on_host) {
    memcpy(parameters, average ? t->average : t->p, t->trained * sizeof(float));
    memcpy(parameters + t->trained, t->p + t->trained, frozen * sizeof(float));
    return 1;
  }
  if (!rank_mlp_device_read(&t->dev, average ? 2 : 0, parameters, error, error_size)) return 0;
  if (!average || frozen == 0) return 1;
  float *start = malloc(t->parameters * sizeof *start);
  if (start == NULL) return say(error, error_size, "out of memory");
  const int ok = rank_mlp_device_read(&t->dev, 0, start, error, error_size);
  if (ok) memcpy(parameters + t->trained, start + t->trained, frozen * sizeof(float));
  free(start);
  return ok;
}

int rank_mlp_trainer_first_gradient(rank_mlp_trainer *t, float *gradient, char *error,
                                    size_t error_size) {
  if (!begin_epoch(t, 1, error, error_size)) return 0;
  const size_t size = t->options.batch_queries > 0 ? t->options.batch_queries : 1;
  const size_t q1 = size < t->data->queries ? size : t->data->queries;
  double loss = 0.0;
  /* no step is taken: the dropout mask is that of step t->step (0 after a reset) */
  if (!run_step(t, 0, q1, 0, &loss, NULL, error, error_size)) return 0;
  if (t->on_host) {
    memcpy(gradient, t->g, t->parameters * sizeof(float));
    return 1;
  }
  return rank_mlp_device_read(&t->dev, 1, gradient, error, error_size);
}
