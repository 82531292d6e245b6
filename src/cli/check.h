/* check.h: how the CLI compares device results with the CPU reference: bit for bit for elementwise
 * outputs (NaN equals NaN whatever its payload), within the library's stated bound for reductions.
 */
#ifndef MRANK_CLI_CHECK_H
#define MRANK_CLI_CHECK_H

#include <stddef.h>

/* Number of elements whose bits differ; *first_mismatch gets the first such index (n if none). */
size_t mrank_count_mismatches(const float *device, const float *reference, size_t n,
                              size_t *first_mismatch);
/* Whether a reduced value is within bound * |reference| of the reference (terms are non-negative,
 * so |reference| is the sum of magnitudes the bound is stated against). */
int mrank_reduction_within(float device, float reference, double bound, double *abs_error);

#endif /* MRANK_CLI_CHECK_H */
