/* trainer.c: the training loop. One step over a batch of queries (whose documents and pairs are
 * consecutive):
 *   s[d]      = X[d] . w                      GEMV over the batch's documents (CLBlast)
 *   x1, x2    = s[a[p]], s[b[p]]               gather, y = +1 (a ranks above b)
 *   loss, g   = mrank_forward_backward (mean)  the fused hinge and its gradients
 *   gd[d]     = sum of g over d's pairs        a fixed-order gather over a doc -> pairs index
 *   grad      = X^T gd + l2 w                  GEMV, transposed (CLBlast)
 *   v = momentum v + grad, w -= lr v           update
 * Nothing returns to the host inside an epoch but the batch count; the epoch's loss is accumulated
 * on the device and read once. The host path runs the same steps in C. */
#include "rank/trainer.h"

#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "random.h"
#include "disk_cache.h"
#include "program_builder.h"

enum { K_GATHER, K_SCATTER, K_UPDATE, K_ACCUMULATE, K_COUNT };
static const char *const kernel_names[K_COUNT] = {"gather", "scatter", "update", "accumulate"};

struct rank_trainer {
  const rank_dataset *data;
  /* the features divided by scale[f] (NULL when every scale is 1: then data->x itself); freed once
   * it is on the device */
  float *x_scaled, *scale;
  size_t scaled_features;
  rank_options options;
  int on_host, profile;
  mrank_context *ctx;
  char device[256];
  /* the epoch's pairs (by query), and each document's pairs */
  uint32_t *pair_a, *pair_b, *doc_start, *doc_entries;
  size_t *query_pairs; /* queries + 1 offsets into the pairs */
  size_t pairs, pair_capacity;
  /* every pair is made (no sampling), and already on the device: the next epoch reuses them */
  int all_pairs_made, all_pairs_on_device;
  /* host state */
  float *w, *w_average, *velocity, *scores, *x1, *x2, *ones, *dx1, *dx2, *doc_gradient, *gradient;
  /* device state */
  cl_context cl;
  cl_command_queue queue;
  cl_program program;
  int cache_warned; /* the one warning about an unwritable kernel cache was given */
  cl_kernel kernel[K_COUNT];
  size_t local[K_COUNT]; /* work-group size: 64, or less where the device allows less */
  cl_mem d_x, d_w, d_w_average, d_v, d_scores, d_grad, d_doc_gradient, d_a, d_b, d_x1, d_x2, d_y,
      d_dx1, d_dx2, d_doc_start, d_doc_entries, d_loss, d_total;
  size_t device_pairs; /* capacity of the pair buffers */
  double steps;        /* updates since the reset, for the running average */
};

static void say(char *error, size_t size, const char *what, const char *detail) {
  snprintf(error, size, "%s%s%s", what, detail[0] ? ": " : "", detail);
}

