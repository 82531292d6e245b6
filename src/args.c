/* args.c: argument checks shared by every forward/backward entry point. */
#include "args.h"

#include "errors.h"

static mrank_status check_reduction(const char *function, mrank_reduction reduction) {
  if (reduction == MRANK_REDUCTION_NONE || reduction == MRANK_REDUCTION_MEAN ||
      reduction == MRANK_REDUCTION_SUM) {
    return MRANK_SUCCESS;
  }
  return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                    "%s: reduction %d is not an mrank_reduction; pass MRANK_REDUCTION_NONE, "
                    "MRANK_REDUCTION_MEAN or MRANK_REDUCTION_SUM",
                    function, (int)reduction);
}

static mrank_status check_array(const char *function, const char *name, const void *array,
                                const char *why) {
  if (array != NULL) return MRANK_SUCCESS;
  return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL but %s; pass an array of %s",
                    function, name, why, why[0] == 'r' ? "the input" : "the right size");
}

static mrank_status check_inputs(const char *function, size_t n, const void *x1, const void *x2,
                                 const void *y) {
  if (n == 0) return MRANK_SUCCESS;
  mrank_status status = check_array(function, "x1", x1, "read for n > 0 elements");
  if (status == MRANK_SUCCESS) status = check_array(function, "x2", x2, "read for n > 0 elements");
  if (status == MRANK_SUCCESS) status = check_array(function, "y", y, "read for n > 0 elements");
  return status;
}

mrank_status mrank_check_forward_args(const char *function, size_t n, const void *x1,
                                      const void *x2, const void *y, mrank_reduction reduction,
                                      const void *loss) {
  mrank_status status = check_reduction(function, reduction);
  if (status == MRANK_SUCCESS) status = check_inputs(function, n, x1, x2, y);
  if (status == MRANK_SUCCESS && (n > 0 || reduction != MRANK_REDUCTION_NONE)) {
    status = check_array(
        function, "loss", loss,
        reduction == MRANK_REDUCTION_NONE ? "written (n elements)" : "written (1 element)");
  }
  return status;
}

mrank_status mrank_check_backward_args(const char *function, size_t n, const void *x1,
                                       const void *x2, const void *y, mrank_reduction reduction,
                                       const void *dloss, const void *dx1, const void *dx2) {
  mrank_status status = check_reduction(function, reduction);
  if (status == MRANK_SUCCESS) status = check_inputs(function, n, x1, x2, y);
  if (status != MRANK_SUCCESS || n == 0) return status;
  status =
      check_array(function, "dloss", dloss,
                  reduction == MRANK_REDUCTION_NONE ? "read (n elements)" : "read (1 element)");
  if (status == MRANK_SUCCESS) status = check_array(function, "dx1", dx1, "written (n elements)");
  if (status == MRANK_SUCCESS) status = check_array(function, "dx2", dx2, "written (n elements)");
  return status;
}

mrank_status mrank_check_fused_args(const char *function, size_t n, const void *x1, const void *x2,
                                    const void *y, mrank_reduction reduction, const void *loss,
                                    const void *dx1, const void *dx2) {
  mrank_status status = mrank_check_forward_args(function, n, x1, x2, y, reduction, loss);
  if (status != MRANK_SUCCESS || n == 0) return status;
  status = check_array(function, "dx1", dx1, "written (n elements)");
  if (status == MRANK_SUCCESS) status = check_array(function, "dx2", dx2, "written (n elements)");
  return status;
}

float mrank_mean_scale(size_t n) {
  return (float)(1.0 / (double)n);
}
