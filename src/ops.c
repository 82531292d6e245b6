/* ops.c: the forward and backward entry points on host arrays. Each call stages its inputs on the
 * device in chunks of at most ctx->chunk_elements, enqueues the kernels and reads the results back,
 * with one wait at the end. */
#include <math.h>

#include "args.h"
#include "internal.h"

typedef struct kernel_arg {
  size_t size;
  const void *value; /* NULL: local memory of `size` bytes */
} kernel_arg;

#define MRANK_ARG(variable) \
  { sizeof(variable), &(variable) }

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

static mrank_status launch(mrank_context *ctx, mrank_kernel_id id, const kernel_arg *args,
                           cl_uint arg_count, size_t work_items) {
  mrank_status status = MRANK_SUCCESS;
  cl_kernel kernel = ctx->kernels[id];
  for (cl_uint a = 0; a < arg_count; ++a) {
    MRANK_CHECK_CL(clSetKernelArg(kernel, a, args[a].size, args[a].value), "clSetKernelArg");
  }
  /* an explicit local size: PoCL picks a poor one when left to itself, and the tree sums need it */
  const size_t local = ctx->local_size;
  const size_t global = (work_items + local - 1) / local * local;
  MRANK_CHECK_CL(
      clEnqueueNDRangeKernel(ctx->queue, kernel, 1, NULL, &global, &local, 0, NULL, NULL),
      "clEnqueueNDRangeKernel");
  return MRANK_SUCCESS;
error:
  return status;
}

static mrank_status ensure_buffer(mrank_context *ctx, cl_mem *buffer, size_t *capacity,
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

static mrank_status ensure_staging(mrank_context *ctx, mrank_staging_slot slot, size_t elements) {
  return ensure_buffer(ctx, &ctx->staging[slot], &ctx->staging_elements[slot], elements);
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

static mrank_status stage_inputs(mrank_context *ctx, size_t chunk, const float *x1, const float *x2,
                                 const float *y) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_TRY(upload(ctx, MRANK_STAGE_X1, x1, chunk));
  MRANK_TRY(upload(ctx, MRANK_STAGE_X2, x2, chunk));
  MRANK_TRY(upload(ctx, MRANK_STAGE_Y, y, chunk));
error:
  return status;
}

static mrank_status prepare(mrank_context *ctx, size_t n, const mrank_staging_slot *slots,
                            size_t slot_count) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_TRY(mrank_ensure_kernels(ctx));
  const size_t chunk = min_size(n, ctx->chunk_elements);
  for (size_t s = 0; s < slot_count; ++s)
    MRANK_TRY(ensure_staging(ctx, slots[s], chunk));
error:
  return status;
}

/* The staged x1, x2, y of one chunk, as kernel arguments: buffer, offset 0. */
typedef struct staged_inputs {
  cl_ulong zero;
  float margin;
  cl_ulong count;
} staged_inputs;

static mrank_status forward_chunk_none(mrank_context *ctx, staged_inputs *in) {
  const kernel_arg args[] = {MRANK_ARG(ctx->staging[MRANK_STAGE_X1]),
                             MRANK_ARG(in->zero),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_X2]),
                             MRANK_ARG(in->zero),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_Y]),
                             MRANK_ARG(in->zero),
                             MRANK_ARG(in->margin),
                             MRANK_ARG(in->count),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_OUT1]),
                             MRANK_ARG(in->zero)};
  return launch(ctx, MRANK_KERNEL_FORWARD_NONE, args, sizeof args / sizeof args[0], in->count);
}

static mrank_status forward_chunk_partials(mrank_context *ctx, staged_inputs *in,
                                           cl_ulong partials_offset) {
  const size_t groups = mrank_reduction_groups(ctx, in->count);
  const kernel_arg args[] = {MRANK_ARG(ctx->staging[MRANK_STAGE_X1]),
                             MRANK_ARG(in->zero),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_X2]),
                             MRANK_ARG(in->zero),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_Y]),
                             MRANK_ARG(in->zero),
                             MRANK_ARG(in->margin),
                             MRANK_ARG(in->count),
                             MRANK_ARG(ctx->partials),
                             MRANK_ARG(partials_offset),
                             {ctx->local_size * sizeof(float), NULL}};
  return launch(ctx, MRANK_KERNEL_FORWARD_PARTIAL_SUMS, args, sizeof args / sizeof args[0],
                groups * ctx->local_size);
}

static mrank_status sum_partials(mrank_context *ctx, cl_ulong count, float scale) {
  const cl_ulong zero = 0;
  const kernel_arg args[] = {MRANK_ARG(ctx->partials), MRANK_ARG(count),
                             MRANK_ARG(scale),         MRANK_ARG(ctx->staging[MRANK_STAGE_OUT1]),
                             MRANK_ARG(zero),          {ctx->local_size * sizeof(float), NULL}};
  return launch(ctx, MRANK_KERNEL_SUM_PARTIALS, args, sizeof args / sizeof args[0],
                ctx->local_size);
}

