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

mrank_status mrank_enqueue_forward_sum64(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                         cl_ulong partials_offset) {
  const cl_ulong count = n;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1),   MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),    MRANK_ARG(in->margin),
                             MRANK_ARG(count),          MRANK_ARG(ctx->partials[0]),
                             MRANK_ARG(partials_offset)};
  return launch(ctx, MRANK_KERNEL_FORWARD_SUM64, args, sizeof args / sizeof args[0],
                mrank_first_pass_outputs(n), NULL);
}

static mrank_status sum16_pass(mrank_context *ctx, mrank_view in, size_t count, float scale,
                               mrank_view out, cl_event *event) {
  const cl_ulong values = count;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in), MRANK_ARG(values), MRANK_ARG(scale),
                             MRANK_VIEW_ARGS(out)};
  return launch(ctx, MRANK_KERNEL_SUM16_PASS, args, sizeof args / sizeof args[0],
                mrank_pass_outputs(count), event);
}

mrank_status mrank_enqueue_reduce_partials(mrank_context *ctx, size_t count, float scale,
                                           mrank_view out, cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  int from = 0;
  while (count > MRANK_FAN_IN) {
    const mrank_view in = {ctx->partials[from], 0}, next = {ctx->partials[1 - from], 0};
    MRANK_TRY(sum16_pass(ctx, in, count, 1.0f, next, NULL));
    count = mrank_pass_outputs(count);
    from = 1 - from;
  }
  const mrank_view last = {ctx->partials[from], 0};
  return sum16_pass(ctx, last, count, scale, out, event);
error:
  return status;
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
    return launch(ctx, MRANK_KERNEL_BACKWARD_NONE, args, sizeof args / sizeof args[0],
                  mrank_pass_outputs(n), event); /* 16 elements a work-item */
  }
  const kernel_arg args[] = {
      MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2), MRANK_VIEW_ARGS(in->y),
      MRANK_ARG(in->margin),   MRANK_ARG(count),        MRANK_VIEW_ARGS(dloss),
      MRANK_ARG(scale),        MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
  return launch(ctx, MRANK_KERNEL_BACKWARD_SCALAR, args, sizeof args / sizeof args[0],
                mrank_pass_outputs(n), event); /* 16 elements a work-item */
}

mrank_status mrank_enqueue_fused_none(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                      mrank_view loss, mrank_view dx1, mrank_view dx2,
                                      cl_event *event) {
  const cl_ulong count = n;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),  MRANK_ARG(in->margin),
                             MRANK_ARG(count),        MRANK_VIEW_ARGS(loss),
                             MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
  return launch(ctx, MRANK_KERNEL_FUSED_NONE, args, sizeof args / sizeof args[0],
                mrank_pass_outputs(n), event); /* 16 elements a work-item */
}

mrank_status mrank_enqueue_fused_sum64(mrank_context *ctx, size_t n, const mrank_inputs *in,
                                       float scale, mrank_view dx1, mrank_view dx2,
                                       cl_ulong partials_offset) {
  const cl_ulong count = n;
  const kernel_arg args[] = {
      MRANK_VIEW_ARGS(in->x1),   MRANK_VIEW_ARGS(in->x2), MRANK_VIEW_ARGS(in->y),
      MRANK_ARG(in->margin),     MRANK_ARG(count),        MRANK_ARG(scale),
      MRANK_VIEW_ARGS(dx1),      MRANK_VIEW_ARGS(dx2),    MRANK_ARG(ctx->partials[0]),
      MRANK_ARG(partials_offset)};
  return launch(ctx, MRANK_KERNEL_FUSED_SUM64, args, sizeof args / sizeof args[0],
                mrank_first_pass_outputs(n), NULL);
}

size_t mrank_total_partials(const mrank_context *ctx, size_t n) {
  size_t total = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    const size_t left = n - offset;
    total += mrank_first_pass_outputs(left < ctx->chunk_elements ? left : ctx->chunk_elements);
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
  mrank_status status = mrank_ensure_buffer(ctx, &ctx->partials[0], &ctx->partials_count[0], count);
  if (status != MRANK_SUCCESS) return status;
  return mrank_ensure_buffer(ctx, &ctx->partials[1], &ctx->partials_count[1],
                             mrank_pass_outputs(count));
}
