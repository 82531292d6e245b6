/* mlp_device.c: the MLP's device state (buffers, kernels/mlp.cl and the gather and scatter of
 * kernels/ranker.cl, a queue of its own) and the launches of one step (see mlp_device.h). */
#include "rank/mlp_device.h"

#include "binary_dir.h"
#include "device_traits.h"
#include "rank/mlp_pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kernel_names[MLP_K_COUNT] = {"bias_relu",
                                                      "scatter_delta",
                                                      "relu_backward",
                                                      "column_sum",
                                                      "optimize",
                                                      "dense_forward",
                                                      "dense_score",
                                                      "dense_output_gradient",
                                                      "dense_weight_gradient",
                                                      "dense_input_gradient",
                                                      "transpose_weights",
                                                      "gather"};

static int say(char *error, size_t size, const char *what, const char *detail) {
  snprintf(error, size, "%s%s%s", what, detail[0] ? ": " : "", detail);
  return 0;
}

static int cl_failed(char *error, size_t size, const char *what, cl_int code) {
  return say(error, size, what, mrank_cl_error_name(code));
}

static cl_mem buffer(rank_mlp_device *dev, size_t bytes, const void *init, cl_int *err) {
  if (*err != CL_SUCCESS) return NULL;
  cl_mem m = clCreateBuffer(dev->cl, CL_MEM_READ_WRITE | (init ? CL_MEM_COPY_HOST_PTR : 0),
                            bytes > 0 ? bytes : 4, (void *)(size_t)init, err);
  return *err == CL_SUCCESS ? m : NULL;
}

static void release(cl_mem *m) {
  if (*m != NULL) clReleaseMemObject(*m);
  *m = NULL;
}

static int zero(rank_mlp_device *dev, cl_mem m, size_t floats, char *error, size_t error_size) {
  const float value = 0.0f;
  const cl_int err = clEnqueueFillBuffer(dev->queue, m, &value, sizeof value, 0,
                                         (floats > 0 ? floats : 1) * sizeof(float), 0, NULL, NULL);
  return err == CL_SUCCESS ? 1 : cl_failed(error, error_size, "clearing a buffer", err);
}

size_t rank_mlp_vector_width(cl_device_id device) {
  /* MRANK_MLP_VW=8 or 16 overrides the choice: to test the other width, or to time it */
  const char *forced = getenv("MRANK_MLP_VW");
  if (forced != NULL && (strcmp(forced, "8") == 0 || strcmp(forced, "16") == 0)) {
    return (size_t)atoi(forced);
  }
  cl_uint preferred = 0;
  if (clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof preferred, &preferred,
                      NULL) != CL_SUCCESS) {
    preferred = 0;
  }
  return preferred >= 16 ? 16 : 8;
}

void rank_mlp_program_options(cl_device_id device, char *options, size_t size) {
  snprintf(options, size, "-DMLP_VW=%zu", rank_mlp_vector_width(device));
}

static int build(rank_mlp_device *dev, cl_device_id device, char *error, size_t error_size) {
  char options[32];
  rank_mlp_program_options(device, options, sizeof options);
  dev->vector_width = rank_mlp_vector_width(device);
  return rank_tool_kernels(dev->cl, device, "mlp.cl", options, kernel_names, MLP_K_GATHER,
                           &dev->programs[0], dev->kernel, dev->local, &dev->cache_warned, error,
                           error_size) &&
         rank_tool_kernels(dev->cl, device, "ranker.cl", "", kernel_names + MLP_K_GATHER,
                           MLP_K_COUNT - MLP_K_GATHER, &dev->programs[1],
                           dev->kernel + MLP_K_GATHER, dev->local + MLP_K_GATHER,
                           &dev->cache_warned, error, error_size);
}

/* auto: CLBlast's tuned GEMMs where they were made for (GPUs with a compiler, no binary folder);
 * elsewhere mrank's own kernels, which on a CPU beat CLBlast's by a measured factor (README, "The
 * MLP scorer") and which, unlike CLBlast's, `mrank compile` builds offline. 0 with a message when
 * CLBlast is asked for where it cannot build its kernels. */
