/* buffers.c: the entry points on the caller's device buffers (cl_mem + element offsets), enqueued
 * without waiting, as CLBlast's C API does; every type, and the float ones on top. */
#include <math.h>

#include "args.h"
#include "enqueue.h"

/* The buffer must belong to the context and hold `offset + count` elements of `element_size`. */
static mrank_status check_buffer(const mrank_context *ctx, const char *function, const char *name,
                                 cl_mem buffer, size_t offset, size_t count, size_t element_size) {
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
  const size_t capacity = bytes / element_size;
  if (offset > capacity || count > capacity - offset) {
    return mrank_fail(
        MRANK_ERROR_INVALID_ARGUMENT,
        "%s: %s holds %zu elements of %zu bytes, too few for offset %zu + %zu elements", function,
        name, capacity, element_size, offset, count);
  }
  return MRANK_SUCCESS;
}

/* The buffer entry points' version of mrank_check_outputs: views of one cl_mem are compared by
 * their byte ranges (a sub-buffer of another is a different cl_mem and not seen here). */
typedef struct buffer_range {
  const char *name;
  cl_mem mem;
  size_t start, bytes;
} buffer_range;

static int buffers_overlap(const buffer_range *a, const buffer_range *b) {
  return a->mem != NULL && a->mem == b->mem && a->start < b->start + b->bytes &&
         b->start < a->start + a->bytes;
}

static mrank_status check_buffer_outputs(const char *function, const buffer_range *inputs,
                                         size_t input_count, const buffer_range *outputs,
                                         size_t output_count) {
  for (size_t o = 0; o < output_count; ++o) {
    for (size_t p = o + 1; p < output_count; ++p) {
      if (!buffers_overlap(&outputs[o], &outputs[p])) continue;
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "%s: the outputs %s and %s share memory of one buffer; give each output "
                        "memory of its own",
                        function, outputs[o].name, outputs[p].name);
    }
    for (size_t i = 0; i < input_count; ++i) {
      if (!buffers_overlap(&outputs[o], &inputs[i])) continue;
      if (outputs[o].start == inputs[i].start && outputs[o].bytes == inputs[i].bytes) continue;
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "%s: the output %s overlaps the input %s without being it; an output may "
                        "be an input of the same length (in place) or apart from every input",
                        function, outputs[o].name, inputs[i].name);
    }
  }
  return MRANK_SUCCESS;
}

static mrank_status check_context(const mrank_context *ctx, const char *function) {
  const mrank_status status = mrank_check_context(function, ctx);
  if (status != MRANK_SUCCESS) return status;
  if (ctx->is_host) {
    return mrank_fail(MRANK_ERROR_UNSUPPORTED,
                      "%s: the \"host\" context has no OpenCL buffers; use the host-array entry "
                      "points (mrank_forward, ...), or an OpenCL device",
                      function);
  }
  return MRANK_SUCCESS;
}

static mrank_status check_inputs(const mrank_context *ctx, const char *function, size_t n,
                                 const mrank_variant *v, const mrank_inputs *in) {
  mrank_status status =
      check_buffer(ctx, function, "x1", in->x1.mem, in->x1.offset, n, v->data_size);
  if (status == MRANK_SUCCESS) {
    status = check_buffer(ctx, function, "x2", in->x2.mem, in->x2.offset, n, v->data_size);
  }
  if (status == MRANK_SUCCESS) {
    status = check_buffer(ctx, function, "y", in->y.mem, in->y.offset, n, v->label_size);
  }
  return status;
}

/* The reduced loss of an empty input, written with a blocking copy (n = 0 only). */
static mrank_status write_empty(mrank_context *ctx, const mrank_variant *v,
                                mrank_reduction reduction, cl_mem loss, size_t loss_offset,
                                cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  double bits[1]; /* room for the widest data type */
  mrank_encode(v->data, bits, 0, reduction == MRANK_REDUCTION_MEAN ? (double)NAN : 0.0);
  MRANK_CHECK_CL(clEnqueueWriteBuffer(ctx->queue, loss, CL_TRUE, loss_offset * v->data_size,
                                      v->data_size, bits, 0, NULL, event),
                 "clEnqueueWriteBuffer");
error:
  return status;
}

