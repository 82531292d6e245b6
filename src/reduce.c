/* reduce.c: the shape of the two-stage summation tree behind MEAN and SUM, and the error bound that
 * follows from it. */
#include <float.h>

#include "internal.h"

static size_t ceil_div(size_t a, size_t b) {
  return a / b + (a % b != 0);
}

static unsigned log2_of(size_t power_of_two) {
  unsigned levels = 0;
  while (power_of_two > 1) {
    power_of_two /= 2;
    ++levels;
  }
  return levels;
}

size_t mrank_reduction_groups(const mrank_context *ctx, size_t n) {
  size_t groups = ceil_div(n, ctx->local_size);
  if (groups > MRANK_MAX_REDUCTION_GROUPS) groups = MRANK_MAX_REDUCTION_GROUPS;
  return groups > 0 ? groups : 1;
}

/* Recursive summation of k terms loses at most (k - 1) roundings and a tree of depth d at most d,
 * each bounded by FLT_EPSILON times the sum of the magnitudes below it (Higham, "Accuracy and
 * Stability of Numerical Algorithms", 4.2). The path from an element to the result: the serial loop
 * of its work-item, the work-group's tree, the second stage's serial loop and tree, then the MEAN
 * scale and the reference's own rounding to float (one each). */
double mrank_reduction_error_bound(const mrank_context *ctx, size_t n) {
  if (ctx == NULL) return 0.0;
  if (ctx->is_host) return FLT_EPSILON;
  if (n == 0) return 0.0;
  const size_t chunk = n < ctx->chunk_elements ? n : ctx->chunk_elements;
  const size_t chunks = ceil_div(n, ctx->chunk_elements);
  const size_t first_groups = mrank_reduction_groups(ctx, chunk);
  const size_t last = n - (chunks - 1) * ctx->chunk_elements;
  const size_t partials = (chunks - 1) * first_groups + mrank_reduction_groups(ctx, last);
  const size_t serial_first = ceil_div(chunk, first_groups * ctx->local_size);
  const size_t serial_second = ceil_div(partials, ctx->local_size);
  const unsigned tree = log2_of(ctx->local_size);
  const size_t levels = serial_first + tree + serial_second + tree + 2;
  return (double)levels * FLT_EPSILON;
}
