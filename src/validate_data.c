/* validate_data.c: validation inputs. Random values at several scales, and the operator's edge
 * cases at known positions (edge k of K sits at index k * (n / K)), so that a failure report points
 * at one. */
#include "validate_data.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "random.h"

typedef struct edge_case {
  float x1, x2, y;
  int finite_sum; /* kept for reductions: the loss stays finite */
} edge_case;

/* The edge cases for margin m (dist = -y (x1 - x2) + m). */
static size_t make_edges(float m, edge_case *edges) {
  const float above = nextafterf(m, -INFINITY), below = nextafterf(m, INFINITY);
  const edge_case table[] = {
      {m, 0.0f, 1.0f, 1},            /* dist exactly 0: the gradient passes */
      {above, 0.0f, 1.0f, 1},        /* dist one step above 0 */
      {below, 0.0f, 1.0f, 1},        /* dist one step below 0: loss and gradient 0 */
      {0.0f, -0.0f, 1.0f, 1},        /* +-0 */
      {-0.0f, 0.0f, -1.0f, 1},       /* +-0 the other way */
      {1e-40f, -1e-41f, 1.0f, 1},    /* subnormal inputs */
      {1e-38f, 0.0f, 1e-3f, 1},      /* a subnormal product */
      {0.5f, 0.25f, 0.37f, 1},       /* y is a multiplier, not a label */
      {0.5f, 0.25f, -2.5f, 1},       /* likewise */
      {3.0f, 1.0f, 0.0f, 1},         /* y = 0: dist = margin */
      {NAN, 0.0f, 1.0f, 0},          /* NaN in each input propagates */
      {0.0f, NAN, 1.0f, 0},          /* ... */
      {0.0f, 0.0f, NAN, 0},          /* ... */
      {INFINITY, 0.0f, 1.0f, 0},     /* dist = -Inf: loss 0 */
      {-INFINITY, 0.0f, 1.0f, 0},    /* dist = +Inf */
      {INFINITY, INFINITY, 1.0f, 0}, /* Inf - Inf = NaN */
      {FLT_MAX, -FLT_MAX, -1.0f, 0}, /* x1 - x2 overflows to Inf */
  };
  const size_t count = sizeof table / sizeof table[0];
  for (size_t k = 0; k < count; ++k)
    edges[k] = table[k];
  return count;
}

mrank_status mrank_problem_data_make(const mrank_problem *problem, mrank_problem_data *data) {
  const size_t n = problem->n, slots = n > 0 ? n : 1;
  data->n = n;
  data->x1 = malloc(slots * sizeof(float));
  data->x2 = malloc(slots * sizeof(float));
  data->y = malloc(slots * sizeof(float));
  data->dloss = malloc(slots * sizeof(float));
  if (data->x1 == NULL || data->x2 == NULL || data->y == NULL || data->dloss == NULL) {
    mrank_problem_data_free(data);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                      "mrank_validate: out of host memory for a problem of %zu elements", n);
  }
  static const float scales[] = {1e-3f, 1e-1f, 1.0f, 10.0f, 1e3f};
  mrank_random random = {problem->seed * 0x2545f4914f6cdd1dull + 1};
  for (size_t i = 0; i < n; ++i) {
    const float scale = scales[mrank_random_next(&random) % 5];
    data->x1[i] = scale * mrank_random_uniform(&random, -1.0f, 1.0f);
    data->x2[i] = scale * mrank_random_uniform(&random, -1.0f, 1.0f);
    data->y[i] = mrank_random_sign(&random);
    data->dloss[i] = mrank_random_uniform(&random, -2.0f, 2.0f);
  }
  if (n == 0) data->dloss[0] = 1.0f;
  edge_case edges[32];
  const size_t edge_count = make_edges(problem->margin, edges);
  const int reduced = problem->reduction != MRANK_REDUCTION_NONE;
  /* every other element at most, so that small problems keep random values (and a non-zero loss) */
  const size_t stride = n >= 2 * edge_count ? n / edge_count : 2;
  for (size_t k = 0; k < edge_count && k * stride + stride / 2 < n; ++k) {
    const size_t at = k * stride + stride / 2;
    if (reduced && !edges[k].finite_sum) continue;
    data->x1[at] = edges[k].x1;
    data->x2[at] = edges[k].x2;
    data->y[at] = edges[k].y;
  }
  return MRANK_SUCCESS;
}

void mrank_problem_data_free(mrank_problem_data *data) {
  free(data->x1);
  free(data->x2);
  free(data->y);
  free(data->dloss);
  data->x1 = data->x2 = data->y = data->dloss = NULL;
}
