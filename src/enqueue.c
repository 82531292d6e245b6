/* enqueue.c: set the arguments of a kernel and enqueue it with mrank's fixed work-group size. */
#include "enqueue.h"

typedef struct kernel_arg {
  size_t size;
  const void *value; /* NULL: local memory of `size` bytes */
} kernel_arg;

#define MRANK_ARG(variable) \
  { sizeof(variable), &(variable) }
#define MRANK_VIEW_ARGS(view) MRANK_ARG((view).mem), MRANK_ARG((view).offset)

static mrank_status launch(mrank_context *ctx, mrank_kernel_id id, const kernel_arg *args,
                           cl_uint arg_count, size_t work_items, cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  cl_kernel kernel = ctx->kernels[id];
  for (cl_uint a = 0; a < arg_count; ++a) {
    MRANK_CHECK_CL(clSetKernelArg(kernel, a, args[a].size, args[a].value), "clSetKernelArg");
  }
  /* an explicit local size: PoCL picks a poor one when left to itself, and the tree sums need it */
  const size_t local = ctx->local_size;
  const size_t global = (work_items + local - 1) / local * local;
  MRANK_CHECK_CL(
      clEnqueueNDRangeKernel(ctx->queue, kernel, 1, NULL, &global, &local, 0, NULL, event),
      "clEnqueueNDRangeKernel");
  return MRANK_SUCCESS;
error:
  return status;
}

mrank_status mrank_enqueue_forward_none(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                        mrank_view loss, cl_event *event) {
  const cl_ulong count = n;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),  MRANK_ARG(in->margin),
                             MRANK_ARG(count),        MRANK_VIEW_ARGS(loss)};
  return launch(ctx, MRANK_KERNEL_FORWARD_NONE, args, sizeof args / sizeof args[0], n, event);
}

mrank_status mrank_enqueue_partial_sums(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                        cl_ulong partials_offset) {
  const cl_ulong count = n;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1),    MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),     MRANK_ARG(in->margin),
                             MRANK_ARG(count),           MRANK_ARG(ctx->partials),
                             MRANK_ARG(partials_offset), {ctx->local_size * sizeof(float), NULL}};
  return launch(ctx, MRANK_KERNEL_FORWARD_PARTIAL_SUMS, args, sizeof args / sizeof args[0],
                mrank_reduction_groups(ctx, n) * ctx->local_size, NULL);
}

mrank_status mrank_enqueue_sum_partials(mrank_context *ctx, size_t count, float scale,
                                        mrank_view out, cl_event *event) {
  const cl_ulong partials = count;
  const kernel_arg args[] = {MRANK_ARG(ctx->partials),
                             MRANK_ARG(partials),
                             MRANK_ARG(scale),
                             MRANK_VIEW_ARGS(out),
                             {ctx->local_size * sizeof(float), NULL}};
  return launch(ctx, MRANK_KERNEL_SUM_PARTIALS, args, sizeof args / sizeof args[0], ctx->local_size,
                event);
}

mrank_status mrank_enqueue_backward(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                    mrank_reduction reduction, mrank_view dloss, float scale,
                                    mrank_view dx1, mrank_view dx2, cl_event *event) {
  const cl_ulong count = n;
  if (reduction == MRANK_REDUCTION_NONE) {
    const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2),
                               MRANK_VIEW_ARGS(in->y),  MRANK_ARG(in->margin),
                               MRANK_ARG(count),        MRANK_VIEW_ARGS(dloss),
                               MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
    return launch(ctx, MRANK_KERNEL_BACKWARD_NONE, args, sizeof args / sizeof args[0], n, event);
  }
  const kernel_arg args[] = {
      MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2), MRANK_VIEW_ARGS(in->y),
      MRANK_ARG(in->margin),   MRANK_ARG(count),        MRANK_VIEW_ARGS(dloss),
      MRANK_ARG(scale),        MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
  return launch(ctx, MRANK_KERNEL_BACKWARD_SCALAR, args, sizeof args / sizeof args[0], n, event);
}

mrank_status mrank_enqueue_fused_none(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                      mrank_view loss, mrank_view dx1, mrank_view dx2,
                                      cl_event *event) {
  const cl_ulong count = n;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),  MRANK_ARG(in->margin),
                             MRANK_ARG(count),        MRANK_VIEW_ARGS(loss),
                             MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
  return launch(ctx, MRANK_KERNEL_FUSED_NONE, args, sizeof args / sizeof args[0], n, event);
}

mrank_status mrank_enqueue_fused_partial_sums(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                              float scale, mrank_view dx1, mrank_view dx2,
                                              cl_ulong partials_offset) {
  const cl_ulong count = n;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1),
                             MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),
                             MRANK_ARG(in->margin),
                             MRANK_ARG(count),
                             MRANK_ARG(scale),
                             MRANK_VIEW_ARGS(dx1),
                             MRANK_VIEW_ARGS(dx2),
                             MRANK_ARG(ctx->partials),
                             MRANK_ARG(partials_offset),
                             {ctx->local_size * sizeof(float), NULL}};
  return launch(ctx, MRANK_KERNEL_FUSED_PARTIAL_SUMS, args, sizeof args / sizeof args[0],
                mrank_reduction_groups(ctx, n) * ctx->local_size, NULL);
}

size_t mrank_total_partials(const mrank_context *ctx, size_t n) {
  size_t total = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    const size_t left = n - offset;
    total += mrank_reduction_groups(ctx, left < ctx->chunk_elements ? left : ctx->chunk_elements);
  }
  return total;
}

mrank_status mrank_ensure_buffer(mrank_context *ctx, cl_mem *buffer, size_t *capacity,
                                 size_t elements) {
  mrank_status status = MRANK_SUCCESS;
  if (*buffer != NULL && *capacity >= elements) return MRANK_SUCCESS;
  if (*buffer != NULL) clReleaseMemObject(*buffer);
  *buffer = NULL;
  *capacity = 0;
  cl_int err = CL_SUCCESS;
  cl_mem created =
      clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, elements * sizeof(float), NULL, &err);
  MRANK_CHECK_CL(err, "clCreateBuffer");
  *buffer = created;
  *capacity = elements;
  return MRANK_SUCCESS;
error:
  return status;
}

mrank_status mrank_ensure_partials(mrank_context *ctx, size_t count) {
  return mrank_ensure_buffer(ctx, &ctx->partials, &ctx->partials_count, count);
}
