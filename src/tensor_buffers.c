/* tensor_buffers.c: the tensor entry points on the context's OpenCL buffers: the contiguous buffer
 * entry point when everything is contiguous and of one shape, else the strided gather kernels into
 * temporary buffers of the broadcast shape, the contiguous pass, then the loss scattered into its
 * view and the gradients summed back (kernels/margin_ranking.cl, its end). */
#include <stdlib.h>
#include <string.h>

#include "enqueue.h"
#include "tensor.h"

/* a view's five sizes and strides in the broadcast shape, padded on the left */
typedef struct padded_view {
  cl_ulong sizes[5];
  cl_long strides[5];
} padded_view;

static padded_view pad(const mrank_broadcast *plan, const mrank_aligned *view) {
  padded_view p;
  for (int k = 0; k < 5; ++k) {
    const int from = k - (5 - plan->rank);
    p.sizes[k] = from < 0 ? 1 : plan->sizes[from];
    p.strides[k] = from < 0 ? 0 : (cl_long)view->strides[from];
  }
  return p;
}

#define MRANK_PADDED_ARGS(p)                                                           \
  MRANK_ARG((p).sizes[0]), MRANK_ARG((p).sizes[1]), MRANK_ARG((p).sizes[2]),           \
      MRANK_ARG((p).sizes[3]), MRANK_ARG((p).sizes[4]), MRANK_ARG((p).strides[0]),     \
      MRANK_ARG((p).strides[1]), MRANK_ARG((p).strides[2]), MRANK_ARG((p).strides[3]), \
      MRANK_ARG((p).strides[4])

static mrank_status gather(mrank_context *ctx, const mrank_variant *v, const mrank_broadcast *plan,
                           const mrank_aligned *view, cl_mem in, int labels, cl_mem out) {
  const padded_view p = pad(plan, view);
  const cl_ulong offset = view->offset, count = plan->count;
  const kernel_arg args[] = {MRANK_ARG(in), MRANK_ARG(offset), MRANK_ARG(count),
                             MRANK_PADDED_ARGS(p), MRANK_ARG(out)};
  return mrank_enqueue_kernel(ctx, v,
                              labels ? MRANK_KERNEL_GATHER_LABELS : MRANK_KERNEL_GATHER_DATA, args,
                              sizeof args / sizeof args[0], plan->count, NULL);
}

static mrank_status scatter(mrank_context *ctx, const mrank_variant *v, const mrank_broadcast *plan,
                            const mrank_aligned *view, cl_mem in, cl_mem out, cl_event *event) {
  const padded_view p = pad(plan, view);
  const cl_ulong offset = view->offset, count = plan->count;
  const kernel_arg args[] = {MRANK_ARG(in), MRANK_ARG(count), MRANK_PADDED_ARGS(p), MRANK_ARG(out),
                             MRANK_ARG(offset)};
  return mrank_enqueue_kernel(ctx, v, MRANK_KERNEL_SCATTER_DATA, args, sizeof args / sizeof args[0],
                              plan->count, event);
}

static mrank_status reduce_to(mrank_context *ctx, const mrank_variant *v,
                              const mrank_broadcast *plan, const mrank_aligned *operand, cl_mem in,
                              const mrank_tensor *out_desc, cl_mem out, cl_event *event) {
  /* the output's strides aligned to the broadcast shape, and its broadcast dimensions as bits */
  mrank_aligned target;
  memset(&target, 0, sizeof target);
  cl_uint broadcast = 0;
  cl_ulong own = 1;
  for (int k = 0; k < plan->rank; ++k) {
    const int from = k - (plan->rank - out_desc->rank);
    target.strides[k] = from < 0 ? 0 : out_desc->strides[from];
    if (operand->broadcast[k]) {
      broadcast |= 1u << (k + 5 - plan->rank);
    } else {
      own *= plan->sizes[k];
    }
  }
  const padded_view p = pad(plan, &target);
  const cl_ulong offset = out_desc->offset;
  const kernel_arg args[] = {
      MRANK_ARG(in),           MRANK_ARG(own),          MRANK_ARG(p.sizes[0]),
      MRANK_ARG(p.sizes[1]),   MRANK_ARG(p.sizes[2]),   MRANK_ARG(p.sizes[3]),
      MRANK_ARG(p.sizes[4]),   MRANK_ARG(broadcast),    MRANK_ARG(p.strides[0]),
      MRANK_ARG(p.strides[1]), MRANK_ARG(p.strides[2]), MRANK_ARG(p.strides[3]),
      MRANK_ARG(p.strides[4]), MRANK_ARG(out),          MRANK_ARG(offset)};
  return mrank_enqueue_kernel(ctx, v, MRANK_KERNEL_REDUCE_TO, args, sizeof args / sizeof args[0],
                              own, event);
}

