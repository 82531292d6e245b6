/* mlp.cl: the MLP scorer's kernels (src/rank/mlp_device.c, mlp_pass_dense.c, mlp_pass_clblast.c):
 * the dense path's layers (forward with bias, ReLU and dropout; weight and bias gradients; the
 * delta of the layer below from the weights' transposed copy), the scores, the output gradient;
 * the CLBlast path's element-wise steps between its GEMMs (bias, ReLU and dropout, their backward,
 * column sums); for both, the scatter with the last layer's delta and the optimiser step. The
 * dropout mask is a counter-based hash of (seed, step, layer, document, unit), the same as
 * rank_mlp_keep on the host. OpenCL C 1.2. */
#pragma OPENCL FP_CONTRACT OFF
/* a * b + c as a product and a sum, each rounded: never mad(), which OpenCL lets a device fuse
 * or not whatever FP_CONTRACT says (Oclgrind and GPUs fuse, PoCL does not), so that the model's
 * bits are the same on every device and equal the host loops' (built with -ffp-contract=off) */
#define MRANK_MUL_ADD(a, b, c) ((a) * (b) + (c))
#ifdef MRANK_REQD_WORK_GROUP_SIZE
#define MRANK_KERNEL __kernel __attribute__((reqd_work_group_size(MRANK_REQD_WORK_GROUP_SIZE, 1, 1)))
#else
#define MRANK_KERNEL __kernel
#endif

/* the hash's finaliser (rank_mlp_mix on the host), for a uint and, in mixv below, per lane */
#define MIX_STEPS(h)                                                                              \
  h ^= h >> 16;                                                                                   \
  h *= 0x85ebca6bu;                                                                               \
  h ^= h >> 13;                                                                                   \
  h *= 0xc2b2ae35u;                                                                               \
  h ^= h >> 16

uint mix(uint h) {
  MIX_STEPS(h);
  return h;
}

/* the hash of (seed, step, layer, document) that keep() finishes with the unit */
uint row_hash(uint seed, uint step, uint layer, uint doc) {
  uint h = mix(seed ^ 0x9e3779b9u);
  h = mix(h ^ step);
  return mix(h ^ (layer * 0x27d4eb2fu) ^ doc);
}

int keep(uint seed, uint step, uint layer, uint doc, uint unit, uint threshold) {
  return mix(row_hash(seed, step, layer, doc) ^ unit) >= threshold;
}

/* z[i][u] += p[b + u] (the layer's bias); a[i][u] = z > 0 and kept ? z * scale : 0 (rows x units, row-major) */
MRANK_KERNEL void bias_relu(__global float *z, __global const float *p, uint b, __global float *a,
                            uint rows, uint units, uint seed, uint step, uint layer,
                            uint first_doc, uint threshold, float scale) {
  const uint item = get_global_id(0);
  if (item >= rows * units) return;
  const uint i = item / units, u = item % units;
  const float value = z[item] + p[b + u];
  z[item] = value;
  const int on = value > 0.0f && (threshold == 0u || keep(seed, step, layer, first_doc + i, u,
                                                          threshold));
  a[item] = on ? value * scale : 0.0f;
}

/* A unit was on (positive and kept by dropout) exactly where its activation a = z * scale is
 * above 0, so the backward pass reads the mask from a instead of hashing again. */

/* d[i][u] = d[i][u] * scale where the unit was on, else 0 (dA into dZ, in place) */
MRANK_KERNEL void relu_backward(__global float *d, __global const float *a, uint rows, uint units,
                                float scale) {
  const uint item = get_global_id(0);
  if (item >= rows * units) return;
  d[item] = a[item] > 0.0f ? d[item] * scale : 0.0f;
}

/* out[at + u] = sum over rows, in row order */
MRANK_KERNEL void column_sum(__global const float *d, uint rows, uint units, __global float *out,
                             uint at) {
  const uint u = get_global_id(0);
  if (u >= units) return;
  float total = 0.0f;
  for (uint i = 0; i < rows; ++i)
    total += d[i * units + u];
  out[at + u] = total;
}

