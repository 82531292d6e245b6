/* enqueue.c: set the arguments of a kernel and enqueue it with mrank's work-group size. */
#include "enqueue.h"

/* A float or double argument, as the variant computes. */
typedef struct real_arg {
  float single;
  double wide;
} real_arg;

#define MRANK_VIEW_ARGS(view) MRANK_ARG((view).mem), MRANK_ARG((view).offset)
#define MRANK_REAL_ARG(v, real)                                                     \
  {                                                                                 \
    (v)->real_size, (v)->real_size == sizeof(double) ? (const void *)&(real).wide   \
                                                     : (const void *)&(real).single \
  }

static real_arg make_real(double value) {
  real_arg arg = {(float)value, value};
  return arg;
}

/* The work-items an elementwise kernel needs for n elements: shape.epw each. */
static size_t elementwise_items(const mrank_context *ctx, size_t n) {
  const size_t per_item = (size_t)ctx->shape.epw;
  return n / per_item + (n % per_item != 0);
}

static mrank_status launch(mrank_context *ctx, const mrank_variant *v, mrank_kernel_id id,
                           const kernel_arg *args, cl_uint arg_count, size_t work_items,
                           cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  cl_kernel kernel = ctx->kernels[v->index][id];
  for (cl_uint a = 0; a < arg_count; ++a) {
    MRANK_CHECK_CL(clSetKernelArg(kernel, a, args[a].size, args[a].value), "clSetKernelArg");
  }
  /* an explicit local size: PoCL picks a poor one when left to itself (and compiles again for
   * each new one) */
  const int local_pass = mrank_local_pass(ctx, v) &&
                         (id == MRANK_KERNEL_FORWARD_SUM64 || id == MRANK_KERNEL_FUSED_SUM64);
  const size_t local = local_pass ? ctx->sum_group : ctx->local_size;
  const size_t global = (work_items + local - 1) / local * local;
  MRANK_CHECK_CL(
      clEnqueueNDRangeKernel(ctx->queue, kernel, 1, NULL, &global, &local, 0, NULL, event),
      "clEnqueueNDRangeKernel");
  return MRANK_SUCCESS;
error:
  return status;
}

mrank_status mrank_enqueue_kernel(mrank_context *ctx, const mrank_variant *v, mrank_kernel_id id,
                                  const kernel_arg *args, cl_uint arg_count, size_t work_items,
                                  cl_event *event) {
  return launch(ctx, v, id, args, arg_count, work_items, event);
}

mrank_status mrank_enqueue_forward_none(mrank_context *ctx, const mrank_variant *v, size_t n,
                                        const mrank_inputs *in, mrank_view loss, cl_event *event) {
  const cl_ulong count = n;
  const real_arg margin = make_real(in->margin);
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),  MRANK_REAL_ARG(v, margin),
                             MRANK_ARG(count),        MRANK_VIEW_ARGS(loss)};
  return launch(ctx, v, MRANK_KERNEL_FORWARD_NONE, args, sizeof args / sizeof args[0],
                elementwise_items(ctx, n), event);
}

mrank_status mrank_enqueue_backward(mrank_context *ctx, const mrank_variant *v, size_t n,
                                    const mrank_inputs *in, mrank_reduction reduction,
                                    mrank_view dloss, double scale, mrank_view dx1, mrank_view dx2,
                                    cl_event *event) {
  const cl_ulong count = n;
  const real_arg margin = make_real(in->margin), factor = make_real(scale);
  if (reduction == MRANK_REDUCTION_NONE) {
    const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2),
                               MRANK_VIEW_ARGS(in->y),  MRANK_REAL_ARG(v, margin),
                               MRANK_ARG(count),        MRANK_VIEW_ARGS(dloss),
                               MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
    return launch(ctx, v, MRANK_KERNEL_BACKWARD_NONE, args, sizeof args / sizeof args[0],
                  elementwise_items(ctx, n), event);
  }
  const kernel_arg args[] = {
      MRANK_VIEW_ARGS(in->x1),   MRANK_VIEW_ARGS(in->x2), MRANK_VIEW_ARGS(in->y),
      MRANK_REAL_ARG(v, margin), MRANK_ARG(count),        MRANK_VIEW_ARGS(dloss),
      MRANK_REAL_ARG(v, factor), MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
  return launch(ctx, v, MRANK_KERNEL_BACKWARD_SCALAR, args, sizeof args / sizeof args[0],
                elementwise_items(ctx, n), event);
}

mrank_status mrank_enqueue_fused_none(mrank_context *ctx, const mrank_variant *v, size_t n,
                                      const mrank_inputs *in, mrank_view loss, mrank_view dx1,
                                      mrank_view dx2, cl_event *event) {
  const cl_ulong count = n;
  const real_arg margin = make_real(in->margin);
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1), MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),  MRANK_REAL_ARG(v, margin),
                             MRANK_ARG(count),        MRANK_VIEW_ARGS(loss),
                             MRANK_VIEW_ARGS(dx1),    MRANK_VIEW_ARGS(dx2)};
  return launch(ctx, v, MRANK_KERNEL_FUSED_NONE, args, sizeof args / sizeof args[0],
                elementwise_items(ctx, n), event);
}

