/* linear_device.c: the linear scorer's device state on one lane (buffers, kernels/ranker.cl, the
 * trainer's own queue), its uploads, and the launches of one step. */
#include "rank/linear_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk_cache.h"
#include "binary_dir.h"
#include "device_traits.h"
#include "program_builder.h"

static const char *const kernel_names[RANK_K_COUNT] = {
    "scores", "gather", "scatter", "query_gradient", "sum_queries", "update", "accumulate"};

/* 0, with "what: detail" in error */
static int say(char *error, size_t size, const char *what, const char *detail) {
  snprintf(error, size, "%s%s%s", what, detail[0] ? ": " : "", detail);
  return 0;
}

static int cl_failed(char *error, size_t size, const char *what, cl_int code) {
  return say(error, size, what, mrank_cl_error_name(code));
}

static cl_mem buffer(rank_linear_device *dev, size_t bytes, const void *init, cl_int *err) {
  cl_mem m = clCreateBuffer(dev->cl, CL_MEM_READ_WRITE | (init ? CL_MEM_COPY_HOST_PTR : 0),
                            bytes > 0 ? bytes : 4, (void *)(size_t)init, err);
  return *err == CL_SUCCESS ? m : NULL;
}

size_t rank_linear_program_options(cl_device_id device, char *options, size_t size) {
  size_t local = 64;
  options[0] = '\0';
  if (mrank_device_fixes_work_group(device)) {
    size_t largest = 64;
    if (clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof largest, &largest, NULL) !=
        CL_SUCCESS) {
      largest = 1;
    }
    while (local > 1 && local > largest)
      local /= 2;
    snprintf(options, size, "-DMRANK_REQD_WORK_GROUP_SIZE=%zu", local);
  }
  return local;
}

int rank_tool_kernels(cl_context cl, cl_device_id device, const char *file, const char *extra,
                      const char *const *names, size_t count, cl_program *program,
                      cl_kernel *kernels, size_t *local, int *cache_warned, char *error,
                      size_t error_size) {
  char cache_dir[4096];
  char untrusted[8192]; /* the library's context has warned about an untrusted folder already */
  mrank_cache_dir(cache_dir, sizeof cache_dir, untrusted, sizeof untrusted);
  char options[256];
  const size_t fixed_local = rank_linear_program_options(device, options, sizeof options);
  const int fixed = options[0] != '\0';
  if (extra[0] != '\0') {
    const size_t used = strlen(options);
    snprintf(options + used, sizeof options - used, "%s%s", used > 0 ? " " : "", extra);
  }
  mrank_program_origin origin;
  const mrank_program_request request = {.context = cl,
                                         .device = device,
                                         .file_name = file,
                                         .embedded = mrank_tool_kernels,
                                         .embedded_count = mrank_tool_kernels_count,
                                         .options = options,
                                         .cache_dir = cache_dir,
                                         .cache_warned = cache_warned,
                                         .binary_dir = mrank_binary_dir_setting()};
  if (mrank_program_build(&request, program, &origin, error, error_size) != MRANK_SUCCESS) {
    return 0;
  }
  for (size_t k = 0; k < count; ++k) {
    cl_int err = CL_SUCCESS;
    kernels[k] = clCreateKernel(*program, names[k], &err);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, names[k], err);
    local[k] = fixed_local;
    if (fixed) continue; /* built for that size: no other may be launched */
    size_t largest = 64;
    if (clGetKernelWorkGroupInfo(kernels[k], device, CL_KERNEL_WORK_GROUP_SIZE, sizeof largest,
                                 &largest, NULL) != CL_SUCCESS) {
      largest = 1;
    }
    while (local[k] > 1 && local[k] > largest)
      local[k] /= 2;
  }
  return 1;
}

static int build_kernels(rank_linear_device *dev, cl_device_id device, char *error,
                         size_t error_size) {
  return rank_tool_kernels(dev->cl, device, "ranker.cl", "", kernel_names, RANK_K_COUNT,
                           &dev->program, dev->kernel, dev->local, &dev->cache_warned, error,
                           error_size);
}