static int resolve_layers(rank_mlp_device *dev, rank_mlp_layers layers, char *error,
                          size_t error_size) {
  const int offline = !mrank_device_has_compiler(dev->device) || mrank_binary_dir_setting() != NULL;
#ifndef MRANK_HAVE_CLBLAST
  if (layers == RANK_MLP_LAYERS_AUTO) layers = RANK_MLP_LAYERS_DENSE;
  if (layers == RANK_MLP_LAYERS_CLBLAST) {
    return say(error, error_size, "--gemm clblast",
               "this mrank library was built without CLBlast (a pip install builds it without): "
               "use --gemm dense (the same network, the sums in another order), or build with "
               "libclblast-dev installed");
  }
#endif
  if (layers == RANK_MLP_LAYERS_AUTO) {
    const cl_device_type type = mrank_device_type_for_choices(dev->device);
    layers =
        type == CL_DEVICE_TYPE_GPU && !offline ? RANK_MLP_LAYERS_CLBLAST : RANK_MLP_LAYERS_DENSE;
  }
  if (layers == RANK_MLP_LAYERS_CLBLAST && offline) {
    return say(error, error_size, "--gemm clblast",
               "CLBlast builds its kernels at run time, and this device has no compiler or runs "
               "from a folder of offline-built programs (MRANK_BINARY_DIR): use --gemm dense");
  }
  dev->layers = layers;
  return 1;
}

int rank_mlp_device_init(rank_mlp_device *dev, mrank_context *ctx, const float *x, size_t docs,
                         size_t features, size_t max_batch_docs, int profile, char *error,
                         size_t error_size) {
  memset(dev, 0, sizeof *dev);
  dev->profile = profile;
  dev->docs = docs;
  dev->features = features;
  dev->max_batch_docs = max_batch_docs > 0 ? max_batch_docs : 1;
  dev->cl = mrank_context_cl_context(ctx);
  cl_device_id device = NULL;
  clGetCommandQueueInfo(mrank_context_queue(ctx), CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  dev->device = device;
  /* the kernels index the document matrix with 32-bit offsets (OpenCL 1.2 devices' uint) */
  if (docs > UINT32_MAX || (features > 0 && docs > (size_t)UINT32_MAX / features)) {
    return say(error, error_size, "the document matrix has 2^32 entries or more",
               "train on a part of the data, or with fewer features");
  }
  cl_int err = CL_SUCCESS;
  dev->queue = clCreateCommandQueue(dev->cl, device, profile ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "clCreateCommandQueue", err);
  if (mrank_context_create_from_cl(dev->cl, device, dev->queue, &dev->ctx) != MRANK_SUCCESS) {
    return say(error, error_size, "mrank context", mrank_last_error());
  }
  if (!build(dev, device, error, error_size)) return 0;
  dev->x = buffer(dev, docs * features * sizeof(float), x, &err);
  if (dev->x == NULL) {
    snprintf(error, error_size,
             "the document matrix (%zu x %zu floats, %.1f MiB) does not fit the device: %s", docs,
             features, (double)docs * (double)features * 4.0 / 1048576.0, mrank_cl_error_name(err));
    return 0;
  }
  dev->scores = buffer(dev, docs * sizeof(float), NULL, &err);
  dev->doc_gradient = buffer(dev, docs * sizeof(float), NULL, &err);
  dev->doc_start = buffer(dev, (docs + 1) * sizeof(uint32_t), NULL, &err);
  dev->loss_slots = docs + 1; /* a step has a document at least */
  dev->losses = buffer(dev, dev->loss_slots * sizeof(float), NULL, &err);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "device buffers", err);
  return zero(dev, dev->scores, docs, error, error_size) &&
         zero(dev, dev->doc_gradient, docs, error, error_size);
}

static void release_shape_buffers(rank_mlp_device *dev) {
  cl_mem *list[] = {&dev->p,       &dev->g,  &dev->m,  &dev->v,
                    &dev->average, &dev->d1, &dev->d2, &dev->pt};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k)
    release(list[k]);
  for (size_t l = 0; l < RANK_MLP_MAX_LAYERS; ++l) {
    release(&dev->z[l]);
    release(&dev->a[l]);
  }
}