static mrank_status forward(const char *function, mrank_context *ctx, const mrank_desc *desc,
                            size_t n, mrank_inputs in, mrank_view out, cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  mrank_variant variant;
  const mrank_variant *v = &variant;
  if (event != NULL) *event = NULL;
  MRANK_TRY(check_context(ctx, function));
  MRANK_TRY(mrank_variant_of(function, desc, &variant));
  MRANK_TRY(mrank_check_count(function, n, &variant));
  const mrank_reduction reduction = desc->reduction;
  in.margin = desc->margin;
  if (n > 0) MRANK_TRY(check_inputs(ctx, function, n, v, &in));
  if (n > 0 || reduction != MRANK_REDUCTION_NONE) {
    MRANK_TRY(check_buffer(ctx, function, "loss", out.mem, out.offset,
                           reduction == MRANK_REDUCTION_NONE ? n : 1, v->data_size));
  }
  MRANK_TRY(mrank_ensure_kernels(ctx, v));
  if (reduction == MRANK_REDUCTION_NONE) {
    if (n == 0) return MRANK_SUCCESS;
    return mrank_enqueue_forward_none(ctx, v, n, &in, out, event);
  }
  if (n == 0) return write_empty(ctx, v, reduction, out.mem, out.offset, event);
  /* one pass over all n: the host path's chunks are multiples of 64, so its tree is this one */
  MRANK_TRY(mrank_ensure_partials(ctx, mrank_first_pass_outputs(n), v->real_size));
  MRANK_TRY(mrank_enqueue_forward_sum64(ctx, v, n, &in, 0));
  return mrank_enqueue_reduce_partials(
      ctx, v, mrank_first_pass_outputs(n),
      reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale_for(v, n) : 1.0, out, event);
error:
  return status;
}

static mrank_status backward(const char *function, mrank_context *ctx, const mrank_desc *desc,
                             size_t n, mrank_inputs in, mrank_view dloss, mrank_view dx1,
                             mrank_view dx2, cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  mrank_variant variant;
  const mrank_variant *v = &variant;
  if (event != NULL) *event = NULL;
  MRANK_TRY(check_context(ctx, function));
  MRANK_TRY(mrank_variant_of(function, desc, &variant));
  MRANK_TRY(mrank_check_count(function, n, &variant));
  const mrank_reduction reduction = desc->reduction;
  in.margin = desc->margin;
  if (n == 0) return MRANK_SUCCESS;
  MRANK_TRY(check_inputs(ctx, function, n, v, &in));
  MRANK_TRY(check_buffer(ctx, function, "dloss", dloss.mem, dloss.offset,
                         reduction == MRANK_REDUCTION_NONE ? n : 1, v->data_size));
  MRANK_TRY(check_buffer(ctx, function, "dx1", dx1.mem, dx1.offset, n, v->data_size));
  MRANK_TRY(check_buffer(ctx, function, "dx2", dx2.mem, dx2.offset, n, v->data_size));
  {
    const size_t data = n * v->data_size,
                 upstream = reduction == MRANK_REDUCTION_NONE ? data : v->data_size;
    const buffer_range read[] = {{"x1", in.x1.mem, in.x1.offset * v->data_size, data},
                                 {"x2", in.x2.mem, in.x2.offset * v->data_size, data},
                                 {"y", in.y.mem, in.y.offset * v->label_size, n * v->label_size},
                                 {"dloss", dloss.mem, dloss.offset * v->data_size, upstream}};
    const buffer_range written[] = {{"dx1", dx1.mem, dx1.offset * v->data_size, data},
                                    {"dx2", dx2.mem, dx2.offset * v->data_size, data}};
    MRANK_TRY(check_buffer_outputs(function, read, 4, written, 2));
  }
  MRANK_TRY(mrank_ensure_kernels(ctx, v));
  return mrank_enqueue_backward(
      ctx, v, n, &in, reduction, dloss,
      reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale_for(v, n) : 1.0, dx1, dx2, event);
error:
  return status;
}

