/* ranker.cl: the steps of mrank train around the loss (src/rank/trainer.c): scores, the pairs'
 * scores gathered, the pair gradients (from mrank_forward_backward_buffers) scattered back to the
 * documents, each query's share of the weight gradient, their sum, the update. Every sum runs in
 * a fixed order over a fixed unit (a document's features, a document's pairs, a query's
 * documents, the batch's queries in query order), never over a range that depends on the device
 * or on how the queries are spread over devices and processes: a seed gives the same model bits
 * on any device, on several at once, and on any number of MPI ranks. OpenCL C 1.2. */
#pragma OPENCL FP_CONTRACT OFF
/* FPGA compilers size their pipelines from a fixed work-group size: for such devices mrank builds
 * with -DMRANK_REQD_WORK_GROUP_SIZE=N and launches every kernel with exactly N work-items a group */
#ifdef MRANK_REQD_WORK_GROUP_SIZE
#define MRANK_KERNEL __kernel __attribute__((reqd_work_group_size(MRANK_REQD_WORK_GROUP_SIZE, 1, 1)))
#else
#define MRANK_KERNEL __kernel
#endif
/* s[d] = x[d] . w for documents [first, first + count), features in order */
MRANK_KERNEL void scores(__global const float *x, __global const float *w, __global float *s,
                         uint first, uint count, uint features) {
  if (get_global_id(0) >= count) return;
  const uint d = first + (uint)get_global_id(0);
  __global const float *row = x + (ulong)d * features;
  float total = 0.0f;
  for (uint f = 0; f < features; ++f)
    total += row[f] * w[f];
  s[d] = total;
}
/* partials[k][f] = sum over query (first + k)'s documents d, in order, of x[d][f] * gd[d] */
MRANK_KERNEL void query_gradient(__global const float *x, __global const float *gd,
                                 __global const uint *query_start, __global float *partials,
                                 uint first, uint queries, uint features) {
  const uint item = (uint)get_global_id(0);
  if (item >= queries * features) return;
  const uint k = item / features, f = item % features;
  float total = 0.0f;
  for (uint d = query_start[first + k]; d < query_start[first + k + 1]; ++d)
    total += x[(ulong)d * features + f] * gd[d];
  partials[item] = total;
}
/* grad[f] = the partials of the batch's queries added in query order */
MRANK_KERNEL void sum_queries(__global const float *partials, __global float *grad, uint queries,
                              uint features) {
  const uint f = (uint)get_global_id(0);
  if (f >= features) return;
  float total = 0.0f;
  for (uint k = 0; k < queries; ++k)
    total += partials[(ulong)k * features + f];
  grad[f] = total;
}
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
/* the step on grad * scale (the batch's summed gradient over its pair count), the L1 proximal
 * step (soft-threshold: a weight that crosses zero stops at exactly zero), and the running
 * average of w (averaged SGD) with weight share = 1 / steps */
MRANK_KERNEL void update(__global float *w, __global float *v, __global const float *grad,
                         float lr, float l2, float momentum, uint features,
                         __global float *average, float share, float l1, float scale) {
  const uint f = get_global_id(0);
  if (f >= features) return;
  const float g = grad[f] * scale + l2 * w[f];
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
MRANK_KERNEL void accumulate(__global float *total, __global const float *loss) {
  if (get_global_id(0) == 0) total[0] = total[0] + loss[0];
}
