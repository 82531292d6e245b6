/* args.c: argument checks shared by every forward/backward entry point. */
#include "args.h"

#include "errors.h"

#include <stdint.h>

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

typedef struct named_range {
  const char *name;
  const char *start;
  size_t bytes;
} named_range;

static int ranges_overlap(const named_range *a, const named_range *b) {
  return a->start != NULL && b->start != NULL && a->bytes > 0 && b->bytes > 0 &&
         a->start < b->start + b->bytes && b->start < a->start + a->bytes;
}

mrank_status mrank_check_outputs(const char *function, size_t n, const mrank_variant *v,
                                 mrank_reduction reduction, const void *x1, const void *x2,
                                 const void *y, const void *dloss, const void *loss,
                                 const void *dx1, const void *dx2) {
  if (n == 0) return MRANK_SUCCESS;
  const size_t data = n * v->data_size;
  const size_t scalar = reduction == MRANK_REDUCTION_NONE ? data : v->data_size;
  const named_range inputs[] = {
      {"x1", x1, data}, {"x2", x2, data}, {"y", y, n * v->label_size}, {"dloss", dloss, scalar}};
  const named_range outputs[] = {{"loss", loss, scalar}, {"dx1", dx1, data}, {"dx2", dx2, data}};
  for (size_t o = 0; o < 3; ++o) {
    for (size_t p = o + 1; p < 3; ++p) {
      if (!ranges_overlap(&outputs[o], &outputs[p])) continue;
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "%s: the outputs %s and %s share memory (%s); give each output an array of "
                        "its own",
                        function, outputs[o].name, outputs[p].name,
                        outputs[o].start == outputs[p].start ? "the same array" : "they overlap");
    }
    for (size_t i = 0; i < 4; ++i) {
      if (!ranges_overlap(&outputs[o], &inputs[i])) continue;
      /* in place: the same array of the same length, element i read before it is written */
      if (outputs[o].start == inputs[i].start && outputs[o].bytes == inputs[i].bytes) continue;
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "%s: the output %s overlaps the input %s without being it; an output may "
                        "be an input of the same length (in place) or apart from every input",
                        function, outputs[o].name, inputs[i].name);
    }
  }
  return MRANK_SUCCESS;
}