static mrank_status forward_backward(const char *function, mrank_context *ctx,
                                     const mrank_desc *desc, size_t n, mrank_inputs in,
                                     mrank_view out, mrank_view dx1, mrank_view dx2,
                                     cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  mrank_variant variant;
  const mrank_variant *v = &variant;
  if (event != NULL) *event = NULL;
  MRANK_TRY(check_context(ctx, function));
  MRANK_TRY(mrank_variant_of(function, desc, &variant));
  MRANK_TRY(mrank_check_count(function, n, &variant));
  const mrank_reduction reduction = desc->reduction;
  const int reduced = reduction != MRANK_REDUCTION_NONE;
  in.margin = desc->margin;
  if (n == 0) return forward(function, ctx, desc, 0, in, out, event);
  MRANK_TRY(check_inputs(ctx, function, n, v, &in));
  MRANK_TRY(
      check_buffer(ctx, function, "loss", out.mem, out.offset, reduced ? 1 : n, v->data_size));
  MRANK_TRY(check_buffer(ctx, function, "dx1", dx1.mem, dx1.offset, n, v->data_size));
  MRANK_TRY(check_buffer(ctx, function, "dx2", dx2.mem, dx2.offset, n, v->data_size));
  {
    const size_t data = n * v->data_size;
    const buffer_range read[] = {{"x1", in.x1.mem, in.x1.offset * v->data_size, data},
                                 {"x2", in.x2.mem, in.x2.offset * v->data_size, data},
                                 {"y", in.y.mem, in.y.offset * v->label_size, n * v->label_size}};
    const buffer_range written[] = {
        {"loss", out.mem, out.offset * v->data_size, reduced ? v->data_size : data},
        {"dx1", dx1.mem, dx1.offset * v->data_size, data},
        {"dx2", dx2.mem, dx2.offset * v->data_size, data}};
    MRANK_TRY(check_buffer_outputs(function, read, 3, written, 3));
  }
  MRANK_TRY(mrank_ensure_kernels(ctx, v));
  if (!reduced) return mrank_enqueue_fused_none(ctx, v, n, &in, out, dx1, dx2, event);
  const double scale = reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale_for(v, n) : 1.0;
  MRANK_TRY(mrank_ensure_partials(ctx, mrank_first_pass_outputs(n), v->real_size));
  MRANK_TRY(mrank_enqueue_fused_sum64(ctx, v, n, &in, scale, dx1, dx2, 0));
  return mrank_enqueue_reduce_partials(ctx, v, mrank_first_pass_outputs(n), scale, out, event);
error:
  return status;
}

static mrank_inputs inputs(cl_mem x1, size_t x1_offset, cl_mem x2, size_t x2_offset, cl_mem y,
                           size_t y_offset) {
  mrank_inputs in = {{x1, x1_offset}, {x2, x2_offset}, {y, y_offset}, 0.0};
  return in;
}

static mrank_view view(cl_mem mem, size_t offset) {
  mrank_view v = {mem, offset};
  return v;
}

