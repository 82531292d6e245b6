/* margin_ranking.cl: Caffe2's MarginRankingCriterion forward and gradient, and the fixed-tree sum
 * that gives the MEAN and SUM reductions. OpenCL C 1.2, float32.
 *
 * Bit-exactness with the CPU reference (src/reference.c) rests on three rules kept here:
 *  - the same operations in the same order, each rounded on its own: contraction into FMA is off;
 *  - the clamp is `d < 0 ? 0 : d`, never fmax, which would turn a NaN loss into 0;
 *  - the gradient passes wherever !(dist < 0), NaN included, as in Caffe2.
 * Every kernel takes element offsets so that callers can pass any part of a buffer. */
#pragma OPENCL FP_CONTRACT OFF

inline float mrank_dist(float x1, float x2, float y, float margin) {
  const float diff = x1 - x2;
  const float scaled = -y * diff;
  return scaled + margin;
}

inline float mrank_clamp(float dist) { return dist < 0.0f ? 0.0f : dist; }

/* loss[i] for reduction NONE; one element per work-item. */
__kernel void mrank_forward_none(__global const float *x1, ulong x1_off, __global const float *x2,
                                 ulong x2_off, __global const float *y, ulong y_off, float margin,
                                 ulong n, __global float *loss, ulong loss_off) {
  const size_t i = get_global_id(0);
  if (i >= n) return;
  loss[loss_off + i] = mrank_clamp(mrank_dist(x1[x1_off + i], x2[x2_off + i], y[y_off + i], margin));
}

/* ---- SUM and MEAN: a fixed tree of fan-in 16 ----
 * Each work-item reduces 16 consecutive values by halving (lane i with lane i + 8, then + 4, + 2,
 * + 1); passes repeat over the partial sums until one value is left. No loops, barriers or atomics:
 * the same bits every run, and straight-line code that vectorises on CPUs and coalesces on GPUs. */
inline float mrank_sum16(float16 v) {
  const float8 a = v.lo + v.hi;
  const float4 b = a.lo + a.hi;
  const float2 c = b.lo + b.hi;
  return c.x + c.y;
}

inline float16 mrank_dist16(float16 x1, float16 x2, float16 y, float margin) {
  const float16 diff = x1 - x2;
  const float16 scaled = -y * diff;
  return scaled + margin;
}

inline float16 mrank_clamp16(float16 dist) {
  return select(dist, (float16)(0.0f), dist < (float16)(0.0f));
}

/* The losses of elements base .. base + 15; past n (the last work-item only) they are 0. */
inline float16 mrank_loss16(__global const float *x1, __global const float *x2,
                            __global const float *y, float margin, ulong base, ulong n) {
  if (base + 16 <= n) {
    return mrank_clamp16(mrank_dist16(vload16(0, x1 + base), vload16(0, x2 + base),
                                      vload16(0, y + base), margin));
  }
  float tail[16];
  for (int k = 0; k < 16; ++k) {
    tail[k] = base + k < n ? mrank_clamp(mrank_dist(x1[base + k], x2[base + k], y[base + k], margin))
                           : 0.0f;
  }
  return vload16(0, tail);
}

/* Pass 1 of SUM/MEAN: partials[partials_off + g] = the sum of the losses of elements 64g .. 64g+63,
 * as four blocks of 16 added pairwise: ((b0 + b1) + (b2 + b3)). Fan-in 64 keeps the partial sums'
 * traffic to 1/32 of a float per element. */
inline float mrank_sum4(float b0, float b1, float b2, float b3) { return (b0 + b1) + (b2 + b3); }

__kernel void mrank_forward_sum64(__global const float *x1, ulong x1_off, __global const float *x2,
                                  ulong x2_off, __global const float *y, ulong y_off, float margin,
                                  ulong n, __global float *partials, ulong partials_off) {
  const ulong g = get_global_id(0), base = g * 64;
  if (base >= n) return;
  __global const float *a = x1 + x1_off, *b = x2 + x2_off, *c = y + y_off;
  partials[partials_off + g] = mrank_sum4(mrank_sum16(mrank_loss16(a, b, c, margin, base, n)),
                                          mrank_sum16(mrank_loss16(a, b, c, margin, base + 16, n)),
                                          mrank_sum16(mrank_loss16(a, b, c, margin, base + 32, n)),
                                          mrank_sum16(mrank_loss16(a, b, c, margin, base + 48, n)));
}