/* 0, with "what: CL_ERROR_NAME" in error */
static int cl_failed(char *error, size_t size, const char *what, cl_int code) {
  say(error, size, what, mrank_cl_error_name(code));
  return 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void rank_score(const rank_dataset *data, const float *weights, size_t features, double *scores) {
  const size_t columns = data->features < features ? data->features : features;
  for (size_t d = 0; d < data->docs; ++d) {
    double total = 0.0;
    for (size_t f = 0; f < columns; ++f)
      total += (double)data->x[d * data->features + f] * weights[f];
    scores[d] = total;
  }
}

/* ---- pairs ---- */

/* Every (i, j) of a query with label_i > label_j; with pairs_per_query K, at most K of them, drawn
 * without replacement from the seed and the epoch (the same draw on every device). Then the index
 * from each document to its pairs, in pair order. */
/* A pair's document entries are coded 2p and 2p + 1 in uint32. */
#define RANK_MAX_PAIRS ((size_t)INT32_MAX)

/* 1 made, 0 out of memory, -1 more than RANK_MAX_PAIRS */
static int make_pairs(rank_trainer *t, unsigned epoch) {
  const rank_dataset *d = t->data;
  const unsigned limit = t->options.pairs_per_query;
  if (limit == 0 && t->all_pairs_made) return 1;
  t->all_pairs_made = 0;
  t->all_pairs_on_device = 0;
  t->pairs = 0;
  t->query_pairs[0] = 0;
  for (size_t q = 0; q < d->queries; ++q) {
    const size_t start = d->query_start[q], end = d->query_start[q + 1];
    const size_t first = t->pairs;
    for (size_t i = start; i < end; ++i) {
      for (size_t j = start; j < end; ++j) {
        if (d->labels[i] <= d->labels[j]) continue;
        if (t->pairs == RANK_MAX_PAIRS) return -1;
        if (t->pairs == t->pair_capacity) {
          const size_t capacity = t->pair_capacity ? 2 * t->pair_capacity : 4096;
          uint32_t *a = realloc(t->pair_a, capacity * sizeof *a);
          if (a != NULL) t->pair_a = a;
          uint32_t *b = realloc(t->pair_b, capacity * sizeof *b);
          if (b != NULL) t->pair_b = b;
          if (a == NULL || b == NULL) return 0;
          t->pair_capacity = capacity;
        }
        t->pair_a[t->pairs] = (uint32_t)i;
        t->pair_b[t->pairs] = (uint32_t)j;
        t->pairs++;
      }
    }
    const size_t count = t->pairs - first;
    if (limit > 0 && count > limit) {
      mrank_random random = {t->options.seed * 1000003ull + epoch * 7919ull + q};
      for (size_t k = 0; k < limit; ++k) { /* partial Fisher-Yates */
        const size_t pick = k + (size_t)(mrank_random_next(&random) % (count - k));
        const uint32_t a = t->pair_a[first + k], b = t->pair_b[first + k];
        t->pair_a[first + k] = t->pair_a[first + pick];
        t->pair_b[first + k] = t->pair_b[first + pick];
        t->pair_a[first + pick] = a;
        t->pair_b[first + pick] = b;
      }
      t->pairs = first + limit;
    }
    t->query_pairs[q + 1] = t->pairs;
  }
  /* document -> pairs, counting sort by document, pairs in order */
  memset(t->doc_start, 0, (d->docs + 1) * sizeof *t->doc_start);
  for (size_t p = 0; p < t->pairs; ++p) {
    t->doc_start[t->pair_a[p] + 1]++;
    t->doc_start[t->pair_b[p] + 1]++;
  }
  for (size_t i = 0; i < d->docs; ++i)
    t->doc_start[i + 1] += t->doc_start[i];
  free(t->doc_entries);
  t->doc_entries = malloc((2 * t->pairs + 1) * sizeof *t->doc_entries);
  uint32_t *fill = malloc((d->docs + 1) * sizeof *fill);
  if (t->doc_entries == NULL || fill == NULL) {
    free(fill);
    return 0;
  }
  memcpy(fill, t->doc_start, (d->docs + 1) * sizeof *fill);
  for (size_t p = 0; p < t->pairs; ++p) {
    t->doc_entries[fill[t->pair_a[p]]++] = (uint32_t)(2 * p);
    t->doc_entries[fill[t->pair_b[p]]++] = (uint32_t)(2 * p + 1);
  }
  free(fill);
  t->all_pairs_made = limit == 0;
  return 1;
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

/* ---- device ---- */

static const char *clblast_name(CLBlastStatusCode code) {
  static char text[48];
  snprintf(text, sizeof text, "CLBlast status %d", (int)code);
  return text;
}

static cl_mem buffer(rank_trainer *t, size_t bytes, const void *init, cl_int *err) {
  cl_mem m = clCreateBuffer(t->cl, CL_MEM_READ_WRITE | (init ? CL_MEM_COPY_HOST_PTR : 0),
                            bytes > 0 ? bytes : 4, (void *)(size_t)init, err);
  return *err == CL_SUCCESS ? m : NULL;
}

static int device_setup(rank_trainer *t, char *error, size_t error_size) {
  cl_int err;
  const rank_dataset *d = t->data;
  t->cl = mrank_context_cl_context(t->ctx);
  cl_device_id device;
  clGetCommandQueueInfo(mrank_context_queue(t->ctx), CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  /* a queue of our own (with profiling when asked), shared with mrank through interop */
  t->queue = clCreateCommandQueue(t->cl, device, t->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "clCreateCommandQueue", err);
  mrank_context *own = NULL;
  if (mrank_context_create_from_cl(t->cl, device, t->queue, &own) != MRANK_SUCCESS) {
    return say(error, error_size, "mrank context", mrank_last_error()), 0;
  }
  mrank_context_destroy(t->ctx);
  t->ctx = own;
  char cache_dir[4096];
  mrank_cache_dir(cache_dir, sizeof cache_dir);
  int from_disk = 0;
  const mrank_program_request request = {
      t->cl, device,    "ranker.cl",     mrank_tool_kernels, mrank_tool_kernels_count,
      "",    cache_dir, &t->cache_warned};
  if (mrank_program_build(&request, &t->program, &from_disk, error, error_size) != MRANK_SUCCESS) {
    return 0;
  }
  for (int k = 0; k < K_COUNT; ++k) {
    t->kernel[k] = clCreateKernel(t->program, kernel_names[k], &err);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, kernel_names[k], err);
    size_t largest = 64;
    if (clGetKernelWorkGroupInfo(t->kernel[k], device, CL_KERNEL_WORK_GROUP_SIZE, sizeof largest,
                                 &largest, NULL) != CL_SUCCESS) {
      largest = 1;
    }
    t->local[k] = 64;
    while (t->local[k] > 1 && t->local[k] > largest)
      t->local[k] /= 2;
  }
  const size_t F = d->features, D = d->docs;
  t->d_x = buffer(t, D * F * sizeof(float), t->x_scaled != NULL ? t->x_scaled : d->x, &err);
  free(t->x_scaled);
  t->x_scaled = NULL;
  if (t->d_x == NULL) {
    snprintf(error, error_size,
             "the document matrix (%zu x %zu floats, %.1f MiB) does not fit the device: %s", D, F,
             (double)D * (double)F * 4.0 / 1048576.0, mrank_cl_error_name(err));
    return 0;
  }
  t->d_w = buffer(t, F * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) t->d_w_average = buffer(t, F * sizeof(float), NULL, &err);
  t->d_v = buffer(t, F * sizeof(float), NULL, &err);
  t->d_grad = buffer(t, F * sizeof(float), NULL, &err);
  t->d_scores = buffer(t, D * sizeof(float), NULL, &err);
  t->d_doc_gradient = buffer(t, D * sizeof(float), NULL, &err);
  t->d_doc_start = buffer(t, (D + 1) * sizeof(uint32_t), NULL, &err);
  t->d_loss = buffer(t, sizeof(float), NULL, &err);
  t->d_total = buffer(t, sizeof(float), NULL, &err);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "device buffers", err);
  return 1;
}

/* (Re)sizes the pair buffers and uploads the pairs and the document index: once per epoch when
 * they are sampled, once for the whole run (and every tune setting) when all pairs are used. */
static int device_upload_pairs(rank_trainer *t, char *error, size_t error_size) {
  if (t->all_pairs_on_device) return 1;
  cl_int err = CL_SUCCESS;
  const size_t P = t->pairs > 0 ? t->pairs : 1;
  if (P > t->device_pairs) {
    cl_mem *olds[] = {&t->d_a, &t->d_b,   &t->d_x1,  &t->d_x2,
                      &t->d_y, &t->d_dx1, &t->d_dx2, &t->d_doc_entries};
    for (size_t k = 0; k < sizeof olds / sizeof olds[0]; ++k) {
      if (*olds[k] != NULL) clReleaseMemObject(*olds[k]);
      *olds[k] = NULL;
    }
    const size_t capacity = P + P / 2;
    float *ones = malloc(capacity * sizeof *ones);
    if (ones == NULL) return say(error, error_size, "out of memory", ""), 0;
    for (size_t p = 0; p < capacity; ++p)
      ones[p] = 1.0f;
    t->d_a = buffer(t, capacity * 4, NULL, &err);
    if (err == CL_SUCCESS) t->d_b = buffer(t, capacity * 4, NULL, &err);
    if (err == CL_SUCCESS) t->d_x1 = buffer(t, capacity * 4, NULL, &err);
    if (err == CL_SUCCESS) t->d_x2 = buffer(t, capacity * 4, NULL, &err);
    if (err == CL_SUCCESS) t->d_y = buffer(t, capacity * 4, ones, &err);
    if (err == CL_SUCCESS) t->d_dx1 = buffer(t, capacity * 4, NULL, &err);
    if (err == CL_SUCCESS) t->d_dx2 = buffer(t, capacity * 4, NULL, &err);
    if (err == CL_SUCCESS) t->d_doc_entries = buffer(t, 2 * capacity * 4, NULL, &err);
    free(ones);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "device buffers for the pairs", err);
    t->device_pairs = capacity;
  }
  const size_t D = t->data->docs;
  cl_int err2 = CL_SUCCESS;
  if (t->pairs > 0) {
    err2 =
        clEnqueueWriteBuffer(t->queue, t->d_a, CL_FALSE, 0, t->pairs * 4, t->pair_a, 0, NULL, NULL);
    if (err2 == CL_SUCCESS)
      err2 = clEnqueueWriteBuffer(t->queue, t->d_b, CL_FALSE, 0, t->pairs * 4, t->pair_b, 0, NULL,
                                  NULL);
    if (err2 == CL_SUCCESS)
      err2 = clEnqueueWriteBuffer(t->queue, t->d_doc_entries, CL_FALSE, 0, 2 * t->pairs * 4,
                                  t->doc_entries, 0, NULL, NULL);
    if (err2 != CL_SUCCESS) return cl_failed(error, error_size, "uploading the pairs", err2);
  }
  err2 = clEnqueueWriteBuffer(t->queue, t->d_doc_start, CL_TRUE, 0, (D + 1) * 4, t->doc_start, 0,
                              NULL, NULL);
  if (err2 != CL_SUCCESS) return cl_failed(error, error_size, "uploading the document index", err2);
  t->all_pairs_on_device = t->all_pairs_made;
  return 1;
}

