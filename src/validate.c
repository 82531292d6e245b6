/* validate.c: mrank_validate, the mirror of the CPU reference for one problem: run the device twice
 * (determinism), the reference once, compare every output (bit for bit, or within the reduction
 * bound), check canaries past the ends of the host arrays and guards around exact-size device
 * buffers (validate_guarded.c), and check the device's gradient against central
 * differences, in whatever types the problem names. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "host_memory.h"
#include "reference.h"
#include "validate_data.h"
#include "validate_guarded.h"

enum { canary_length = 16 };
static const unsigned char canary_byte = 0xa5; /* no kernel writes a run of these by accident */

typedef struct output_arrays {
  void *device[3], *again[3], *reference[3]; /* loss, dx1, dx2 */
  void *flushed[3]; /* the flush-to-zero twin's outputs, when it is needed (else NULL) */
  size_t length[3]; /* elements */
  size_t element_size;
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

static void fill_canary(void *array, size_t length, size_t element_size) {
  memset((char *)array + length * element_size, canary_byte, canary_length * element_size);
}

static int canary_intact(const void *array, size_t length, size_t element_size) {
  const unsigned char *tail = (const unsigned char *)array + length * element_size;
  for (size_t b = 0; b < canary_length * element_size; ++b) {
    if (tail[b] != canary_byte) return 0;
  }
  return 1;
}

static void free_outputs(output_arrays *out) {
  for (int o = 0; o < 3; ++o) {
    free(out->device[o]);
    free(out->again[o]);
    free(out->reference[o]);
    free(out->flushed[o]);
  }
}

/* Host bytes a problem needs: the inputs in their types and as doubles, and three copies (device,
 * again, reference) of each output with its canary; SIZE_MAX when that overflows. */
static size_t problem_bytes(const mrank_problem *p) {
  const size_t data = mrank_dtype_size(p->data), labels = mrank_dtype_size(p->labels);
  const size_t per_input = 3 * data + labels + 4 * sizeof(double);
  size_t total = mrank_size_mul_add(p->n > 0 ? p->n : 1, per_input, 0);
  const size_t loss_length = p->reduction == MRANK_REDUCTION_NONE ? p->n : 1;
  const size_t lengths[3] = {p->op != MRANK_OP_BACKWARD ? loss_length : 0,
                             p->op != MRANK_OP_FORWARD ? p->n : 0,
                             p->op != MRANK_OP_FORWARD ? p->n : 0};
  for (int o = 0; o < 3; ++o) {
    const size_t one_copy = mrank_size_mul_add(lengths[o], data, canary_length * data);
    total = mrank_size_mul_add(one_copy, 3, total);
  }
  return total;
}

/* A problem larger than the host can hold is refused before anything is allocated (the kernel
 * would otherwise let it grow and kill the process half way). */
static mrank_status check_fits(const mrank_problem *p) {
  const size_t needed = problem_bytes(p), available = mrank_host_memory_available();
  if (needed == SIZE_MAX) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_validate: n = %zu elements is more bytes than the address space "
                      "holds; use a smaller n",
                      p->n);
  }
  if (available > 0 && needed > available) {
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                      "mrank_validate: n = %zu elements needs %.2f GiB of host memory (the inputs, "
                      "exact copies of them and three runs' outputs), more than the %.2f GiB "
                      "available; use a smaller n",
                      p->n, (double)needed / 1073741824.0, (double)available / 1073741824.0);
  }
  return MRANK_SUCCESS;
}

static mrank_status allocate_outputs(const mrank_problem *problem, int twin, output_arrays *out) {
  memset(out, 0, sizeof *out);
  const size_t n = problem->n;
  out->element_size = mrank_dtype_size(problem->data);
  out->length[0] = problem->reduction == MRANK_REDUCTION_NONE ? n : 1;
  out->length[1] = out->length[2] = n;
  for (int o = 0; o < 3; ++o) {
    const int produced =
        o == 0 ? problem->op != MRANK_OP_BACKWARD : problem->op != MRANK_OP_FORWARD;
    if (!produced || (o > 0 && n == 0)) continue;
    const size_t bytes = (out->length[o] + canary_length) * out->element_size;
    out->device[o] = malloc(bytes);
    out->again[o] = malloc(bytes);
    out->reference[o] = malloc(bytes);
    if (twin) out->flushed[o] = malloc(bytes);
    if (out->device[o] == NULL || out->again[o] == NULL || out->reference[o] == NULL ||
        (twin && out->flushed[o] == NULL)) {
      free_outputs(out);
      return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                        "mrank_validate: out of host memory for the outputs of %zu elements", n);
    }
    fill_canary(out->device[o], out->length[o], out->element_size);
    fill_canary(out->again[o], out->length[o], out->element_size);
  }
  return MRANK_SUCCESS;
}

