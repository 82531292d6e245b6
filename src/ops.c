/* ops.c: the forward and backward entry points on host arrays, for every type. Each call stages its
 * inputs on the device in chunks of at most ctx->chunk_elements (or wraps the caller's arrays in
 * place on a host-unified device), runs the same launches as the buffer entry points (enqueue.c)
 * and reads the results back, with one wait at the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "enqueue.h"
#include "split.h"

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

static const void *at(const void *array, size_t index, size_t element_size) {
  return array == NULL ? NULL : (const char *)array + index * element_size;
}

static void *at_mutable(void *array, size_t index, size_t element_size) {
  return array == NULL ? NULL : (char *)array + index * element_size;
}

static mrank_view staged(const mrank_context *ctx, mrank_staging_slot slot) {
  mrank_view view = {ctx->staging[slot], 0};
  return view;
}

static mrank_status upload(mrank_context *ctx, mrank_staging_slot slot, const void *source,
                           size_t bytes) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_CHECK_CL(clEnqueueWriteBuffer(ctx->queue, ctx->staging[slot], CL_FALSE, 0, bytes, source, 0,
                                      NULL, NULL),
                 "clEnqueueWriteBuffer");
  return MRANK_SUCCESS;
error:
  return status;
}

static mrank_status download(mrank_context *ctx, mrank_staging_slot slot, void *target,
                             size_t bytes) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_CHECK_CL(clEnqueueReadBuffer(ctx->queue, ctx->staging[slot], CL_FALSE, 0, bytes, target, 0,
                                     NULL, NULL),
                 "clEnqueueReadBuffer");
  return MRANK_SUCCESS;
error:
  return status;
}

/* Zero-copy: the buffers that wrap the caller's arrays for one chunk, released after it. */
typedef struct wrapped_chunk {
  cl_mem buffers[7]; /* x1, x2, y, the extra input, three outputs */
  int count;
} wrapped_chunk;

static mrank_status wrap(mrank_context *ctx, wrapped_chunk *chunk, cl_mem_flags access,
                         const void *array, size_t bytes, mrank_view *view) {
  mrank_status status = MRANK_SUCCESS;
  cl_int err = CL_SUCCESS;
  /* the driver only reads a CL_MEM_READ_ONLY buffer; the cast is the API's, not a write */
  cl_mem buffer =
      clCreateBuffer(ctx->cl_ctx, access | CL_MEM_USE_HOST_PTR, bytes, (void *)(size_t)array, &err);
  MRANK_CHECK_CL(err, "clCreateBuffer(CL_MEM_USE_HOST_PTR)");
  chunk->buffers[chunk->count++] = buffer;
  view->mem = buffer;
  view->offset = 0;
error:
  return status;
}

/* Makes the device's writes to a wrapped output visible in the caller's array. */
static mrank_status sync_output(mrank_context *ctx, mrank_view view, size_t bytes) {
  mrank_status status = MRANK_SUCCESS;
  cl_int err = CL_SUCCESS;
  void *mapped = clEnqueueMapBuffer(ctx->queue, view.mem, CL_FALSE, CL_MAP_READ, 0, bytes, 0, NULL,
                                    NULL, &err);
  MRANK_CHECK_CL(err, "clEnqueueMapBuffer");
  MRANK_CHECK_CL(clEnqueueUnmapMemObject(ctx->queue, view.mem, mapped, 0, NULL, NULL),
                 "clEnqueueUnmapMemObject");
error:
  return status;
}

static void release_chunk(wrapped_chunk *chunk) {
  /* the runtime keeps a released buffer alive until the commands that use it are done */
  for (int b = 0; b < chunk->count; ++b)
    clReleaseMemObject(chunk->buffers[b]);
  chunk->count = 0;
}

typedef struct byte_range {
  const void *start;
  size_t bytes;
} byte_range;

static int overlap(byte_range a, byte_range b) {
  const char *a0 = a.start, *b0 = b.start;
  return a0 != NULL && b0 != NULL && a0 < b0 + b.bytes && b0 < a0 + a.bytes;
}

/* Zero-copy needs outputs that share no memory with another array of the call (two buffers over
 * one host range are undefined in OpenCL); otherwise the staging copies handle aliasing. */