void rank_mlp_device_free(rank_mlp_device *dev) {
  if (dev->queue != NULL) clFinish(dev->queue);
  release_shape_buffers(dev);
  cl_mem *list[] = {&dev->x,   &dev->scores, &dev->doc_gradient, &dev->doc_start, &dev->doc_entries,
                    &dev->pa,  &dev->pb,     &dev->x1,           &dev->x2,        &dev->y,
                    &dev->dx1, &dev->dx2,    &dev->losses};
  for (size_t k = 0; k < sizeof list / sizeof list[0]; ++k)
    release(list[k]);
  for (int k = 0; k < MLP_K_COUNT; ++k)
    if (dev->kernel[k] != NULL) clReleaseKernel(dev->kernel[k]);
  for (int f = 0; f < 2; ++f)
    if (dev->programs[f] != NULL) clReleaseProgram(dev->programs[f]);
  mrank_context_destroy(dev->ctx);
  if (dev->queue != NULL) clReleaseCommandQueue(dev->queue);
  memset(dev, 0, sizeof *dev);
}

/* the parameters, and the transposed weights of every layer above the first (what
 * dense_input_gradient reads; kept by the transpose kernel after each step) */
static int upload(rank_mlp_device *dev, const rank_mlp_shape *shape, const float *parameters,
                  char *error, size_t error_size) {
  const size_t P = dev->parameters;
  float *transposed = calloc(P + 1, sizeof *transposed);
  if (transposed == NULL) return say(error, error_size, "out of memory", "");
  for (size_t l = 1; l < shape->layers; ++l) {
    const size_t K = rank_mlp_layer_inputs(shape, l), U = shape->hidden[l];
    const size_t at = rank_mlp_weight_offset(shape, l);
    for (size_t row = 0; row < K; ++row)
      for (size_t u = 0; u < U; ++u)
        transposed[at + u * K + row] = parameters[at + row * U + u];
  }
  cl_int err = clEnqueueWriteBuffer(dev->queue, dev->p, CL_TRUE, 0, P * sizeof(float), parameters,
                                    0, NULL, NULL);
  if (err == CL_SUCCESS)
    err = clEnqueueWriteBuffer(dev->queue, dev->pt, CL_TRUE, 0, P * sizeof(float), transposed, 0,
                               NULL, NULL);
  free(transposed);
  return err == CL_SUCCESS ? 1 : cl_failed(error, error_size, "uploading the parameters", err);
}

int rank_mlp_device_reset(rank_mlp_device *dev, const rank_mlp_shape *shape, rank_mlp_layers layers,
                          const float *parameters, char *error, size_t error_size) {
  if (!resolve_layers(dev, layers, error, error_size)) return 0;
  const size_t P = rank_mlp_parameter_count(shape), B = dev->max_batch_docs;
  if (memcmp(shape, &dev->shape, sizeof *shape) != 0) {
    release_shape_buffers(dev);
    cl_int err = CL_SUCCESS;
    size_t widest = 1;
    for (size_t l = 0; l < shape->layers; ++l) {
      if (shape->hidden[l] > widest) widest = shape->hidden[l];
      dev->z[l] = buffer(dev, B * shape->hidden[l] * sizeof(float), NULL, &err);
      dev->a[l] = buffer(dev, B * shape->hidden[l] * sizeof(float), NULL, &err);
    }
    dev->p = buffer(dev, P * sizeof(float), NULL, &err);
    dev->g = buffer(dev, P * sizeof(float), NULL, &err);
    dev->m = buffer(dev, P * sizeof(float), NULL, &err);
    dev->v = buffer(dev, P * sizeof(float), NULL, &err);
    dev->average = buffer(dev, P * sizeof(float), NULL, &err);
    dev->pt = buffer(dev, P * sizeof(float), NULL, &err);
    dev->d1 = buffer(dev, B * widest * sizeof(float), NULL, &err);
    dev->d2 = buffer(dev, B * widest * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "the network's buffers", err);
    dev->shape = *shape;
    dev->parameters = P;
    for (size_t l = 0; l < shape->layers; ++l) {
      /* CLBlast reads C even with beta 0: every GEMM output starts as numbers */
      if (!zero(dev, dev->z[l], B * shape->hidden[l], error, error_size) ||
          !zero(dev, dev->a[l], B * shape->hidden[l], error, error_size)) {
        return 0;
      }
    }
    if (!zero(dev, dev->d1, B * widest, error, error_size) ||
        !zero(dev, dev->d2, B * widest, error, error_size)) {
      return 0;
    }
  }
  if (!upload(dev, shape, parameters, error, error_size)) return 0;
  return zero(dev, dev->g, P, error, error_size) && zero(dev, dev->m, P, error, error_size) &&
         zero(dev, dev->v, P, error, error_size) && zero(dev, dev->average, P, error, error_size);
}