static mrank_desc desc_of(const mrank_problem *p) {
  mrank_desc desc = {p->data, p->labels, p->reduction, p->margin};
  return desc;
}

static mrank_status run(mrank_context *ctx, const mrank_problem *p, const mrank_problem_data *d,
                        void *const *out) {
  const mrank_desc desc = desc_of(p);
  if (p->op == MRANK_OP_FORWARD)
    return mrank_forward_ex(ctx, &desc, p->n, d->x1, d->x2, d->y, out[0]);
  if (p->op == MRANK_OP_BACKWARD) {
    return mrank_backward_ex(ctx, &desc, p->n, d->x1, d->x2, d->y, d->dloss, out[1], out[2]);
  }
  return mrank_forward_backward_ex(ctx, &desc, p->n, d->x1, d->x2, d->y, out[0], out[1], out[2]);
}

static mrank_status run_reference(const mrank_problem *p, const mrank_problem_data *d,
                                  void *const *out) {
  const mrank_desc desc = desc_of(p);
  if (p->op == MRANK_OP_FORWARD) {
    return mrank_reference_forward_ex(&desc, p->n, d->x1, d->x2, d->y, out[0]);
  }
  if (p->op == MRANK_OP_BACKWARD) {
    return mrank_reference_backward_ex(&desc, p->n, d->x1, d->x2, d->y, d->dloss, out[1], out[2]);
  }
  return mrank_reference_forward_backward_ex(&desc, p->n, d->x1, d->x2, d->y, out[0], out[1],
                                             out[2]);
}

/* bit for bit, NaN equal to NaN whatever its payload */
static int same_element(mrank_dtype type, const void *a, const void *b, size_t i, size_t size) {
  if (memcmp((const char *)a + i * size, (const char *)b + i * size, size) == 0) return 1;
  return isnan(mrank_decode(type, a, i)) && isnan(mrank_decode(type, b, i));
}

/* |a - b| with NaN against a number, or different infinities, as an infinite error */
static double difference(double a, double b) {
  if ((isnan(a) && isnan(b)) || a == b) return 0.0;
  const double d = fabs(a - b);
  return isnan(d) ? INFINITY : d;
}

static void compare_output(const mrank_problem *p, const mrank_problem_data *d,
                           const output_arrays *out, int o, double bound, int flush_policy,
                           mrank_output_check *c) {
  static const char *const names[] = {"loss", "dx1", "dx2"};
  const size_t length = out->length[o], size = out->element_size;
  memset(c, 0, sizeof *c);
  strcpy(c->name, names[o]);
  c->checked = out->device[o] != NULL;
  if (!c->checked) return;
  c->bitwise = !(o == 0 && p->reduction != MRANK_REDUCTION_NONE);
  c->compared = length;
  c->worst_index = length;
  c->canary_intact =
      canary_intact(out->device[o], length, size) && canary_intact(out->again[o], length, size);
  c->deterministic = 1;
  double worst = -1.0;
  for (size_t i = 0; i < length; ++i) {
    const double got = mrank_decode(p->data, out->device[o], i);
    const double want = mrank_decode(p->data, out->reference[o], i);
    if (!same_element(p->data, out->device[o], out->again[o], i, size)) c->deterministic = 0;
    if (want != 0.0) c->nonzero++;
    /* equal bits always match: a reduction of nothing is exactly 0 (SUM) or NaN (MEAN) */
    const int same = same_element(p->data, out->device[o], out->reference[o], i, size);
    /* under the flush-to-zero policy the twin's bits are as right as the IEEE ones */
    const int twin = flush_policy && out->flushed[o] != NULL &&
                     same_element(p->data, out->device[o], out->flushed[o], i, size);
    double error = difference(got, want);
    if (flush_policy && out->flushed[o] != NULL) {
      error = fmin(error, difference(got, mrank_decode(p->data, out->flushed[o], i)));
    }
    const double relative = error == 0.0 ? 0.0 : error / fmax(fabs(want), DBL_MIN);
    const int mismatch =
        c->bitwise ? !same && !twin : !same && !twin && !(error <= bound * fabs(want));
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
    const int per_element = c->bitwise;
    c->worst_x1 = per_element ? d->x1_value[i] : NAN;
    c->worst_x2 = per_element ? d->x2_value[i] : NAN;
    c->worst_y = per_element ? d->y_value[i] : NAN;
    c->worst_device = mrank_decode(p->data, out->device[o], i);
    c->worst_reference = mrank_decode(p->data, out->reference[o], i);
  }
}

/* The loss of one element in double, as a function of x1 (or x2). */
static double loss_in_double(double x1, double x2, double y, double margin) {
  const double dist = -y * (x1 - x2) + margin;
  return dist < 0.0 ? 0.0 : dist;
}