/* The context's temporary buffer `slot` of at least `bytes`, kept for the next call (the queue is
 * in order: no later call can overwrite it before this one is done with it). */
static mrank_status temporary(mrank_context *ctx, size_t bytes, int slot, cl_mem *out) {
  const mrank_status status =
      mrank_ensure_buffer(ctx, &ctx->tensor_temps[slot], &ctx->tensor_temp_bytes[slot], bytes);
  *out = status == MRANK_SUCCESS ? ctx->tensor_temps[slot] : NULL;
  return status;
}

/* An input in the broadcast shape: the buffer itself when its view already is that (contiguous,
 * of the broadcast shape), else gathered into a temporary (*temp). */
static mrank_status input_view(mrank_context *ctx, const mrank_variant *v,
                               const mrank_broadcast *plan, const mrank_tensor *desc,
                               const mrank_aligned *aligned, cl_mem buffer, int labels, int slot,
                               cl_mem *view, size_t *offset) {
  int same = desc->rank == plan->rank && mrank_tensor_contiguous(desc);
  for (int k = 0; k < desc->rank && same; ++k)
    same = desc->sizes[k] == plan->sizes[k];
  if (same) {
    *view = buffer;
    *offset = desc->offset;
    return MRANK_SUCCESS;
  }
  *offset = 0;
  mrank_status status =
      temporary(ctx, plan->count * (labels ? v->label_size : v->data_size), slot, view);
  if (status == MRANK_SUCCESS) status = gather(ctx, v, plan, aligned, buffer, labels, *view);
  return status;
}

/* A gradient's destination: dx itself when the operand was not broadcast and dx is contiguous,
 * else a temporary of the broadcast shape to be summed back (*reduce set). */
static mrank_status gradient_view(mrank_context *ctx, const mrank_variant *v,
                                  const mrank_broadcast *plan, const mrank_aligned *operand,
                                  const mrank_tensor *dx_desc, cl_mem dx, int slot, cl_mem *view,
                                  size_t *offset, int *reduce) {
  int broadcast = dx_desc->rank != plan->rank;
  for (int k = 0; k < plan->rank; ++k)
    broadcast |= operand->broadcast[k];
  *reduce = broadcast || !mrank_tensor_contiguous(dx_desc);
  if (!*reduce) {
    *view = dx;
    *offset = dx_desc->offset;
    return MRANK_SUCCESS;
  }
  *offset = 0;
  return temporary(ctx, plan->count * v->data_size, slot, view);
}

