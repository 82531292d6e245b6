/* ranker.cl: the steps of mrank train around the loss (src/rank/trainer.c): scores come from
 * CLBlast's GEMV and the loss from mrank_forward_backward_buffers; these kernels gather the pairs'
 * scores, scatter the pair gradients back to the documents in a fixed order (no atomics, so a seed
 * gives the same model bytes), update the weights and add up the epoch's loss. OpenCL C 1.2. */
#pragma OPENCL FP_CONTRACT OFF
/* FPGA compilers size their pipelines from a fixed work-group size: for such devices mrank builds
 * with -DMRANK_REQD_WORK_GROUP_SIZE=N and launches every kernel with exactly N work-items a group */
#ifdef MRANK_REQD_WORK_GROUP_SIZE
#define MRANK_KERNEL __kernel __attribute__((reqd_work_group_size(MRANK_REQD_WORK_GROUP_SIZE, 1, 1)))
#else
#define MRANK_KERNEL __kernel
#endif
MRANK_KERNEL void gather(__global const float *s, __global const uint *a, __global const uint *b,
                     __global float *x1, __global float *x2, uint first, uint count) {
  const uint p = get_global_id(0);
  if (p >= count) return;
  x1[first + p] = s[a[first + p]];
  x2[first + p] = s[b[first + p]];
}
/* entries: pair index * 2 + (0: the document is a, 1: it is b), in pair order */
MRANK_KERNEL void scatter(__global const uint *start, __global const uint *entries,
                      __global const float *dx1, __global const float *dx2,
                      __global float *gd, uint first, uint count) {
  const uint d = first + get_global_id(0);
  if (get_global_id(0) >= count) return;
  float total = 0.0f;
  for (uint e = start[d]; e < start[d + 1]; ++e) {
    const uint code = entries[e];
    total += (code & 1u) ? dx2[code >> 1] : dx1[code >> 1];
  }
  gd[d] = total;
}
/* the step, the L1 proximal step (soft-threshold: a weight that crosses zero stops at exactly
 * zero), and the running average of w (averaged SGD) with weight share = 1 / steps */
MRANK_KERNEL void update(__global float *w, __global float *v, __global const float *grad,
                         float lr, float l2, float momentum, uint features,
                         __global float *average, float share, float l1) {
  const uint f = get_global_id(0);
  if (f >= features) return;
  const float g = grad[f] + l2 * w[f];
  const float velocity = momentum * v[f] + g;
  v[f] = velocity;
  float next = w[f] - lr * velocity;
  if (l1 > 0.0f) {
    const float threshold = lr * l1;
    next = next > threshold ? next - threshold : next < -threshold ? next + threshold : 0.0f;
  }
  w[f] = next;
  average[f] = average[f] + (next - average[f]) * share;
}
MRANK_KERNEL void accumulate(__global float *total, __global const float *loss, float pairs) {
  if (get_global_id(0) == 0) total[0] = total[0] + loss[0] * pairs;
}
