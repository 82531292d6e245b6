/* buffers.c: the entry points on the caller's device buffers (cl_mem + element offsets), enqueued
 * without waiting, as CLBlast's C API does. */
#include <math.h>

#include "args.h"
#include "enqueue.h"

/* The buffer must belong to the context and hold `offset + count` floats. */
static mrank_status check_buffer(const mrank_context *ctx, const char *function, const char *name,
                                 cl_mem buffer, size_t offset, size_t count) {
  if (buffer == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL; pass a cl_mem of the context",
                      function, name);
  }
  size_t bytes = 0;
  cl_context owner = NULL;
  cl_int err = clGetMemObjectInfo(buffer, CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
  if (err == CL_SUCCESS)
    err = clGetMemObjectInfo(buffer, CL_MEM_CONTEXT, sizeof owner, &owner, NULL);
  if (err != CL_SUCCESS) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is not a valid cl_mem (%s)", function,
                      name, mrank_cl_error_name(err));
  }
  if (owner != ctx->cl_ctx) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: %s belongs to another OpenCL context; create it in "
                      "mrank_context_cl_context(ctx)",
                      function, name);
  }
  const size_t capacity = bytes / sizeof(float);
  if (offset > capacity || count > capacity - offset) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: %s holds %zu floats, too few for offset %zu + %zu elements", function,
                      name, capacity, offset, count);
  }
  return MRANK_SUCCESS;
}

static mrank_status check_context(const mrank_context *ctx, const char *function) {
  if (ctx == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: ctx is NULL; create one with mrank_context_create", function);
  }
  if (ctx->is_host) {
    return mrank_fail(MRANK_ERROR_UNSUPPORTED,
                      "%s: the \"host\" context has no OpenCL buffers; use mrank_forward and "
                      "mrank_backward on host arrays, or an OpenCL device",
                      function);
  }
  return MRANK_SUCCESS;
}

static mrank_status check_inputs(const mrank_context *ctx, const char *function, size_t n,
                                 const mrank_inputs *in) {
  mrank_status status = check_buffer(ctx, function, "x1", in->x1.mem, in->x1.offset, n);
  if (status == MRANK_SUCCESS)
    status = check_buffer(ctx, function, "x2", in->x2.mem, in->x2.offset, n);
  if (status == MRANK_SUCCESS)
    status = check_buffer(ctx, function, "y", in->y.mem, in->y.offset, n);
  return status;
}

static mrank_status check_reduction(const char *function, mrank_reduction reduction) {
  /* the host-array checks know the enum; reuse them with stand-in pointers */
  const float dummy = 0.0f;
  return mrank_check_forward_args(function, 0, NULL, NULL, NULL, reduction, &dummy);
}

mrank_status mrank_forward_buffers(mrank_context *ctx, size_t n, cl_mem x1, size_t x1_offset,
                                   cl_mem x2, size_t x2_offset, cl_mem y, size_t y_offset,
                                   float margin, mrank_reduction reduction, cl_mem loss,
                                   size_t loss_offset, cl_event *event) {
  static const char function[] = "mrank_forward_buffers";
  mrank_status status = MRANK_SUCCESS;
  const mrank_inputs in = {{x1, x1_offset}, {x2, x2_offset}, {y, y_offset}, margin};
  const mrank_view out = {loss, loss_offset};
  mrank_clear_error();
  MRANK_TRY(check_context(ctx, function));
  MRANK_TRY(check_reduction(function, reduction));
  if (n > 0) MRANK_TRY(check_inputs(ctx, function, n, &in));
  if (n > 0 || reduction != MRANK_REDUCTION_NONE) {
    MRANK_TRY(check_buffer(ctx, function, "loss", loss, loss_offset,
                           reduction == MRANK_REDUCTION_NONE ? n : 1));
  }
  if (event != NULL) *event = NULL;
  MRANK_TRY(mrank_ensure_kernels(ctx));
  if (reduction == MRANK_REDUCTION_NONE) {
    if (n == 0) return MRANK_SUCCESS;
    return mrank_enqueue_forward_none(ctx, n, &in, out, event);
  }
  if (n == 0) {
    const float empty = reduction == MRANK_REDUCTION_MEAN ? NAN : 0.0f;
    MRANK_CHECK_CL(clEnqueueWriteBuffer(ctx->queue, loss, CL_TRUE, loss_offset * sizeof(float),
                                        sizeof(float), &empty, 0, NULL, event),
                   "clEnqueueWriteBuffer");
    return MRANK_SUCCESS;
  }
  /* the same chunks as the host-array path, so the same tree and the same bits */
  MRANK_TRY(mrank_ensure_partials(ctx, mrank_total_partials(ctx, n)));
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    const size_t count = n - offset < ctx->chunk_elements ? n - offset : ctx->chunk_elements;
    const mrank_inputs chunk = {
        {x1, x1_offset + offset}, {x2, x2_offset + offset}, {y, y_offset + offset}, margin};
    MRANK_TRY(mrank_enqueue_forward_sum64(ctx, count, &chunk, partials_used));
    partials_used += mrank_first_pass_outputs(count);
  }
  return mrank_enqueue_reduce_partials(
      ctx, partials_used, reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f, out,
      event);