/* The analytic value is one product of exact values in the compute type, then stored: its relative
 * error is at most half a unit of the stored precision; a central difference of a piecewise-linear
 * function in double errs by about 1e-16 |x| / h <= 1e-13 here. The tolerance: 4 units of the
 * stored precision (a factor of 8 over the analytic error), and never below 1e-9 (the difference
 * quotient's own error, which matters for double data). */
static double gradient_tolerance(mrank_dtype type) {
  const double unit = type == MRANK_DTYPE_F16    ? 0x1p-10
                      : type == MRANK_DTYPE_BF16 ? 0x1p-7
                      : type == MRANK_DTYPE_F64  ? DBL_EPSILON
                                                 : FLT_EPSILON;
  return fmax(4.0 * unit, type == MRANK_DTYPE_F64 ? 1e-9 : 0.0);
}

/* The smallest normal value of the stored type. Below it the storage has a fixed absolute spacing
 * (this value times one unit), so a correctly rounded gradient there errs by up to half a unit of
 * this value, not of itself: a half gradient of 1/n for n = 2^20 is subnormal and may be off by 30%
 * of itself while being as right as half can be. Errors are therefore measured relative to
 * max(|exact|, this), which keeps the tolerance's meaning in the subnormal range. */
static double smallest_normal(mrank_dtype type) {
  return type == MRANK_DTYPE_F16 ? 0x1p-14 : type == MRANK_DTYPE_F64 ? DBL_MIN : FLT_MIN;
}

/* dx1 and dx2 of the device against central differences of the double loss, times the upstream
 * gradient; points within 4 steps of the kink, or with non-finite values, are skipped. */
static void check_gradient(const mrank_problem *p, const mrank_problem_data *d,
                           const output_arrays *out, mrank_validation *report) {
  report->gradient_tolerance = gradient_tolerance(p->data);
  report->gradient_passed = 1;
  if (p->op == MRANK_OP_FORWARD || p->n == 0) return;
  const int wide = p->data == MRANK_DTYPE_F64;
  const size_t step = p->n > 4096 ? p->n / 4096 : 1;
  /* the upstream gradient exactly as the device forms it: in float (or double) */
  const double scale = p->reduction != MRANK_REDUCTION_MEAN ? 1.0
                       : wide                               ? 1.0 / (double)p->n
                                                            : (double)(float)(1.0 / (double)p->n);
  for (size_t i = 0; i < p->n; i += step) {
    const double x1 = d->x1_value[i], x2 = d->x2_value[i], y = d->y_value[i];
    const double m = wide ? (double)p->margin : (double)(float)p->margin;
    if (!isfinite(x1) || !isfinite(x2) || !isfinite(y)) continue;
    const double h = 1e-3 * fmax(1.0, fmax(fabs(x1), fabs(x2)));
    const double dist = -y * (x1 - x2) + m;
    if (fabs(dist) <= 4.0 * h * fmax(fabs(y), 1.0) || !isfinite(dist)) continue;
    double upstream;
    if (p->op == MRANK_OP_FUSED) {
      upstream = scale;
    } else if (p->reduction == MRANK_REDUCTION_NONE) {
      upstream = d->dloss_value[i];
    } else {
      upstream = wide ? d->dloss_value[0] * scale : (double)(float)(d->dloss_value[0] * scale);
    }
    const double d1 =
        (loss_in_double(x1 + h, x2, y, m) - loss_in_double(x1 - h, x2, y, m)) / (2 * h);
    const double d2 =
        (loss_in_double(x1, x2 + h, y, m) - loss_in_double(x1, x2 - h, y, m)) / (2 * h);
    const double want[2] = {d1 * upstream, d2 * upstream};
    const double got[2] = {mrank_decode(p->data, out->device[1], i),
                           mrank_decode(p->data, out->device[2], i)};
    for (int k = 0; k < 2; ++k) {
      if (!isfinite(want[k])) continue;
      const double error = fabs(got[k] - want[k]);
      const double relative = error / fmax(fabs(want[k]), smallest_normal(p->data));
      if (relative > report->gradient_max_error) report->gradient_max_error = relative;
      if (!(relative <= report->gradient_tolerance)) report->gradient_passed = 0;
    }
    report->gradient_points++;
  }
}

/* Self-test 2: the device's outputs become the flush-to-zero twin's, which only the flush-to-zero
 * policy accepts (they differ from IEEE where a subnormal appears, e.g. margin 0 and the subnormal
 * edge case). */
static void inject_flushed(output_arrays *out) {
  for (int o = 0; o < 3; ++o) {
    if (out->device[o] == NULL || out->flushed[o] == NULL) continue;
    memcpy(out->device[o], out->flushed[o], out->length[o] * out->element_size);
    memcpy(out->again[o], out->flushed[o], out->length[o] * out->element_size);
  }
}

