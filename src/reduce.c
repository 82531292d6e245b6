/* reduce.c: the shape of the summation tree behind MEAN and SUM, and the error bound that follows
 * from it. Pass 1 turns n elements into ceil(n / 64) partial sums (chunks of the host-array path
 * are multiples of 64, so they do not change this); later passes turn c partials into ceil(c / 16),
 * until one is left. */
#include <float.h>

#include "context.h"
#include "reduce.h"

size_t mrank_first_pass_outputs(size_t n) {
  return n / MRANK_FIRST_FAN_IN + (n % MRANK_FIRST_FAN_IN != 0);
}

size_t mrank_pass_outputs(size_t n) {
  return n / MRANK_FAN_IN + (n % MRANK_FAN_IN != 0);
}

/* Pass 1 adds 64 values pairwise (a tree of depth 6), each later pass 16 (depth 4); a rounding on
 * each level, each bounded by
 * FLT_EPSILON times the sum of the magnitudes below it (Higham, "Accuracy and Stability of
 * Numerical Algorithms", 4.2). Then the MEAN scale, and the reference's own rounding to float: one
 * each. */
static size_t rounding_levels(size_t n) {
  const size_t partials = mrank_first_pass_outputs(n);
  size_t later_passes = 1; /* the last pass runs even on a single partial: it applies the scale */
  for (size_t count = partials; count > MRANK_FAN_IN; count = mrank_pass_outputs(count)) {
    later_passes++;
  }
  return 6 + 4 * later_passes + 2;
}

double mrank_reduction_error_bound_ex(const mrank_context *ctx, const mrank_desc *desc, size_t n) {
  if (!mrank_context_live(ctx) || desc == NULL) return 0.0;
  const double unit = desc->data == MRANK_DTYPE_F64 ? DBL_EPSILON : FLT_EPSILON;
  if (ctx->is_host) return unit;
  if (n == 0) return 0.0;
  /* half and bfloat16 storage: the device's and the reference's results are each rounded once
   * more, by at most half a unit of the stored precision (2^-11 and 2^-8) */
  const double storage = desc->data == MRANK_DTYPE_F16    ? 2.0 * 0x1p-11
                         : desc->data == MRANK_DTYPE_BF16 ? 2.0 * 0x1p-8
                                                          : 0.0;
  return (double)rounding_levels(n) * unit + storage;
}

double mrank_reduction_error_bound(const mrank_context *ctx, size_t n) {
  const mrank_desc desc = {MRANK_DTYPE_F32, MRANK_DTYPE_F32, MRANK_REDUCTION_SUM, 0.0};
  return mrank_reduction_error_bound_ex(ctx, &desc, n);
}