/* CL_SUCCESS or the error of clEnqueueNDRangeKernel */
static cl_int launch(rank_trainer *t, int k, size_t items, cl_event *event) {
  const size_t local = t->local[k], global = (items + local - 1) / local * local;
  return clEnqueueNDRangeKernel(t->queue, t->kernel[k], 1, NULL, &global, &local, 0, NULL, event);
}

static cl_ulong event_end(cl_event event) {
  cl_ulong end = 0;
  if (event == NULL) return 0;
  clWaitForEvents(1, &event);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
  return end;
}

static double event_seconds(cl_event event) {
  cl_ulong start = 0, end = 0;
  if (event == NULL) return 0.0;
  clWaitForEvents(1, &event);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
  clReleaseEvent(event);
  return end > start ? (double)(end - start) * 1e-9 : 0.0;
}

/* One batch on the device: queries [q0, q1). */
static int device_step(rank_trainer *t, size_t q0, size_t q1, rank_stage_times *times, char *error,
                       size_t error_size) {
  const rank_dataset *d = t->data;
  const size_t d0 = d->query_start[q0], d1 = d->query_start[q1], docs = d1 - d0;
  const size_t p0 = t->query_pairs[q0], p1 = t->query_pairs[q1], pairs = p1 - p0;
  const size_t F = d->features;
  if (pairs == 0) return 1;
  cl_event events[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
  cl_event *ev = t->profile ? events : NULL;
  CLBlastStatusCode s =
      CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, docs, F, 1.0f, t->d_x, d0 * F, F,
                   t->d_w, 0, 1, 0.0f, t->d_scores, d0, 1, &t->queue, ev ? &ev[0] : NULL);
  if (s != CLBlastSuccess) return say(error, error_size, "scores (GEMV)", clblast_name(s)), 0;
  const cl_uint first = (cl_uint)p0, count = (cl_uint)pairs;
  clSetKernelArg(t->kernel[K_GATHER], 0, sizeof(cl_mem), &t->d_scores);
  clSetKernelArg(t->kernel[K_GATHER], 1, sizeof(cl_mem), &t->d_a);
  clSetKernelArg(t->kernel[K_GATHER], 2, sizeof(cl_mem), &t->d_b);
  clSetKernelArg(t->kernel[K_GATHER], 3, sizeof(cl_mem), &t->d_x1);
  clSetKernelArg(t->kernel[K_GATHER], 4, sizeof(cl_mem), &t->d_x2);
  clSetKernelArg(t->kernel[K_GATHER], 5, sizeof first, &first);
  clSetKernelArg(t->kernel[K_GATHER], 6, sizeof count, &count);
  cl_int err = launch(t, K_GATHER, pairs, ev ? &ev[1] : NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "gather", err);
  if (mrank_forward_backward_buffers(t->ctx, pairs, t->d_x1, p0, t->d_x2, p0, t->d_y, p0,
                                     (float)t->options.margin, MRANK_REDUCTION_MEAN, t->d_loss, 0,
                                     t->d_dx1, p0, t->d_dx2, p0,
                                     ev ? &ev[2] : NULL) != MRANK_SUCCESS) {
    return say(error, error_size, "the loss", mrank_last_error()), 0;
  }
  const float weight = (float)pairs;
  clSetKernelArg(t->kernel[K_ACCUMULATE], 0, sizeof(cl_mem), &t->d_total);
  clSetKernelArg(t->kernel[K_ACCUMULATE], 1, sizeof(cl_mem), &t->d_loss);
  clSetKernelArg(t->kernel[K_ACCUMULATE], 2, sizeof weight, &weight);
  if ((err = launch(t, K_ACCUMULATE, 1, NULL)) != CL_SUCCESS)
    return cl_failed(error, error_size, "accumulate", err);
  const cl_uint first_doc = (cl_uint)d0, doc_count = (cl_uint)docs;
  clSetKernelArg(t->kernel[K_SCATTER], 0, sizeof(cl_mem), &t->d_doc_start);
  clSetKernelArg(t->kernel[K_SCATTER], 1, sizeof(cl_mem), &t->d_doc_entries);
  clSetKernelArg(t->kernel[K_SCATTER], 2, sizeof(cl_mem), &t->d_dx1);
  clSetKernelArg(t->kernel[K_SCATTER], 3, sizeof(cl_mem), &t->d_dx2);
  clSetKernelArg(t->kernel[K_SCATTER], 4, sizeof(cl_mem), &t->d_doc_gradient);
  clSetKernelArg(t->kernel[K_SCATTER], 5, sizeof first_doc, &first_doc);
  clSetKernelArg(t->kernel[K_SCATTER], 6, sizeof doc_count, &doc_count);
  if ((err = launch(t, K_SCATTER, docs, ev ? &ev[3] : NULL)) != CL_SUCCESS)
    return cl_failed(error, error_size, "scatter", err);
  s = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, docs, F, 1.0f, t->d_x, d0 * F, F,
                   t->d_doc_gradient, d0, 1, 0.0f, t->d_grad, 0, 1, &t->queue, ev ? &ev[4] : NULL);
  if (s != CLBlastSuccess)
    return say(error, error_size, "weight gradient (GEMV)", clblast_name(s)), 0;
  const float lr = (float)t->options.lr, l2 = (float)t->options.l2,
              momentum = (float)t->options.momentum;
  const cl_uint features = (cl_uint)F;
  clSetKernelArg(t->kernel[K_UPDATE], 0, sizeof(cl_mem), &t->d_w);
  clSetKernelArg(t->kernel[K_UPDATE], 1, sizeof(cl_mem), &t->d_v);
  clSetKernelArg(t->kernel[K_UPDATE], 2, sizeof(cl_mem), &t->d_grad);
  clSetKernelArg(t->kernel[K_UPDATE], 3, sizeof lr, &lr);
  clSetKernelArg(t->kernel[K_UPDATE], 4, sizeof l2, &l2);
  clSetKernelArg(t->kernel[K_UPDATE], 5, sizeof momentum, &momentum);
  clSetKernelArg(t->kernel[K_UPDATE], 6, sizeof features, &features);
  t->steps += 1.0;
  const float share = (float)(1.0 / t->steps);
  clSetKernelArg(t->kernel[K_UPDATE], 7, sizeof(cl_mem), &t->d_w_average);
  clSetKernelArg(t->kernel[K_UPDATE], 8, sizeof share, &share);
  if ((err = launch(t, K_UPDATE, F, ev ? &ev[5] : NULL)) != CL_SUCCESS)
    return cl_failed(error, error_size, "update", err);
  if (t->profile) {
    /* mrank's call enqueues several kernels (the fused pass, then the summation tree) and its event
     * is the last one's: on this in-order queue the stage runs from the end of the gather to the
     * end of that event */
    const cl_ulong gather_end = event_end(ev[1]), loss_end = event_end(ev[2]);
    times->loss += loss_end > gather_end ? (double)(loss_end - gather_end) * 1e-9 : 0.0;
    times->gemv += event_seconds(ev[0]) + event_seconds(ev[4]);
    times->gather += event_seconds(ev[1]);
    times->scatter += event_seconds(ev[3]);
    times->update += event_seconds(ev[5]);
    clReleaseEvent(ev[2]);
  }
  return 1;
}