/* Self-test: change one device output so that a working mirror must fail on it. */
static size_t inject_fault(const mrank_problem *p, output_arrays *out) {
  const int o = p->op == MRANK_OP_BACKWARD ? 1 : 0;
  const size_t length = out->length[o], size = out->element_size;
  if (out->device[o] == NULL || length == 0) return p->n;
  /* both runs get the same fault: a wrong device is wrong every time */
  void *runs[] = {out->device[o], out->again[o]};
  if (o == 0 && p->reduction != MRANK_REDUCTION_NONE) {
    for (int r = 0; r < 2; ++r) {
      const double value = mrank_decode(p->data, runs[r], 0);
      mrank_encode(p->data, runs[r], 0, value + fmax(fabs(value) * 1e-1, 1.0));
    }
    return 0;
  }
  for (size_t k = 0; k < length; ++k) {
    const size_t i = (length / 2 + k) % length; /* the first finite value from the middle on */
    if (!isfinite(mrank_decode(p->data, out->device[o], i))) continue;
    /* one unit in the last place: the smallest error there is (little-endian lowest byte) */
    for (int r = 0; r < 2; ++r)
      ((unsigned char *)runs[r])[i * size] ^= 1u;
    return i;
  }
  return p->n;
}

mrank_status mrank_validate(mrank_context *ctx, const mrank_problem *problem,
                            mrank_validation *report) {
  mrank_status status = MRANK_SUCCESS;
  mrank_problem_data data;
  memset(&data, 0, sizeof data);
  output_arrays out;
  memset(&out, 0, sizeof out);
  mrank_clear_error();
  MRANK_TRY(mrank_check_context("mrank_validate", ctx));
  MRANK_CHECK(problem != NULL && report != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_validate: %s is NULL; pass an mrank_%s",
              problem == NULL ? "problem" : "report", problem == NULL ? "problem" : "validation");
  MRANK_CHECK(problem->op == MRANK_OP_FORWARD || problem->op == MRANK_OP_BACKWARD ||
                  problem->op == MRANK_OP_FUSED,
              MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_validate: op %d is not an mrank_op; pass MRANK_OP_FORWARD, MRANK_OP_BACKWARD "
              "or MRANK_OP_FUSED",
              (int)problem->op);
  const mrank_desc desc = desc_of(problem);
  mrank_variant variant;
  MRANK_TRY(mrank_variant_of("mrank_validate", &desc, &variant));
  MRANK_TRY(check_fits(problem));
  memset(report, 0, sizeof *report);
  MRANK_TRY(mrank_problem_data_make(problem, &data));
  /* the policy: IEEE where the device keeps subnormals, IEEE or flush-to-zero where it may not */
  const int flush_policy = !ctx->is_host && ctx->may_flush_denormals;
  const int twin = flush_policy || problem->inject_fault == 2;
  MRANK_TRY(allocate_outputs(problem, twin, &out));
  MRANK_TRY(run(ctx, problem, &data, out.device));
  /* the second run on exact-size guarded buffers where the context has them: an overrun shows on
   * any device, not only where the device writes the host arrays directly */
  int guarded[3] = {1, 1, 1};
  if (mrank_guarded_run_applies(ctx, problem)) {
    size_t lengths[3];
    for (int o = 0; o < 3; ++o)
      lengths[o] = out.again[o] != NULL ? out.length[o] : 0;
    MRANK_TRY(mrank_run_guarded(ctx, problem, &data, out.again, lengths, guarded));
  } else {
    MRANK_TRY(run(ctx, problem, &data, out.again));
  }
  MRANK_TRY(run_reference(problem, &data, out.reference));
  if (twin) {
    MRANK_TRY(mrank_reference_flushed(problem->op, &desc, problem->n, data.x1, data.x2, data.y,
                                      data.dloss, out.flushed[0], out.flushed[1], out.flushed[2]));
  }
  report->flush_to_zero = flush_policy;
  report->fault_index = problem->n;
  if (problem->inject_fault == 2) {
    inject_flushed(&out);
  } else if (problem->inject_fault) {
    report->fault_index = inject_fault(problem, &out);
  }

  const double bound = mrank_reduction_error_bound_ex(ctx, &desc, problem->n);
  /* n = 0 has exact, known answers (SUM 0, MEAN NaN, no elements): nothing to mistrust */
  int failed = 0, all_mostly_zero = problem->n > 0;
  for (int o = 0; o < 3; ++o) {
    mrank_output_check *c = &report->outputs[o];
    compare_output(problem, &data, &out, o, bound, flush_policy, c);
    if (!c->checked) continue;
    c->canary_intact &= guarded[o];
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