static mrank_status run(const char *function, mrank_context *ctx, mrank_reduction reduction,
                        double margin, const mrank_tensor *x1_desc, cl_mem x1,
                        const mrank_tensor *x2_desc, cl_mem x2, const mrank_tensor *y_desc,
                        cl_mem y, const mrank_tensor *loss_desc, cl_mem loss,
                        const mrank_tensor *dx1_desc, cl_mem dx1, const mrank_tensor *dx2_desc,
                        cl_mem dx2, cl_event *event) {
  mrank_status status = MRANK_SUCCESS;
  cl_mem loss_temp = NULL;
  mrank_clear_error();
  MRANK_TRY(mrank_check_context(function, ctx));
  MRANK_CHECK(!ctx->is_host, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: the host context has no OpenCL buffers; use mrank_forward_backward_tensor with "
              "host arrays",
              function);
  mrank_broadcast plan;
  MRANK_TRY(mrank_broadcast_plan(function, reduction, margin, x1_desc, x2_desc, y_desc, &plan));
  MRANK_CHECK(x1 != NULL && x2 != NULL && y != NULL && loss != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: a buffer is NULL; pass x1, x2, y and loss", function);
  const int fused = dx1_desc != NULL;
  const mrank_variant *v = &plan.variant;
  const int reduced = reduction != MRANK_REDUCTION_NONE;
  int contiguous = plan.contiguous, one = 1;
  MRANK_TRY(mrank_tensor_check_output(function, "loss", loss_desc, v->data, reduced ? 0 : plan.rank,
                                      plan.sizes, &one));
  contiguous &= one;
  if (fused) {
    MRANK_CHECK(dx1 != NULL && dx2 != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL",
                function, dx1 == NULL ? "dx1" : "dx2");
    MRANK_TRY(mrank_tensor_check_output(function, "dx1", dx1_desc, v->data, x1_desc->rank,
                                        x1_desc->sizes, &one));
    contiguous &= one;
    MRANK_TRY(mrank_tensor_check_output(function, "dx2", dx2_desc, v->data, x2_desc->rank,
                                        x2_desc->sizes, &one));
    contiguous &= one;
    MRANK_TRY(mrank_tensor_apart(function, "dx1", dx1_desc, dx1, "dx2", dx2_desc, dx2));
    MRANK_TRY(mrank_tensor_apart(function, "loss", loss_desc, loss, "dx1", dx1_desc, dx1));
    MRANK_TRY(mrank_tensor_apart(function, "loss", loss_desc, loss, "dx2", dx2_desc, dx2));
  }
  const mrank_desc desc = {v->data, v->labels, reduction, margin};
  const size_t n = plan.count;
  if (contiguous) { /* the contiguous path itself */
    return fused ? mrank_forward_backward_buffers_ex(
                       ctx, &desc, n, x1, x1_desc->offset, x2, x2_desc->offset, y, y_desc->offset,
                       loss, loss_desc->offset, dx1, dx1_desc->offset, dx2, dx2_desc->offset, event)
                 : mrank_forward_buffers_ex(ctx, &desc, n, x1, x1_desc->offset, x2, x2_desc->offset,
                                            y, y_desc->offset, loss, loss_desc->offset, event);
  }
  MRANK_TRY(mrank_check_count(function, n, v));
  MRANK_TRY(mrank_ensure_kernels(ctx, v));
  cl_mem in[3];
  size_t in_offset[3];
  MRANK_TRY(input_view(ctx, v, &plan, x1_desc, &plan.x1, x1, 0, 0, &in[0], &in_offset[0]));
  MRANK_TRY(input_view(ctx, v, &plan, x2_desc, &plan.x2, x2, 0, 1, &in[1], &in_offset[1]));
  MRANK_TRY(input_view(ctx, v, &plan, y_desc, &plan.y, y, 1, 2, &in[2], &in_offset[2]));
  /* a reduced loss goes straight to its element; an elementwise one too when its view is dense */
  cl_mem loss_out = loss;
  size_t loss_offset = loss_desc->offset;
  const int scatter_loss = !reduced && !mrank_tensor_contiguous(loss_desc);
  if (scatter_loss) {
    MRANK_TRY(temporary(ctx, n * v->data_size, 3, &loss_temp));
    loss_out = loss_temp;
    loss_offset = 0;
  }
  cl_mem grad[2] = {NULL, NULL};
  size_t grad_offset[2] = {0, 0};
  int reduce[2] = {0, 0};
  if (fused) {
    MRANK_TRY(gradient_view(ctx, v, &plan, &plan.x1, dx1_desc, dx1, 4, &grad[0], &grad_offset[0],
                            &reduce[0]));
    MRANK_TRY(gradient_view(ctx, v, &plan, &plan.x2, dx2_desc, dx2, 5, &grad[1], &grad_offset[1],
                            &reduce[1]));
  }
  /* the event goes to the last command */
  const int pass_last = !scatter_loss && !reduce[0] && !reduce[1];
  cl_event *pass_event = pass_last ? event : NULL;
  status = fused ? mrank_forward_backward_buffers_ex(ctx, &desc, n, in[0], in_offset[0], in[1],
                                                     in_offset[1], in[2], in_offset[2], loss_out,
                                                     loss_offset, grad[0], grad_offset[0], grad[1],
                                                     grad_offset[1], pass_event)
                 : mrank_forward_buffers_ex(ctx, &desc, n, in[0], in_offset[0], in[1], in_offset[1],
                                            in[2], in_offset[2], loss_out, loss_offset, pass_event);
  if (status != MRANK_SUCCESS) goto error;
  if (scatter_loss) {
    const mrank_aligned view = mrank_tensor_aligned(&plan, loss_desc);
    MRANK_TRY(
        scatter(ctx, v, &plan, &view, loss_temp, loss, !reduce[0] && !reduce[1] ? event : NULL));
  }
  if (reduce[0]) {
    MRANK_TRY(reduce_to(ctx, v, &plan, &plan.x1, grad[0], dx1_desc, dx1, reduce[1] ? NULL : event));
  }
  if (reduce[1]) MRANK_TRY(reduce_to(ctx, v, &plan, &plan.x2, grad[1], dx2_desc, dx2, event));
error:
  return status;
}

mrank_status mrank_forward_tensor_buffers(mrank_context *ctx, mrank_reduction reduction,
                                          double margin, const mrank_tensor *x1_desc, cl_mem x1,
                                          const mrank_tensor *x2_desc, cl_mem x2,
                                          const mrank_tensor *y_desc, cl_mem y,
                                          const mrank_tensor *loss_desc, cl_mem loss,
                                          cl_event *event) {
  return run("mrank_forward_tensor_buffers", ctx, reduction, margin, x1_desc, x1, x2_desc, x2,
             y_desc, y, loss_desc, loss, NULL, NULL, NULL, NULL, event);
}

mrank_status mrank_forward_backward_tensor_buffers(
    mrank_context *ctx, mrank_reduction reduction, double margin, const mrank_tensor *x1_desc,
    cl_mem x1, const mrank_tensor *x2_desc, cl_mem x2, const mrank_tensor *y_desc, cl_mem y,
    const mrank_tensor *loss_desc, cl_mem loss, const mrank_tensor *dx1_desc, cl_mem dx1,
    const mrank_tensor *dx2_desc, cl_mem dx2, cl_event *event) {
  if (dx1_desc == NULL || dx2_desc == NULL) {
    mrank_clear_error();
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_forward_backward_tensor_buffers: the descriptor of %s is NULL",
                      dx1_desc == NULL ? "dx1" : "dx2");
  }
  return run("mrank_forward_backward_tensor_buffers", ctx, reduction, margin, x1_desc, x1, x2_desc,
             x2, y_desc, y, loss_desc, loss, dx1_desc, dx1, dx2_desc, dx2, event);
}