/* ---- host: the same steps in C, the loss through the CPU reference ---- */

static void host_step(rank_trainer *t, size_t q0, size_t q1, double *loss_total) {
  const rank_dataset *d = t->data;
  const float *x = t->x_scaled != NULL ? t->x_scaled : d->x;
  const size_t d0 = d->query_start[q0], d1 = d->query_start[q1];
  const size_t p0 = t->query_pairs[q0], p1 = t->query_pairs[q1], pairs = p1 - p0;
  const size_t F = d->features;
  if (pairs == 0) return;
  for (size_t i = d0; i < d1; ++i) {
    float total = 0.0f;
    for (size_t f = 0; f < F; ++f)
      total += x[i * F + f] * t->w[f];
    t->scores[i] = total;
  }
  for (size_t p = p0; p < p1; ++p) {
    t->x1[p] = t->scores[t->pair_a[p]];
    t->x2[p] = t->scores[t->pair_b[p]];
  }
  float loss = 0.0f;
  mrank_forward_backward(t->ctx, pairs, t->x1 + p0, t->x2 + p0, t->ones + p0,
                         (float)t->options.margin, MRANK_REDUCTION_MEAN, &loss, t->dx1 + p0,
                         t->dx2 + p0);
  *loss_total += (double)loss * (double)pairs;
  for (size_t i = d0; i < d1; ++i) {
    float total = 0.0f;
    for (uint32_t e = t->doc_start[i]; e < t->doc_start[i + 1]; ++e) {
      const uint32_t code = t->doc_entries[e];
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
  for (size_t f = 0; f < F; ++f) {
    const float g = t->gradient[f] + l2 * t->w[f];
    const float velocity = momentum * t->velocity[f] + g;
    t->velocity[f] = velocity;
    t->w[f] = t->w[f] - lr * velocity;
  }
  t->steps += 1.0;
  const float share = (float)(1.0 / t->steps);
  for (size_t f = 0; f < F; ++f)
    t->w_average[f] += (t->w[f] - t->w_average[f]) * share;
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
  rank_trainer *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->data = train;
  t->profile = profile;
  if (mrank_context_create(selector, &t->ctx) != MRANK_SUCCESS) {
    say(error, error_size, "no device", mrank_last_error());
    free(t);
    return NULL;
  }
  snprintf(t->device, sizeof t->device, "%s", mrank_context_device_name(t->ctx));
  t->on_host = mrank_context_cl_context(t->ctx) == NULL;
  const size_t D = train->docs, F = train->features;
  t->query_pairs = calloc(train->queries + 1, sizeof *t->query_pairs);
  t->doc_start = calloc(D + 1, sizeof *t->doc_start);
  t->w = calloc(F, sizeof(float));
  t->w_average = calloc(F, sizeof(float));
  t->velocity = calloc(F, sizeof(float));
  t->gradient = calloc(F, sizeof(float));
  t->scores = calloc(D, sizeof(float));
  t->doc_gradient = calloc(D, sizeof(float));
  t->scale = calloc(F + 1, sizeof(float));
  if (t->query_pairs == NULL || t->doc_start == NULL || t->w == NULL || t->w_average == NULL ||
      t->velocity == NULL || t->gradient == NULL || t->scores == NULL || t->doc_gradient == NULL ||
      t->scale == NULL || !scale_features(t, scale)) {
    say(error, error_size, "out of memory", "");
    rank_trainer_destroy(t);
    return NULL;
  }
  if (!t->on_host && !device_setup(t, error, error_size)) {
    rank_trainer_destroy(t);
    return NULL;
  }
  return t;
}

void rank_trainer_destroy(rank_trainer *t) {
  if (t == NULL) return;
  cl_mem buffers[] = {
      t->d_w_average,    t->d_x,   t->d_w,         t->d_v,           t->d_scores, t->d_grad,
      t->d_doc_gradient, t->d_a,   t->d_b,         t->d_x1,          t->d_x2,     t->d_y,
      t->d_dx1,          t->d_dx2, t->d_doc_start, t->d_doc_entries, t->d_loss,   t->d_total};
  if (t->queue != NULL) clFinish(t->queue);
  for (size_t k = 0; k < sizeof buffers / sizeof buffers[0]; ++k) {
    if (buffers[k] != NULL) clReleaseMemObject(buffers[k]);
  }
  for (int k = 0; k < K_COUNT; ++k) {
    if (t->kernel[k] != NULL) clReleaseKernel(t->kernel[k]);
  }
  if (t->program != NULL) clReleaseProgram(t->program);
  mrank_context_destroy(t->ctx);
  if (t->queue != NULL) clReleaseCommandQueue(t->queue);
  void *arrays[] = {t->w_average,   t->pair_a, t->pair_b,   t->doc_start, t->doc_entries,
                    t->query_pairs, t->w,      t->velocity, t->scores,    t->x1,
                    t->x2,          t->ones,   t->dx1,      t->dx2,       t->doc_gradient,
                    t->gradient,    t->scale,  t->x_scaled};
  for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; ++k)
    free(arrays[k]);
  free(t);
}

const char *rank_trainer_device(const rank_trainer *t) {
  return t->device;
}

int rank_trainer_reset(rank_trainer *t, const rank_options *options, char *error,
                       size_t error_size) {
  t->options = *options;
  const size_t F = t->data->features;
  memset(t->w, 0, F * sizeof(float));
  memset(t->w_average, 0, F * sizeof(float));
  t->steps = 0.0;
  memset(t->velocity, 0, F * sizeof(float));
  if (t->on_host) return 1;
  /* The GEMV outputs are cleared too: CLBlast computes beta * y even for beta = 0, so they must
   * hold numbers, and fresh device memory (or a diverged run before this one) may hold NaN or
   * infinity, whose product with 0 is NaN. */
  const size_t D = t->data->docs;
  const struct {
    cl_mem buffer;
    size_t bytes;
  } cleared[] = {{t->d_w, F * sizeof(float)},         {t->d_v, F * sizeof(float)},
                 {t->d_w_average, F * sizeof(float)}, {t->d_scores, D * sizeof(float)},
                 {t->d_grad, F * sizeof(float)},      {t->d_doc_gradient, D * sizeof(float)}};
  const float zero = 0.0f;
  for (size_t k = 0; k < sizeof cleared / sizeof cleared[0]; ++k) {
    const cl_int err = clEnqueueFillBuffer(t->queue, cleared[k].buffer, &zero, sizeof zero, 0,
                                           cleared[k].bytes, 0, NULL, NULL);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "resetting the weights", err);
  }
  return 1;
}