mrank_status mrank_forward_buffers_ex(mrank_context *ctx, const mrank_desc *desc, size_t n,
                                      cl_mem x1, size_t x1_offset, cl_mem x2, size_t x2_offset,
                                      cl_mem y, size_t y_offset, cl_mem loss, size_t loss_offset,
                                      cl_event *event) {
  mrank_clear_error();
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status =
      forward("mrank_forward_buffers_ex", ctx, desc, n,
              inputs(x1, x1_offset, x2, x2_offset, y, y_offset), view(loss, loss_offset), event);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_backward_buffers_ex(mrank_context *ctx, const mrank_desc *desc, size_t n,
                                       cl_mem x1, size_t x1_offset, cl_mem x2, size_t x2_offset,
                                       cl_mem y, size_t y_offset, cl_mem dloss, size_t dloss_offset,
                                       cl_mem dx1, size_t dx1_offset, cl_mem dx2, size_t dx2_offset,
                                       cl_event *event) {
  mrank_clear_error();
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status = backward(
      "mrank_backward_buffers_ex", ctx, desc, n, inputs(x1, x1_offset, x2, x2_offset, y, y_offset),
      view(dloss, dloss_offset), view(dx1, dx1_offset), view(dx2, dx2_offset), event);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_forward_backward_buffers_ex(mrank_context *ctx, const mrank_desc *desc, size_t n,
                                               cl_mem x1, size_t x1_offset, cl_mem x2,
                                               size_t x2_offset, cl_mem y, size_t y_offset,
                                               cl_mem loss, size_t loss_offset, cl_mem dx1,
                                               size_t dx1_offset, cl_mem dx2, size_t dx2_offset,
                                               cl_event *event) {
  mrank_clear_error();
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status =
      forward_backward("mrank_forward_backward_buffers_ex", ctx, desc, n,
                       inputs(x1, x1_offset, x2, x2_offset, y, y_offset), view(loss, loss_offset),
                       view(dx1, dx1_offset), view(dx2, dx2_offset), event);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

static mrank_desc float_desc(mrank_reduction reduction, float margin) {
  mrank_desc desc = {MRANK_DTYPE_F32, MRANK_DTYPE_F32, reduction, margin};
  return desc;
}

mrank_status mrank_forward_buffers(mrank_context *ctx, size_t n, cl_mem x1, size_t x1_offset,
                                   cl_mem x2, size_t x2_offset, cl_mem y, size_t y_offset,
                                   float margin, mrank_reduction reduction, cl_mem loss,
                                   size_t loss_offset, cl_event *event) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status =
      forward("mrank_forward_buffers", ctx, &desc, n,
              inputs(x1, x1_offset, x2, x2_offset, y, y_offset), view(loss, loss_offset), event);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_backward_buffers(mrank_context *ctx, size_t n, cl_mem x1, size_t x1_offset,
                                    cl_mem x2, size_t x2_offset, cl_mem y, size_t y_offset,
                                    float margin, mrank_reduction reduction, cl_mem dloss,
                                    size_t dloss_offset, cl_mem dx1, size_t dx1_offset, cl_mem dx2,
                                    size_t dx2_offset, cl_event *event) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status = backward(
      "mrank_backward_buffers", ctx, &desc, n, inputs(x1, x1_offset, x2, x2_offset, y, y_offset),
      view(dloss, dloss_offset), view(dx1, dx1_offset), view(dx2, dx2_offset), event);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}

mrank_status mrank_forward_backward_buffers(mrank_context *ctx, size_t n, cl_mem x1,
                                            size_t x1_offset, cl_mem x2, size_t x2_offset, cl_mem y,
                                            size_t y_offset, float margin,
                                            mrank_reduction reduction, cl_mem loss,
                                            size_t loss_offset, cl_mem dx1, size_t dx1_offset,
                                            cl_mem dx2, size_t dx2_offset, cl_event *event) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  MRANK_DEBUG_ENTER(ctx);
  const mrank_status status =
      forward_backward("mrank_forward_backward_buffers", ctx, &desc, n,
                       inputs(x1, x1_offset, x2, x2_offset, y, y_offset), view(loss, loss_offset),
                       view(dx1, dx1_offset), view(dx2, dx2_offset), event);
  MRANK_DEBUG_LEAVE(ctx);
  return status;
}
