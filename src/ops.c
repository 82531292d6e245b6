/* ops.c: the forward and backward entry points on host arrays. Each call stages its inputs on the
 * device in chunks of at most ctx->chunk_elements, runs the same launches as the buffer entry
 * points (enqueue.c) and reads the results back, with one wait at the end. */
#include <math.h>

#include "args.h"
#include "enqueue.h"

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

static mrank_view staged(const mrank_context *ctx, mrank_staging_slot slot) {
  mrank_view view = {ctx->staging[slot], 0};
  return view;
}

static mrank_status upload(mrank_context *ctx, mrank_staging_slot slot, const float *source,
                           size_t elements) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_CHECK_CL(clEnqueueWriteBuffer(ctx->queue, ctx->staging[slot], CL_FALSE, 0,
                                      elements * sizeof(float), source, 0, NULL, NULL),
                 "clEnqueueWriteBuffer");
  return MRANK_SUCCESS;
error:
  return status;
}

static mrank_status download(mrank_context *ctx, mrank_staging_slot slot, float *target,
                             size_t elements) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_CHECK_CL(clEnqueueReadBuffer(ctx->queue, ctx->staging[slot], CL_FALSE, 0,
                                     elements * sizeof(float), target, 0, NULL, NULL),
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
                         const float *array, size_t elements, mrank_view *view) {
  mrank_status status = MRANK_SUCCESS;
  cl_int err = CL_SUCCESS;
  /* the driver only reads a CL_MEM_READ_ONLY buffer; the cast is the API's, not a write */
  cl_mem buffer = clCreateBuffer(ctx->cl_ctx, access | CL_MEM_USE_HOST_PTR,
                                 elements * sizeof(float), (void *)(size_t)array, &err);
  MRANK_CHECK_CL(err, "clCreateBuffer(CL_MEM_USE_HOST_PTR)");
  chunk->buffers[chunk->count++] = buffer;
  view->mem = buffer;
  view->offset = 0;
error:
  return status;
}

/* Makes the device's writes to a wrapped output visible in the caller's array. */
static mrank_status sync_output(mrank_context *ctx, mrank_view view, size_t elements) {
  mrank_status status = MRANK_SUCCESS;
  cl_int err = CL_SUCCESS;
  void *mapped = clEnqueueMapBuffer(ctx->queue, view.mem, CL_FALSE, CL_MAP_READ, 0,
                                    elements * sizeof(float), 0, NULL, NULL, &err);
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

static int overlap(const float *a, const float *b, size_t n) {
  return a != NULL && b != NULL && a < b + n && b < a + n;
}

/* Zero-copy needs outputs that share no memory with another array of the call (two buffers over
 * one host range are undefined in OpenCL); otherwise the staging copies handle aliasing. */
static int can_wrap(const mrank_context *ctx, size_t n, const float *const *inputs, int input_count,
                    const float *const *outputs, int output_count) {
  if (!ctx->zero_copy) return 0;
  for (int o = 0; o < output_count; ++o) {
    for (int i = 0; i < input_count; ++i) {
      if (overlap(outputs[o], inputs[i], n)) return 0;
    }
    for (int p = o + 1; p < output_count; ++p) {
      if (overlap(outputs[o], outputs[p], n)) return 0;
    }
  }
  return 1;
}

/* x1, x2, y of one chunk as kernel inputs: wrapped in place, or uploaded to the staging buffers. */
static mrank_status stage_inputs(mrank_context *ctx, wrapped_chunk *chunk, size_t count,
                                 const float *x1, const float *x2, const float *y, float margin,
                                 mrank_inputs *in) {
  mrank_status status = MRANK_SUCCESS;
  in->margin = margin;
  if (chunk != NULL) {
    MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, x1, count, &in->x1));
    MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, x2, count, &in->x2));
    MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, y, count, &in->y));
    return MRANK_SUCCESS;
  }
  MRANK_TRY(upload(ctx, MRANK_STAGE_X1, x1, count));
  MRANK_TRY(upload(ctx, MRANK_STAGE_X2, x2, count));
  MRANK_TRY(upload(ctx, MRANK_STAGE_Y, y, count));
  in->x1 = staged(ctx, MRANK_STAGE_X1);
  in->x2 = staged(ctx, MRANK_STAGE_X2);
  in->y = staged(ctx, MRANK_STAGE_Y);
error:
  return status;
}