static int can_wrap(const mrank_context *ctx, const byte_range *inputs, int input_count,
                    const byte_range *outputs, int output_count) {
  if (!ctx->zero_copy) return 0;
  for (int o = 0; o < output_count; ++o) {
    for (int i = 0; i < input_count; ++i) {
      if (overlap(outputs[o], inputs[i])) return 0;
    }
    for (int p = o + 1; p < output_count; ++p) {
      if (overlap(outputs[o], outputs[p])) return 0;
    }
  }
  return 1;
}

/* The elements one pass takes. Staging copies go in chunks of ctx->chunk_elements (bounded device
 * memory); wrapped arrays in the largest buffer the device allows, usually the whole call (then no
 * output needs holding). Both are multiples of 64, the block of pass 1, so the summation tree, and
 * its bits, do not depend on which. */
static size_t pass_elements(const mrank_context *ctx, const mrank_variant *v, int wrapped) {
  if (!wrapped) return ctx->chunk_elements;
  const size_t widest = v->data_size > v->label_size ? v->data_size : v->label_size;
  size_t fit = ctx->max_alloc_bytes / widest;
  fit -= fit % MRANK_FIRST_FAN_IN;
  return fit >= ctx->chunk_elements ? fit : ctx->chunk_elements;
}

/* x1, x2, y of one chunk as kernel inputs: wrapped in place, or uploaded to the staging buffers. */
static mrank_status stage_inputs(mrank_context *ctx, const mrank_variant *v, wrapped_chunk *chunk,
                                 size_t count, const void *x1, const void *x2, const void *y,
                                 double margin, mrank_inputs *in) {
  mrank_status status = MRANK_SUCCESS;
  const size_t data_bytes = count * v->data_size, label_bytes = count * v->label_size;
  in->margin = margin;
  if (chunk != NULL) {
    MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, x1, data_bytes, &in->x1));
    MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, x2, data_bytes, &in->x2));
    MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, y, label_bytes, &in->y));
    return MRANK_SUCCESS;
  }
  MRANK_TRY(upload(ctx, MRANK_STAGE_X1, x1, data_bytes));
  MRANK_TRY(upload(ctx, MRANK_STAGE_X2, x2, data_bytes));
  MRANK_TRY(upload(ctx, MRANK_STAGE_Y, y, label_bytes));
  in->x1 = staged(ctx, MRANK_STAGE_X1);
  in->x2 = staged(ctx, MRANK_STAGE_X2);
  in->y = staged(ctx, MRANK_STAGE_Y);
error:
  return status;
}

/* Builds the variant's kernels and sizes the staging buffers (all for the widest element). */
static mrank_status prepare(mrank_context *ctx, const mrank_variant *v, size_t n,
                            const mrank_staging_slot *slots, size_t slot_count) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_TRY(mrank_ensure_kernels(ctx, v));
  const size_t bytes = min_size(n, ctx->chunk_elements) * sizeof(double);
  for (size_t s = 0; s < slot_count; ++s) {
    MRANK_TRY(
        mrank_ensure_buffer(ctx, &ctx->staging[slots[s]], &ctx->staging_bytes[slots[s]], bytes));
  }
error:
  return status;
}

/* Waits for what was enqueued: the queue may still read the caller's arrays, which must stay
 * untouched until it is done, on the error path too. */
static mrank_status finish(mrank_context *ctx, mrank_status status) {
  cl_int err = clFinish(ctx->queue);
  if (status == MRANK_SUCCESS && err != CL_SUCCESS) return mrank_fail_cl(err, "clFinish");
  return status;
}

/* A call of several chunks writes its elementwise outputs into host temporaries and copies them to
 * the caller's arrays only when all of it succeeded: a device failure midway leaves them untouched.
 * One chunk needs none (its outputs are written by the last commands, or not at all). */
typedef struct held_outputs {
  void *caller[3], *temporary[3];
  size_t bytes;
} held_outputs;