static int ensure_host_pairs(rank_trainer *t) {
  float **arrays[] = {&t->x1, &t->x2, &t->ones, &t->dx1, &t->dx2};
  for (size_t k = 0; k < 5; ++k) {
    float *grown = realloc(*arrays[k], (t->pairs + 1) * sizeof(float));
    if (grown == NULL) return 0;
    *arrays[k] = grown;
  }
  for (size_t p = 0; p < t->pairs; ++p)
    t->ones[p] = 1.0f;
  return 1;
}

int rank_trainer_epoch(rank_trainer *t, unsigned epoch, rank_epoch_report *report,
                       void (*progress)(double done, void *user), void *user, char *error,
                       size_t error_size) {
  const double start = now();
  memset(report, 0, sizeof *report);
  report->epoch = epoch;
  const int made = make_pairs(t, epoch);
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
  int ok = 1;
  if (t->on_host) {
    ok = ensure_host_pairs(t);
  } else {
    const float zero = 0.0f;
    ok = device_upload_pairs(t, error, error_size) &&
         clEnqueueFillBuffer(t->queue, t->d_total, &zero, sizeof zero, 0, sizeof zero, 0, NULL,
                             NULL) == CL_SUCCESS;
  }
  for (size_t b = 0; b < batches && ok; ++b) {
    const size_t q0 = order[b] * size;
    const size_t q1 = q0 + size < t->data->queries ? q0 + size : t->data->queries;
    if (t->on_host) {
      host_step(t, q0, q1, &loss_total);
    } else {
      ok = device_step(t, q0, q1, &report->stages, error, error_size);
    }
    if (progress != NULL) progress((double)(b + 1) / (double)batches, user);
  }
  free(order);
  if (!ok) return 0;
  if (!t->on_host) {
    float total = 0.0f;
    const cl_int err =
        clEnqueueReadBuffer(t->queue, t->d_total, CL_TRUE, 0, sizeof total, &total, 0, NULL, NULL);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the epoch's loss", err);
    loss_total = total;
  }
  report->pairs = t->pairs;
  report->train_loss = t->pairs > 0 ? loss_total / (double)t->pairs : 0.0;
  report->seconds = now() - start;
  return 1;
}

int rank_trainer_weights(rank_trainer *t, float *weights, char *error, size_t error_size) {
  const size_t F = t->data->features;
  if (t->on_host) {
    memcpy(weights, t->options.average ? t->w_average : t->w, F * sizeof(float));
  } else {
    const cl_int err = clEnqueueReadBuffer(t->queue, t->options.average ? t->d_w_average : t->d_w,
                                           CL_TRUE, 0, F * sizeof(float), weights, 0, NULL, NULL);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the weights", err);
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
