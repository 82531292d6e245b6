/* helpers.h: test data and comparisons shared by the test files. Inputs are random (fixed seeds)
 * with the edge cases of the operator planted at known positions. */
#ifndef MRANK_TEST_HELPERS_H
#define MRANK_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mrank.h"
#include "random.h"

typedef struct test_inputs {
  size_t n;
  float *x1, *x2, *y, *dloss;
} test_inputs;

/* Edge cases planted at the start of the arrays (margin 1): dist exactly 0, just below and above 0,
 * NaN in each input, +-Inf (including Inf - Inf), +-0, subnormals, y outside {-1, 1}. */
static const float edge_x1[] = {1.0f,     1.0f,      1.0f,     NAN,     0.0f,    0.0f,
                                INFINITY, -INFINITY, INFINITY, 0.0f,    -0.0f,   1e-40f,
                                3.0f,     0.5f,      2.0f,     FLT_MAX, -FLT_MAX};
static const float edge_x2[] = {0.0f, 1.1920929e-7f, -1.1920929e-7f, 0.0f,     NAN,    0.0f,
                                0.0f, 0.0f,          INFINITY,       -0.0f,    0.0f,   -1e-40f,
                                1.0f, 0.25f,         -1.0f,          -FLT_MAX, FLT_MAX};
static const float edge_y[] = {1.0f, 1.0f,  1.0f,   1.0f,  1.0f,  NAN,  1.0f, 1.0f, 1.0f,
                               1.0f, -1.0f, 1e-38f, 0.37f, -2.5f, 0.0f, 1.0f, -1.0f};
enum { edge_count = sizeof edge_x1 / sizeof edge_x1[0] };

static inline float *test_alloc(size_t n) {
  float *p = malloc((n > 0 ? n : 1) * sizeof(float));
  cr_assert_not_null(p);
  return p;
}

/* Random inputs at several scales; with_edges plants the edge cases (they make a reduction NaN). */
static inline test_inputs make_inputs(size_t n, unsigned long long seed, int with_edges) {
  test_inputs in = {n, test_alloc(n), test_alloc(n), test_alloc(n), test_alloc(n)};
  mrank_random random = {seed};
  static const float scales[] = {1e-3f, 1.0f, 1e3f};
  for (size_t i = 0; i < n; ++i) {
    const float scale = scales[mrank_random_next(&random) % 3];
    in.x1[i] = scale * mrank_random_uniform(&random, -1.0f, 1.0f);
    in.x2[i] = scale * mrank_random_uniform(&random, -1.0f, 1.0f);
    /* mostly +-1, sometimes a multiple of 0.37: labels are multipliers, not checked */
    in.y[i] = (mrank_random_next(&random) % 8 == 0)
                  ? 0.37f * (float)((int)(mrank_random_next(&random) % 7) - 3)
                  : mrank_random_sign(&random);
    in.dloss[i] = mrank_random_uniform(&random, -2.0f, 2.0f);
  }
  if (with_edges) {
    for (size_t e = 0; e < edge_count && e < n; ++e) {
      in.x1[e] = edge_x1[e];
      in.x2[e] = edge_x2[e];
      in.y[e] = edge_y[e];
    }
  }
  return in;
}

static inline void free_inputs(test_inputs *in) {
  free(in->x1);
  free(in->x2);
  free(in->y);
  free(in->dloss);
}

static inline unsigned float_bits(float value) {
  unsigned bits;
  memcpy(&bits, &value, sizeof bits);
  return bits;
}

/* Bitwise equality, NaN equal to NaN whatever its payload (drivers produce different NaN bits for
 * Inf - Inf; the NaN-ness is the semantics). Reports the first difference. */
static inline void assert_same_bits(const float *got, const float *want, size_t n, const char *what,
                                    size_t size_for_message) {
  for (size_t i = 0; i < n; ++i) {
    if (isnan(got[i]) && isnan(want[i])) continue;
    cr_assert(memcmp(&got[i], &want[i], sizeof(float)) == 0,
              "%s (n = %zu): element %zu is %.9g (0x%08x) on the device, %.9g on the reference",
              what, size_for_message, i, got[i], float_bits(got[i]), want[i]);
  }
}

#endif /* MRANK_TEST_HELPERS_H */