static mrank_status hold_outputs(held_outputs *held, int chunked, size_t bytes, void **outputs,
                                 int count) {
  held->bytes = bytes;
  for (int o = 0; o < 3; ++o)
    held->caller[o] = held->temporary[o] = NULL;
  if (!chunked) return MRANK_SUCCESS;
  for (int o = 0; o < count; ++o) {
    if (outputs[o] == NULL) continue;
    held->caller[o] = outputs[o];
    held->temporary[o] = malloc(bytes > 0 ? bytes : 1);
    if (held->temporary[o] == NULL) {
      return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                        "out of host memory for %zu bytes of output held until the call succeeds",
                        bytes);
    }
    outputs[o] = held->temporary[o];
  }
  return MRANK_SUCCESS;
}

static void release_outputs(held_outputs *held, int succeeded) {
  for (int o = 0; o < 3; ++o) {
    if (held->temporary[o] == NULL) continue;
    if (succeeded) memcpy(held->caller[o], held->temporary[o], held->bytes);
    free(held->temporary[o]);
    held->temporary[o] = NULL;
  }
}

/* ---- one driver for every operation ---- */

static void slot_list_add(mrank_staging_slot *slots, size_t *count, mrank_staging_slot slot) {
  for (size_t s = 0; s < *count; ++s) {
    if (slots[s] == slot) return;
  }
  slots[(*count)++] = slot;
}

/* The value of an empty reduction: SUM 0, MEAN NaN. */
static void store_empty_reduction(const mrank_variant *v, mrank_reduction reduction, void *loss) {
  mrank_encode(v->data, loss, 0, reduction == MRANK_REDUCTION_MEAN ? (double)NAN : 0.0);
}

/* Runs op over n elements: stages or wraps each chunk, enqueues it, brings the outputs back, and
 * reduces the partial sums at the end; one wait. On failure no reduced value is written, and with
 * several chunks no elementwise output either (see held_outputs). */
