/* mlp_device.c: the MLP's device state (buffers, kernels/mlp.cl and the gather and scatter of
 * kernels/ranker.cl, a queue of its own) and the launches of one step (see mlp_device.h). */
#include "rank/mlp_device.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kernel_names[MLP_K_COUNT] = {
    "bias_relu", "output_backward", "relu_backward", "column_sum",
    "optimize",  "gather",          "scatter",       "accumulate"};

static int say(char *error, size_t size, const char *what, const char *detail) {
  snprintf(error, size, "%s%s%s", what, detail[0] ? ": " : "", detail);
  return 0;
}

static int cl_failed(char *error, size_t size, const char *what, cl_int code) {
  return say(error, size, what, mrank_cl_error_name(code));
}

static int blas_failed(char *error, size_t size, const char *what, CLBlastStatusCode code) {
  char detail[48];
  snprintf(detail, sizeof detail, "CLBlast status %d", (int)code);
  return say(error, size, what, detail);
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

static int build(rank_mlp_device *dev, cl_device_id device, char *error, size_t error_size) {
  return rank_tool_kernels(dev->cl, device, "mlp.cl", kernel_names, MLP_K_GATHER, &dev->programs[0],
                           dev->kernel, dev->local, &dev->cache_warned, error, error_size) &&
         rank_tool_kernels(dev->cl, device, "ranker.cl", kernel_names + MLP_K_GATHER,
                           MLP_K_COUNT - MLP_K_GATHER, &dev->programs[1],
                           dev->kernel + MLP_K_GATHER, dev->local + MLP_K_GATHER,
                           &dev->cache_warned, error, error_size);
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
  if (docs > UINT32_MAX) {
    return say(error, error_size, "more than 2^32 documents", "split the data");
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
  dev->loss = buffer(dev, sizeof(float), NULL, &err);
  dev->total = buffer(dev, sizeof(float), NULL, &err);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "device buffers", err);
  return zero(dev, dev->scores, docs, error, error_size) &&
         zero(dev, dev->doc_gradient, docs, error, error_size);
}

static void release_shape_buffers(rank_mlp_device *dev) {
  cl_mem *list[] = {&dev->p, &dev->g, &dev->m, &dev->v, &dev->average, &dev->d1, &dev->d2};
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
                    &dev->dx1, &dev->dx2,    &dev->loss,         &dev->total};
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

int rank_mlp_device_reset(rank_mlp_device *dev, const rank_mlp_shape *shape,
                          const float *parameters, char *error, size_t error_size) {
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
  const cl_int err = clEnqueueWriteBuffer(dev->queue, dev->p, CL_TRUE, 0, P * sizeof(float),
                                          parameters, 0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "uploading the parameters", err);
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
  return zero(dev, dev->total, 1, error, error_size);
}

static cl_int launch(rank_mlp_device *dev, int k, size_t items, cl_event *event) {
  const size_t local = dev->local[k], global = (items + local - 1) / local * local;
  return clEnqueueNDRangeKernel(dev->queue, dev->kernel[k], 1, NULL, &global, &local, 0, NULL,
                                event);
}

static double seconds_of(cl_event event) {
  cl_ulong start = 0, end = 0;
  if (event == NULL) return 0.0;
  clWaitForEvents(1, &event);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
  clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
  clReleaseEvent(event);
  return end > start ? (double)(end - start) * 1e-9 : 0.0;
}

/* the stage a launch's time goes to, when profiling */
static void timed(rank_mlp_device *dev, cl_event *event, double *stage) {
  if (dev->profile) *stage += seconds_of(*event);
  *event = NULL;
}

#define ARG(k, i, v) clSetKernelArg(dev->kernel[k], i, sizeof(v), &(v))

int rank_mlp_device_step(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                         char *error, size_t error_size) {
  const rank_mlp_shape *s = &dev->shape;
  const size_t rows = st->d1 - st->d0, count = st->p1 - st->p0, F = dev->features;
  const size_t L = s->layers, H = s->hidden[L - 1];
  if (count == 0 || rows == 0) return 1;
  cl_event ev = NULL;
  cl_event *e = dev->profile ? &ev : NULL;
  rank_stage_times none;
  if (times == NULL) times = &none;
  const cl_uint n_rows = (cl_uint)rows, first_doc = (cl_uint)st->d0;
  CLBlastStatusCode b;
  cl_int err;
  /* forward */
  for (size_t l = 0; l < L; ++l) {
    const size_t in = rank_mlp_layer_inputs(s, l), out = s->hidden[l];
    const cl_mem input = l == 0 ? dev->x : dev->a[l - 1];
    const size_t input_offset = l == 0 ? st->d0 * F : 0;
    b = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, rows, out, in,
                     1.0f, input, input_offset, in, dev->p, rank_mlp_weight_offset(s, l), out, 0.0f,
                     dev->z[l], 0, out, &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "layer (GEMM)", b);
    timed(dev, &ev, &times->gemv);
    const cl_uint units = (cl_uint)out, layer = (cl_uint)l;
    const cl_uint bias = (cl_uint)rank_mlp_bias_offset(s, l);
    ARG(MLP_K_BIAS_RELU, 0, dev->z[l]);
    ARG(MLP_K_BIAS_RELU, 1, dev->p);
    ARG(MLP_K_BIAS_RELU, 2, bias);
    ARG(MLP_K_BIAS_RELU, 3, dev->a[l]);
    ARG(MLP_K_BIAS_RELU, 4, n_rows);
    ARG(MLP_K_BIAS_RELU, 5, units);
    ARG(MLP_K_BIAS_RELU, 6, st->seed);
    ARG(MLP_K_BIAS_RELU, 7, st->step);
    ARG(MLP_K_BIAS_RELU, 8, layer);
    ARG(MLP_K_BIAS_RELU, 9, first_doc);
    ARG(MLP_K_BIAS_RELU, 10, st->threshold);
    ARG(MLP_K_BIAS_RELU, 11, st->dropout_scale);
    err = launch(dev, MLP_K_BIAS_RELU, rows * out, e);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "bias and ReLU", err);
    timed(dev, &ev, &times->activation);
  }
  b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, rows, H, 1.0f, dev->a[L - 1], 0, H,
                   dev->p, rank_mlp_output_offset(s), 1, 0.0f, dev->scores, st->d0, 1, &dev->queue,
                   e);
  if (b != CLBlastSuccess) return blas_failed(error, error_size, "scores (GEMV)", b);
  timed(dev, &ev, &times->gemv);
  if (s->skip) { /* the linear term, added to the scores (beta 1) */
    b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, rows, F, 1.0f, dev->x, st->d0 * F,
                     F, dev->p, rank_mlp_skip_offset(s), 1, 1.0f, dev->scores, st->d0, 1,
                     &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "linear term (GEMV)", b);
    timed(dev, &ev, &times->gemv);
  }
  /* the pairs: loss summed (each pair's gradient -1, 0 or +1), 1 / pairs applied below */
  const cl_uint first_pair = (cl_uint)st->p0, pair_count = (cl_uint)count;
  ARG(MLP_K_GATHER, 0, dev->scores);
  ARG(MLP_K_GATHER, 1, dev->pa);
  ARG(MLP_K_GATHER, 2, dev->pb);
  ARG(MLP_K_GATHER, 3, dev->x1);
  ARG(MLP_K_GATHER, 4, dev->x2);
  ARG(MLP_K_GATHER, 5, first_pair);
  ARG(MLP_K_GATHER, 6, pair_count);
  if ((err = launch(dev, MLP_K_GATHER, count, e)) != CL_SUCCESS) {
    return cl_failed(error, error_size, "gather", err);
  }
  cl_ulong gather_end = 0;
  if (dev->profile) {
    clWaitForEvents(1, &ev);
    clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof gather_end, &gather_end, NULL);
  }
  timed(dev, &ev, &times->gather);
  cl_event loss_event = NULL;
  if (mrank_forward_backward_buffers(dev->ctx, count, dev->x1, st->p0, dev->x2, st->p0, dev->y,
                                     st->p0, st->margin, MRANK_REDUCTION_SUM, dev->loss, 0,
                                     dev->dx1, st->p0, dev->dx2, st->p0,
                                     dev->profile ? &loss_event : NULL) != MRANK_SUCCESS) {
    return say(error, error_size, "the loss", mrank_last_error());
  }
  if (dev->profile) {
    /* mrank's call enqueues several kernels and its event is the last one's: on this in-order
     * queue the stage runs from the end of the gather to the end of that event */
    cl_ulong loss_end = 0;
    clWaitForEvents(1, &loss_event);
    clGetEventProfilingInfo(loss_event, CL_PROFILING_COMMAND_END, sizeof loss_end, &loss_end, NULL);
    clReleaseEvent(loss_event);
    times->loss += loss_end > gather_end ? (double)(loss_end - gather_end) * 1e-9 : 0.0;
  }
  ARG(MLP_K_ACCUMULATE, 0, dev->total);
  ARG(MLP_K_ACCUMULATE, 1, dev->loss);
  if ((err = launch(dev, MLP_K_ACCUMULATE, 1, NULL)) != CL_SUCCESS) {
    return cl_failed(error, error_size, "accumulate", err);
  }
  ARG(MLP_K_SCATTER, 0, dev->doc_start);
  ARG(MLP_K_SCATTER, 1, dev->doc_entries);
  ARG(MLP_K_SCATTER, 2, dev->dx1);
  ARG(MLP_K_SCATTER, 3, dev->dx2);
  ARG(MLP_K_SCATTER, 4, dev->doc_gradient);
  ARG(MLP_K_SCATTER, 5, first_doc);
  ARG(MLP_K_SCATTER, 6, n_rows);
  if ((err = launch(dev, MLP_K_SCATTER, rows, e)) != CL_SUCCESS) {
    return cl_failed(error, error_size, "scatter", err);
  }
  timed(dev, &ev, &times->scatter);
  /* backward */
  const float per_pair = (float)(1.0 / (double)count);
  b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, rows, H, per_pair, dev->a[L - 1], 0,
                   H, dev->doc_gradient, st->d0, 1, 0.0f, dev->g, rank_mlp_output_offset(s), 1,
                   &dev->queue, e);
  if (b != CLBlastSuccess) return blas_failed(error, error_size, "output gradient (GEMV)", b);
  timed(dev, &ev, &times->gemv);
  if (s->skip) {
    b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, rows, F, per_pair, dev->x,
                     st->d0 * F, F, dev->doc_gradient, st->d0, 1, 0.0f, dev->g,
                     rank_mlp_skip_offset(s), 1, &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "linear term gradient", b);
    timed(dev, &ev, &times->gemv);
  }
  const cl_uint w_out = (cl_uint)rank_mlp_output_offset(s);
  const float scale = st->dropout_scale * per_pair;
  const cl_uint last_units = (cl_uint)H, last_layer = (cl_uint)(L - 1);
  ARG(MLP_K_OUTPUT_BACKWARD, 0, dev->doc_gradient);
  ARG(MLP_K_OUTPUT_BACKWARD, 1, first_doc);
  ARG(MLP_K_OUTPUT_BACKWARD, 2, dev->p);
  ARG(MLP_K_OUTPUT_BACKWARD, 3, w_out);
  ARG(MLP_K_OUTPUT_BACKWARD, 4, dev->z[L - 1]);
  ARG(MLP_K_OUTPUT_BACKWARD, 5, dev->d1);
  ARG(MLP_K_OUTPUT_BACKWARD, 6, n_rows);
  ARG(MLP_K_OUTPUT_BACKWARD, 7, last_units);
  ARG(MLP_K_OUTPUT_BACKWARD, 8, st->seed);
  ARG(MLP_K_OUTPUT_BACKWARD, 9, st->step);
  ARG(MLP_K_OUTPUT_BACKWARD, 10, last_layer);
  ARG(MLP_K_OUTPUT_BACKWARD, 11, st->threshold);
  ARG(MLP_K_OUTPUT_BACKWARD, 12, scale);
  err = launch(dev, MLP_K_OUTPUT_BACKWARD, rows * H, e);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "output backward", err);
  timed(dev, &ev, &times->activation);
  cl_mem dz = dev->d1, da = dev->d2;
  for (size_t l = L; l-- > 0;) {
    const size_t in = rank_mlp_layer_inputs(s, l), out = s->hidden[l];
    const cl_mem input = l == 0 ? dev->x : dev->a[l - 1];
    const size_t input_offset = l == 0 ? st->d0 * F : 0;
    b = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeYes, CLBlastTransposeNo, in, out, rows,
                     1.0f, input, input_offset, in, dz, 0, out, 0.0f, dev->g,
                     rank_mlp_weight_offset(s, l), out, &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "weight gradient (GEMM)", b);
    timed(dev, &ev, &times->gemv);
    const cl_uint units = (cl_uint)out, bias_at = (cl_uint)rank_mlp_bias_offset(s, l);
    ARG(MLP_K_COLUMN_SUM, 0, dz);
    ARG(MLP_K_COLUMN_SUM, 1, n_rows);
    ARG(MLP_K_COLUMN_SUM, 2, units);
    ARG(MLP_K_COLUMN_SUM, 3, dev->g);
    ARG(MLP_K_COLUMN_SUM, 4, bias_at);
    err = launch(dev, MLP_K_COLUMN_SUM, out, e);
    if (err != CL_SUCCESS) return cl_failed(error, error_size, "bias gradient", err);
    timed(dev, &ev, &times->activation);
    if (l == 0) break;
    b = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, rows, in, out,
                     1.0f, dz, 0, out, dev->p, rank_mlp_weight_offset(s, l), out, 0.0f, da, 0, in,
                     &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "back a layer (GEMM)", b);
    timed(dev, &ev, &times->gemv);
    const cl_uint below = (cl_uint)in, layer = (cl_uint)(l - 1);
    ARG(MLP_K_RELU_BACKWARD, 0, da);
    ARG(MLP_K_RELU_BACKWARD, 1, dev->z[l - 1]);
    ARG(MLP_K_RELU_BACKWARD, 2, n_rows);
    ARG(MLP_K_RELU_BACKWARD, 3, below);
    ARG(MLP_K_RELU_BACKWARD, 4, st->seed);
    ARG(MLP_K_RELU_BACKWARD, 5, st->step);
    ARG(MLP_K_RELU_BACKWARD, 6, layer);
    ARG(MLP_K_RELU_BACKWARD, 7, first_doc);
    ARG(MLP_K_RELU_BACKWARD, 8, st->threshold);
    ARG(MLP_K_RELU_BACKWARD, 9, st->dropout_scale);
    if ((err = launch(dev, MLP_K_RELU_BACKWARD, rows * in, e)) != CL_SUCCESS) {
      return cl_failed(error, error_size, "ReLU backward", err);
    }
    timed(dev, &ev, &times->activation);
    const cl_mem swap = dz;
    dz = da;
    da = swap;
  }
  if (!st->take_step) return 1;
  const cl_uint params = (cl_uint)dev->parameters;
  const cl_int kind = st->optimizer;
  ARG(MLP_K_OPTIMIZE, 0, dev->p);
  ARG(MLP_K_OPTIMIZE, 1, dev->g);
  ARG(MLP_K_OPTIMIZE, 2, dev->m);
  ARG(MLP_K_OPTIMIZE, 3, dev->v);
  ARG(MLP_K_OPTIMIZE, 4, params);
  ARG(MLP_K_OPTIMIZE, 5, kind);
  ARG(MLP_K_OPTIMIZE, 6, st->lr);
  ARG(MLP_K_OPTIMIZE, 7, st->weight_decay);
  ARG(MLP_K_OPTIMIZE, 8, st->momentum);
  ARG(MLP_K_OPTIMIZE, 9, st->bias1);
  ARG(MLP_K_OPTIMIZE, 10, st->bias2);
  ARG(MLP_K_OPTIMIZE, 11, dev->average);
  ARG(MLP_K_OPTIMIZE, 12, st->share);
  if ((err = launch(dev, MLP_K_OPTIMIZE, dev->parameters, e)) != CL_SUCCESS) {
    return cl_failed(error, error_size, "optimiser step", err);
  }
  timed(dev, &ev, &times->update);
  return 1;
}

int rank_mlp_device_loss(rank_mlp_device *dev, double *total, char *error, size_t error_size) {
  float value = 0.0f;
  const cl_int err =
      clEnqueueReadBuffer(dev->queue, dev->total, CL_TRUE, 0, sizeof value, &value, 0, NULL, NULL);
  if (err != CL_SUCCESS) return cl_failed(error, error_size, "reading the epoch's loss", err);
  *total = value;
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
