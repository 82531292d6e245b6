/* trainer.c: the trainer's lifecycle (data scaled, spread over its lanes (devices) grouped by
 * batch, a model reset for each training, epochs of minibatch steps in a seeded order, the weights
 * back in the data's units) and the step across lanes and processes: every lane computes its
 * queries' partial gradients, which are added in query order (on the device when one lane is
 * alone, else on the host, or across MPI ranks), and every lane applies the same update. */
#include "rank/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_memory.h"
#include "random.h"
#include "rank/lane.h"
#include "rank/pairs.h"

enum { max_lanes = 16 };

struct rank_trainer {
  const rank_dataset *data;
  float *scale; /* features are divided by scale[f] on the lanes */
  size_t scaled_features;
  rank_options options;
  int on_host, profile;
  mrank_context *ctx; /* the selection: one device, several, or the host */
  char device[1024];
  unsigned long long device_memory; /* the first device's, bytes (0 on the host) */
  int host_unified;
  const rank_collective *collective; /* NULL: this process holds every query */
  size_t first_id, total_queries;    /* this process's queries in the whole data set */
  size_t lane_count, batches;        /* lanes built for this many batches (0: none yet) */
  rank_lane lanes[max_lanes];
  unsigned long long *batch_pairs; /* each batch's pairs over every lane and process */
  float *rows;                     /* the lanes' partial gradients of one batch, in query order */
  float *gradient, *w_last;
  double steps; /* updates since the reset, for the running average */
};

