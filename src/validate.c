/* validate.c: mrank_validate, the mirror of the CPU reference for one problem: run the device twice
 * (determinism), the reference once, compare every output (bit for bit, or within the reduction
 * bound), check canaries past the ends, and check the device's gradient against central
 * differences. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "validate_data.h"

enum { canary_length = 16 };
static const unsigned canary_bits = 0x7fc0deadu; /* a NaN no kernel writes by accident */

typedef struct output_arrays {
  float *device[3], *again[3], *reference[3]; /* loss, dx1, dx2 */
  size_t length[3];                           /* 0: the op has no such output */
} output_arrays;

const char *mrank_verdict_string(mrank_verdict verdict) {
  switch (verdict) {
    case MRANK_VERDICT_PASSED:
      return "PASSED";
    case MRANK_VERDICT_FAILED:
      return "FAILED";
    case MRANK_VERDICT_MISTRUSTED:
      return "MISTRUSTED";
  }
  return "UNKNOWN";
}

static void fill_canary(float *array, size_t length) {
  for (size_t i = length; i < length + canary_length; ++i)
    memcpy(&array[i], &canary_bits, 4);
}

static int canary_intact(const float *array, size_t length) {
  for (size_t i = length; i < length + canary_length; ++i) {
    if (memcmp(&array[i], &canary_bits, 4) != 0) return 0;
  }
  return 1;
}

static void free_outputs(output_arrays *out) {
  for (int o = 0; o < 3; ++o) {
    free(out->device[o]);
    free(out->again[o]);
    free(out->reference[o]);
  }
}

static mrank_status allocate_outputs(const mrank_problem *problem, output_arrays *out) {
  memset(out, 0, sizeof *out);
  const size_t n = problem->n;
  const size_t loss_length = problem->reduction == MRANK_REDUCTION_NONE ? n : 1;
  out->length[0] = problem->op == MRANK_OP_BACKWARD ? 0 : loss_length;
  out->length[1] = out->length[2] = problem->op == MRANK_OP_FORWARD ? 0 : n;
  for (int o = 0; o < 3; ++o) {
    if (out->length[o] == 0 && !(o == 0 && problem->op != MRANK_OP_BACKWARD)) continue;
    const size_t bytes = (out->length[o] + canary_length) * sizeof(float);
    out->device[o] = malloc(bytes);
    out->again[o] = malloc(bytes);
    out->reference[o] = malloc(bytes);
    if (out->device[o] == NULL || out->again[o] == NULL || out->reference[o] == NULL) {
      free_outputs(out);
      return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                        "mrank_validate: out of host memory for the outputs of %zu elements", n);
    }
    fill_canary(out->device[o], out->length[o]);
    fill_canary(out->again[o], out->length[o]);
  }
  return MRANK_SUCCESS;
}

static mrank_status run(mrank_context *ctx, const mrank_problem *p, const mrank_problem_data *d,
                        float *const *out) {
  switch (p->op) {
    case MRANK_OP_FORWARD:
      return mrank_forward(ctx, p->n, d->x1, d->x2, d->y, p->margin, p->reduction, out[0]);
    case MRANK_OP_BACKWARD:
      return mrank_backward(ctx, p->n, d->x1, d->x2, d->y, p->margin, p->reduction, d->dloss,
                            out[1], out[2]);
    case MRANK_OP_FUSED:
      return mrank_forward_backward(ctx, p->n, d->x1, d->x2, d->y, p->margin, p->reduction, out[0],
                                    out[1], out[2]);
  }
  return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_validate: op %d is not an mrank_op",
                    (int)p->op);
}

static mrank_status run_reference(const mrank_problem *p, const mrank_problem_data *d,
                                  float *const *out) {
  switch (p->op) {
    case MRANK_OP_FORWARD:
      return mrank_reference_forward(p->n, d->x1, d->x2, d->y, p->margin, p->reduction, out[0]);
    case MRANK_OP_BACKWARD:
      return mrank_reference_backward(p->n, d->x1, d->x2, d->y, p->margin, p->reduction, d->dloss,
                                      out[1], out[2]);
    case MRANK_OP_FUSED:
      return mrank_reference_forward_backward(p->n, d->x1, d->x2, d->y, p->margin, p->reduction,
                                              out[0], out[1], out[2]);
  }
  return MRANK_ERROR_INVALID_ARGUMENT;
}

