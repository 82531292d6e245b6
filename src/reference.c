/* reference.c: the CPU oracle. Plain loops that follow Caffe2's CPU operator line by line; every
 * device result is checked against these. Compiled with -ffp-contract=off so that no FMA sneaks in.
 */
#include <math.h>
#include <stdlib.h>

#include "args.h"
#include "internal.h"

static float margin_dist(float x1, float x2, float y, float margin) {
  const float diff = x1 - x2;
  const float scaled = -y * diff;
  return scaled + margin;
}

static float clamp_loss(float dist) {
  return dist < 0.0f ? 0.0f : dist;
}

mrank_status mrank_reference_forward(size_t n, const float *x1, const float *x2, const float *y,
                                     float margin, mrank_reduction reduction, float *loss) {
  mrank_clear_error();
  mrank_status status =
      mrank_check_forward_args("mrank_reference_forward", n, x1, x2, y, reduction, loss);
  if (status != MRANK_SUCCESS) return status;
  if (reduction == MRANK_REDUCTION_NONE) {
    for (size_t i = 0; i < n; ++i)
      loss[i] = clamp_loss(margin_dist(x1[i], x2[i], y[i], margin));
    return MRANK_SUCCESS;
  }
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i)
    sum += clamp_loss(margin_dist(x1[i], x2[i], y[i], margin));
  if (reduction == MRANK_REDUCTION_MEAN) {
    *loss = n == 0 ? NAN : (float)(sum / (double)n);
  } else {
    *loss = (float)sum;
  }
  return MRANK_SUCCESS;
}

mrank_status mrank_reference_backward(size_t n, const float *x1, const float *x2, const float *y,
                                      float margin, mrank_reduction reduction, const float *dloss,
                                      float *dx1, float *dx2) {
  mrank_clear_error();
  mrank_status status = mrank_check_backward_args("mrank_reference_backward", n, x1, x2, y,
                                                  reduction, dloss, dx1, dx2);
  if (status != MRANK_SUCCESS || n == 0) return status;
  const float scale = reduction == MRANK_REDUCTION_MEAN ? mrank_mean_scale(n) : 1.0f;
  /* read before the loop: dx1 or dx2 may alias dloss */
  const float shared_upstream = reduction == MRANK_REDUCTION_NONE ? 0.0f : dloss[0] * scale;
  for (size_t i = 0; i < n; ++i) {
    const float upstream = reduction == MRANK_REDUCTION_NONE ? dloss[i] : shared_upstream;
    const float dist = margin_dist(x1[i], x2[i], y[i], margin);
    if (dist < 0.0f) {
      dx1[i] = 0.0f;
      dx2[i] = 0.0f;
    } else {
      dx1[i] = -y[i] * upstream;
      dx2[i] = y[i] * upstream;
    }
  }
  return MRANK_SUCCESS;
}

mrank_status mrank_reference_forward_backward(size_t n, const float *x1, const float *x2,
                                              const float *y, float margin,
                                              mrank_reduction reduction, float *loss, float *dx1,
                                              float *dx2) {
  mrank_clear_error();
  mrank_status status = mrank_check_fused_args("mrank_reference_forward_backward", n, x1, x2, y,
                                               reduction, loss, dx1, dx2);
  if (status != MRANK_SUCCESS) return status;
  /* literally forward, then backward with an upstream gradient of 1 (outputs do not overlap
   * inputs in this call, so the order does not matter) */
  const float one = 1.0f;
  const float *upstream = &one;
  float *ones = NULL;
  if (reduction == MRANK_REDUCTION_NONE && n > 0) {
    ones = malloc(n * sizeof *ones);
    if (ones == NULL) {
      return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY,
                        "mrank_reference_forward_backward: out of host memory for %zu elements", n);
    }
    for (size_t i = 0; i < n; ++i)
      ones[i] = 1.0f;
    upstream = ones;
  }
  status = mrank_reference_backward(n, x1, x2, y, margin, reduction, upstream, dx1, dx2);
  if (status == MRANK_SUCCESS) {
    status = mrank_reference_forward(n, x1, x2, y, margin, reduction, loss);
  }
  free(ones);
  return status;
}