static mrank_status prepare(mrank_context *ctx, size_t n, const mrank_staging_slot *slots,
                            size_t slot_count) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_TRY(mrank_ensure_kernels(ctx));
  const size_t chunk = min_size(n, ctx->chunk_elements);
  for (size_t s = 0; s < slot_count; ++s) {
    MRANK_TRY(
        mrank_ensure_buffer(ctx, &ctx->staging[slots[s]], &ctx->staging_elements[slots[s]], chunk));
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

mrank_status mrank_forward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                           const float *y, float margin, mrank_reduction reduction, float *loss) {
  mrank_status status = MRANK_SUCCESS;
  wrapped_chunk wrapped = {{NULL}, 0};
  mrank_clear_error();
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_forward: ctx is NULL; create one with mrank_context_create");
  MRANK_TRY(mrank_check_forward_args("mrank_forward", n, x1, x2, y, reduction, loss));
  if (ctx->is_host) return mrank_reference_forward(n, x1, x2, y, margin, reduction, loss);
  if (n == 0) {
    if (reduction != MRANK_REDUCTION_NONE) *loss = reduction == MRANK_REDUCTION_MEAN ? NAN : 0.0f;
    return MRANK_SUCCESS;
  }
  const mrank_staging_slot slots[] = {MRANK_STAGE_X1, MRANK_STAGE_X2, MRANK_STAGE_Y,
                                      MRANK_STAGE_OUT1};
  MRANK_TRY(prepare(ctx, n, slots, sizeof slots / sizeof slots[0]));
  if (reduction != MRANK_REDUCTION_NONE) {
    MRANK_TRY(mrank_ensure_partials(ctx, mrank_total_partials(ctx, n)));
  }
  const float *inputs[] = {x1, x2, y};
  const float *outputs[] = {loss};
  wrapped_chunk *chunk =
      can_wrap(ctx, n, inputs, 3, outputs, reduction == MRANK_REDUCTION_NONE) ? &wrapped : NULL;
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    const size_t count = min_size(ctx->chunk_elements, n - offset);
    mrank_inputs in;
    MRANK_TRY(stage_inputs(ctx, chunk, count, x1 + offset, x2 + offset, y + offset, margin, &in));
    if (reduction == MRANK_REDUCTION_NONE && chunk != NULL) {
      mrank_view out;
      MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, loss + offset, count, &out));
      MRANK_TRY(mrank_enqueue_forward_none(ctx, count, &in, out, NULL));
      MRANK_TRY(sync_output(ctx, out, count));
    } else if (reduction == MRANK_REDUCTION_NONE) {
      MRANK_TRY(mrank_enqueue_forward_none(ctx, count, &in, staged(ctx, MRANK_STAGE_OUT1), NULL));
      MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, loss + offset, count));
    } else {
      MRANK_TRY(mrank_enqueue_forward_sum64(ctx, count, &in, partials_used));
      partials_used += mrank_first_pass_outputs(count);
    }
    if (chunk != NULL) release_chunk(chunk);
  }
  if (reduction == MRANK_REDUCTION_NONE) return finish(ctx, MRANK_SUCCESS);
  float result = 0.0f;
  MRANK_TRY(mrank_enqueue_reduce_partials(
      ctx, partials_used, reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f,
      staged(ctx, MRANK_STAGE_OUT1), NULL));
  MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, &result, 1));
  MRANK_TRY(finish(ctx, MRANK_SUCCESS));
  *loss = result; /* written only once everything succeeded */
  return MRANK_SUCCESS;
error:
  release_chunk(&wrapped);
  return ctx != NULL && ctx->queue != NULL ? finish(ctx, status) : status;
}

mrank_status mrank_backward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                            const float *y, float margin, mrank_reduction reduction,
                            const float *dloss, float *dx1, float *dx2) {
  mrank_status status = MRANK_SUCCESS;
  wrapped_chunk wrapped = {{NULL}, 0};
  mrank_clear_error();
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_backward: ctx is NULL; create one with mrank_context_create");
  MRANK_TRY(mrank_check_backward_args("mrank_backward", n, x1, x2, y, reduction, dloss, dx1, dx2));
  if (ctx->is_host) {
    return mrank_reference_backward(n, x1, x2, y, margin, reduction, dloss, dx1, dx2);
  }
  if (n == 0) return MRANK_SUCCESS;
  const mrank_staging_slot slots[] = {MRANK_STAGE_X1,    MRANK_STAGE_X2,   MRANK_STAGE_Y,
                                      MRANK_STAGE_DLOSS, MRANK_STAGE_OUT1, MRANK_STAGE_OUT2};
  MRANK_TRY(prepare(ctx, n, slots, sizeof slots / sizeof slots[0]));
  const float scale = reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f;
  /* the scalar upstream gradient goes up once, before any chunk can overwrite an aliased dloss */
  if (reduction != MRANK_REDUCTION_NONE) MRANK_TRY(upload(ctx, MRANK_STAGE_DLOSS, dloss, 1));
  const float *inputs[] = {x1, x2, y, reduction == MRANK_REDUCTION_NONE ? dloss : NULL};
  const float *outputs[] = {dx1, dx2};
  wrapped_chunk *chunk = can_wrap(ctx, n, inputs, 4, outputs, 2) ? &wrapped : NULL;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    const size_t count = min_size(ctx->chunk_elements, n - offset);
    mrank_inputs in;
    mrank_view upstream = staged(ctx, MRANK_STAGE_DLOSS), out1 = staged(ctx, MRANK_STAGE_OUT1),
               out2 = staged(ctx, MRANK_STAGE_OUT2);
    MRANK_TRY(stage_inputs(ctx, chunk, count, x1 + offset, x2 + offset, y + offset, margin, &in));
    if (chunk != NULL) {
      if (reduction == MRANK_REDUCTION_NONE) {
        MRANK_TRY(wrap(ctx, chunk, CL_MEM_READ_ONLY, dloss + offset, count, &upstream));
      }
      MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, dx1 + offset, count, &out1));
      MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, dx2 + offset, count, &out2));
    } else if (reduction == MRANK_REDUCTION_NONE) {
      MRANK_TRY(upload(ctx, MRANK_STAGE_DLOSS, dloss + offset, count));
    }
    MRANK_TRY(
        mrank_enqueue_backward(ctx, count, &in, reduction, upstream, scale, out1, out2, NULL));
    if (chunk != NULL) {
      MRANK_TRY(sync_output(ctx, out1, count));
      MRANK_TRY(sync_output(ctx, out2, count));
      release_chunk(chunk);
    } else {
      MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, dx1 + offset, count));
      MRANK_TRY(download(ctx, MRANK_STAGE_OUT2, dx2 + offset, count));
    }
  }
  return finish(ctx, MRANK_SUCCESS);