/* The later passes: out[out_off + g] = (the sum of in[16g .. 16g + 15]) * scale, with scale 1 until
 * the last pass (where it is 1 for SUM and 1/n rounded to float for MEAN). */
__kernel void mrank_sum16_pass(__global const float *in, ulong in_off, ulong count, float scale,
                               __global float *out, ulong out_off) {
  const ulong g = get_global_id(0), base = g * 16;
  if (base >= count) return;
  float16 v;
  if (base + 16 <= count) {
    v = vload16(0, in + in_off + base);
  } else {
    float tail[16];
    for (int k = 0; k < 16; ++k) tail[k] = base + k < count ? in[in_off + base + k] : 0.0f;
    v = vload16(0, tail);
  }
  out[out_off + g] = mrank_sum16(v) * scale;
}

/* Selects, not branches: every work-item stores, so the stores vectorise; the values (and the sign
 * of a zero) are those of Caffe2's branch. */
inline void mrank_store_gradient(float dist, float y, float upstream, __global float *dx1,
                                 __global float *dx2, size_t i1, size_t i2) {
  const bool passes = !(dist < 0.0f);
  dx1[i1] = passes ? -y * upstream : 0.0f;
  dx2[i2] = passes ? y * upstream : 0.0f;
}

/* The gradients of elements base .. base + 15 (fewer at the end) for upstream gradients `upstream`:
 * 16 at a time with vector loads and stores, the last work-item's tail one by one. */
inline void mrank_gradient16(__global const float *x1, __global const float *x2,
                             __global const float *y, float margin, float16 upstream,
                             __global float *dx1, __global float *dx2, ulong base, ulong n) {
  if (base + 16 <= n) {
    const float16 yv = vload16(0, y + base);
    const float16 dist = mrank_dist16(vload16(0, x1 + base), vload16(0, x2 + base), yv, margin);
    const int16 passes = !(dist < (float16)(0.0f));
    vstore16(select((float16)(0.0f), -yv * upstream, passes), 0, dx1 + base);
    vstore16(select((float16)(0.0f), yv * upstream, passes), 0, dx2 + base);
    return;
  }
  float lanes[16];
  vstore16(upstream, 0, lanes);
  for (ulong k = 0; base + k < n; ++k) {
    const ulong i = base + k;
    mrank_store_gradient(mrank_dist(x1[i], x2[i], y[i], margin), y[i], lanes[k], dx1, dx2, i, i);
  }
}

/* Gradient for reduction NONE: the upstream gradient is dloss[i]. */
__kernel void mrank_backward_none(__global const float *x1, ulong x1_off, __global const float *x2,
                                  ulong x2_off, __global const float *y, ulong y_off, float margin,
                                  ulong n, __global const float *dloss, ulong dloss_off,
                                  __global float *dx1, ulong dx1_off, __global float *dx2,
                                  ulong dx2_off) {
  const ulong base = get_global_id(0) * 16;
  if (base >= n) return;
  float16 upstream;
  if (base + 16 <= n) {
    upstream = vload16(0, dloss + dloss_off + base);
  } else {
    float tail[16];
    for (int k = 0; k < 16; ++k) tail[k] = base + k < n ? dloss[dloss_off + base + k] : 0.0f;
    upstream = vload16(0, tail);
  }
  mrank_gradient16(x1 + x1_off, x2 + x2_off, y + y_off, margin, upstream, dx1 + dx1_off,
                   dx2 + dx2_off, base, n);
}

/* Gradient for SUM and MEAN: one upstream scalar, dloss[dloss_off] * scale (scale as above). */
__kernel void mrank_backward_scalar(__global const float *x1, ulong x1_off,
                                    __global const float *x2, ulong x2_off,
                                    __global const float *y, ulong y_off, float margin, ulong n,
                                    __global const float *dloss, ulong dloss_off, float scale,
                                    __global float *dx1, ulong dx1_off, __global float *dx2,
                                    ulong dx2_off) {
  const ulong base = get_global_id(0) * 16;
  if (base >= n) return;
  const float upstream = dloss[dloss_off] * scale;
  mrank_gradient16(x1 + x1_off, x2 + x2_off, y + y_off, margin, (float16)(upstream),
                   dx1 + dx1_off, dx2 + dx2_off, base, n);
}