error:
  return status;
}

mrank_status mrank_backward_buffers(mrank_context *ctx, size_t n, cl_mem x1, size_t x1_offset,
                                    cl_mem x2, size_t x2_offset, cl_mem y, size_t y_offset,
                                    float margin, mrank_reduction reduction, cl_mem dloss,
                                    size_t dloss_offset, cl_mem dx1, size_t dx1_offset, cl_mem dx2,
                                    size_t dx2_offset, cl_event *event) {
  static const char function[] = "mrank_backward_buffers";
  mrank_status status = MRANK_SUCCESS;
  const mrank_inputs in = {{x1, x1_offset}, {x2, x2_offset}, {y, y_offset}, margin};
  mrank_clear_error();
  MRANK_TRY(check_context(ctx, function));
  MRANK_TRY(check_reduction(function, reduction));
  if (event != NULL) *event = NULL;
  if (n == 0) return MRANK_SUCCESS;
  MRANK_TRY(check_inputs(ctx, function, n, &in));
  MRANK_TRY(check_buffer(ctx, function, "dloss", dloss, dloss_offset,
                         reduction == MRANK_REDUCTION_NONE ? n : 1));
  MRANK_TRY(check_buffer(ctx, function, "dx1", dx1, dx1_offset, n));
  MRANK_TRY(check_buffer(ctx, function, "dx2", dx2, dx2_offset, n));
  MRANK_TRY(mrank_ensure_kernels(ctx));
  const mrank_view upstream = {dloss, dloss_offset}, out1 = {dx1, dx1_offset},
                   out2 = {dx2, dx2_offset};
  return mrank_enqueue_backward(ctx, n, &in, reduction, upstream,
                                reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f,
                                out1, out2, event);
error:
  return status;
}

mrank_status mrank_forward_backward_buffers(mrank_context *ctx, size_t n, cl_mem x1,
                                            size_t x1_offset, cl_mem x2, size_t x2_offset, cl_mem y,
                                            size_t y_offset, float margin,
                                            mrank_reduction reduction, cl_mem loss,
                                            size_t loss_offset, cl_mem dx1, size_t dx1_offset,
                                            cl_mem dx2, size_t dx2_offset, cl_event *event) {
  static const char function[] = "mrank_forward_backward_buffers";
  mrank_status status = MRANK_SUCCESS;
  const mrank_inputs in = {{x1, x1_offset}, {x2, x2_offset}, {y, y_offset}, margin};
  const mrank_view out = {loss, loss_offset}, out1 = {dx1, dx1_offset}, out2 = {dx2, dx2_offset};
  const int reduced = reduction != MRANK_REDUCTION_NONE;
  mrank_clear_error();
  MRANK_TRY(check_context(ctx, function));
  MRANK_TRY(check_reduction(function, reduction));
  if (event != NULL) *event = NULL;
  if (n == 0) {
    /* nothing to differentiate: the empty reduction is the forward's */
    return mrank_forward_buffers(ctx, 0, x1, x1_offset, x2, x2_offset, y, y_offset, margin,
                                 reduction, loss, loss_offset, event);
  }
  MRANK_TRY(check_inputs(ctx, function, n, &in));
  MRANK_TRY(check_buffer(ctx, function, "loss", loss, loss_offset, reduced ? 1 : n));
  MRANK_TRY(check_buffer(ctx, function, "dx1", dx1, dx1_offset, n));
  MRANK_TRY(check_buffer(ctx, function, "dx2", dx2, dx2_offset, n));
  MRANK_TRY(mrank_ensure_kernels(ctx));
  if (!reduced) return mrank_enqueue_fused_none(ctx, n, &in, out, out1, out2, event);
  const float scale = reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f;
  MRANK_TRY(mrank_ensure_partials(ctx, mrank_total_partials(ctx, n)));
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    const size_t count = n - offset < ctx->chunk_elements ? n - offset : ctx->chunk_elements;
    const mrank_inputs chunk = {
        {x1, x1_offset + offset}, {x2, x2_offset + offset}, {y, y_offset + offset}, margin};
    const mrank_view chunk_dx1 = {dx1, dx1_offset + offset}, chunk_dx2 = {dx2, dx2_offset + offset};
    MRANK_TRY(
        mrank_enqueue_fused_sum64(ctx, count, &chunk, scale, chunk_dx1, chunk_dx2, partials_used));
    partials_used += mrank_first_pass_outputs(count);
  }
  return mrank_enqueue_reduce_partials(ctx, partials_used, scale, out, event);
error:
  return status;
}