int rank_linear_device_init(rank_linear_device *dev, cl_context cl, cl_device_id device,
                            const float *x, size_t docs, size_t features, const size_t *query_start,
                            size_t queries, size_t max_batch_queries, int profile, char *error,
                            size_t error_size) {
  cl_int err = CL_SUCCESS;
  memset(dev, 0, sizeof *dev);
  dev->profile = profile;
  dev->docs = docs;
  dev->features = features;
  dev->queries = queries;
  dev->doc_of_query = query_start;
  dev->cl = cl;
  cl_bool unified = CL_FALSE;
  cl_ulong memory = 0;
  clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
  clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof memory, &memory, NULL);
  dev->host_unified = unified == CL_TRUE;
  dev->memory = memory;
  if (docs > UINT32_MAX || (max_batch_queries + 1) * features > UINT32_MAX) {
    return say(error, error_size,
               "the training data is too large for one device's step (over 2^32 documents, or a "
               "batch's queries times the features)",
               "use smaller --batch-queries, or spread the data over more devices");
  }
  /* a queue of our own (with profiling when asked), shared with mrank through interop */
  dev->queue = clCreateCommandQueue(cl, device, profile ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "clCreateCommandQueue", err);
  if (mrank_context_create_from_cl(cl, device, dev->queue, &dev->ctx) != MRANK_SUCCESS) {
    return say(error, error_size, "mrank context", mrank_last_error());
  }
  if (!build_kernels(dev, device, error, error_size)) return 0;
  const size_t F = features, D = docs;
  dev->x = buffer(dev, D * F * sizeof(float), x, &err);
  if (dev->x == NULL) {
    snprintf(error, error_size,
             "the document matrix (%zu x %zu floats, %.1f MiB) does not fit the device: %s", D, F,
             (double)D * (double)F * 4.0 / 1048576.0, mrank_cl_error_name(err));
    return 0;
  }
  uint32_t *starts = malloc((queries + 1) * sizeof *starts);
  if (starts == NULL) return say(error, error_size, "out of memory", "");
  for (size_t q = 0; q <= queries; ++q)
    starts[q] = (uint32_t)query_start[q];
  dev->query_start = buffer(dev, (queries + 1) * sizeof(uint32_t), starts, &err);
  free(starts);
  dev->partial_capacity = (max_batch_queries > 0 ? max_batch_queries : 1) * F;
  if (err == CL_SUCCESS)
    dev->partials = buffer(dev, dev->partial_capacity * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->w = buffer(dev, F * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->w_average = buffer(dev, F * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->v = buffer(dev, F * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->grad = buffer(dev, F * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->scores = buffer(dev, D * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->doc_gradient = buffer(dev, D * sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->doc_start = buffer(dev, (D + 1) * sizeof(uint32_t), NULL, &err);
  if (err == CL_SUCCESS) dev->loss = buffer(dev, sizeof(float), NULL, &err);
  if (err == CL_SUCCESS) dev->total = buffer(dev, sizeof(float), NULL, &err);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "device buffers", err);
  return 1;
}

void rank_linear_device_free(rank_linear_device *dev) {
  cl_mem buffers[] = {
      dev->w_average,    dev->x,       dev->w,         dev->v,           dev->scores, dev->grad,
      dev->doc_gradient, dev->a,       dev->b,         dev->x1,          dev->x2,     dev->y,
      dev->dx1,          dev->dx2,     dev->doc_start, dev->doc_entries, dev->loss,   dev->total,
      dev->query_start,  dev->partials};
  if (dev->queue != NULL) clFinish(dev->queue);
  for (size_t k = 0; k < sizeof buffers / sizeof buffers[0]; ++k) {
    if (buffers[k] != NULL) clReleaseMemObject(buffers[k]);
  }
  for (int k = 0; k < RANK_K_COUNT; ++k) {
    if (dev->kernel[k] != NULL) clReleaseKernel(dev->kernel[k]);
  }
  if (dev->program != NULL) clReleaseProgram(dev->program);
  /* the mrank context made on the queue goes first */
  mrank_context_destroy(dev->ctx);
  if (dev->queue != NULL) clReleaseCommandQueue(dev->queue);
  memset(dev, 0, sizeof *dev);
}

int rank_linear_device_reset(rank_linear_device *dev, char *error, size_t error_size) {
  /* the outputs too: nothing of a diverged run before this one (NaN, infinity) stays behind */
  const size_t F = dev->features, D = dev->docs;
  const struct {
    cl_mem buffer;
    size_t bytes;
  } cleared[] = {{dev->w, F * sizeof(float)},         {dev->v, F * sizeof(float)},
                 {dev->w_average, F * sizeof(float)}, {dev->scores, D * sizeof(float)},
                 {dev->grad, F * sizeof(float)},      {dev->doc_gradient, D * sizeof(float)}};
  const float zero = 0.0f;
  for (size_t k = 0; k < sizeof cleared / sizeof cleared[0]; ++k) {
    const cl_int err = clEnqueueFillBuffer(dev->queue, cleared[k].buffer, &zero, sizeof zero, 0,
                                           cleared[k].bytes, 0, NULL, NULL);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "resetting the weights", err);
  }
  return 1;
}

/* Buffers for `pairs` pairs (with room to grow by half), the labels filled with +1. */
static int size_pair_buffers(rank_linear_device *dev, size_t pairs, char *error,
                             size_t error_size) {
  cl_mem *olds[] = {&dev->a, &dev->b,   &dev->x1,  &dev->x2,
                    &dev->y, &dev->dx1, &dev->dx2, &dev->doc_entries};
  for (size_t k = 0; k < sizeof olds / sizeof olds[0]; ++k) {
    if (*olds[k] != NULL) clReleaseMemObject(*olds[k]);
    *olds[k] = NULL;
  }
  const size_t capacity = pairs + pairs / 2;
  float *ones = malloc(capacity * sizeof *ones);
  if (ones == NULL) return say(error, error_size, "out of memory", "");
  for (size_t p = 0; p < capacity; ++p)
    ones[p] = 1.0f;
  cl_int err = CL_SUCCESS;
  dev->a = buffer(dev, capacity * 4, NULL, &err);
  if (err == CL_SUCCESS) dev->b = buffer(dev, capacity * 4, NULL, &err);
  if (err == CL_SUCCESS) dev->x1 = buffer(dev, capacity * 4, NULL, &err);
  if (err == CL_SUCCESS) dev->x2 = buffer(dev, capacity * 4, NULL, &err);
  if (err == CL_SUCCESS) dev->y = buffer(dev, capacity * 4, ones, &err);
  if (err == CL_SUCCESS) dev->dx1 = buffer(dev, capacity * 4, NULL, &err);
  if (err == CL_SUCCESS) dev->dx2 = buffer(dev, capacity * 4, NULL, &err);
  if (err == CL_SUCCESS) dev->doc_entries = buffer(dev, 2 * capacity * 4, NULL, &err);
  free(ones);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "device buffers for the pairs", err);
  dev->pair_capacity = capacity;
  return 1;
}

static int upload_pairs(rank_linear_device *dev, const rank_pairs *pairs, char *error,
                        size_t error_size) {
  if (dev->pairs_on_device) return 1;
  const size_t P = pairs->count > 0 ? pairs->count : 1;
  if (P > dev->pair_capacity && !size_pair_buffers(dev, P, error, error_size)) return 0;
  cl_int err = CL_SUCCESS;
  if (pairs->count > 0) {
    err = clEnqueueWriteBuffer(dev->queue, dev->a, CL_FALSE, 0, pairs->count * 4, pairs->a, 0, NULL,
                               NULL);
    if (err == CL_SUCCESS) {
      err = clEnqueueWriteBuffer(dev->queue, dev->b, CL_FALSE, 0, pairs->count * 4, pairs->b, 0,
                                 NULL, NULL);
    }
    if (err == CL_SUCCESS) {
      err = clEnqueueWriteBuffer(dev->queue, dev->doc_entries, CL_FALSE, 0, 2 * pairs->count * 4,
                                 pairs->doc_entries, 0, NULL, NULL);
    }
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "uploading the pairs", err);
  }
  err = clEnqueueWriteBuffer(dev->queue, dev->doc_start, CL_TRUE, 0, (dev->docs + 1) * 4,
                             pairs->doc_start, 0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "uploading the document index", err);
  dev->pairs_on_device = pairs->complete;
  return 1;
}

int rank_linear_device_begin_epoch(rank_linear_device *dev, const rank_pairs *pairs, char *error,
                                   size_t error_size) {
  if (!pairs->complete) dev->pairs_on_device = 0;
  if (!upload_pairs(dev, pairs, error, error_size)) return 0;
  const float zero = 0.0f;
  const cl_int err = clEnqueueFillBuffer(dev->queue, dev->total, &zero, sizeof zero, 0, sizeof zero,
                                         0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "clearing the epoch's loss", err);
  return 1;
}

/* CL_SUCCESS or the error of clEnqueueNDRangeKernel */
static cl_int launch(rank_linear_device *dev, int k, size_t items, cl_event *event) {
  const size_t local = dev->local[k], global = (items + local - 1) / local * local;
  return clEnqueueNDRangeKernel(dev->queue, dev->kernel[k], 1, NULL, &global, &local, 0, NULL,
                                event);
}

cl_ulong rank_event_end(cl_event event) {
  cl_ulong end = 0;
  if (event == NULL) return 0;
  clWaitForEvents(1, &event);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
  return end;
}

double rank_event_seconds(cl_event event) {
  cl_ulong start = 0, end = 0;
  if (event == NULL) return 0.0;
  clWaitForEvents(1, &event);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
  clReleaseEvent(event);
  return end > start ? (double)(end - start) * 1e-9 : 0.0;
}

static void add_profile(cl_event *ev, rank_stage_times *times) {
  /* mrank's call enqueues several kernels (the fused pass, then the summation tree) and its event
   * is the last one's: on this in-order queue the stage runs from the end of the gather to the end
   * of that event */
  const cl_ulong gather_end = rank_event_end(ev[1]), loss_end = rank_event_end(ev[2]);
  times->loss += loss_end > gather_end ? (double)(loss_end - gather_end) * 1e-9 : 0.0;
  times->gemv += rank_event_seconds(ev[0]) + rank_event_seconds(ev[4]);
  times->gather += rank_event_seconds(ev[1]);
  times->scatter += rank_event_seconds(ev[3]);
  clReleaseEvent(ev[2]);
}

int rank_linear_device_partials(rank_linear_device *dev, const rank_pairs *pairs, size_t q0,
                                size_t q1, double margin, rank_stage_times *times, char *error,
                                size_t error_size) {
  if (q1 <= q0) return 1;
  const size_t d0 = dev->doc_of_query[q0], d1 = dev->doc_of_query[q1], docs = d1 - d0;
  const size_t p0 = pairs->query_start[q0], p1 = pairs->query_start[q1], count = p1 - p0;
  cl_event events[5] = {NULL, NULL, NULL, NULL, NULL};
  cl_event *ev = dev->profile ? events : NULL;
  const cl_uint first_doc = (cl_uint)d0, doc_count = (cl_uint)docs,
                features = (cl_uint)dev->features;
  cl_kernel k = dev->kernel[RANK_K_SCORES];
  clSetKernelArg(k, 0, sizeof(cl_mem), &dev->x);
  clSetKernelArg(k, 1, sizeof(cl_mem), &dev->w);
  clSetKernelArg(k, 2, sizeof(cl_mem), &dev->scores);
  clSetKernelArg(k, 3, sizeof first_doc, &first_doc);
  clSetKernelArg(k, 4, sizeof doc_count, &doc_count);
  clSetKernelArg(k, 5, sizeof features, &features);
  cl_int err = launch(dev, RANK_K_SCORES, docs, ev ? &ev[0] : NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "scores", err);
  if (count > 0) {
    const cl_uint first = (cl_uint)p0, pair_count = (cl_uint)count;
    k = dev->kernel[RANK_K_GATHER];
    clSetKernelArg(k, 0, sizeof(cl_mem), &dev->scores);
    clSetKernelArg(k, 1, sizeof(cl_mem), &dev->a);
    clSetKernelArg(k, 2, sizeof(cl_mem), &dev->b);
    clSetKernelArg(k, 3, sizeof(cl_mem), &dev->x1);
    clSetKernelArg(k, 4, sizeof(cl_mem), &dev->x2);
    clSetKernelArg(k, 5, sizeof first, &first);
    clSetKernelArg(k, 6, sizeof pair_count, &pair_count);
    err = launch(dev, RANK_K_GATHER, count, ev ? &ev[1] : NULL);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "gather", err);
    /* SUM: each pair's gradient is -1, 0 or +1, exact; the batch's 1 / pairs is applied once, to
     * the summed gradient, in the update */
    if (mrank_forward_backward_buffers(dev->ctx, count, dev->x1, p0, dev->x2, p0, dev->y, p0,
                                       (float)margin, MRANK_REDUCTION_SUM, dev->loss, 0, dev->dx1,
                                       p0, dev->dx2, p0, ev ? &ev[2] : NULL) != MRANK_SUCCESS) {
      return say(error, error_size, "the loss", mrank_last_error());
    }
    k = dev->kernel[RANK_K_ACCUMULATE];
    clSetKernelArg(k, 0, sizeof(cl_mem), &dev->total);
    clSetKernelArg(k, 1, sizeof(cl_mem), &dev->loss);
    if ((err = launch(dev, RANK_K_ACCUMULATE, 1, NULL)) != CL_SUCCESS) {
      return cl_failed(error, error_size, "accumulate", err);
    }
  }
  k = dev->kernel[RANK_K_SCATTER];
  clSetKernelArg(k, 0, sizeof(cl_mem), &dev->doc_start);
  clSetKernelArg(k, 1, sizeof(cl_mem), &dev->doc_entries);
  clSetKernelArg(k, 2, sizeof(cl_mem), &dev->dx1);
  clSetKernelArg(k, 3, sizeof(cl_mem), &dev->dx2);
  clSetKernelArg(k, 4, sizeof(cl_mem), &dev->doc_gradient);
  clSetKernelArg(k, 5, sizeof first_doc, &first_doc);
  clSetKernelArg(k, 6, sizeof doc_count, &doc_count);
  if ((err = launch(dev, RANK_K_SCATTER, docs, ev ? &ev[3] : NULL)) != CL_SUCCESS) {
    return cl_failed(error, error_size, "scatter", err);
  }
  const cl_uint first_query = (cl_uint)q0, rows = (cl_uint)(q1 - q0);
  k = dev->kernel[RANK_K_QUERY_GRADIENT];
  clSetKernelArg(k, 0, sizeof(cl_mem), &dev->x);
  clSetKernelArg(k, 1, sizeof(cl_mem), &dev->doc_gradient);
  clSetKernelArg(k, 2, sizeof(cl_mem), &dev->query_start);
  clSetKernelArg(k, 3, sizeof(cl_mem), &dev->partials);
  clSetKernelArg(k, 4, sizeof first_query, &first_query);
  clSetKernelArg(k, 5, sizeof rows, &rows);
  clSetKernelArg(k, 6, sizeof features, &features);
  if ((err = launch(dev, RANK_K_QUERY_GRADIENT, (q1 - q0) * dev->features, ev ? &ev[4] : NULL)) !=
      CL_SUCCESS) {
    return cl_failed(error, error_size, "query gradient", err);
  }
  if (dev->profile) {
    if (count > 0) {
      add_profile(ev, times);
    } else {
      times->gemv += rank_event_seconds(ev[0]) + rank_event_seconds(ev[4]);
      times->scatter += rank_event_seconds(ev[3]);
    }
  }
  return 1;
}

static int enqueue_update(rank_linear_device *dev, const rank_options *o, float scale, double step,
                          rank_stage_times *times, char *error, size_t error_size) {
  const float lr = (float)o->lr, l2 = (float)o->l2, momentum = (float)o->momentum;
  const cl_uint features = (cl_uint)dev->features;
  const float share = (float)(1.0 / step), l1 = (float)o->l1;
  cl_kernel k = dev->kernel[RANK_K_UPDATE];
  clSetKernelArg(k, 0, sizeof(cl_mem), &dev->w);
  clSetKernelArg(k, 1, sizeof(cl_mem), &dev->v);
  clSetKernelArg(k, 2, sizeof(cl_mem), &dev->grad);
  clSetKernelArg(k, 3, sizeof lr, &lr);
  clSetKernelArg(k, 4, sizeof l2, &l2);
  clSetKernelArg(k, 5, sizeof momentum, &momentum);
  clSetKernelArg(k, 6, sizeof features, &features);
  clSetKernelArg(k, 7, sizeof(cl_mem), &dev->w_average);
  clSetKernelArg(k, 8, sizeof share, &share);
  clSetKernelArg(k, 9, sizeof l1, &l1);
  clSetKernelArg(k, 10, sizeof scale, &scale);
  cl_event event = NULL;
  const cl_int err = launch(dev, RANK_K_UPDATE, dev->features, dev->profile ? &event : NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "update", err);
  if (dev->profile) times->update += rank_event_seconds(event);
  return 1;
}

int rank_linear_device_sum_and_update(rank_linear_device *dev, size_t rows,
                                      const rank_options *options, float scale, double step,
                                      rank_stage_times *times, char *error, size_t error_size) {
  const cl_uint queries = (cl_uint)rows, features = (cl_uint)dev->features;
  cl_kernel k = dev->kernel[RANK_K_SUM_QUERIES];
  clSetKernelArg(k, 0, sizeof(cl_mem), &dev->partials);
  clSetKernelArg(k, 1, sizeof(cl_mem), &dev->grad);
  clSetKernelArg(k, 2, sizeof queries, &queries);
  clSetKernelArg(k, 3, sizeof features, &features);
  cl_event event = NULL;
  const cl_int err = launch(dev, RANK_K_SUM_QUERIES, dev->features, dev->profile ? &event : NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "sum over queries", err);
  if (dev->profile) times->gemv += rank_event_seconds(event);
  return enqueue_update(dev, options, scale, step, times, error, error_size);
}

int rank_linear_device_read_partials(rank_linear_device *dev, size_t rows, float *host, char *error,
                                     size_t error_size) {
  if (rows == 0) return 1;
  const cl_int err = clEnqueueReadBuffer(dev->queue, dev->partials, CL_FALSE, 0,
                                         rows * dev->features * sizeof(float), host, 0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the partial gradients", err);
  return 1;
}

int rank_linear_device_wait(rank_linear_device *dev, char *error, size_t error_size) {
  const cl_int err = clFinish(dev->queue);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "the step", err);
  return 1;
}

int rank_linear_device_update(rank_linear_device *dev, const float *grad,
                              const rank_options *options, float scale, double step,
                              rank_stage_times *times, char *error, size_t error_size) {
  const cl_int err = clEnqueueWriteBuffer(dev->queue, dev->grad, CL_FALSE, 0,
                                          dev->features * sizeof(float), grad, 0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "sending the gradient", err);
  return enqueue_update(dev, options, scale, step, times, error, error_size);
}

int rank_linear_device_loss(rank_linear_device *dev, double *total, char *error,
                            size_t error_size) {
  float value = 0.0f;
  const cl_int err =
      clEnqueueReadBuffer(dev->queue, dev->total, CL_TRUE, 0, sizeof value, &value, 0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the epoch's loss", err);
  *total = value;
  return 1;
}

int rank_linear_device_weights(rank_linear_device *dev, int average, float *weights, float *last,
                               char *error, size_t error_size) {
  cl_int err = clEnqueueReadBuffer(dev->queue, average ? dev->w_average : dev->w, CL_TRUE, 0,
                                   dev->features * sizeof(float), weights, 0, NULL, NULL);
  if (err == CL_SUCCESS && last != NULL) {
    err = clEnqueueReadBuffer(dev->queue, dev->w, CL_TRUE, 0, dev->features * sizeof(float), last,
                              0, NULL, NULL);
  }
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the weights", err);
  return 1;
}