mrank_status mrank_enqueue_forward_sum64(mrank_context *ctx, const mrank_variant *v, size_t n,
                                         const mrank_inputs *in, cl_ulong partials_offset) {
  const cl_ulong count = n;
  const real_arg margin = make_real(in->margin);
  const kernel_arg args[] = {MRANK_VIEW_ARGS(in->x1),   MRANK_VIEW_ARGS(in->x2),
                             MRANK_VIEW_ARGS(in->y),    MRANK_REAL_ARG(v, margin),
                             MRANK_ARG(count),          MRANK_ARG(ctx->partials[0]),
                             MRANK_ARG(partials_offset)};
  return launch(ctx, v, MRANK_KERNEL_FORWARD_SUM64, args, sizeof args / sizeof args[0],
                mrank_first_pass_outputs(n), NULL);
}

mrank_status mrank_enqueue_fused_sum64(mrank_context *ctx, const mrank_variant *v, size_t n,
                                       const mrank_inputs *in, double scale, mrank_view dx1,
                                       mrank_view dx2, cl_ulong partials_offset) {
  const cl_ulong count = n;
  const real_arg margin = make_real(in->margin), factor = make_real(scale);
  const kernel_arg args[] = {
      MRANK_VIEW_ARGS(in->x1),   MRANK_VIEW_ARGS(in->x2), MRANK_VIEW_ARGS(in->y),
      MRANK_REAL_ARG(v, margin), MRANK_ARG(count),        MRANK_REAL_ARG(v, factor),
      MRANK_VIEW_ARGS(dx1),      MRANK_VIEW_ARGS(dx2),    MRANK_ARG(ctx->partials[0]),
      MRANK_ARG(partials_offset)};
  return launch(ctx, v, MRANK_KERNEL_FUSED_SUM64, args, sizeof args / sizeof args[0],
                mrank_first_pass_outputs(n), NULL);
}

mrank_status mrank_enqueue_reduce_partials(mrank_context *ctx, const mrank_variant *v, size_t count,
                                           double scale, mrank_view out, cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  const real_arg one = make_real(1.0), factor = make_real(scale);
  int from = 0;
  while (count > MRANK_FAN_IN) {
    const mrank_view in = {ctx->partials[from], 0}, next = {ctx->partials[1 - from], 0};
    const cl_ulong values = count;
    const kernel_arg args[] = {MRANK_VIEW_ARGS(in), MRANK_ARG(values), MRANK_REAL_ARG(v, one),
                               MRANK_VIEW_ARGS(next)};
    MRANK_TRY(launch(ctx, v, MRANK_KERNEL_SUM16_PASS, args, sizeof args / sizeof args[0],
                     mrank_pass_outputs(count), NULL));
    count = mrank_pass_outputs(count);
    from = 1 - from;
  }
  /* the last pass applies the scale and stores in the data type */
  const mrank_view last = {ctx->partials[from], 0};
  const cl_ulong values = count;
  const kernel_arg args[] = {MRANK_VIEW_ARGS(last), MRANK_ARG(values), MRANK_REAL_ARG(v, factor),
                             MRANK_VIEW_ARGS(out)};
  return launch(ctx, v, MRANK_KERNEL_SUM16_LAST, args, sizeof args / sizeof args[0], 1, event);
error:
  return status;
}

mrank_status mrank_ensure_buffer(mrank_context *ctx, cl_mem *buffer, size_t *capacity,
                                 size_t bytes) {
  mrank_status status = MRANK_SUCCESS;
  if (*buffer != NULL && *capacity >= bytes) return MRANK_SUCCESS;
  if (*buffer != NULL) clReleaseMemObject(*buffer);
  *buffer = NULL;
  *capacity = 0;
  cl_int err = CL_SUCCESS;
  cl_mem created =
      clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, bytes > 0 ? bytes : 1, NULL, &err);
  MRANK_CHECK_CL(err, "clCreateBuffer");
  *buffer = created;
  *capacity = bytes;
  return MRANK_SUCCESS;
error:
  return status;
}

mrank_status mrank_ensure_partials(mrank_context *ctx, size_t count, size_t real_size) {
  mrank_status status =
      mrank_ensure_buffer(ctx, &ctx->partials[0], &ctx->partials_bytes[0], count * real_size);
  if (status != MRANK_SUCCESS) return status;
  return mrank_ensure_buffer(ctx, &ctx->partials[1], &ctx->partials_bytes[1],
                             mrank_pass_outputs(count) * real_size);
}

double mrank_mean_scale_for(const mrank_variant *v, size_t n) {
  const double scale = 1.0 / (double)n;
  return v->real_size == sizeof(double) ? scale : (double)(float)scale;
}
