/* validate_data.c: validation inputs. Random values at several scales, and the operator's edge
 * cases at known positions (edge k of K at index k * s + s / 2, s = n / K, or 2 for n < 2K), so
 * that a failure report points at one. Values are made in double and stored in the problem's types
 * (so half and bfloat16 data see their own rounding, subnormals and overflow). */
#include "validate_data.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "errors.h"
#include "types.h"
#include "random.h"

typedef struct edge_case {
  double x1, x2, y;
  int finite_sum;    /* kept for reductions: the loss stays finite */
  int integer_label; /* y is an integer: kept for I32 and I8 labels */
} edge_case;

/* The edge cases for margin m (dist = -y (x1 - x2) + m); "one step" is one float ulp of m. */
static size_t make_edges(float m, edge_case *edges) {
  const double above = nextafterf(m, -INFINITY), below = nextafterf(m, INFINITY);
  const edge_case table[] = {
      {m, 0.0, 1.0, 1, 1},             /* dist exactly 0: the gradient passes */
      {above, 0.0, 1.0, 1, 1},         /* dist one step above 0 */
      {below, 0.0, 1.0, 1, 1},         /* dist one step below 0: loss and gradient 0 */
      {0.0, -0.0, 1.0, 1, 1},          /* +-0 */
      {-0.0, 0.0, -1.0, 1, 1},         /* +-0 the other way */
      {1e-40, -1e-41, 1.0, 1, 1},      /* subnormal inputs (zero in half and bfloat16) */
      {6e-8, 0.0, -1.0, 1, 1},         /* a half subnormal */
      {0.5, 0.25, 0.37, 1, 0},         /* y is a multiplier, not a label */
      {0.5, 0.25, -2.5, 1, 0},         /* likewise */
      {0.5, 0.25, -3.0, 1, 1},         /* an integer multiplier */
      {3.0, 1.0, 0.0, 1, 1},           /* y = 0: dist = margin */
      {70000.0, -1.0, -1.0, 0, 1},     /* beyond half's range: Inf in half storage */
      {NAN, 0.0, 1.0, 0, 1},           /* NaN in each input propagates */
      {0.0, NAN, 1.0, 0, 1},           /* ... */
      {0.0, 0.0, NAN, 0, 0},           /* ... (no NaN in an integer label) */
      {INFINITY, 0.0, 1.0, 0, 1},      /* dist = -Inf: loss 0 */
      {-INFINITY, 0.0, 1.0, 0, 1},     /* dist = +Inf */
      {INFINITY, INFINITY, 1.0, 0, 1}, /* Inf - Inf = NaN */
      {FLT_MAX, -FLT_MAX, -1.0, 0, 1}, /* x1 - x2 overflows to Inf in float */
  };
  const size_t count = sizeof table / sizeof table[0];
  for (size_t k = 0; k < count; ++k)
    edges[k] = table[k];
  return count;
}

void mrank_problem_data_free(mrank_problem_data *data) {
  void *arrays[] = {data->x1,       data->x2,       data->y,       data->dloss,
                    data->x1_value, data->x2_value, data->y_value, data->dloss_value};
  for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; ++a)
    free(arrays[a]);
  data->x1 = data->x2 = data->y = data->dloss = NULL;
  data->x1_value = data->x2_value = data->y_value = data->dloss_value = NULL;
}

mrank_status mrank_problem_data_make(const mrank_problem *problem, mrank_problem_data *data) {
  const size_t n = problem->n, slots = n > 0 ? n : 1;
  const mrank_dtype type = problem->data, labels = problem->labels;
  const int integer_labels = labels == MRANK_DTYPE_I32 || labels == MRANK_DTYPE_I8;
  data->n = n;
  data->x1 = malloc(slots * mrank_dtype_size(type));
  data->x2 = malloc(slots * mrank_dtype_size(type));
  data->y = malloc(slots * mrank_dtype_size(labels));
  data->dloss = malloc(slots * mrank_dtype_size(type));
  data->x1_value = malloc(slots * sizeof(double));
  data->x2_value = malloc(slots * sizeof(double));
  data->y_value = malloc(slots * sizeof(double));
  data->dloss_value = malloc(slots * sizeof(double));
  if (data->x1 == NULL || data->x2 == NULL || data->y == NULL || data->dloss == NULL ||
      data->x1_value == NULL || data->x2_value == NULL || data->y_value == NULL ||
      data->dloss_value == NULL) {
    mrank_problem_data_free(data);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                      "mrank_validate: out of host memory for a problem of %zu elements", n);
  }
  static const double scales[] = {1e-3, 1e-1, 1.0, 10.0, 1e3};
  mrank_random random = {problem->seed * 0x2545f4914f6cdd1dull + 1};
  for (size_t i = 0; i < n; ++i) {
    const double scale = scales[mrank_random_next(&random) % 5];
    mrank_encode(type, data->x1, i, scale * mrank_random_uniform(&random, -1.0f, 1.0f));
    mrank_encode(type, data->x2, i, scale * mrank_random_uniform(&random, -1.0f, 1.0f));
    mrank_encode(labels, data->y, i, mrank_random_sign(&random));
    mrank_encode(type, data->dloss, i, mrank_random_uniform(&random, -2.0f, 2.0f));
  }
  if (n == 0) mrank_encode(type, data->dloss, 0, 1.0);
  edge_case edges[32];
  const size_t edge_count = make_edges(problem->margin, edges);
  const int reduced = problem->reduction != MRANK_REDUCTION_NONE;
  /* every other element at most, so that small problems keep random values (and a non-zero loss) */
  const size_t stride = n >= 2 * edge_count ? n / edge_count : 2;
  for (size_t k = 0; k < edge_count && k * stride + stride / 2 < n; ++k) {
    const size_t at = k * stride + stride / 2;
    if ((reduced && !edges[k].finite_sum) || (integer_labels && !edges[k].integer_label)) continue;
    mrank_encode(type, data->x1, at, edges[k].x1);
    mrank_encode(type, data->x2, at, edges[k].x2);
    mrank_encode(labels, data->y, at, edges[k].y);
  }
  for (size_t i = 0; i < slots; ++i) {
    data->x1_value[i] = i < n ? mrank_decode(type, data->x1, i) : 0.0;
    data->x2_value[i] = i < n ? mrank_decode(type, data->x2, i) : 0.0;
    data->y_value[i] = i < n ? mrank_decode(labels, data->y, i) : 0.0;
    data->dloss_value[i] = mrank_decode(type, data->dloss, i);
  }
  return MRANK_SUCCESS;
}