/* Forward and backward in one pass, reduction NONE: the upstream gradient of every loss is 1, so
 * dx1 = -y * 1 and dx2 = y * 1, the bits of mrank_backward_none with dloss = 1. */
__kernel void mrank_fused_none(__global const float *x1, ulong x1_off, __global const float *x2,
                               ulong x2_off, __global const float *y, ulong y_off, float margin,
                               ulong n, __global float *loss, ulong loss_off, __global float *dx1,
                               ulong dx1_off, __global float *dx2, ulong dx2_off) {
  const ulong base = get_global_id(0) * 16;
  if (base >= n) return;
  if (base + 16 <= n) {
    const float16 yv = vload16(0, y + y_off + base);
    const float16 dist =
        mrank_dist16(vload16(0, x1 + x1_off + base), vload16(0, x2 + x2_off + base), yv, margin);
    const int16 passes = !(dist < (float16)(0.0f));
    vstore16(mrank_clamp16(dist), 0, loss + loss_off + base);
    vstore16(select((float16)(0.0f), -yv * 1.0f, passes), 0, dx1 + dx1_off + base);
    vstore16(select((float16)(0.0f), yv * 1.0f, passes), 0, dx2 + dx2_off + base);
    return;
  }
  for (ulong i = base; i < n; ++i) {
    const float yi = y[y_off + i];
    const float dist = mrank_dist(x1[x1_off + i], x2[x2_off + i], yi, margin);
    loss[loss_off + i] = mrank_clamp(dist);
    mrank_store_gradient(dist, yi, 1.0f, dx1, dx2, dx1_off + i, dx2_off + i);
  }
}

/* Forward and backward in one pass for SUM and MEAN: the gradients with the upstream scalar 1 * scale
 * (the bits of mrank_backward_scalar with dloss = 1), and pass 1 of the loss's sum, the partials of
 * mrank_forward_sum64, so the reduced loss has the forward's bits too. */
inline float mrank_fused_block16(__global const float *x1, __global const float *x2,
                                 __global const float *y, float margin, float upstream,
                                 __global float *dx1, __global float *dx2, ulong base, ulong n) {
  if (base >= n) return 0.0f;
  if (base + 16 <= n) {
    const float16 yv = vload16(0, y + base);
    const float16 dist = mrank_dist16(vload16(0, x1 + base), vload16(0, x2 + base), yv, margin);
    const int16 passes = !(dist < (float16)(0.0f));
    vstore16(select((float16)(0.0f), -yv * upstream, passes), 0, dx1 + base);
    vstore16(select((float16)(0.0f), yv * upstream, passes), 0, dx2 + base);
    return mrank_sum16(mrank_clamp16(dist));
  }
  float tail[16];
  for (int k = 0; k < 16; ++k) {
    const ulong i = base + k;
    tail[k] = 0.0f;
    if (i < n) {
      const float dist = mrank_dist(x1[i], x2[i], y[i], margin);
      tail[k] = mrank_clamp(dist);
      mrank_store_gradient(dist, y[i], upstream, dx1, dx2, i, i);
    }
  }
  return mrank_sum16(vload16(0, tail));
}

__kernel void mrank_fused_sum64(__global const float *x1, ulong x1_off, __global const float *x2,
                                ulong x2_off, __global const float *y, ulong y_off, float margin,
                                ulong n, float scale, __global float *dx1, ulong dx1_off,
                                __global float *dx2, ulong dx2_off, __global float *partials,
                                ulong partials_off) {
  const ulong g = get_global_id(0), base = g * 64;
  if (base >= n) return;
  const float upstream = 1.0f * scale;
  __global const float *a = x1 + x1_off, *b = x2 + x2_off, *c = y + y_off;
  __global float *d1 = dx1 + dx1_off, *d2 = dx2 + dx2_off;
  partials[partials_off + g] =
      mrank_sum4(mrank_fused_block16(a, b, c, margin, upstream, d1, d2, base, n),
                 mrank_fused_block16(a, b, c, margin, upstream, d1, d2, base + 16, n),
                 mrank_fused_block16(a, b, c, margin, upstream, d1, d2, base + 32, n),
                 mrank_fused_block16(a, b, c, margin, upstream, d1, d2, base + 48, n));
}
