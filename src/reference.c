/* reference.c: the CPU oracle. Plain loops that follow Caffe2's CPU operator line by line, for
 * every type: half and bfloat16 are widened to float exactly, computed in float and rounded to
 * nearest even when stored (the device's vstore_half_rte); double is computed in double. Every
 * device result is checked against these. Compiled with -ffp-contract=off so that no FMA sneaks in.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "reference.h"
#include "errors.h"
#include "types.h"

/* ---- element access by type ---- */

/* The flush-to-zero twin (flush = 1): a subnormal float, loaded or computed, becomes a zero of its
 * sign, as a device without CL_FP_DENORM may make it. flush = 0 is IEEE arithmetic. */
static float ftz(float value, int flush) {
  return flush && fpclassify(value) == FP_SUBNORMAL ? copysignf(0.0f, value) : value;
}

static float load_float(mrank_dtype type, const void *array, size_t i, int flush) {
  if (type == MRANK_DTYPE_F16) return ftz(mrank_half_to_float(((const uint16_t *)array)[i]), flush);
  if (type == MRANK_DTYPE_BF16)
    return ftz(mrank_bf16_to_float(((const uint16_t *)array)[i]), flush);
  return ftz(((const float *)array)[i], flush);
}

static void store_float(mrank_dtype type, void *array, size_t i, float value, int flush) {
  value = ftz(value, flush);
  if (type == MRANK_DTYPE_F16) {
    ((uint16_t *)array)[i] = mrank_half_from_float(value);
  } else if (type == MRANK_DTYPE_BF16) {
    ((uint16_t *)array)[i] = mrank_bf16_from_float(value);
  } else {
    ((float *)array)[i] = value;
  }
}

static double load_double(const void *array, size_t i) {
  return ((const double *)array)[i];
}
static void store_double(void *array, size_t i, double value) {
  ((double *)array)[i] = value;
}

/* labels converted to the compute type, as the kernels' convert_float / convert_double do */
static float label_float(mrank_dtype type, const void *array, size_t i, int flush) {
  if (type == MRANK_DTYPE_I32) return (float)((const int32_t *)array)[i];
  if (type == MRANK_DTYPE_I8) return (float)((const int8_t *)array)[i];
  return ftz(((const float *)array)[i], flush);
}

static double label_double(mrank_dtype type, const void *array, size_t i) {
  if (type == MRANK_DTYPE_I32) return (double)((const int32_t *)array)[i];
  if (type == MRANK_DTYPE_I8) return (double)((const int8_t *)array)[i];
  return (double)((const float *)array)[i];
}

/* ---- the operator in float and in double ---- */

static float dist_float(float x1, float x2, float y, float margin, int flush) {
  const float diff = ftz(x1 - x2, flush);
  const float scaled = ftz(-y * diff, flush);
  return ftz(scaled + margin, flush);
}

static double dist_double(double x1, double x2, double y, double margin) {
  const double diff = x1 - x2;
  const double scaled = -y * diff;
  return scaled + margin;
}

static float clamp_float(float dist) {
  return dist < 0.0f ? 0.0f : dist;
}
static double clamp_double(double dist) {
  return dist < 0.0 ? 0.0 : dist;
}

/* Neumaier's compensated sum: the double reference of a double reduction must be nearly exact. */
typedef struct compensated {
  double sum, correction;
} compensated;

static void add_compensated(compensated *c, double value) {
  const double t = c->sum + value;
  if (fabs(c->sum) >= fabs(value)) {
    c->correction += (c->sum - t) + value;
  } else {
    c->correction += (value - t) + c->sum;
  }
  c->sum = t;
}

static mrank_status forward_typed(const char *function, const mrank_desc *desc, size_t n,
                                  const void *x1, const void *x2, const void *y, void *loss,
                                  int flush) {
  mrank_variant v;
  mrank_status status = mrank_variant_of(function, desc, &v);
  if (status == MRANK_SUCCESS) status = mrank_check_count(function, n, &v);
  if (status == MRANK_SUCCESS) {
    status = mrank_check_forward_args(function, n, x1, x2, y, desc->reduction, loss);
  }
  if (status == MRANK_SUCCESS) {
    status =
        mrank_check_outputs(function, n, &v, desc->reduction, x1, x2, y, NULL, loss, NULL, NULL);
  }
  if (status != MRANK_SUCCESS) return status;
  const mrank_reduction reduction = desc->reduction;
  if (v.data == MRANK_DTYPE_F64) {
    const double margin = desc->margin;
    compensated total = {0.0, 0.0};
    for (size_t i = 0; i < n; ++i) {
      const double value = clamp_double(dist_double(load_double(x1, i), load_double(x2, i),
                                                    label_double(v.labels, y, i), margin));
      if (reduction == MRANK_REDUCTION_NONE) {
        store_double(loss, i, value);
      } else {
        add_compensated(&total, value);
      }
    }
    const double sum = total.sum + total.correction;
    if (reduction == MRANK_REDUCTION_SUM) store_double(loss, 0, sum);
    if (reduction == MRANK_REDUCTION_MEAN) store_double(loss, 0, n == 0 ? NAN : sum / (double)n);
    return MRANK_SUCCESS;
  }
  const float margin = ftz((float)desc->margin, flush);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const float value =
        clamp_float(dist_float(load_float(v.data, x1, i, flush), load_float(v.data, x2, i, flush),
                               label_float(v.labels, y, i, flush), margin, flush));
    if (reduction == MRANK_REDUCTION_NONE) {
      store_float(v.data, loss, i, value, flush);
    } else {
      sum += value;
    }
  }
  if (reduction == MRANK_REDUCTION_SUM) store_float(v.data, loss, 0, (float)sum, flush);
  if (reduction == MRANK_REDUCTION_MEAN) {
    store_float(v.data, loss, 0, n == 0 ? NAN : (float)(sum / (double)n), flush);
  }
  return MRANK_SUCCESS;
}

