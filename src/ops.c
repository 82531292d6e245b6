/* ops.c: the forward and backward entry points on host arrays, for every type. Each call stages its
 * inputs on the device in chunks of at most ctx->chunk_elements (or wraps the caller's arrays in
 * place on a host-unified device), runs the same launches as the buffer entry points (enqueue.c)
 * and reads the results back, with one wait at the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "enqueue.h"

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
  cl_mem buffers[6];
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

/* The value of an empty reduction (SUM 0, MEAN NaN), written in the data type. */
static void store_empty_reduction(const mrank_variant *v, mrank_reduction reduction, void *loss) {
  const float value = reduction == MRANK_REDUCTION_MEAN ? NAN : 0.0f;
  if (v->data == MRANK_DTYPE_F64) {
    const double wide = value;
    memcpy(loss, &wide, sizeof wide);
  } else if (v->data == MRANK_DTYPE_F16 || v->data == MRANK_DTYPE_BF16) {
    const unsigned short bits =
        v->data == MRANK_DTYPE_F16 ? mrank_half_from_float(value) : mrank_bf16_from_float(value);
    memcpy(loss, &bits, sizeof bits);
  } else {
    memcpy(loss, &value, sizeof value);
  }
}

static mrank_status forward(const char *function, mrank_context *ctx, const mrank_desc *desc,
                            size_t n, const void *x1, const void *x2, const void *y, void *loss) {
  mrank_status status = MRANK_SUCCESS;
  wrapped_chunk wrapped = {{NULL}, 0};
  held_outputs held = {{NULL}, {NULL}, 0};
  mrank_variant variant;
  const mrank_variant *v = &variant;
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: ctx is NULL; create one with mrank_context_create", function);
  MRANK_TRY(mrank_variant_of(function, desc, &variant));
  const mrank_reduction reduction = desc->reduction;
  MRANK_TRY(mrank_check_forward_args(function, n, x1, x2, y, reduction, loss));
  if (ctx->is_host) return mrank_reference_forward_ex(desc, n, x1, x2, y, loss);
  if (n == 0) {
    if (reduction != MRANK_REDUCTION_NONE) store_empty_reduction(v, reduction, loss);
    return MRANK_SUCCESS;
  }
  const mrank_staging_slot slots[] = {MRANK_STAGE_X1, MRANK_STAGE_X2, MRANK_STAGE_Y,
                                      MRANK_STAGE_OUT1};
  MRANK_TRY(prepare(ctx, v, n, slots, sizeof slots / sizeof slots[0]));
  const int reduced = reduction != MRANK_REDUCTION_NONE;
  if (reduced) MRANK_TRY(mrank_ensure_partials(ctx, mrank_first_pass_outputs(n), v->real_size));
  const byte_range inputs[] = {
      {x1, n * v->data_size}, {x2, n * v->data_size}, {y, n * v->label_size}};
  const byte_range outputs[] = {{loss, n * v->data_size}};
  wrapped_chunk *chunk = can_wrap(ctx, inputs, 3, outputs, !reduced) ? &wrapped : NULL;
  const size_t step = pass_elements(ctx, v, chunk != NULL);
  if (!reduced) {
    void *held_arrays[] = {loss};
    MRANK_TRY(hold_outputs(&held, n > step, n * v->data_size, held_arrays, 1));
    loss = held_arrays[0];
  }
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += step) {
    const size_t count = min_size(step, n - offset);
    const size_t out_bytes = count * v->data_size;
    mrank_inputs in;
    MRANK_TRY(stage_inputs(ctx, v, chunk, count, at(x1, offset, v->data_size),
                           at(x2, offset, v->data_size), at(y, offset, v->label_size), desc->margin,
                           &in));
    if (reduced) {
      MRANK_TRY(mrank_enqueue_forward_sum64(ctx, v, count, &in, partials_used));
      partials_used += mrank_first_pass_outputs(count);
    } else if (chunk != NULL) {
      mrank_view out;
      MRANK_TRY(
          wrap(ctx, chunk, CL_MEM_WRITE_ONLY, at(loss, offset, v->data_size), out_bytes, &out));
      MRANK_TRY(mrank_enqueue_forward_none(ctx, v, count, &in, out, NULL));
      MRANK_TRY(sync_output(ctx, out, out_bytes));
    } else {
      MRANK_TRY(
          mrank_enqueue_forward_none(ctx, v, count, &in, staged(ctx, MRANK_STAGE_OUT1), NULL));
      MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, at_mutable(loss, offset, v->data_size), out_bytes));
    }
    if (chunk != NULL) release_chunk(chunk);
  }
  if (!reduced) {
    status = finish(ctx, MRANK_SUCCESS);
    release_outputs(&held, status == MRANK_SUCCESS);
    return status;
  }
  double result[1] = {0.0}; /* room for the widest data type */
  MRANK_TRY(mrank_enqueue_reduce_partials(
      ctx, v, partials_used, reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale_for(v, n) : 1.0,
      staged(ctx, MRANK_STAGE_OUT1), NULL));
  MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, result, v->data_size));
  MRANK_TRY(finish(ctx, MRANK_SUCCESS));
  memcpy(loss, result, v->data_size); /* written only once everything succeeded */
  return MRANK_SUCCESS;