int rank_mlp_device_begin_epoch(rank_mlp_device *dev, const rank_pairs *pairs, char *error,
                                size_t error_size) {
  if (!pairs->complete) dev->pairs_on_device = 0;
  cl_int err = CL_SUCCESS;
  if (!dev->pairs_on_device) {
    const size_t count = pairs->count > 0 ? pairs->count : 1;
    if (count > dev->pair_capacity) {
      cl_mem *olds[] = {&dev->pa, &dev->pb,  &dev->x1,  &dev->x2,
                        &dev->y,  &dev->dx1, &dev->dx2, &dev->doc_entries};
      for (size_t k = 0; k < sizeof olds / sizeof olds[0]; ++k)
        release(olds[k]);
      const size_t capacity = count + count / 2;
      float *ones = malloc(capacity * sizeof *ones);
      if (ones == NULL) return say(error, error_size, "out of memory", "");
      for (size_t k = 0; k < capacity; ++k)
        ones[k] = 1.0f;
      dev->pa = buffer(dev, capacity * 4, NULL, &err);
      dev->pb = buffer(dev, capacity * 4, NULL, &err);
      dev->x1 = buffer(dev, capacity * 4, NULL, &err);
      dev->x2 = buffer(dev, capacity * 4, NULL, &err);
      dev->y = buffer(dev, capacity * 4, ones, &err);
      dev->dx1 = buffer(dev, capacity * 4, NULL, &err);
      dev->dx2 = buffer(dev, capacity * 4, NULL, &err);
      dev->doc_entries = buffer(dev, 2 * capacity * 4, NULL, &err);
      free(ones);
      if (err != CL_SUCCESS)
        return cl_failed(error, error_size, "device buffers for the pairs", err);
      dev->pair_capacity = capacity;
    }
    if (pairs->count > 0) {
      err = clEnqueueWriteBuffer(dev->queue, dev->pa, CL_FALSE, 0, pairs->count * 4, pairs->a, 0,
                                 NULL, NULL);
      if (err == CL_SUCCESS)
        err = clEnqueueWriteBuffer(dev->queue, dev->pb, CL_FALSE, 0, pairs->count * 4, pairs->b, 0,
                                   NULL, NULL);
      if (err == CL_SUCCESS)
        err = clEnqueueWriteBuffer(dev->queue, dev->doc_entries, CL_FALSE, 0, 2 * pairs->count * 4,
                                   pairs->doc_entries, 0, NULL, NULL);
    }
    if (err == CL_SUCCESS)
      err = clEnqueueWriteBuffer(dev->queue, dev->doc_start, CL_TRUE, 0, (dev->docs + 1) * 4,
                                 pairs->doc_start, 0, NULL, NULL);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "uploading the pairs", err);
    dev->pairs_on_device = pairs->complete;
  }
  dev->steps_in_epoch = 0;
  return 1;
}

int rank_mlp_failed(char *error, size_t size, const char *what, const char *detail) {
  return say(error, size, what, detail);
}

void rank_mlp_timed(rank_mlp_device *dev, cl_event *event, double *stage) {
  if (dev->profile) *stage += rank_event_seconds(*event);
  *event = NULL;
}

