/* tensor_ops.c: the tensor entry points on host arrays, and their CPU reference: the contiguous
 * path when everything is contiguous and of one shape, else the inputs gathered into the broadcast
 * shape, the contiguous entry point on them, the loss scattered into its view and the gradients
 * summed back into x1's and x2's shapes (tensor.c). */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "context.h"
#include "tensor.h"

typedef enum tensor_op { TENSOR_FORWARD, TENSOR_BACKWARD, TENSOR_FUSED } tensor_op;

/* One call's descriptors and arrays (host pointers or cl_mem, as void pointers). */
typedef struct tensor_call {
  tensor_op op;
  mrank_reduction reduction;
  double margin;
  const mrank_tensor *x1_desc, *x2_desc, *y_desc, *loss_desc, *dloss_desc, *dx1_desc, *dx2_desc;
  const void *x1, *x2, *y, *dloss;
  void *loss, *dx1, *dx2;
} tensor_call;

/* Everything checked: the broadcast, every output's type and shape, the outputs apart. */
static mrank_status check_call(const char *function, const tensor_call *c, mrank_broadcast *plan,
                               int *outputs_contiguous) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_TRY(mrank_broadcast_plan(function, c->reduction, c->margin, c->x1_desc, c->x2_desc,
                                 c->y_desc, plan));
  MRANK_CHECK(c->x1 != NULL && c->x2 != NULL && c->y != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: %s is NULL; pass the input arrays", function,
              c->x1 == NULL   ? "x1"
              : c->x2 == NULL ? "x2"
                              : "y");
  const mrank_dtype data = plan->variant.data;
  const int reduced = c->reduction != MRANK_REDUCTION_NONE;
  const int loss_rank = reduced ? 0 : plan->rank;
  int contiguous = 1, one = 1;
  if (c->op != TENSOR_BACKWARD) {
    MRANK_CHECK(c->loss != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: loss is NULL", function);
    MRANK_TRY(mrank_tensor_check_output(function, "loss", c->loss_desc, data, loss_rank,
                                        plan->sizes, &one));
    contiguous &= one;
  } else {
    MRANK_CHECK(c->dloss != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: dloss is NULL", function);
    MRANK_TRY(mrank_tensor_check_output(function, "dloss", c->dloss_desc, data, loss_rank,
                                        plan->sizes, &one));
    contiguous &= one;
  }
  if (c->op != TENSOR_FORWARD) {
    MRANK_CHECK(c->dx1 != NULL && c->dx2 != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL",
                function, c->dx1 == NULL ? "dx1" : "dx2");
    MRANK_TRY(mrank_tensor_check_output(function, "dx1", c->dx1_desc, data, c->x1_desc->rank,
                                        c->x1_desc->sizes, &one));
    contiguous &= one;
    MRANK_TRY(mrank_tensor_check_output(function, "dx2", c->dx2_desc, data, c->x2_desc->rank,
                                        c->x2_desc->sizes, &one));
    contiguous &= one;
    MRANK_TRY(mrank_tensor_apart(function, "dx1", c->dx1_desc, c->dx1, "dx2", c->dx2_desc, c->dx2));
  }
  if (c->op == TENSOR_FUSED) {
    MRANK_TRY(
        mrank_tensor_apart(function, "loss", c->loss_desc, c->loss, "dx1", c->dx1_desc, c->dx1));
    MRANK_TRY(
        mrank_tensor_apart(function, "loss", c->loss_desc, c->loss, "dx2", c->dx2_desc, c->dx2));
  }
  *outputs_contiguous = contiguous;
error:
  return status;
}

static const void *at(const void *base, size_t offset, size_t element_size) {
  return (const unsigned char *)base + offset * element_size;
}

/* The contiguous entry point (or its reference, ctx NULL) on n elements. */
static mrank_status contiguous_call(mrank_context *ctx, const tensor_call *c,
                                    const mrank_desc *desc, size_t n, const void *x1,
                                    const void *x2, const void *y, const void *dloss, void *loss,
                                    void *dx1, void *dx2) {
  if (c->op == TENSOR_FORWARD) {
    return ctx != NULL ? mrank_forward_ex(ctx, desc, n, x1, x2, y, loss)
                       : mrank_reference_forward_ex(desc, n, x1, x2, y, loss);
  }
  if (c->op == TENSOR_BACKWARD) {
    return ctx != NULL ? mrank_backward_ex(ctx, desc, n, x1, x2, y, dloss, dx1, dx2)
                       : mrank_reference_backward_ex(desc, n, x1, x2, y, dloss, dx1, dx2);
  }
  return ctx != NULL ? mrank_forward_backward_ex(ctx, desc, n, x1, x2, y, loss, dx1, dx2)
                     : mrank_reference_forward_backward_ex(desc, n, x1, x2, y, loss, dx1, dx2);
}

static mrank_status run_host(const char *function, mrank_context *ctx, const tensor_call *c) {
  mrank_status status = MRANK_SUCCESS;
  mrank_broadcast plan;
  int outputs_contiguous = 0;
  unsigned char *scratch = NULL;
  MRANK_TRY(check_call(function, c, &plan, &outputs_contiguous));
  const mrank_variant *v = &plan.variant;
  const mrank_desc desc = {v->data, v->labels, c->reduction, c->margin};
  const size_t D = v->data_size, L = v->label_size, n = plan.count;
  const int reduced = c->reduction != MRANK_REDUCTION_NONE;
  if (plan.contiguous && outputs_contiguous) { /* the contiguous path itself */
    return contiguous_call(
        ctx, c, &desc, n, at(c->x1, c->x1_desc->offset, D), at(c->x2, c->x2_desc->offset, D),
        at(c->y, c->y_desc->offset, L),
        c->op == TENSOR_BACKWARD ? at(c->dloss, c->dloss_desc->offset, D) : NULL,
        c->op != TENSOR_BACKWARD ? (void *)at(c->loss, c->loss_desc->offset, D) : NULL,
        c->op != TENSOR_FORWARD ? (void *)at(c->dx1, c->dx1_desc->offset, D) : NULL,
        c->op != TENSOR_FORWARD ? (void *)at(c->dx2, c->dx2_desc->offset, D) : NULL);
  }
  MRANK_TRY(mrank_check_count(function, n, v));
  /* x1, x2, y, dloss (NONE) in the broadcast shape; loss; dx1 and dx2 in it */
  const size_t loss_count = reduced ? 1 : n;
  size_t bytes = 0;
  const size_t parts[7] = {n * D, n * D, n * L, n * D, loss_count * D, n * D, n * D};
  for (int k = 0; k < 7; ++k)
    bytes += parts[k] + 8; /* each part 8-aligned */
  scratch = malloc(bytes + 64);
  MRANK_CHECK(scratch != NULL, MRANK_ERROR_OUT_OF_MEMORY,
              "%s: out of host memory for the broadcast shape's %zu elements", function, n);
  unsigned char *part[7];
  size_t used = 0;
  for (int k = 0; k < 7; ++k) {
    part[k] = scratch + used;
    used += (parts[k] + 15) / 8 * 8;
  }
  mrank_tensor_gather(&plan, &plan.x1, D, c->x1, part[0]);
  mrank_tensor_gather(&plan, &plan.x2, D, c->x2, part[1]);
  mrank_tensor_gather(&plan, &plan.y, L, c->y, part[2]);
  const void *dloss = NULL;
  if (c->op == TENSOR_BACKWARD) {
    if (reduced) {
      dloss = at(c->dloss, c->dloss_desc->offset, D);
    } else {
      const mrank_aligned view = mrank_tensor_aligned(&plan, c->dloss_desc);
      mrank_tensor_gather(&plan, &view, D, c->dloss, part[3]);
      dloss = part[3];
    }
  }
  MRANK_TRY(contiguous_call(ctx, c, &desc, n, part[0], part[1], part[2], dloss, part[4], part[5],
                            part[6]));
  if (c->op != TENSOR_BACKWARD) {
    if (reduced) {
      memcpy((unsigned char *)c->loss + c->loss_desc->offset * D, part[4], D);
    } else {
      const mrank_aligned view = mrank_tensor_aligned(&plan, c->loss_desc);
      mrank_tensor_scatter(&plan, &view, D, part[4], c->loss);
    }
  }
  if (c->op != TENSOR_FORWARD) {
    mrank_tensor_reduce_to(&plan, &plan.x1, v->data, part[5], c->dx1_desc, c->dx1);
    mrank_tensor_reduce_to(&plan, &plan.x2, v->data, part[6], c->dx2_desc, c->dx2);
  }
error:
  free(scratch);
  return status;
}

/* (the contiguous entry point that run_host calls does the debug builds' one-thread check) */
static mrank_status run_device(const char *function, mrank_context *ctx, const tensor_call *c) {
  mrank_clear_error();
  const mrank_status status = mrank_check_context(function, ctx);
  return status != MRANK_SUCCESS ? status : run_host(function, ctx, c);
}

mrank_status mrank_forward_tensor(mrank_context *ctx, mrank_reduction reduction, double margin,
                                  const mrank_tensor *x1_desc, const void *x1,
                                  const mrank_tensor *x2_desc, const void *x2,
                                  const mrank_tensor *y_desc, const void *y,
                                  const mrank_tensor *loss_desc, void *loss) {
  const tensor_call c = {.op = TENSOR_FORWARD,
                         .reduction = reduction,
                         .margin = margin,
                         .x1_desc = x1_desc,
                         .x2_desc = x2_desc,
                         .y_desc = y_desc,
                         .loss_desc = loss_desc,
                         .x1 = x1,
                         .x2 = x2,
                         .y = y,
                         .loss = loss};
  return run_device("mrank_forward_tensor", ctx, &c);
}

mrank_status mrank_backward_tensor(mrank_context *ctx, mrank_reduction reduction, double margin,
                                   const mrank_tensor *x1_desc, const void *x1,
                                   const mrank_tensor *x2_desc, const void *x2,
                                   const mrank_tensor *y_desc, const void *y,
                                   const mrank_tensor *dloss_desc, const void *dloss,
                                   const mrank_tensor *dx1_desc, void *dx1,
                                   const mrank_tensor *dx2_desc, void *dx2) {
  const tensor_call c = {.op = TENSOR_BACKWARD,
                         .reduction = reduction,
                         .margin = margin,
                         .x1_desc = x1_desc,
                         .x2_desc = x2_desc,
                         .y_desc = y_desc,
                         .dloss_desc = dloss_desc,
                         .dx1_desc = dx1_desc,
                         .dx2_desc = dx2_desc,
                         .x1 = x1,
                         .x2 = x2,
                         .y = y,
                         .dloss = dloss,
                         .dx1 = dx1,
                         .dx2 = dx2};
  return run_device("mrank_backward_tensor", ctx, &c);
}

mrank_status mrank_forward_backward_tensor(mrank_context *ctx, mrank_reduction reduction,
                                           double margin, const mrank_tensor *x1_desc,
                                           const void *x1, const mrank_tensor *x2_desc,
                                           const void *x2, const mrank_tensor *y_desc,
                                           const void *y, const mrank_tensor *loss_desc, void *loss,
                                           const mrank_tensor *dx1_desc, void *dx1,
                                           const mrank_tensor *dx2_desc, void *dx2) {
  const tensor_call c = {.op = TENSOR_FUSED,
                         .reduction = reduction,
                         .margin = margin,
                         .x1_desc = x1_desc,
                         .x2_desc = x2_desc,
                         .y_desc = y_desc,
                         .loss_desc = loss_desc,
                         .dx1_desc = dx1_desc,
                         .dx2_desc = dx2_desc,
                         .x1 = x1,
                         .x2 = x2,
                         .y = y,
                         .loss = loss,
                         .dx1 = dx1,
                         .dx2 = dx2};
  return run_device("mrank_forward_backward_tensor", ctx, &c);
}

mrank_status mrank_reference_forward_tensor(mrank_reduction reduction, double margin,
                                            const mrank_tensor *x1_desc, const void *x1,
                                            const mrank_tensor *x2_desc, const void *x2,
                                            const mrank_tensor *y_desc, const void *y,
                                            const mrank_tensor *loss_desc, void *loss) {
  const tensor_call c = {.op = TENSOR_FORWARD,
                         .reduction = reduction,
                         .margin = margin,
                         .x1_desc = x1_desc,
                         .x2_desc = x2_desc,
                         .y_desc = y_desc,
                         .loss_desc = loss_desc,
                         .x1 = x1,
                         .x2 = x2,
                         .y = y,
                         .loss = loss};
  mrank_clear_error();
  return run_host("mrank_reference_forward_tensor", NULL, &c);
}

mrank_status mrank_reference_backward_tensor(mrank_reduction reduction, double margin,
                                             const mrank_tensor *x1_desc, const void *x1,
                                             const mrank_tensor *x2_desc, const void *x2,
                                             const mrank_tensor *y_desc, const void *y,
                                             const mrank_tensor *dloss_desc, const void *dloss,
                                             const mrank_tensor *dx1_desc, void *dx1,
                                             const mrank_tensor *dx2_desc, void *dx2) {
  const tensor_call c = {.op = TENSOR_BACKWARD,
                         .reduction = reduction,
                         .margin = margin,
                         .x1_desc = x1_desc,
                         .x2_desc = x2_desc,
                         .y_desc = y_desc,
                         .dloss_desc = dloss_desc,
                         .dx1_desc = dx1_desc,
                         .dx2_desc = dx2_desc,
                         .x1 = x1,
                         .x2 = x2,
                         .y = y,
                         .dloss = dloss,
                         .dx1 = dx1,
                         .dx2 = dx2};
  mrank_clear_error();
  return run_host("mrank_reference_backward_tensor", NULL, &c);
}

mrank_status mrank_reference_forward_backward_tensor(mrank_reduction reduction, double margin,
                                                     const mrank_tensor *x1_desc, const void *x1,
                                                     const mrank_tensor *x2_desc, const void *x2,
                                                     const mrank_tensor *y_desc, const void *y,
                                                     const mrank_tensor *loss_desc, void *loss,
                                                     const mrank_tensor *dx1_desc, void *dx1,
                                                     const mrank_tensor *dx2_desc, void *dx2) {
  const tensor_call c = {.op = TENSOR_FUSED,
                         .reduction = reduction,
                         .margin = margin,
                         .x1_desc = x1_desc,
                         .x2_desc = x2_desc,
                         .y_desc = y_desc,
                         .loss_desc = loss_desc,
                         .dx1_desc = dx1_desc,
                         .dx2_desc = dx2_desc,
                         .x1 = x1,
                         .x2 = x2,
                         .y = y,
                         .loss = loss,
                         .dx1 = dx1,
                         .dx2 = dx2};
  mrank_clear_error();
  return run_host("mrank_reference_forward_backward_tensor", NULL, &c);
}