/* ---- mrank's own dense-layer kernels (the default on CPUs and accelerators; see
 * src/rank/mlp_device.c): each work-item holds a block of 4 rows by MLP_VW units in registers, so one
 * vector load of weights serves 4 rows, and a layer is one launch with its bias, ReLU and dropout.
 * A weight matrix W (K x U, row-major) is followed in the parameters by its bias b (U): the bias
 * is row K of a (K + 1) x U matrix, which lets one kernel give both gradients. */
#define MLP_ROWS 4
/* MLP_VW, the units a work-item holds in one vector, is a build option: the device's preferred
 * float vector width where that is 16 (AVX-512), else 8 (rank_mlp_program_options) */
#ifndef MLP_VW
#define MLP_VW 8
#endif
#if MLP_VW == 16
#define floatv float16
#define vloadv vload16
#define vstorev vstore16
#elif MLP_VW == 8
#define floatv float8
#define vloadv vload8
#define vstorev vstore8
#else
#error "MLP_VW is 8 or 16"
#endif
#define VW ((uint)MLP_VW)
#if MLP_VW == 16
#define uintv uint16
#define intv int16
#define LANES ((uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#else
#define uintv uint8
#define intv int8
#define LANES ((uint8)(0, 1, 2, 3, 4, 5, 6, 7))
#endif

/* row[u0 ..] = the vector's lanes, those below U */
void store_part(floatv value, __global float *row, uint u0, uint U) {
  if (u0 + VW <= U) {
    vstorev(value, 0, row + u0);
  } else {
    float t[MLP_VW];
    vstorev(value, 0, t);
    for (uint j = 0; u0 + j < U; ++j)
      row[u0 + j] = t[j];
  }
}

uintv mixv(uintv h) {
  MIX_STEPS(h);
  return h;
}

/* row r's activations from its sums: relu, then dropout (mix(row hash ^ unit) >= threshold keeps,
 * as keep()), stored for the units below U */
void activate(floatv value, uint row_hash_value, uint u0, uint U, uint threshold, float scale,
              __global float *a) {
  intv on = value > (floatv)(0.0f);
  if (threshold != 0u) on = on & (mixv((uintv)(row_hash_value) ^ ((uintv)(u0) + LANES)) >=
                                  (uintv)(threshold));
  store_part(select((floatv)(0.0f), value * scale, on), a, u0, U);
}

/* the lanes' sum as a fixed tree */
float hsum8(float8 s) {
  return ((s.s0 + s.s1) + (s.s2 + s.s3)) + ((s.s4 + s.s5) + (s.s6 + s.s7));
}

/* VW floats of row from column u0, zeros beyond U */
floatv partv(__global const float *row, uint u0, uint U) {
  if (u0 + VW <= U) return vloadv(0, row + u0);
  float v[MLP_VW];
  for (uint j = 0; j < VW; ++j)
    v[j] = u0 + j < U ? row[u0 + j] : 0.0f;
  return vloadv(0, v);
}

/* sums[r] = init + the sum over k < inner of A[i0 + r][k] B[k][n0 .. n0 + VW), in k order, for
 * the 4 rows from i0 (A row-major with lda columns; rows past the last repeat it, and their sums
 * are not stored by the callers; B row-major with N columns, zeros past N): the register block
 * both dense_forward and dense_input_gradient are made of, one B vector serving 4 rows */