static cl_int enqueue(rank_mlp_device *dev, int k, size_t items, cl_event *event) {
  const size_t local = dev->local[k], global = (items + local - 1) / local * local;
  return clEnqueueNDRangeKernel(dev->queue, dev->kernel[k], 1, NULL, &global, &local, 0, NULL,
                                dev->profile ? event : NULL);
}

int rank_mlp_launch(rank_mlp_device *dev, int k, size_t items, double *stage, const char *what,
                    char *error, size_t error_size) {
  cl_event event = NULL;
  const cl_int err = enqueue(dev, k, items, &event);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, what, err);
  rank_mlp_timed(dev, &event, stage);
  return 1;
}

/* the pairs' scores, the fused loss (into the step's slot) and gradients, each document's gradient
 * (the sum over its pairs, in pair order) and, in the same launch, the last hidden layer's delta */
static int pairs_pass(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                      char *error, size_t error_size) {
  const rank_mlp_shape *s = &dev->shape;
  const size_t count = st->p1 - st->p0, rows = st->d1 - st->d0;
  if (dev->steps_in_epoch >= dev->loss_slots) {
    return say(error, error_size, "more steps in an epoch than documents",
               "call rank_mlp_device_begin_epoch first");
  }
  const cl_uint first_pair = (cl_uint)st->p0, pair_count = (cl_uint)count;
  const cl_uint n_rows = (cl_uint)rows, first_doc = (cl_uint)st->d0;
  int k = MLP_K_GATHER;
  MLP_ARG(k, 0, dev->scores);
  MLP_ARG(k, 1, dev->pa);
  MLP_ARG(k, 2, dev->pb);
  MLP_ARG(k, 3, dev->x1);
  MLP_ARG(k, 4, dev->x2);
  MLP_ARG(k, 5, first_pair);
  MLP_ARG(k, 6, pair_count);
  cl_event ev = NULL;
  const cl_int err = enqueue(dev, k, count, &ev);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "gather", err);
  const cl_ulong gather_end = rank_event_end(ev);
  rank_mlp_timed(dev, &ev, &times->gather);
  cl_event loss_event = NULL;
  if (mrank_forward_backward_buffers(dev->ctx, count, dev->x1, st->p0, dev->x2, st->p0, dev->y,
                                     st->p0, st->margin, MRANK_REDUCTION_SUM, dev->losses,
                                     dev->steps_in_epoch++, dev->dx1, st->p0, dev->dx2, st->p0,
                                     dev->profile ? &loss_event : NULL) != MRANK_SUCCESS) {
    return say(error, error_size, "the loss", mrank_last_error());
  }
  if (dev->profile) {
    /* mrank's call enqueues several kernels and its event is the last one's: on this in-order
     * queue the stage runs from the end of the gather to the end of that event */
    const cl_ulong loss_end = rank_event_end(loss_event);
    clReleaseEvent(loss_event);
    times->loss += loss_end > gather_end ? (double)(loss_end - gather_end) * 1e-9 : 0.0;
  }
  const size_t L = s->layers;
  const cl_uint w_out = (cl_uint)rank_mlp_output_offset(s), H = (cl_uint)s->hidden[L - 1];
  const float scale = st->dropout_scale * (float)(1.0 / (double)count);
  k = MLP_K_SCATTER_DELTA;
  MLP_ARG(k, 0, dev->doc_start);
  MLP_ARG(k, 1, dev->doc_entries);
  MLP_ARG(k, 2, dev->dx1);
  MLP_ARG(k, 3, dev->dx2);
  MLP_ARG(k, 4, dev->doc_gradient);
  MLP_ARG(k, 5, first_doc);
  MLP_ARG(k, 6, n_rows);
  MLP_ARG(k, 7, dev->p);
  MLP_ARG(k, 8, w_out);
  MLP_ARG(k, 9, dev->a[L - 1]);
  MLP_ARG(k, 10, H);
  MLP_ARG(k, 11, dev->d1);
  MLP_ARG(k, 12, scale);
  return rank_mlp_launch(dev, k, rows, &times->scatter, "scatter and the last layer's delta", error,
                         error_size);
}