mrank_status mrank_run_chunks(mrank_context *ctx, const mrank_variant *v, size_t n, double margin,
                              const void *x1, const void *x2, const void *y, host_op *op) {
  mrank_status status = MRANK_SUCCESS;
  wrapped_chunk wrapped = {{NULL}, 0};
  held_outputs held = {{NULL}, {NULL}, 0};
  const int reduced = op->reduced_output != NULL;
  if (n == 0) { /* nothing to enqueue; an empty reduction has a known value */
    if (reduced) store_empty_reduction(v, op->reduction, op->reduced_output);
    return MRANK_SUCCESS;
  }
  mrank_staging_slot slots[MRANK_STAGE_COUNT] = {MRANK_STAGE_X1, MRANK_STAGE_X2, MRANK_STAGE_Y};
  size_t slot_count = 3;
  if (op->extra_input != NULL || op->scalar_input != NULL) {
    slot_list_add(slots, &slot_count, MRANK_STAGE_DLOSS);
  }
  for (int o = 0; o < op->output_count; ++o)
    slot_list_add(slots, &slot_count, op->output_slots[o]);
  if (reduced) slot_list_add(slots, &slot_count, MRANK_STAGE_OUT1);
  MRANK_TRY(prepare(ctx, v, n, slots, slot_count));
  if (reduced) MRANK_TRY(mrank_ensure_partials(ctx, mrank_first_pass_outputs(n), v->real_size));
  /* the scalar goes up once, before any chunk can overwrite an aliased input */
  if (op->scalar_input != NULL) {
    MRANK_TRY(upload(ctx, MRANK_STAGE_DLOSS, op->scalar_input, v->data_size));
  }
  const size_t bytes = n * v->data_size;
  const byte_range inputs[] = {
      {x1, bytes}, {x2, bytes}, {y, n * v->label_size}, {op->extra_input, bytes}};
  byte_range outputs[3];
  for (int o = 0; o < op->output_count; ++o)
    outputs[o] = (byte_range){op->outputs[o], bytes};
  wrapped_chunk *chunk = can_wrap(ctx, inputs, 4, outputs, op->output_count) ? &wrapped : NULL;
  const size_t step = pass_elements(ctx, v, chunk != NULL);
  MRANK_TRY(hold_outputs(&held, n > step, bytes, op->outputs, op->output_count));
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += step) {
    const size_t count = min_size(step, n - offset);
    const size_t chunk_bytes = count * v->data_size;
    mrank_inputs in;
    mrank_view extra = staged(ctx, MRANK_STAGE_DLOSS), out[3];
    for (int o = 0; o < op->output_count; ++o)
      out[o] = staged(ctx, op->output_slots[o]);
    MRANK_TRY(stage_inputs(ctx, v, chunk, count, at(x1, offset, v->data_size),
                           at(x2, offset, v->data_size), at(y, offset, v->label_size), margin,
                           &in));
    const void *extra_chunk = at(op->extra_input, offset, v->data_size);
    if (chunk != NULL) {
      if (extra_chunk != NULL) {
        MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, extra_chunk, chunk_bytes, &extra));
      }
      for (int o = 0; o < op->output_count; ++o) {
        MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, at(op->outputs[o], offset, v->data_size),
                       chunk_bytes, &out[o]));
      }
    } else if (extra_chunk != NULL) {
      MRANK_TRY(upload(ctx, MRANK_STAGE_DLOSS, extra_chunk, chunk_bytes));
    }
    MRANK_TRY(op->enqueue(ctx, v, op, count, &in, extra, out, partials_used));
    if (reduced) partials_used += mrank_first_pass_outputs(count);
    for (int o = 0; o < op->output_count; ++o) {
      if (chunk != NULL) {
        MRANK_TRY(sync_output(ctx, out[o], chunk_bytes));
      } else {
        MRANK_TRY(download(ctx, op->output_slots[o],
                           at_mutable(op->outputs[o], offset, v->data_size), chunk_bytes));
      }
    }
    if (chunk != NULL) release_chunk(chunk);
  }
  if (!reduced) {
    status = finish(ctx, MRANK_SUCCESS);
    release_outputs(&held, status == MRANK_SUCCESS);
    return status;
  }
  if (op->partials_out != NULL) { /* one share of a split call: its pass-1 sums go back */
    MRANK_CHECK_CL(
        clEnqueueReadBuffer(ctx->queue, ctx->partials[0], CL_FALSE, 0, partials_used * v->real_size,
                            op->partials_out, 0, NULL, NULL),
        "clEnqueueReadBuffer (partial sums)");
    status = finish(ctx, MRANK_SUCCESS);
    release_outputs(&held, status == MRANK_SUCCESS);
    return status;
  }
  double result[1] = {0.0}; /* room for the widest data type */
  MRANK_TRY(mrank_enqueue_reduce_partials(ctx, v, partials_used, op->scale,
                                          staged(ctx, MRANK_STAGE_OUT1), NULL));
  MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, result, v->data_size));
  MRANK_TRY(finish(ctx, MRANK_SUCCESS));
  release_outputs(&held, 1);
  memcpy(op->reduced_output, result, v->data_size); /* written only once everything succeeded */
  return MRANK_SUCCESS;
error:
  release_chunk(&wrapped);
  status = finish(ctx, status);
  release_outputs(&held, 0);
  return status;
}

static mrank_status enqueue_forward(mrank_context *ctx, const mrank_variant *v, const host_op *op,
                                    size_t count, const mrank_inputs *in, mrank_view extra,
                                    const mrank_view *outputs, cl_ulong partials_offset) {
  (void)extra;
  if (op->reduced_output != NULL) {
    return mrank_enqueue_forward_sum64(ctx, v, count, in, partials_offset);
  }
  return mrank_enqueue_forward_none(ctx, v, count, in, outputs[0], NULL);
}

static mrank_status enqueue_backward(mrank_context *ctx, const mrank_variant *v, const host_op *op,
                                     size_t count, const mrank_inputs *in, mrank_view extra,
                                     const mrank_view *outputs, cl_ulong partials_offset) {
  (void)partials_offset;
  return mrank_enqueue_backward(ctx, v, count, in, op->reduction, extra, op->scale, outputs[0],
                                outputs[1], NULL);
}

static mrank_status enqueue_fused(mrank_context *ctx, const mrank_variant *v, const host_op *op,
                                  size_t count, const mrank_inputs *in, mrank_view extra,
                                  const mrank_view *outputs, cl_ulong partials_offset) {
  (void)extra;
  if (op->reduced_output != NULL) {
    return mrank_enqueue_fused_sum64(ctx, v, count, in, op->scale, outputs[0], outputs[1],
                                     partials_offset);
  }
  return mrank_enqueue_fused_none(ctx, v, count, in, outputs[0], outputs[1], outputs[2], NULL);
}

