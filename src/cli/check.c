/* check.c: comparisons of device results against the reference. */
#include "cli/check.h"

#include <math.h>
#include <string.h>

static int same_value(float a, float b) {
  if (isnan(a) && isnan(b)) return 1;
  return memcmp(&a, &b, sizeof a) == 0;
}

size_t mrank_count_mismatches(const float *device, const float *reference, size_t n,
                              size_t *first_mismatch) {
  size_t mismatches = 0;
  *first_mismatch = n;
  for (size_t i = 0; i < n; ++i) {
    if (same_value(device[i], reference[i])) continue;
    if (mismatches++ == 0) *first_mismatch = i;
  }
  return mismatches;
}

int mrank_reduction_within(float device, float reference, double bound, double *abs_error) {
  if (same_value(device, reference)) {
    *abs_error = 0.0;
    return 1;
  }
  *abs_error = fabs((double)device - (double)reference);
  if (isnan(*abs_error)) return 0;
  return *abs_error <= bound * fabs((double)reference);
}