/* The gradients for an upstream gradient dloss[i] (per_element), or one scalar `shared`. */
static void gradient_float(const mrank_variant *v, size_t n, const void *x1, const void *x2,
                           const void *y, float margin, const void *dloss, int per_element,
                           float shared, void *dx1, void *dx2, int flush) {
  for (size_t i = 0; i < n; ++i) {
    const float label = label_float(v->labels, y, i, flush);
    const float upstream = per_element ? load_float(v->data, dloss, i, flush) : shared;
    const float dist = dist_float(load_float(v->data, x1, i, flush),
                                  load_float(v->data, x2, i, flush), label, margin, flush);
    store_float(v->data, dx1, i, dist < 0.0f ? 0.0f : -label * upstream, flush);
    store_float(v->data, dx2, i, dist < 0.0f ? 0.0f : label * upstream, flush);
  }
}

static void gradient_double(const mrank_variant *v, size_t n, const void *x1, const void *x2,
                            const void *y, double margin, const void *dloss, int per_element,
                            double shared, void *dx1, void *dx2) {
  for (size_t i = 0; i < n; ++i) {
    const double label = label_double(v->labels, y, i);
    const double upstream = per_element ? load_double(dloss, i) : shared;
    const double dist = dist_double(load_double(x1, i), load_double(x2, i), label, margin);
    store_double(dx1, i, dist < 0.0 ? 0.0 : -label * upstream);
    store_double(dx2, i, dist < 0.0 ? 0.0 : label * upstream);
  }
}

/* upstream: dloss (NONE), dloss[0] * scale (SUM, MEAN), or 1 (NONE) / 1 * scale for the fused pass
 * (dloss NULL) */
static void gradient(const mrank_variant *v, const mrank_desc *desc, size_t n, const void *x1,
                     const void *x2, const void *y, const void *dloss, void *dx1, void *dx2,
                     int flush) {
  const int per_element = desc->reduction == MRANK_REDUCTION_NONE && dloss != NULL;
  if (v->data == MRANK_DTYPE_F64) {
    const double scale = desc->reduction == MRANK_REDUCTION_MEAN ? 1.0 / (double)n : 1.0;
    const double shared = (dloss == NULL ? 1.0 : load_double(dloss, 0)) * scale;
    gradient_double(v, n, x1, x2, y, desc->margin, dloss, per_element, shared, dx1, dx2);
  } else {
    const float scale = desc->reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f;
    const float shared = ftz(
        (dloss == NULL ? 1.0f : load_float(v->data, dloss, 0, flush)) * ftz(scale, flush), flush);
    gradient_float(v, n, x1, x2, y, ftz((float)desc->margin, flush), dloss, per_element, shared,
                   dx1, dx2, flush);
  }
}

mrank_status mrank_reference_forward_ex(const mrank_desc *desc, size_t n, const void *x1,
                                        const void *x2, const void *y, void *loss) {
  mrank_clear_error();
  return forward_typed("mrank_reference_forward_ex", desc, n, x1, x2, y, loss, 0);
}

static mrank_status backward_typed(const char *function, const mrank_desc *desc, size_t n,
                                   const void *x1, const void *x2, const void *y, const void *dloss,
                                   void *dx1, void *dx2, int flush) {
  mrank_variant v;
  mrank_status status = mrank_variant_of(function, desc, &v);
  if (status == MRANK_SUCCESS) status = mrank_check_count(function, n, &v);
  if (status == MRANK_SUCCESS) {
    status = mrank_check_backward_args(function, n, x1, x2, y, desc->reduction, dloss, dx1, dx2);
  }
  if (status == MRANK_SUCCESS) {
    status =
        mrank_check_outputs(function, n, &v, desc->reduction, x1, x2, y, dloss, NULL, dx1, dx2);
  }
  if (status != MRANK_SUCCESS || n == 0) return status;
  gradient(&v, desc, n, x1, x2, y, dloss, dx1, dx2, flush);
  return MRANK_SUCCESS;
}