mrank_status mrank_backward_tensor_buffers(
    mrank_context *ctx, mrank_reduction reduction, double margin, const mrank_tensor *x1_desc,
    cl_mem x1, const mrank_tensor *x2_desc, cl_mem x2, const mrank_tensor *y_desc, cl_mem y,
    const mrank_tensor *dloss_desc, cl_mem dloss, const mrank_tensor *dx1_desc, cl_mem dx1,
    const mrank_tensor *dx2_desc, cl_mem dx2, cl_event *event) {
  static const char function[] = "mrank_backward_tensor_buffers";
  mrank_status status = MRANK_SUCCESS;
  mrank_clear_error();
  MRANK_TRY(mrank_check_context(function, ctx));
  MRANK_CHECK(!ctx->is_host, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: the host context has no OpenCL buffers; use mrank_backward_tensor", function);
  mrank_broadcast plan;
  MRANK_TRY(mrank_broadcast_plan(function, reduction, margin, x1_desc, x2_desc, y_desc, &plan));
  MRANK_CHECK(x1 != NULL && x2 != NULL && y != NULL && dloss != NULL && dx1 != NULL && dx2 != NULL,
              MRANK_ERROR_INVALID_ARGUMENT, "%s: a buffer is NULL; pass every one", function);
  const mrank_variant *v = &plan.variant;
  const int reduced = reduction != MRANK_REDUCTION_NONE;
  int contiguous = plan.contiguous, one = 1;
  MRANK_TRY(mrank_tensor_check_output(function, "dloss", dloss_desc, v->data,
                                      reduced ? 0 : plan.rank, plan.sizes, &one));
  contiguous &= one;
  MRANK_TRY(mrank_tensor_check_output(function, "dx1", dx1_desc, v->data, x1_desc->rank,
                                      x1_desc->sizes, &one));
  contiguous &= one;
  MRANK_TRY(mrank_tensor_check_output(function, "dx2", dx2_desc, v->data, x2_desc->rank,
                                      x2_desc->sizes, &one));
  contiguous &= one;
  MRANK_TRY(mrank_tensor_apart(function, "dx1", dx1_desc, dx1, "dx2", dx2_desc, dx2));
  const mrank_desc desc = {v->data, v->labels, reduction, margin};
  const size_t n = plan.count;
  if (contiguous) {
    return mrank_backward_buffers_ex(ctx, &desc, n, x1, x1_desc->offset, x2, x2_desc->offset, y,
                                     y_desc->offset, dloss, dloss_desc->offset, dx1,
                                     dx1_desc->offset, dx2, dx2_desc->offset, event);
  }
  MRANK_TRY(mrank_check_count(function, n, v));
  MRANK_TRY(mrank_ensure_kernels(ctx, v));
  cl_mem in[3];
  size_t in_offset[3];
  MRANK_TRY(input_view(ctx, v, &plan, x1_desc, &plan.x1, x1, 0, 0, &in[0], &in_offset[0]));
  MRANK_TRY(input_view(ctx, v, &plan, x2_desc, &plan.x2, x2, 0, 1, &in[1], &in_offset[1]));
  MRANK_TRY(input_view(ctx, v, &plan, y_desc, &plan.y, y, 1, 2, &in[2], &in_offset[2]));
  cl_mem upstream = dloss;
  size_t upstream_offset = dloss_desc->offset;
  if (!reduced) { /* one upstream gradient per position: seen like the inputs */
    const mrank_aligned view = mrank_tensor_aligned(&plan, dloss_desc);
    MRANK_TRY(
        input_view(ctx, v, &plan, dloss_desc, &view, dloss, 0, 3, &upstream, &upstream_offset));
  }
  cl_mem grad[2];
  size_t grad_offset[2];
  int reduce[2];
  MRANK_TRY(gradient_view(ctx, v, &plan, &plan.x1, dx1_desc, dx1, 4, &grad[0], &grad_offset[0],
                          &reduce[0]));
  MRANK_TRY(gradient_view(ctx, v, &plan, &plan.x2, dx2_desc, dx2, 5, &grad[1], &grad_offset[1],
                          &reduce[1]));
  MRANK_TRY(mrank_backward_buffers_ex(ctx, &desc, n, in[0], in_offset[0], in[1], in_offset[1],
                                      in[2], in_offset[2], upstream, upstream_offset, grad[0],
                                      grad_offset[0], grad[1], grad_offset[1],
                                      !reduce[0] && !reduce[1] ? event : NULL));
  if (reduce[0]) {
    MRANK_TRY(reduce_to(ctx, v, &plan, &plan.x1, grad[0], dx1_desc, dx1, reduce[1] ? NULL : event));
  }
  if (reduce[1]) MRANK_TRY(reduce_to(ctx, v, &plan, &plan.x2, grad[1], dx2_desc, dx2, event));
error:
  return status;
}
