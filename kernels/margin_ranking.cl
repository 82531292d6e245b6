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

/* Adds the work-group's values in scratch by halving: local size must be a power of two. */
inline float mrank_tree_sum(__local float *scratch, float value) {
  const size_t lid = get_local_id(0);
  scratch[lid] = value;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (size_t width = get_local_size(0) / 2; width > 0; width /= 2) {
    if (lid < width) scratch[lid] = scratch[lid] + scratch[lid + width];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  return scratch[0];
}

/* First stage of SUM/MEAN: each work-item adds the losses it strides over (stride: the global size),
 * the work-group adds those by a tree, and partials[partials_off + group] receives the total. The
 * grouping depends only on n, the global size and the local size, so the bits are the same every run. */
__kernel void mrank_forward_partial_sums(__global const float *x1, ulong x1_off,
                                         __global const float *x2, ulong x2_off,
                                         __global const float *y, ulong y_off, float margin, ulong n,
                                         __global float *partials, ulong partials_off,
                                         __local float *scratch) {
  float acc = 0.0f;
  for (size_t i = get_global_id(0); i < n; i += get_global_size(0)) {
    acc += mrank_clamp(mrank_dist(x1[x1_off + i], x2[x2_off + i], y[y_off + i], margin));
  }
  const float total = mrank_tree_sum(scratch, acc);
  if (get_local_id(0) == 0) partials[partials_off + get_group_id(0)] = total;
}

/* Second stage: one work-group adds `count` partials the same way and stores total * scale
 * (scale is 1 for SUM, 1/n rounded to float for MEAN). */
__kernel void mrank_sum_partials(__global const float *partials, ulong count, float scale,
                                 __global float *out, ulong out_off, __local float *scratch) {
  float acc = 0.0f;
  for (size_t i = get_local_id(0); i < count; i += get_local_size(0)) acc += partials[i];
  const float total = mrank_tree_sum(scratch, acc);
  if (get_local_id(0) == 0) out[out_off] = total * scale;
}

inline void mrank_store_gradient(float dist, float y, float upstream, __global float *dx1,
                                 __global float *dx2, size_t i1, size_t i2) {
  if (dist < 0.0f) {
    dx1[i1] = 0.0f;
    dx2[i2] = 0.0f;
  } else {
    dx1[i1] = -y * upstream;
    dx2[i2] = y * upstream;
  }
}

/* Gradient for reduction NONE: the upstream gradient is dloss[i]. */
__kernel void mrank_backward_none(__global const float *x1, ulong x1_off, __global const float *x2,
                                  ulong x2_off, __global const float *y, ulong y_off, float margin,
                                  ulong n, __global const float *dloss, ulong dloss_off,
                                  __global float *dx1, ulong dx1_off, __global float *dx2,
                                  ulong dx2_off) {
  const size_t i = get_global_id(0);
  if (i >= n) return;
  const float yi = y[y_off + i];
  const float dist = mrank_dist(x1[x1_off + i], x2[x2_off + i], yi, margin);
  mrank_store_gradient(dist, yi, dloss[dloss_off + i], dx1, dx2, dx1_off + i, dx2_off + i);
}

/* Gradient for SUM and MEAN: one upstream scalar, dloss[dloss_off] * scale (scale as above). */
__kernel void mrank_backward_scalar(__global const float *x1, ulong x1_off,
                                    __global const float *x2, ulong x2_off,
                                    __global const float *y, ulong y_off, float margin, ulong n,
                                    __global const float *dloss, ulong dloss_off, float scale,
                                    __global float *dx1, ulong dx1_off, __global float *dx2,
                                    ulong dx2_off) {
  const size_t i = get_global_id(0);
  if (i >= n) return;
  const float upstream = dloss[dloss_off] * scale;
  const float yi = y[y_off + i];
  const float dist = mrank_dist(x1[x1_off + i], x2[x2_off + i], yi, margin);
  mrank_store_gradient(dist, yi, upstream, dx1, dx2, dx1_off + i, dx2_off + i);
}

/* Forward and backward in one pass, reduction NONE: the upstream gradient of every loss is 1, so
 * dx1 = -y * 1 and dx2 = y * 1, the bits of mrank_backward_none with dloss = 1. */
__kernel void mrank_fused_none(__global const float *x1, ulong x1_off, __global const float *x2,
                               ulong x2_off, __global const float *y, ulong y_off, float margin,
                               ulong n, __global float *loss, ulong loss_off, __global float *dx1,
                               ulong dx1_off, __global float *dx2, ulong dx2_off) {
  const size_t i = get_global_id(0);
  if (i >= n) return;
  const float yi = y[y_off + i];
  const float dist = mrank_dist(x1[x1_off + i], x2[x2_off + i], yi, margin);
  loss[loss_off + i] = mrank_clamp(dist);
  mrank_store_gradient(dist, yi, 1.0f, dx1, dx2, dx1_off + i, dx2_off + i);
}

/* Forward and backward in one pass for SUM and MEAN: the gradients with the upstream scalar 1 * scale
 * (the bits of mrank_backward_scalar with dloss = 1), and the first stage of the loss's sum over the
 * same tree as mrank_forward_partial_sums, so the reduced loss has the forward's bits too. */
__kernel void mrank_fused_partial_sums(__global const float *x1, ulong x1_off,
                                       __global const float *x2, ulong x2_off,
                                       __global const float *y, ulong y_off, float margin, ulong n,
                                       float scale, __global float *dx1, ulong dx1_off,
                                       __global float *dx2, ulong dx2_off,
                                       __global float *partials, ulong partials_off,
                                       __local float *scratch) {
  const float upstream = 1.0f * scale;
  float acc = 0.0f;
  for (size_t i = get_global_id(0); i < n; i += get_global_size(0)) {
    const float yi = y[y_off + i];
    const float dist = mrank_dist(x1[x1_off + i], x2[x2_off + i], yi, margin);
    acc += mrank_clamp(dist);
    mrank_store_gradient(dist, yi, upstream, dx1, dx2, dx1_off + i, dx2_off + i);
  }
  const float total = mrank_tree_sum(scratch, acc);
  if (get_local_id(0) == 0) partials[partials_off + get_group_id(0)] = total;
}