error:
  release_chunk(&wrapped);
  if (ctx != NULL && ctx->queue != NULL) status = finish(ctx, status);
  release_outputs(&held, 0);
  return status;
}

static mrank_status backward(const char *function, mrank_context *ctx, const mrank_desc *desc,
                             size_t n, const void *x1, const void *x2, const void *y,
                             const void *dloss, void *dx1, void *dx2) {
  mrank_status status = MRANK_SUCCESS;
  wrapped_chunk wrapped = {{NULL}, 0};
  held_outputs held = {{NULL}, {NULL}, 0};
  mrank_variant variant;
  const mrank_variant *v = &variant;
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: ctx is NULL; create one with mrank_context_create", function);
  MRANK_TRY(mrank_variant_of(function, desc, &variant));
  const mrank_reduction reduction = desc->reduction;
  MRANK_TRY(mrank_check_backward_args(function, n, x1, x2, y, reduction, dloss, dx1, dx2));
  if (ctx->is_host) return mrank_reference_backward_ex(desc, n, x1, x2, y, dloss, dx1, dx2);
  if (n == 0) return MRANK_SUCCESS;
  const mrank_staging_slot slots[] = {MRANK_STAGE_X1,    MRANK_STAGE_X2,   MRANK_STAGE_Y,
                                      MRANK_STAGE_DLOSS, MRANK_STAGE_OUT1, MRANK_STAGE_OUT2};
  MRANK_TRY(prepare(ctx, v, n, slots, sizeof slots / sizeof slots[0]));
  const double scale = reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale_for(v, n) : 1.0;
  const int per_element = reduction == MRANK_REDUCTION_NONE;
  /* the scalar upstream gradient goes up once, before any chunk can overwrite an aliased dloss */
  if (!per_element) MRANK_TRY(upload(ctx, MRANK_STAGE_DLOSS, dloss, v->data_size));
  const size_t bytes = n * v->data_size;
  const byte_range inputs[] = {
      {x1, bytes}, {x2, bytes}, {y, n * v->label_size}, {per_element ? dloss : NULL, bytes}};
  const byte_range outputs[] = {{dx1, bytes}, {dx2, bytes}};
  wrapped_chunk *chunk = can_wrap(ctx, inputs, 4, outputs, 2) ? &wrapped : NULL;
  const size_t step = pass_elements(ctx, v, chunk != NULL);
  void *held_arrays[] = {dx1, dx2};
  MRANK_TRY(hold_outputs(&held, n > step, bytes, held_arrays, 2));
  dx1 = held_arrays[0];
  dx2 = held_arrays[1];
  for (size_t offset = 0; offset < n; offset += step) {
    const size_t count = min_size(step, n - offset);
    const size_t chunk_bytes = count * v->data_size;
    mrank_inputs in;
    mrank_view upstream = staged(ctx, MRANK_STAGE_DLOSS), out1 = staged(ctx, MRANK_STAGE_OUT1),
               out2 = staged(ctx, MRANK_STAGE_OUT2);
    MRANK_TRY(stage_inputs(ctx, v, chunk, count, at(x1, offset, v->data_size),
                           at(x2, offset, v->data_size), at(y, offset, v->label_size), desc->margin,
                           &in));
    if (chunk != NULL) {
      if (per_element) {
        MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, at(dloss, offset, v->data_size), chunk_bytes,
                       &upstream));
      }
      MRANK_TRY(
          wrap(ctx, chunk, CL_MEM_WRITE_ONLY, at(dx1, offset, v->data_size), chunk_bytes, &out1));
      MRANK_TRY(
          wrap(ctx, chunk, CL_MEM_WRITE_ONLY, at(dx2, offset, v->data_size), chunk_bytes, &out2));
    } else if (per_element) {
      MRANK_TRY(upload(ctx, MRANK_STAGE_DLOSS, at(dloss, offset, v->data_size), chunk_bytes));
    }
    MRANK_TRY(
        mrank_enqueue_backward(ctx, v, count, &in, reduction, upstream, scale, out1, out2, NULL));
    if (chunk != NULL) {
      MRANK_TRY(sync_output(ctx, out1, chunk_bytes));
      MRANK_TRY(sync_output(ctx, out2, chunk_bytes));
      release_chunk(chunk);
    } else {
      MRANK_TRY(
          download(ctx, MRANK_STAGE_OUT1, at_mutable(dx1, offset, v->data_size), chunk_bytes));
      MRANK_TRY(
          download(ctx, MRANK_STAGE_OUT2, at_mutable(dx2, offset, v->data_size), chunk_bytes));
    }
  }
  status = finish(ctx, MRANK_SUCCESS);
  release_outputs(&held, status == MRANK_SUCCESS);
  return status;