static int same_bits(float a, float b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* |a - b| with NaN against a number, or different infinities, as an infinite error */
static double difference(float a, float b) {
  if (same_bits(a, b) || a == b) return 0.0;
  const double d = fabs((double)a - (double)b);
  return isnan(d) ? INFINITY : d;
}

static void compare_output(const mrank_problem *p, const mrank_problem_data *d,
                           const output_arrays *out, int o, double bound, mrank_output_check *c) {
  static const char *const names[] = {"loss", "dx1", "dx2"};
  const size_t length = out->length[o];
  memset(c, 0, sizeof *c);
  strcpy(c->name, names[o]);
  c->checked = out->device[o] != NULL;
  if (!c->checked) return;
  c->bitwise = !(o == 0 && p->reduction != MRANK_REDUCTION_NONE);
  c->compared = length;
  c->worst_index = length;
  c->canary_intact = canary_intact(out->device[o], length) && canary_intact(out->again[o], length);
  c->deterministic = 1;
  double worst = -1.0;
  for (size_t i = 0; i < length; ++i) {
    const float got = out->device[o][i], want = out->reference[o][i];
    if (!same_bits(got, out->again[o][i])) c->deterministic = 0;
    if (want != 0.0f) c->nonzero++;
    const double error = difference(got, want);
    const double relative = error == 0.0 ? 0.0 : error / fmax(fabs((double)want), DBL_MIN);
    const int mismatch =
        c->bitwise ? !same_bits(got, want) : !(error <= bound * fabs((double)want));
    if (mismatch) c->mismatches++;
    if (error > c->max_abs_error) c->max_abs_error = error;
    if (relative > c->max_rel_error) c->max_rel_error = relative;
    /* report the worst error, or failing that the first mismatch */
    if (error > worst || (mismatch && c->worst_index == length)) {
      worst = error;
      c->worst_index = i;
    }
  }
  c->bound = c->bitwise ? 0.0 : bound;
  if (c->worst_index < length) {
    const size_t i = c->worst_index;
    const int per_element = c->bitwise || p->reduction == MRANK_REDUCTION_NONE;
    c->worst_x1 = per_element ? d->x1[i] : NAN;
    c->worst_x2 = per_element ? d->x2[i] : NAN;
    c->worst_y = per_element ? d->y[i] : NAN;
    c->worst_device = out->device[o][i];
    c->worst_reference = out->reference[o][i];
  }
}

/* The loss of one element in double, as a function of x1 (or x2). */
static double loss_in_double(double x1, double x2, double y, double margin) {
  const double dist = -y * (x1 - x2) + margin;
  return dist < 0.0 ? 0.0 : dist;
}

/* dx1 and dx2 of the device against central differences of the double loss, times the upstream
 * gradient. Points within 4 steps of the kink, or with non-finite inputs, are skipped. The analytic
 * value is one float product of exact values (rel. error <= 2^-24); a central difference of a
 * piecewise-linear function in double is exact to ~1e-12 away from the kink; 4 FLT_EPSILON keeps a
 * factor of 8 over the first and fails any wrong sign, factor or rule. */
static void check_gradient(const mrank_problem *p, const mrank_problem_data *d,
                           const output_arrays *out, mrank_validation *report) {
  report->gradient_tolerance = 4.0 * FLT_EPSILON;
  report->gradient_passed = 1;
  if (p->op == MRANK_OP_FORWARD || p->n == 0) return;
  const size_t step = p->n > 4096 ? p->n / 4096 : 1;
  const float scale = p->reduction == MRANK_REDUCTION_MEAN ? (float)(1.0 / (double)p->n) : 1.0f;
  for (size_t i = 0; i < p->n; i += step) {
    const double x1 = d->x1[i], x2 = d->x2[i], y = d->y[i], m = p->margin;
    if (!isfinite(x1) || !isfinite(x2) || !isfinite(y) || !isfinite(m)) continue;
    const double h = 1e-3 * fmax(1.0, fmax(fabs(x1), fabs(x2)));
    const double dist = -y * (x1 - x2) + m;
    if (fabs(dist) <= 4.0 * h * fmax(fabs(y), 1.0) || !isfinite(dist)) continue;
    float upstream;
    if (p->op == MRANK_OP_FUSED) {
      upstream = 1.0f * scale;
    } else {
      upstream = p->reduction == MRANK_REDUCTION_NONE ? d->dloss[i] : d->dloss[0] * scale;
    }
    const double d1 =
        (loss_in_double(x1 + h, x2, y, m) - loss_in_double(x1 - h, x2, y, m)) / (2 * h);
    const double d2 =
        (loss_in_double(x1, x2 + h, y, m) - loss_in_double(x1, x2 - h, y, m)) / (2 * h);
    const double want[2] = {d1 * upstream, d2 * upstream};
    const float got[2] = {out->device[1][i], out->device[2][i]};
    for (int k = 0; k < 2; ++k) {
      const double error = fabs((double)got[k] - want[k]);
      const double relative = want[k] == 0.0 ? error : error / fabs(want[k]);
      if (relative > report->gradient_max_error) report->gradient_max_error = relative;
      if (!(relative <= report->gradient_tolerance)) report->gradient_passed = 0;
    }
    report->gradient_points++;
  }
}

/* Self-test: change one device output so that a working mirror must fail on it. */
static size_t inject_fault(const mrank_problem *p, output_arrays *out) {
  const int o = p->op == MRANK_OP_BACKWARD ? 1 : 0;
  const size_t length = out->length[o];
  if (length == 0) return p->n;
  /* both runs get the same fault: a wrong device is wrong every time */
  float *runs[] = {out->device[o], out->again[o]};
  if (o == 0 && p->reduction != MRANK_REDUCTION_NONE) {
    for (int r = 0; r < 2; ++r)
      runs[r][0] += fmaxf(fabsf(runs[r][0]) * 1e-2f, 1.0f);
    return 0;
  }
  for (size_t k = 0; k < length; ++k) {
    const size_t i = (length / 2 + k) % length; /* the first finite value from the middle on */
    if (!isfinite(out->device[o][i])) continue;
    for (int r = 0; r < 2; ++r) {
      unsigned bits;
      memcpy(&bits, &runs[r][i], 4);
      bits ^= 1u; /* one ulp: the smallest error there is */
      memcpy(&runs[r][i], &bits, 4);
    }
    return i;
  }
  return p->n;
}

mrank_status mrank_validate(mrank_context *ctx, const mrank_problem *problem,
                            mrank_validation *report) {
  mrank_status status = MRANK_SUCCESS;
  mrank_problem_data data = {0, NULL, NULL, NULL, NULL};
  output_arrays out;
  memset(&out, 0, sizeof out);
  mrank_clear_error();
  MRANK_CHECK(ctx != NULL && problem != NULL && report != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_validate: %s is NULL",
              ctx == NULL       ? "ctx"
              : problem == NULL ? "problem"
                                : "report");
  MRANK_CHECK(problem->op == MRANK_OP_FORWARD || problem->op == MRANK_OP_BACKWARD ||
                  problem->op == MRANK_OP_FUSED,
              MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_validate: op %d is not an mrank_op; pass MRANK_OP_FORWARD, MRANK_OP_BACKWARD "
              "or MRANK_OP_FUSED",
              (int)problem->op);
  MRANK_CHECK(problem->reduction == MRANK_REDUCTION_NONE ||
                  problem->reduction == MRANK_REDUCTION_MEAN ||
                  problem->reduction == MRANK_REDUCTION_SUM,
              MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_validate: reduction %d is not an mrank_reduction", (int)problem->reduction);
  memset(report, 0, sizeof *report);
  MRANK_TRY(mrank_problem_data_make(problem, &data));
  MRANK_TRY(allocate_outputs(problem, &out));
  MRANK_TRY(run(ctx, problem, &data, out.device));
  MRANK_TRY(run(ctx, problem, &data, out.again));
  MRANK_TRY(run_reference(problem, &data, out.reference));
  report->fault_index = problem->inject_fault ? inject_fault(problem, &out) : problem->n;

  const double bound = mrank_reduction_error_bound(ctx, problem->n);
  int failed = 0, all_mostly_zero = 1;
  for (int o = 0; o < 3; ++o) {
    mrank_output_check *c = &report->outputs[o];
    compare_output(problem, &data, &out, o, bound, c);
    if (!c->checked) continue;
    failed |= c->mismatches > 0 || !c->canary_intact || !c->deterministic;
    /* benchdnn's rule: an output that is (almost) all zero cannot tell a right kernel from one
     * that writes zeros; more than 1 in 20 elements must be non-zero (below 20 elements, one) */
    if (c->compared == 0 || c->nonzero * 20 > c->compared || (c->compared < 20 && c->nonzero > 0)) {
      all_mostly_zero = 0;
    }
  }
  check_gradient(problem, &data, &out, report);
  failed |= !report->gradient_passed;
  report->verdict = failed            ? MRANK_VERDICT_FAILED
                    : all_mostly_zero ? MRANK_VERDICT_MISTRUSTED
                                      : MRANK_VERDICT_PASSED;
error:
  free_outputs(&out);
  mrank_problem_data_free(&data);
  return status;
}