/* the dense path's transposed weights of every layer above the first, from dev->p */
static int transposes(rank_mlp_device *dev, rank_stage_times *times, char *error,
                      size_t error_size) {
  if (dev->layers != RANK_MLP_LAYERS_DENSE) return 1;
  const rank_mlp_shape *s = &dev->shape;
  for (size_t l = 1; l < s->layers; ++l) {
    const cl_uint w = (cl_uint)rank_mlp_weight_offset(s, l);
    const cl_uint K = (cl_uint)rank_mlp_layer_inputs(s, l), U = (cl_uint)s->hidden[l];
    const int k = MLP_K_TRANSPOSE;
    MLP_ARG(k, 0, dev->p);
    MLP_ARG(k, 1, w);
    MLP_ARG(k, 2, K);
    MLP_ARG(k, 3, U);
    MLP_ARG(k, 4, dev->pt);
    if (!rank_mlp_launch(dev, k, (size_t)K * U, &times->update, "transposing the weights", error,
                         error_size)) {
      return 0;
    }
  }
  return 1;
}

static int optimiser_pass(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                          char *error, size_t error_size) {
  const cl_uint params = (cl_uint)st->trained;
  const cl_int kind = st->optimizer;
  const int k = MLP_K_OPTIMIZE;
  MLP_ARG(k, 0, dev->p);
  MLP_ARG(k, 1, dev->g);
  MLP_ARG(k, 2, dev->m);
  MLP_ARG(k, 3, dev->v);
  MLP_ARG(k, 4, params);
  MLP_ARG(k, 5, kind);
  MLP_ARG(k, 6, st->lr);
  MLP_ARG(k, 7, st->weight_decay);
  MLP_ARG(k, 8, st->momentum);
  MLP_ARG(k, 9, st->bias1);
  MLP_ARG(k, 10, st->bias2);
  MLP_ARG(k, 11, dev->average);
  MLP_ARG(k, 12, st->share);
  return rank_mlp_launch(dev, k, st->trained, &times->update, "optimiser step", error,
                         error_size) &&
         transposes(dev, times, error, error_size);
}

int rank_mlp_device_step(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                         char *error, size_t error_size) {
  if (st->p1 == st->p0 || st->d1 == st->d0) return 1;
  rank_stage_times none;
  if (times == NULL) times = &none;
  const int dense = dev->layers == RANK_MLP_LAYERS_DENSE;
  if (!(dense ? rank_mlp_forward_dense : rank_mlp_forward_clblast)(dev, st, times, error,
                                                                   error_size) ||
      !pairs_pass(dev, st, times, error, error_size) ||
      !(dense ? rank_mlp_backward_dense : rank_mlp_backward_clblast)(dev, st, times, error,
                                                                     error_size)) {
    return 0;
  }
  return !st->take_step || optimiser_pass(dev, st, times, error, error_size);
}

int rank_mlp_device_loss(rank_mlp_device *dev, double *total, char *error, size_t error_size) {
  *total = 0.0;
  const size_t steps = dev->steps_in_epoch;
  if (steps == 0) return 1;
  float *values = malloc(steps * sizeof *values);
  if (values == NULL) return say(error, error_size, "out of memory", "");
  const cl_int err = clEnqueueReadBuffer(dev->queue, dev->losses, CL_TRUE, 0,
                                         steps * sizeof *values, values, 0, NULL, NULL);
  for (size_t k = 0; err == CL_SUCCESS && k < steps; ++k)
    *total += values[k]; /* in step order: the same total for the same steps */
  free(values);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the epoch's loss", err);
  return 1;
}

int rank_mlp_device_read(rank_mlp_device *dev, int which, float *out, char *error,
                         size_t error_size) {
  const cl_mem from = which == 0 ? dev->p : which == 1 ? dev->g : dev->average;
  const cl_int err = clEnqueueReadBuffer(dev->queue, from, CL_TRUE, 0,
                                         dev->parameters * sizeof(float), out, 0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the network", err);
  return 1;
}