static size_t total_partials(const mrank_context *ctx, size_t n) {
  size_t total = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    total += mrank_reduction_groups(ctx, min_size(ctx->chunk_elements, n - offset));
  }
  return total;
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
    MRANK_TRY(ensure_buffer(ctx, &ctx->partials, &ctx->partials_count, total_partials(ctx, n)));
  }
  cl_ulong partials_used = 0;
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    staged_inputs in = {0, margin, min_size(ctx->chunk_elements, n - offset)};
    MRANK_TRY(stage_inputs(ctx, in.count, x1 + offset, x2 + offset, y + offset));
    if (reduction == MRANK_REDUCTION_NONE) {
      MRANK_TRY(forward_chunk_none(ctx, &in));
      MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, loss + offset, in.count));
    } else {
      MRANK_TRY(forward_chunk_partials(ctx, &in, partials_used));
      partials_used += mrank_reduction_groups(ctx, in.count);
    }
  }
  if (reduction != MRANK_REDUCTION_NONE) {
    float result = 0.0f;
    MRANK_TRY(sum_partials(ctx, partials_used,
                           reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f));
    MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, &result, 1));
    MRANK_TRY(finish(ctx, MRANK_SUCCESS));
    *loss = result;
    return MRANK_SUCCESS;
  }
  return finish(ctx, MRANK_SUCCESS);
error:
  return ctx != NULL && ctx->queue != NULL ? finish(ctx, status) : status;
}

static mrank_status backward_chunk(mrank_context *ctx, staged_inputs *in, mrank_reduction reduction,
                                   float scale) {
  const cl_ulong zero = 0;
  if (reduction == MRANK_REDUCTION_NONE) {
    const kernel_arg args[] = {MRANK_ARG(ctx->staging[MRANK_STAGE_X1]),
                               MRANK_ARG(zero),
                               MRANK_ARG(ctx->staging[MRANK_STAGE_X2]),
                               MRANK_ARG(zero),
                               MRANK_ARG(ctx->staging[MRANK_STAGE_Y]),
                               MRANK_ARG(zero),
                               MRANK_ARG(in->margin),
                               MRANK_ARG(in->count),
                               MRANK_ARG(ctx->staging[MRANK_STAGE_DLOSS]),
                               MRANK_ARG(zero),
                               MRANK_ARG(ctx->staging[MRANK_STAGE_OUT1]),
                               MRANK_ARG(zero),
                               MRANK_ARG(ctx->staging[MRANK_STAGE_OUT2]),
                               MRANK_ARG(zero)};
    return launch(ctx, MRANK_KERNEL_BACKWARD_NONE, args, sizeof args / sizeof args[0], in->count);
  }
  const kernel_arg args[] = {MRANK_ARG(ctx->staging[MRANK_STAGE_X1]),
                             MRANK_ARG(zero),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_X2]),
                             MRANK_ARG(zero),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_Y]),
                             MRANK_ARG(zero),
                             MRANK_ARG(in->margin),
                             MRANK_ARG(in->count),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_DLOSS]),
                             MRANK_ARG(zero),
                             MRANK_ARG(scale),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_OUT1]),
                             MRANK_ARG(zero),
                             MRANK_ARG(ctx->staging[MRANK_STAGE_OUT2]),
                             MRANK_ARG(zero)};
  return launch(ctx, MRANK_KERNEL_BACKWARD_SCALAR, args, sizeof args / sizeof args[0], in->count);
}

mrank_status mrank_backward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                            const float *y, float margin, mrank_reduction reduction,
                            const float *dloss, float *dx1, float *dx2) {
  mrank_status status = MRANK_SUCCESS;
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
  for (size_t offset = 0; offset < n; offset += ctx->chunk_elements) {
    staged_inputs in = {0, margin, min_size(ctx->chunk_elements, n - offset)};
    MRANK_TRY(stage_inputs(ctx, in.count, x1 + offset, x2 + offset, y + offset));
    if (reduction == MRANK_REDUCTION_NONE) {
      MRANK_TRY(upload(ctx, MRANK_STAGE_DLOSS, dloss + offset, in.count));
    }
    MRANK_TRY(backward_chunk(ctx, &in, reduction, scale));
    MRANK_TRY(download(ctx, MRANK_STAGE_OUT1, dx1 + offset, in.count));
    MRANK_TRY(download(ctx, MRANK_STAGE_OUT2, dx2 + offset, in.count));
  }
  return finish(ctx, MRANK_SUCCESS);
error:
  return ctx != NULL && ctx->queue != NULL ? finish(ctx, status) : status;
}