error:
  release_chunk(&wrapped);
  if (ctx != NULL && ctx->queue != NULL) status = finish(ctx, status);
  release_outputs(&held, 0);
  return status;
}

static mrank_status forward_backward(const char *function, mrank_context *ctx,
                                     const mrank_desc *desc, size_t n, const void *x1,
                                     const void *x2, const void *y, void *loss, void *dx1,
                                     void *dx2) {
  mrank_status status = MRANK_SUCCESS;
  wrapped_chunk wrapped = {{NULL}, 0};
  held_outputs held = {{NULL}, {NULL}, 0};
  mrank_variant variant;
  const mrank_variant *v = &variant;
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: ctx is NULL; create one with mrank_context_create", function);
  MRANK_TRY(mrank_variant_of(function, desc, &variant));
  const mrank_reduction reduction = desc->reduction;
  MRANK_TRY(mrank_check_fused_args(function, n, x1, x2, y, reduction, loss, dx1, dx2));
  if (ctx->is_host) return mrank_reference_forward_backward_ex(desc, n, x1, x2, y, loss, dx1, dx2);
  if (n == 0) {
    if (reduction != MRANK_REDUCTION_NONE) store_empty_reduction(v, reduction, loss);
    return MRANK_SUCCESS;
  }
  const mrank_staging_slot slots[] = {MRANK_STAGE_X1,   MRANK_STAGE_X2,   MRANK_STAGE_Y,
                                      MRANK_STAGE_OUT1, MRANK_STAGE_OUT2, MRANK_STAGE_DLOSS};
  MRANK_TRY(prepare(ctx, v, n, slots, sizeof slots / sizeof slots[0]));
  const int reduced = reduction != MRANK_REDUCTION_NONE;
  const double scale = reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale_for(v, n) : 1.0;
  if (reduced) MRANK_TRY(mrank_ensure_partials(ctx, mrank_first_pass_outputs(n), v->real_size));
  const size_t bytes = n * v->data_size;
  const byte_range inputs[] = {{x1, bytes}, {x2, bytes}, {y, n * v->label_size}};
  const byte_range outputs[] = {{dx1, bytes}, {dx2, bytes}, {reduced ? NULL : loss, bytes}};
  wrapped_chunk *chunk = can_wrap(ctx, inputs, 3, outputs, 3) ? &wrapped : NULL;
  const size_t step = pass_elements(ctx, v, chunk != NULL);
  void *held_arrays[] = {dx1, dx2, reduced ? NULL : loss};
  MRANK_TRY(hold_outputs(&held, n > step, bytes, held_arrays, 3));
  dx1 = held_arrays[0];
  dx2 = held_arrays[1];
  if (!reduced) loss = held_arrays[2];
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += step) {
    const size_t count = min_size(step, n - offset);
    const size_t chunk_bytes = count * v->data_size;
    mrank_inputs in;
    /* the loss of NONE lands in the staging slot DLOSS, unused here */
    mrank_view out_loss = staged(ctx, MRANK_STAGE_DLOSS), out1 = staged(ctx, MRANK_STAGE_OUT1),
               out2 = staged(ctx, MRANK_STAGE_OUT2);
    MRANK_TRY(stage_inputs(ctx, v, chunk, count, at(x1, offset, v->data_size),
                           at(x2, offset, v->data_size), at(y, offset, v->label_size), desc->margin,
                           &in));
    if (chunk != NULL) {
      if (!reduced) {
        MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, at(loss, offset, v->data_size), chunk_bytes,
                       &out_loss));
      }
      MRANK_TRY(
          wrap(ctx, chunk, CL_MEM_WRITE_ONLY, at(dx1, offset, v->data_size), chunk_bytes, &out1));
      MRANK_TRY(
          wrap(ctx, chunk, CL_MEM_WRITE_ONLY, at(dx2, offset, v->data_size), chunk_bytes, &out2));
    }
    if (reduced) {
      MRANK_TRY(mrank_enqueue_fused_sum64(ctx, v, count, &in, scale, out1, out2, partials_used));
      partials_used += mrank_first_pass_outputs(count);
    } else {
      MRANK_TRY(mrank_enqueue_fused_none(ctx, v, count, &in, out_loss, out1, out2, NULL));
    }
    if (chunk != NULL) {
      if (!reduced) MRANK_TRY(sync_output(ctx, out_loss, chunk_bytes));
      MRANK_TRY(sync_output(ctx, out1, chunk_bytes));
      MRANK_TRY(sync_output(ctx, out2, chunk_bytes));
      release_chunk(chunk);
    } else {
      if (!reduced) {
        MRANK_TRY(
            download(ctx, MRANK_STAGE_DLOSS, at_mutable(loss, offset, v->data_size), chunk_bytes));
      }
      MRANK_TRY(
          download(ctx, MRANK_STAGE_OUT1, at_mutable(dx1, offset, v->data_size), chunk_bytes));
      MRANK_TRY(
          download(ctx, MRANK_STAGE_OUT2, at_mutable(dx2, offset, v->data_size), chunk_bytes));
    }
  }
  if (!reduced) {
    status = finish(ctx, MRANK_SUCCESS);
    release_outputs(&held, status == MRANK_SUCCESS);
    return status;
  }
  double result[1] = {0.0};
  MRANK_TRY(mrank_enqueue_reduce_partials(ctx, v, partials_used, scale,
                                          staged(ctx, MRANK_STAGE_OUT1), NULL));
  MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, result, v->data_size));
  MRANK_TRY(finish(ctx, MRANK_SUCCESS));
  release_outputs(&held, 1);
  memcpy(loss, result, v->data_size);
  return MRANK_SUCCESS;
error:
  release_chunk(&wrapped);
  if (ctx != NULL && ctx->queue != NULL) status = finish(ctx, status);
  release_outputs(&held, 0);
  return status;
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