error:
  release_chunk(&wrapped);
  return ctx != NULL && ctx->queue != NULL ? finish(ctx, status) : status;
}

mrank_status mrank_forward_backward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                                    const float *y, float margin, mrank_reduction reduction,
                                    float *loss, float *dx1, float *dx2) {
  mrank_status status = MRANK_SUCCESS;
  wrapped_chunk wrapped = {{NULL}, 0};
  mrank_clear_error();
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_forward_backward: ctx is NULL; create one with mrank_context_create");
  MRANK_TRY(
      mrank_check_fused_args("mrank_forward_backward", n, x1, x2, y, reduction, loss, dx1, dx2));
  if (ctx->is_host) {
    return mrank_reference_forward_backward(n, x1, x2, y, margin, reduction, loss, dx1, dx2);
  }
  if (n == 0) {
    if (reduction != MRANK_REDUCTION_NONE) *loss = reduction == MRANK_REDUCTION_MEAN ? NAN : 0.0f;
    return MRANK_SUCCESS;
  }
  const mrank_staging_slot slots[] = {MRANK_STAGE_X1,   MRANK_STAGE_X2,   MRANK_STAGE_Y,
                                      MRANK_STAGE_OUT1, MRANK_STAGE_OUT2, MRANK_STAGE_DLOSS};
  MRANK_TRY(prepare(ctx, n, slots, sizeof slots / sizeof slots[0]));
  const int reduced = reduction != MRANK_REDUCTION_NONE;
  const float scale = reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f;
  if (reduced) MRANK_TRY(mrank_ensure_partials(ctx, mrank_total_partials(ctx, n)));
  const float *inputs[] = {x1, x2, y};
  const float *outputs[] = {dx1, dx2, reduced ? NULL : loss};
  wrapped_chunk *chunk = can_wrap(ctx, n, inputs, 3, outputs, 3) ? &wrapped : NULL;
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    const size_t count = min_size(ctx->chunk_elements, n - offset);
    mrank_inputs in;
    /* the loss of NONE lands in the staging slot DLOSS, unused here */
    mrank_view out_loss = staged(ctx, MRANK_STAGE_DLOSS), out1 = staged(ctx, MRANK_STAGE_OUT1),
               out2 = staged(ctx, MRANK_STAGE_OUT2);
    MRANK_TRY(stage_inputs(ctx, chunk, count, x1 + offset, x2 + offset, y + offset, margin, &in));
    if (chunk != NULL) {
      if (!reduced) MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, loss + offset, count, &out_loss));
      MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, dx1 + offset, count, &out1));
      MRANK_TRY(wrap(ctx, chunk, CL_MEM_WRITE_ONLY, dx2 + offset, count, &out2));
    }
    if (reduced) {
      MRANK_TRY(mrank_enqueue_fused_sum64(ctx, count, &in, scale, out1, out2, partials_used));
      partials_used += mrank_first_pass_outputs(count);
    } else {
      MRANK_TRY(mrank_enqueue_fused_none(ctx, count, &in, out_loss, out1, out2, NULL));
    }
    if (chunk != NULL) {
      if (!reduced) MRANK_TRY(sync_output(ctx, out_loss, count));
      MRANK_TRY(sync_output(ctx, out1, count));
      MRANK_TRY(sync_output(ctx, out2, count));
      release_chunk(chunk);
    } else {
      if (!reduced) MRANK_TRY(download(ctx, MRANK_STAGE_DLOSS, loss + offset, count));
      MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, dx1 + offset, count));
      MRANK_TRY(download(ctx, MRANK_STAGE_OUT2, dx2 + offset, count));
    }
  }
  if (!reduced) return finish(ctx, MRANK_SUCCESS);
  float result = 0.0f;
  MRANK_TRY(mrank_enqueue_reduce_partials(ctx, partials_used, scale, staged(ctx, MRANK_STAGE_OUT1),
                                          NULL));
  MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, &result, 1));
  MRANK_TRY(finish(ctx, MRANK_SUCCESS));
  *loss = result;
  return MRANK_SUCCESS;
error:
  release_chunk(&wrapped);
  return ctx != NULL && ctx->queue != NULL ? finish(ctx, status) : status;
}