static void say(char *error, size_t size, const char *what, const char *detail) {
  snprintf(error, size, "%s%s%s", what, detail[0] ? ": " : "", detail);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static size_t batch_count(const rank_trainer *t) {
  const size_t size = t->options.batch_queries > 0 ? t->options.batch_queries : 1;
  return (t->total_queries + size - 1) / size;
}

/* the batches, visited in an order drawn from the seed */
static size_t *batch_order(const rank_trainer *t, unsigned epoch, size_t count) {
  size_t *order = malloc((count + 1) * sizeof *order);
  if (order == NULL) return NULL;
  for (size_t b = 0; b < count; ++b)
    order[b] = b;
  mrank_random random = {t->options.seed * 2654435761ull + epoch + 1};
  for (size_t b = count; b > 1; --b) {
    const size_t k = (size_t)(mrank_random_next(&random) % b);
    const size_t swap = order[b - 1];
    order[b - 1] = order[k];
    order[k] = swap;
  }
  return order;
}

/* ---- the trainer ---- */

/* scale[f] from the training data (every process's: the largest |value| over all of them) */
static int scale_features(rank_trainer *t, rank_scale mode, char *error, size_t error_size) {
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
  if (t->collective != NULL &&
      !t->collective->max_floats(t->collective->user, t->scale, F, error, error_size)) {
    return 0;
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
  return 1;
}

static void free_lanes(rank_trainer *t) {
  for (size_t l = 0; l < t->lane_count; ++l)
    rank_lane_free(&t->lanes[l]);
  t->lane_count = 0;
  t->batches = 0;
  free(t->rows);
  free(t->batch_pairs);
  t->rows = NULL;
  t->batch_pairs = NULL;
}

/* The process's queries spread over its devices, contiguous shares of about equal documents, each
 * grouped into `batches`. */
static int build_lanes(rank_trainer *t, size_t batches, char *error, size_t error_size) {
  free_lanes(t);
  const rank_dataset *d = t->data;
  const size_t D = d->docs, F = d->features, Q = d->queries;
  size_t devices = t->on_host ? 1 : mrank_context_device_count(t->ctx);
  if (devices > Q) devices = Q;
  float *x = d->x;
  if (t->scaled_features > 0) {
    x = malloc(D * F * sizeof(float) + 1);
    if (x == NULL) return say(error, error_size, "out of memory", ""), 0;
    for (size_t i = 0; i < D; ++i) {
      for (size_t f = 0; f < F; ++f)
        x[i * F + f] = d->x[i * F + f] / t->scale[f];
    }
  }
  int ok = 1;
  size_t first = 0, rows = 0;
  for (size_t l = 0; l < devices && ok; ++l) {
    /* the first query whose documents start at or past (l + 1) / devices of them ends lane l */
    size_t last = first + 1;
    const size_t target = D * (l + 1) / devices;
    while (last < Q && d->query_start[last] < target)
      ++last;
    if (last > Q - (devices - 1 - l)) last = Q - (devices - 1 - l); /* a query for each other */
    if (l + 1 == devices) last = Q;
    rank_lane *lane = &t->lanes[l];
    ok = rank_lane_build(lane, d, x, first, last, t->first_id + first, batches);
    t->lane_count = l + 1;
    if (!ok) {
      say(error, error_size, "out of memory", "");
      break;
    }
    cl_context cl = NULL;
    cl_device_id device = NULL;
    if (!t->on_host) {
      mrank_context *one = NULL;
      mrank_context_device(t->ctx, l, &one);
      cl = mrank_context_cl_context(one);
      clGetCommandQueueInfo(mrank_context_queue(one), CL_QUEUE_DEVICE, sizeof device, &device,
                            NULL);
    }
    ok = rank_lane_place(lane, cl, device, t->profile, error, error_size);
    rows += lane->max_batch_queries;
    first = last;
  }
  if (x != d->x) free(x);
  t->rows = malloc((rows + 1) * F * sizeof(float));
  t->batch_pairs = malloc((batches + 1) * sizeof *t->batch_pairs);
  if (ok && (t->rows == NULL || t->batch_pairs == NULL)) {
    ok = 0;
    say(error, error_size, "out of memory", "");
  }
  t->batches = batches;
  if (!ok) free_lanes(t);
  return ok;
}

rank_trainer *rank_trainer_create_shared(const rank_dataset *train, const char *selector,
                                         int profile, rank_scale scale,
                                         const rank_collective *collective, char *error,
                                         size_t error_size) {
  if (train->queries == 0) {
    say(error, error_size, "the training data has no query groups",
        "give qid: tokens or a group file (--query)");
    return NULL;
  }
  if (collective == NULL && rank_pairs_planned(train, 0) == 0) {
    say(error, error_size, "the training data has no pair to learn from",
        "in every query all documents have one label (a pair is two documents of one query with "
        "different labels)");
    return NULL;
  }
  rank_trainer *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->data = train;
  t->profile = profile;
  t->collective = collective;
  t->first_id = collective != NULL ? collective->first_query : 0;
  t->total_queries = collective != NULL ? collective->total_queries : train->queries;
  if (mrank_context_create(selector, &t->ctx) != MRANK_SUCCESS) {
    snprintf(error, error_size, "%s", mrank_last_error());
    free(t);
    return NULL;
  }
  snprintf(t->device, sizeof t->device, "%s", mrank_context_device_name(t->ctx));
  t->on_host = mrank_context_cl_context(t->ctx) == NULL;
  if (!t->on_host) {
    cl_device_id device = NULL;
    cl_bool unified = CL_FALSE;
    cl_ulong memory = 0;
    clGetCommandQueueInfo(mrank_context_queue(t->ctx), CL_QUEUE_DEVICE, sizeof device, &device,
                          NULL);
    clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
    clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof memory, &memory, NULL);
    t->host_unified = unified == CL_TRUE;
    t->device_memory = memory;
  }
  const size_t F = train->features;
  t->w_last = calloc(F + 1, sizeof(float));
  t->gradient = calloc(F + 1, sizeof(float));
  t->scale = calloc(F + 1, sizeof(float));
  if (t->w_last == NULL || t->gradient == NULL || t->scale == NULL) {
    say(error, error_size, "out of memory", "");
    rank_trainer_destroy(t);
    return NULL;
  }
  if (!scale_features(t, scale, error, error_size)) {
    rank_trainer_destroy(t);
    return NULL;
  }
  /* the lanes for the default batch size now: a device's set-up (its kernels, the upload) is part
   * of making the trainer, not of the first epoch */
  rank_default_options(&t->options);
  if (!build_lanes(t, batch_count(t), error, error_size)) {
    rank_trainer_destroy(t);
    return NULL;
  }
  return t;
}

rank_trainer *rank_trainer_create(const rank_dataset *train, const char *selector, int profile,
                                  rank_scale scale, char *error, size_t error_size) {
  return rank_trainer_create_shared(train, selector, profile, scale, NULL, error, error_size);
}

void rank_trainer_destroy(rank_trainer *t) {
  if (t == NULL) return;
  free_lanes(t);
  mrank_context_destroy(t->ctx); /* after the lanes: their queues are on its devices */
  free(t->scale);
  free(t->gradient);
  free(t->w_last);
  free(t);
}

const char *rank_trainer_device(const rank_trainer *t) {
  return t->device;
}

size_t rank_trainer_device_count(const rank_trainer *t) {
  return t->lane_count > 0 ? t->lane_count : 1;
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
  if (!t->on_host && t->host_unified) host = mrank_size_mul_add(1, host, device);
  const size_t available = mrank_host_memory_available();
  if (available > 0 && host > available) {
    snprintf(
        error, error_size,
        "the epoch's %zu pairs need %.2f GiB of host memory, more than the %.2f GiB available; "
        "%s",
        pairs, (double)host / 1073741824.0, (double)available / 1073741824.0, hint);
    return 0;
  }
  if (!t->on_host && !t->host_unified && t->device_memory > 0 && device > t->device_memory) {
    snprintf(error, error_size,
             "the epoch's %zu pairs need %.2f GiB of device memory, more than the device's %.2f "
             "GiB; %s",
             pairs, (double)device / 1073741824.0, (double)t->device_memory / 1073741824.0, hint);
    return 0;
  }
  return 1;
}

int rank_trainer_reset(rank_trainer *t, const rank_options *options, char *error,
                       size_t error_size) {
  t->options = *options;
  if (!pairs_fit(t, error, error_size)) return 0;
  if (batch_count(t) != t->batches && !build_lanes(t, batch_count(t), error, error_size)) return 0;
  t->steps = 0.0;
  for (size_t l = 0; l < t->lane_count; ++l) {
    if (!rank_lane_reset(&t->lanes[l], error, error_size)) return 0;
  }
  return 1;
}

int rank_trainer_continue(rank_trainer *t, const rank_options *options, char *error,
                          size_t error_size) {
  if (options->batch_queries != t->options.batch_queries) {
    say(error, error_size, "a warm start cannot change the batch size",
        "start afresh (rank_trainer_reset) for another --batch-queries");
    return 0;
  }
  t->options = *options;
  if (!pairs_fit(t, error, error_size)) return 0;
  /* w, the velocity and the running average go on: the model is the average over the whole walk
   * (restarting it at each step made the choice twice as sensitive to --seed, measured) */
  return 1;
}

/* Each batch's pairs over every lane (and process). */
static int count_batch_pairs(rank_trainer *t, char *error, size_t error_size) {
  for (size_t b = 0; b < t->batches; ++b) {
    unsigned long long pairs = 0;
    for (size_t l = 0; l < t->lane_count; ++l) {
      const rank_lane *lane = &t->lanes[l];
      pairs += lane->pairs.query_start[lane->batch_start[b + 1]] -
               lane->pairs.query_start[lane->batch_start[b]];
    }
    t->batch_pairs[b] = pairs;
  }
  return t->collective == NULL || t->collective->sum_counts(t->collective->user, t->batch_pairs,
                                                            t->batches, error, error_size);
}

/* grad = the rows (queries in number order) added in turn, each feature from 0 */
static void sum_rows(const float *rows, size_t count, size_t features, float *grad) {
  for (size_t f = 0; f < features; ++f) {
    float total = 0.0f;
    for (size_t k = 0; k < count; ++k)
      total += rows[k * features + f];
    grad[f] = total;
  }
}

/* One step over batch b on every lane. */
static int step(rank_trainer *t, size_t b, rank_stage_times *stages, char *error,
                size_t error_size) {
  const size_t F = t->data->features;
  const float scale = (float)(1.0 / (double)t->batch_pairs[b]);
  t->steps += 1.0;
  const double margin = t->options.margin;
  for (size_t l = 0; l < t->lane_count; ++l) {
    rank_lane *lane = &t->lanes[l];
    if (lane->on_device &&
        !rank_linear_device_partials(&lane->dev, &lane->pairs, lane->batch_start[b],
                                     lane->batch_start[b + 1], margin, stages, error, error_size)) {
      return 0;
    }
  }
  rank_lane *only = &t->lanes[0];
  if (t->lane_count == 1 && t->collective == NULL && only->on_device) {
    return rank_linear_device_sum_and_update(
        &only->dev, only->batch_start[b + 1] - only->batch_start[b], &t->options, scale, t->steps,
        stages, error, error_size);
  }
  /* the lanes' rows, lane after lane: lanes hold consecutive query numbers, so this is query
   * order */
  size_t rows = 0;
  for (size_t l = 0; l < t->lane_count; ++l) {
    rank_lane *lane = &t->lanes[l];
    const size_t count = lane->batch_start[b + 1] - lane->batch_start[b];
    if (lane->on_device) {
      if (!rank_linear_device_read_partials(&lane->dev, count, t->rows + rows * F, error,
                                            error_size)) {
        return 0;
      }
    } else {
      rank_lane_host_partials(lane, t->ctx, b, margin);
      memcpy(t->rows + rows * F, lane->partials, count * F * sizeof(float));
    }
    rows += count;
  }
  for (size_t l = 0; l < t->lane_count; ++l) {
    if (t->lanes[l].on_device && !rank_linear_device_wait(&t->lanes[l].dev, error, error_size)) {
      return 0;
    }
  }
  if (t->collective != NULL) {
    if (!t->collective->sum_rows(t->collective->user, t->rows, rows, F, t->gradient, error,
                                 error_size)) {
      return 0;
    }
  } else {
    sum_rows(t->rows, rows, F, t->gradient);
  }
  for (size_t l = 0; l < t->lane_count; ++l) {
    rank_lane *lane = &t->lanes[l];
    if (!lane->on_device) {
      rank_lane_host_update(lane, t->gradient, &t->options, scale, t->steps);
    } else if (!rank_linear_device_update(&lane->dev, t->gradient, &t->options, scale, t->steps,
                                          stages, error, error_size)) {
      return 0;
    }
  }
  return 1;
}

int rank_trainer_epoch(rank_trainer *t, unsigned epoch, rank_epoch_report *report,
                       void (*progress)(double done, void *user), void *user, char *error,
                       size_t error_size) {
  const double start = now();
  memset(report, 0, sizeof *report);
  report->epoch = epoch;
  for (size_t l = 0; l < t->lane_count; ++l) {
    const int made = rank_lane_begin_epoch(&t->lanes[l], &t->options, epoch, error, error_size);
    if (made < 0) {
      snprintf(error, error_size,
               "more than %zu pairs in one epoch; sample them with --pairs-per-query K",
               RANK_MAX_PAIRS);
      return 0;
    }
    if (made == 0) return 0;
  }
  if (!count_batch_pairs(t, error, error_size)) return 0;
  size_t *order = batch_order(t, epoch, t->batches);
  if (order == NULL) return say(error, error_size, "out of memory", ""), 0;
  /* making the pairs and putting them on the devices (once for a run without sampling) is
   * set-up: the epoch's time is the steps' */
  report->setup_seconds = now() - start;
  int ok = 1;
  unsigned long long pairs = 0;
  for (size_t k = 0; k < t->batches && ok; ++k) {
    const size_t b = order[k];
    pairs += t->batch_pairs[b];
    if (t->batch_pairs[b] > 0) ok = step(t, b, &report->stages, error, error_size);
    if (progress != NULL) progress((double)(k + 1) / (double)t->batches, user);
  }
  free(order);
  if (!ok) return 0;
  double loss_total = 0.0;
  for (size_t l = 0; l < t->lane_count; ++l) {
    rank_lane *lane = &t->lanes[l];
    double lane_loss = lane->loss_total;
    if (lane->on_device && !rank_linear_device_loss(&lane->dev, &lane_loss, error, error_size)) {
      return 0;
    }
    loss_total += lane_loss;
  }
  if (t->collective != NULL &&
      !t->collective->sum_doubles(t->collective->user, &loss_total, 1, error, error_size)) {
    return 0;
  }
  report->pairs = (size_t)pairs;
  report->train_loss = pairs > 0 ? loss_total / (double)pairs : 0.0;
  report->seconds = now() - start - report->setup_seconds;
  return 1;
}

int rank_trainer_weights(rank_trainer *t, float *weights, char *error, size_t error_size) {
  const size_t F = t->data->features;
  rank_lane *lane = &t->lanes[0]; /* every lane holds the same weights */
  /* with L1, the last step's zeros are the model's: the average keeps its sparsity pattern */
  const int sparse = t->options.l1 > 0.0 && t->options.average;
  if (!lane->on_device) {
    memcpy(weights, t->options.average ? lane->w_average : lane->w, F * sizeof(float));
    if (sparse) memcpy(t->w_last, lane->w, F * sizeof(float));
  } else if (!rank_linear_device_weights(&lane->dev, (int)t->options.average, weights,
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