void block_product(__global const float *A, uint lda, uint i0, uint rows, __global const float *B,
                   uint N, uint n0, uint inner, floatv init, floatv *sums) {
  __global const float *a0 = A + i0 * lda;
  __global const float *a1 = A + min(i0 + 1u, rows - 1u) * lda;
  __global const float *a2 = A + min(i0 + 2u, rows - 1u) * lda;
  __global const float *a3 = A + min(i0 + 3u, rows - 1u) * lda;
  floatv s0 = init, s1 = init, s2 = init, s3 = init;
  if (n0 + VW <= N) {
    for (uint k = 0; k < inner; ++k) {
      const floatv b = vloadv(0, B + k * N + n0);
      s0 = MRANK_MUL_ADD((floatv)(a0[k]), b, s0);
      s1 = MRANK_MUL_ADD((floatv)(a1[k]), b, s1);
      s2 = MRANK_MUL_ADD((floatv)(a2[k]), b, s2);
      s3 = MRANK_MUL_ADD((floatv)(a3[k]), b, s3);
    }
  } else {
    for (uint k = 0; k < inner; ++k) {
      const floatv b = partv(B + k * N, n0, N);
      s0 = MRANK_MUL_ADD((floatv)(a0[k]), b, s0);
      s1 = MRANK_MUL_ADD((floatv)(a1[k]), b, s1);
      s2 = MRANK_MUL_ADD((floatv)(a2[k]), b, s2);
      s3 = MRANK_MUL_ADD((floatv)(a3[k]), b, s3);
    }
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

/* A[i] = dropout(relu(in[i] W + b)) for rows i of the batch (documents first_doc + i) */
MRANK_KERNEL void dense_forward(__global const float *in, uint in_at, uint K, __global const float *p,
                                uint w, uint U, __global float *a, uint rows, uint seed, uint step,
                                uint layer, uint first_doc, uint threshold, float scale) {
  const uint blocks = (U + VW - 1u) / VW, item = get_global_id(0);
  const uint i0 = item / blocks * MLP_ROWS, u0 = item % blocks * VW;
  if (i0 >= rows) return;
  __global const float *W = p + w;
  floatv sums[MLP_ROWS];
  block_product(in + in_at, K, i0, rows, W, U, u0, K, partv(W + K * U, u0, U), sums);
  for (uint r = 0; r < MLP_ROWS && i0 + r < rows; ++r) {
    const uint i = i0 + r;
    activate(sums[r], row_hash(seed, step, layer, first_doc + i), u0, U, threshold, scale,
             a + i * U);
  }
}

/* x . w in 8 lanes whatever MLP_VW is, so that every sum of the dense path runs in one order at
 * both vector widths (the other kernels sum each output lane on its own) */
float dot_row(__global const float *x, __global const float *w, uint n) {
  float8 s = (float8)(0.0f);
  uint k = 0;
  for (; k + 8u <= n; k += 8u)
    s = MRANK_MUL_ADD(vload8(0, x + k), vload8(0, w + k), s);
  float total = hsum8(s);
  for (; k < n; ++k)
    total = MRANK_MUL_ADD(x[k], w[k], total);
  return total;
}

/* scores[first_doc + i] = A[i] . p[w..] (+ x[first_doc + i] . p[v..] with the linear term) */
MRANK_KERNEL void dense_score(__global const float *a, uint H, __global const float *x, uint F,
                              __global const float *p, uint w, uint v, uint skip,
                              __global float *scores, uint first_doc, uint rows) {
  const uint i = get_global_id(0);
  if (i >= rows) return;
  float s = dot_row(a + i * H, p + w, H);
  if (skip) s = s + dot_row(x + (first_doc + i) * F, p + v, F);
  scores[first_doc + i] = s;
}

/* the output layer's gradient and the linear term's: g[w + c] = per_pair * sum over rows of
 * column c of [A | X] times the document's gradient, VW columns a work-item */
MRANK_KERNEL void dense_output_gradient(__global const float *a, uint H, __global const float *x,
                                        uint F, uint skip, __global const float *gd,
                                        uint first_doc, uint rows, __global float *g, uint w,
                                        float per_pair) {
  const uint item = get_global_id(0), a_blocks = (H + VW - 1u) / VW;
  const uint blocks = a_blocks + (skip ? (F + VW - 1u) / VW : 0u);
  if (item >= blocks) return;
  const int of_a = item < a_blocks;
  const uint c0 = of_a ? item * VW : (item - a_blocks) * VW, width = of_a ? H : F;
  __global const float *m = of_a ? a : x + first_doc * F;
  floatv s = (floatv)(0.0f);
  for (uint i = 0; i < rows; ++i)
    s = MRANK_MUL_ADD((floatv)(gd[first_doc + i]), partv(m + i * width, c0, width), s);
  float sums[MLP_VW];
  vstorev(s * per_pair, 0, sums);
  const uint at = w + (of_a ? 0u : H) + c0;
  for (uint j = 0; j < VW && c0 + j < width; ++j)
    g[at + j] = sums[j];
}

/* the gradient of W and b together, (K + 1) x U at g + w: row k < K is sum over rows of
 * in[i][k] dz[i], row K (the bias) the sum of dz[i]; 4 rows of it by VW units a work-item */
MRANK_KERNEL void dense_weight_gradient(__global const float *in, uint in_at, uint K,
                                        __global const float *dz, uint U, uint rows,
                                        __global float *g, uint w) {
  const uint blocks = (U + VW - 1u) / VW, item = get_global_id(0);
  const uint k0 = item / blocks * MLP_ROWS, u0 = item % blocks * VW;
  if (k0 > K) return;
  __global const float *x = in + in_at;
  const uint c0 = min(k0, K - 1u), c1 = min(k0 + 1u, K - 1u), c2 = min(k0 + 2u, K - 1u),
             c3 = min(k0 + 3u, K - 1u);
  floatv s0 = (floatv)(0.0f), s1 = s0, s2 = s0, s3 = s0;
  if (k0 + MLP_ROWS <= K && u0 + VW <= U) { /* the common block: 4 inputs, VW whole units */
    for (uint i = 0; i < rows; ++i) {
      const floatv d = vloadv(0, dz + i * U + u0);
      __global const float *row = x + i * K + k0;
      s0 = MRANK_MUL_ADD((floatv)(row[0]), d, s0);
      s1 = MRANK_MUL_ADD((floatv)(row[1]), d, s1);
      s2 = MRANK_MUL_ADD((floatv)(row[2]), d, s2);
      s3 = MRANK_MUL_ADD((floatv)(row[3]), d, s3);
    }
  } else { /* the block with the bias row (1 for every row) or the last units */
    for (uint i = 0; i < rows; ++i) {
      const floatv d = partv(dz + i * U, u0, U);
      __global const float *row = x + i * K;
      s0 = MRANK_MUL_ADD((floatv)(k0 < K ? row[c0] : 1.0f), d, s0);
      s1 = MRANK_MUL_ADD((floatv)(k0 + 1u < K ? row[c1] : 1.0f), d, s1);
      s2 = MRANK_MUL_ADD((floatv)(k0 + 2u < K ? row[c2] : 1.0f), d, s2);
      s3 = MRANK_MUL_ADD((floatv)(k0 + 3u < K ? row[c3] : 1.0f), d, s3);
    }
  }
  float sums[MLP_ROWS][MLP_VW];
  vstorev(s0, 0, sums[0]);
  vstorev(s1, 0, sums[1]);
  vstorev(s2, 0, sums[2]);
  vstorev(s3, 0, sums[3]);
  for (uint r = 0; r < MLP_ROWS && k0 + r <= K; ++r)
    for (uint j = 0; j < VW && u0 + j < U; ++j)
      g[w + (k0 + r) * U + u0 + j] = sums[r][j];
}

/* A row's (document's) gradient, the sum over its pairs in pair order (kernels/ranker.cl's scatter,
 * the same additions), then the last hidden layer's delta dz[i][u] = g * p[w + u] * scale where the
 * unit was on, else 0: one work-item a row, so the scatter and the delta are one launch */
MRANK_KERNEL void scatter_delta(__global const uint *start, __global const uint *entries,
                                __global const float *dx1, __global const float *dx2,
                                __global float *gd, uint first, uint rows,
                                __global const float *p, uint w, __global const float *a, uint H,
                                __global float *dz, float scale) {
  const uint i = get_global_id(0);
  if (i >= rows) return;
  const uint d = first + i;
  float total = 0.0f;
  for (uint e = start[d]; e < start[d + 1]; ++e) {
    const uint code = entries[e];
    total += (code & 1u) ? dx2[code >> 1] : dx1[code >> 1];
  }
  gd[d] = total;
  for (uint u0 = 0; u0 < H; u0 += VW) {
    const floatv value = (floatv)(total) * partv(p + w, u0, H) * scale;
    const intv on = partv(a + i * H, u0, H) > (floatv)(0.0f);
    store_part(select((floatv)(0.0f), value, on), dz + i * H, u0, H);
  }
}

/* dA[i][k] = sum over u of dz[i][u] W[k][u], read from W's transpose (U x K at pt + w, which the
 * optimiser keeps beside the parameters) so that, as in dense_forward, a work-item holds 4 rows by
 * VW outputs; then the layer below's mask (from its activations) and dropout scale */
MRANK_KERNEL void dense_input_gradient(__global const float *dz, uint U, __global const float *pt,
                                       uint w, uint K, uint rows, __global float *da,
                                       __global const float *a, float scale) {
  const uint blocks = (K + VW - 1u) / VW, item = get_global_id(0);
  const uint i0 = item / blocks * MLP_ROWS, k0 = item % blocks * VW;
  if (i0 >= rows) return;
  floatv sums[MLP_ROWS];
  block_product(dz, U, i0, rows, pt + w, K, k0, U, (floatv)(0.0f), sums);
  for (uint r = 0; r < MLP_ROWS && i0 + r < rows; ++r) {
    const uint i = i0 + r;
    const intv on = partv(a + i * K, k0, K) > (floatv)(0.0f);
    store_part(select((floatv)(0.0f), sums[r] * scale, on), da + i * K, k0, K);
  }
}

/* pt[w + u K + k] = p[w + k U + u]: a layer's weights transposed for dense_input_gradient (after
 * each optimiser step; a kernel of its own, as a scattered store would keep the optimiser from
 * vectorising) */
MRANK_KERNEL void transpose_weights(__global const float *p, uint w, uint K, uint U,
                                    __global float *pt) {
  const uint item = get_global_id(0);
  if (item >= K * U) return;
  const uint u = item / K, k = item % K;
  pt[w + item] = p[w + k * U + u];
}

/* one step over every parameter: 0 SGD, 1 momentum (PyTorch's: v = mu v + g), 2 Adam (PyTorch's,
 * with bias1 = 1 - beta1^t and bias2 = 1 - beta2^t); weight decay is added to the gradient; then the
 * running average of the parameters over the steps (share = 1 / steps; 0 leaves it as it is, when
 * the model is the last step's) */
MRANK_KERNEL void optimize(__global float *p, __global const float *g, __global float *m,
                           __global float *v, uint count, int kind, float lr, float decay,
                           float momentum, float bias1, float bias2, __global float *average,
                           float share) {
  const uint k = get_global_id(0);
  if (k >= count) return;
  const float grad = g[k] + decay * p[k];
  if (kind == 0) {
    p[k] = p[k] - lr * grad;
  } else if (kind == 1) {
    const float velocity = momentum * m[k] + grad;
    m[k] = velocity;
    p[k] = p[k] - lr * velocity;
  } else {
    const float first = 0.9f * m[k] + 0.1f * grad;
    const float second = 0.999f * v[k] + 0.001f * grad * grad;
    m[k] = first;
    v[k] = second;
    p[k] = p[k] - lr * (first / bias1) / (sqrt(second / bias2) + 1e-8f);
  }
  average[k] = average[k] + (p[k] - average[k]) * share; /* no branch: it would not vectorise */
}