static double upstream_scale(const mrank_variant *v, mrank_reduction reduction, size_t n) {
  return reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale_for(v, n) : 1.0;
}

/* The checks every entry point makes before its own: a context and a valid descriptor. */
static mrank_status begin(const char *function, const mrank_context *ctx, const mrank_desc *desc,
                          size_t n, mrank_variant *variant) {
  mrank_status status = mrank_check_context(function, ctx);
  if (status == MRANK_SUCCESS) status = mrank_variant_of(function, desc, variant);
  if (status == MRANK_SUCCESS) status = mrank_check_count(function, n, variant);
  return status;
}

static mrank_status forward(const char *function, mrank_context *ctx, const mrank_desc *desc,
                            size_t n, const void *x1, const void *x2, const void *y, void *loss) {
  mrank_variant v;
  mrank_status status = begin(function, ctx, desc, n, &v);
  if (status == MRANK_SUCCESS) {
    status = mrank_check_forward_args(function, n, x1, x2, y, desc->reduction, loss);
  }
  if (status == MRANK_SUCCESS) {
    status =
        mrank_check_outputs(function, n, &v, desc->reduction, x1, x2, y, NULL, loss, NULL, NULL);
  }
  if (status != MRANK_SUCCESS) return status;
  if (ctx->is_host) return mrank_reference_forward_ex(desc, n, x1, x2, y, loss);
  const int reduced = desc->reduction != MRANK_REDUCTION_NONE;
  host_op op = {desc->reduction,
                upstream_scale(&v, desc->reduction, n),
                NULL,
                NULL,
                reduced ? 0 : 1,
                {reduced ? NULL : loss},
                {MRANK_STAGE_OUT1},
                reduced ? loss : NULL,
                enqueue_forward,
                NULL};
  return mrank_run_split(ctx, &v, n, desc->margin, x1, x2, y, &op);
}

static mrank_status backward(const char *function, mrank_context *ctx, const mrank_desc *desc,
                             size_t n, const void *x1, const void *x2, const void *y,
                             const void *dloss, void *dx1, void *dx2) {
  mrank_variant v;
  mrank_status status = begin(function, ctx, desc, n, &v);
  if (status == MRANK_SUCCESS) {
    status = mrank_check_backward_args(function, n, x1, x2, y, desc->reduction, dloss, dx1, dx2);
  }
  if (status == MRANK_SUCCESS) {
    status =
        mrank_check_outputs(function, n, &v, desc->reduction, x1, x2, y, dloss, NULL, dx1, dx2);
  }
  if (status != MRANK_SUCCESS) return status;
  if (ctx->is_host) return mrank_reference_backward_ex(desc, n, x1, x2, y, dloss, dx1, dx2);
  const int per_element = desc->reduction == MRANK_REDUCTION_NONE;
  host_op op = {desc->reduction,
                upstream_scale(&v, desc->reduction, n),
                per_element ? dloss : NULL,
                per_element ? NULL : dloss,
                2,
                {dx1, dx2},
                {MRANK_STAGE_OUT1, MRANK_STAGE_OUT2},
                NULL,
                enqueue_backward,
                NULL};
  return mrank_run_split(ctx, &v, n, desc->margin, x1, x2, y, &op);
}