mrank_status mrank_reference_backward_ex(const mrank_desc *desc, size_t n, const void *x1,
                                         const void *x2, const void *y, const void *dloss,
                                         void *dx1, void *dx2) {
  mrank_clear_error();
  return backward_typed("mrank_reference_backward_ex", desc, n, x1, x2, y, dloss, dx1, dx2, 0);
}

/* Forward, and backward with an upstream gradient of 1; an output may be an input (in place). */
static mrank_status forward_backward_typed(const char *function, const mrank_desc *desc, size_t n,
                                           const void *x1, const void *x2, const void *y,
                                           void *loss, void *dx1, void *dx2, int flush) {
  mrank_variant v;
  mrank_status status = mrank_variant_of(function, desc, &v);
  if (status == MRANK_SUCCESS) status = mrank_check_count(function, n, &v);
  if (status == MRANK_SUCCESS) {
    status = mrank_check_fused_args(function, n, x1, x2, y, desc->reduction, loss, dx1, dx2);
  }
  if (status == MRANK_SUCCESS) {
    status = mrank_check_outputs(function, n, &v, desc->reduction, x1, x2, y, NULL, loss, dx1, dx2);
  }
  if (status != MRANK_SUCCESS) return status;
  /* in place (an output is an input): the gradient pass would overwrite what the forward pass
   * reads, so both read copies of the inputs */
  const void *inputs[3] = {x1, x2, y};
  const size_t sizes[3] = {v.data_size, v.data_size, v.label_size};
  void *copies[3] = {NULL, NULL, NULL};
  const int in_place = n > 0 && (loss == x1 || loss == x2 || loss == y || dx1 == x1 || dx1 == x2 ||
                                 dx1 == y || dx2 == x1 || dx2 == x2 || dx2 == y);
  for (int k = 0; k < 3 && in_place; ++k) {
    copies[k] = malloc(n * sizes[k]);
    if (copies[k] == NULL) {
      for (int j = 0; j < k; ++j)
        free(copies[j]);
      return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                        "%s: out of memory copying the inputs of an "
                        "in-place call",
                        function);
    }
    memcpy(copies[k], inputs[k], n * sizes[k]);
    inputs[k] = copies[k];
  }
  if (n > 0) gradient(&v, desc, n, inputs[0], inputs[1], inputs[2], NULL, dx1, dx2, flush);
  status = forward_typed(function, desc, n, inputs[0], inputs[1], inputs[2], loss, flush);
  for (int k = 0; k < 3; ++k)
    free(copies[k]);
  return status;
}

mrank_status mrank_reference_forward_backward_ex(const mrank_desc *desc, size_t n, const void *x1,
                                                 const void *x2, const void *y, void *loss,
                                                 void *dx1, void *dx2) {
  mrank_clear_error();
  return forward_backward_typed("mrank_reference_forward_backward_ex", desc, n, x1, x2, y, loss,
                                dx1, dx2, 0);
}

/* ---- float entry points ---- */

static mrank_desc float_desc(mrank_reduction reduction, float margin) {
  mrank_desc desc = {MRANK_DTYPE_F32, MRANK_DTYPE_F32, reduction, margin};
  return desc;
}

mrank_status mrank_reference_forward(size_t n, const float *x1, const float *x2, const float *y,
                                     float margin, mrank_reduction reduction, float *loss) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  return forward_typed("mrank_reference_forward", &desc, n, x1, x2, y, loss, 0);
}

mrank_status mrank_reference_backward(size_t n, const float *x1, const float *x2, const float *y,
                                      float margin, mrank_reduction reduction, const float *dloss,
                                      float *dx1, float *dx2) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  return backward_typed("mrank_reference_backward", &desc, n, x1, x2, y, dloss, dx1, dx2, 0);
}

mrank_status mrank_reference_forward_backward(size_t n, const float *x1, const float *x2,
                                              const float *y, float margin,
                                              mrank_reduction reduction, float *loss, float *dx1,
                                              float *dx2) {
  mrank_clear_error();
  const mrank_desc desc = float_desc(reduction, margin);
  return forward_backward_typed("mrank_reference_forward_backward", &desc, n, x1, x2, y, loss, dx1,
                                dx2, 0);
}

mrank_status mrank_reference_flushed(mrank_op op, const mrank_desc *desc, size_t n, const void *x1,
                                     const void *x2, const void *y, const void *dloss, void *loss,
                                     void *dx1, void *dx2) {
  const char *function = "mrank_reference_flushed";
  if (op == MRANK_OP_FORWARD) return forward_typed(function, desc, n, x1, x2, y, loss, 1);
  if (op == MRANK_OP_BACKWARD) {
    return backward_typed(function, desc, n, x1, x2, y, dloss, dx1, dx2, 1);
  }
  return forward_backward_typed(function, desc, n, x1, x2, y, loss, dx1, dx2, 1);
}