static mrank_status forward_backward(const char *function, mrank_context *ctx,
                                     const mrank_desc *desc, size_t n, const void *x1,
                                     const void *x2, const void *y, void *loss, void *dx1,
                                     void *dx2) {
  mrank_variant v;
  mrank_status status = begin(function, ctx, desc, n, &v);
  if (status == MRANK_SUCCESS) {
    status = mrank_check_fused_args(function, n, x1, x2, y, desc->reduction, loss, dx1, dx2);
  }
  if (status == MRANK_SUCCESS) {
    status = mrank_check_outputs(function, n, &v, desc->reduction, x1, x2, y, NULL, loss, dx1, dx2);
  }
  if (status != MRANK_SUCCESS) return status;
  if (ctx->is_host) return mrank_reference_forward_backward_ex(desc, n, x1, x2, y, loss, dx1, dx2);
  const int reduced = desc->reduction != MRANK_REDUCTION_NONE;
  /* the loss of NONE lands in the staging slot DLOSS, unused here */
  host_op op = {desc->reduction,
                upstream_scale(&v, desc->reduction, n),
                NULL,
                NULL,
                reduced ? 2 : 3,
                {reduced ? dx1 : loss, reduced ? dx2 : dx1, reduced ? NULL : dx2},
                {reduced ? MRANK_STAGE_OUT1 : MRANK_STAGE_DLOSS,
                 reduced ? MRANK_STAGE_OUT2 : MRANK_STAGE_OUT1, MRANK_STAGE_OUT2},
                reduced ? loss : NULL,
                enqueue_fused,
                NULL};
  return mrank_run_split(ctx, &v, n, desc->margin, x1, x2, y, &op);
}

mrank_status mrank_reduce_host_partials(mrank_context *ctx, const mrank_variant *v,
                                        const void *partials, size_t count, double scale,
                                        void *result) {
  mrank_status status = MRANK_SUCCESS;
  double value[1] = {0.0}; /* room for the widest data type */
  MRANK_TRY(mrank_ensure_kernels(ctx, v));
  MRANK_TRY(mrank_ensure_partials(ctx, count, v->real_size));
  MRANK_TRY(mrank_ensure_buffer(ctx, &ctx->staging[MRANK_STAGE_OUT1],
                                &ctx->staging_bytes[MRANK_STAGE_OUT1], sizeof(double)));
  MRANK_CHECK_CL(clEnqueueWriteBuffer(ctx->queue, ctx->partials[0], CL_FALSE, 0,
                                      count * v->real_size, partials, 0, NULL, NULL),
                 "clEnqueueWriteBuffer (partial sums)");
  MRANK_TRY(
      mrank_enqueue_reduce_partials(ctx, v, count, scale, staged(ctx, MRANK_STAGE_OUT1), NULL));
  MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, value, v->data_size));
  MRANK_TRY(finish(ctx, MRANK_SUCCESS));
  memcpy(result, value, v->data_size);
  return MRANK_SUCCESS;
error:
  return finish(ctx, status);
}

/* ---- the public entry points: typed, and the float ones on top ---- */

static mrank_desc float_desc(mrank_reduction reduction, float margin) {
  mrank_desc desc = {MRANK_DTYPE_F32, MRANK_DTYPE_F32, reduction, margin};
  return desc;
}

mrank_status mrank_forward_ex(mrank_context *ctx, const mrank_desc *desc, size_t n, const void *x1,
                              const void *x2, const void *y, void *loss) {
  mrank_clear_error();
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status = forward("mrank_forward_ex", ctx, desc, n, x1, x2, y, loss);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_backward_ex(mrank_context *ctx, const mrank_desc *desc, size_t n, const void *x1,
                               const void *x2, const void *y, const void *dloss, void *dx1,
                               void *dx2) {
  mrank_clear_error();
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status =
      backward("mrank_backward_ex", ctx, desc, n, x1, x2, y, dloss, dx1, dx2);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_forward_backward_ex(mrank_context *ctx, const mrank_desc *desc, size_t n,
                                       const void *x1, const void *x2, const void *y, void *loss,
                                       void *dx1, void *dx2) {
  mrank_clear_error();
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status =
      forward_backward("mrank_forward_backward_ex", ctx, desc, n, x1, x2, y, loss, dx1, dx2);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_forward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                           const float *y, float margin, mrank_reduction reduction, float *loss) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status = forward("mrank_forward", ctx, &desc, n, x1, x2, y, loss);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_backward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                            const float *y, float margin, mrank_reduction reduction,
                            const float *dloss, float *dx1, float *dx2) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status = backward("mrank_backward", ctx, &desc, n, x1, x2, y, dloss, dx1, dx2);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_forward_backward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                                    const float *y, float margin, mrank_reduction reduction,
                                    float *loss, float *dx1, float *dx2) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status =
      forward_backward("mrank_forward_backward", ctx, &desc, n, x1, x2, y, loss, dx1, dx2);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}
