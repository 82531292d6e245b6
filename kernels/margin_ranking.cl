/* margin_ranking.cl: Caffe2's MarginRankingCriterion forward and gradient, the fused pass, and the
 * fixed-tree sum that gives the MEAN and SUM reductions. OpenCL C 1.2.
 *
 * Built once per type variant (build options):
 *   MRANK_DATA    x1, x2, loss, dloss, dx1, dx2: 0 float, 1 half (storage), 2 bfloat16 (storage),
 *                 3 double (needs cl_khr_fp64). half and bfloat16 are computed in float and rounded
 *                 to nearest even when stored; vload_half/vstore_half are core OpenCL C.
 *   MRANK_LABELS  y: 0 float, 1 int, 2 char; converted to the compute type on load.
 * and per device shape (src/shape.c; every shape gives the same bits):
 *   MRANK_EPW        elements per work-item of the elementwise kernels: 1, 4 or 16 (default 16)
 *   MRANK_VW         their vector width: 1, 4 or 16, at most MRANK_EPW (default 16)
 *   MRANK_SUM_LOCAL  1: pass 1 of a reduction loads a work-group's block of 64 x MRANK_SUM_WG
 *                    elements coalesced (neighbouring work-items, neighbouring addresses) into local
 *                    memory, then each work-item adds its 64 in the fixed order; 0 (default): each
 *                    work-item loads its own 64 (vload16), the shape CPUs want
 *
 * Bit-exactness with the CPU reference (src/reference.c) rests on three rules kept here:
 *  - the same operations in the same order, each rounded on its own: contraction into FMA is off;
 *  - the clamp is `d < 0 ? 0 : d`, never fmax, which would turn a NaN loss into 0;
 *  - the gradient passes wherever !(dist < 0), NaN included, as in Caffe2.
 * Every kernel takes element offsets so that callers can pass any part of a buffer. */
#pragma OPENCL FP_CONTRACT OFF
/* FPGA compilers size their pipelines from a fixed work-group size: for such devices mrank builds
 * with -DMRANK_REQD_WORK_GROUP_SIZE=N and launches every kernel with exactly N work-items a group */
#ifdef MRANK_REQD_WORK_GROUP_SIZE
#define MRANK_KERNEL __kernel __attribute__((reqd_work_group_size(MRANK_REQD_WORK_GROUP_SIZE, 1, 1)))
#else
#define MRANK_KERNEL __kernel
#endif

#ifndef MRANK_EPW
#define MRANK_EPW 16
#endif
#ifndef MRANK_VW
#define MRANK_VW 16
#endif
#ifndef MRANK_SUM_LOCAL
#define MRANK_SUM_LOCAL 0
#endif
/* the work-group size of the local-memory pass 1: up to 64 work-items, one row of 64 elements
 * each (padded to 65 values in local memory); the host chooses it within the device's limits and
 * uses the pass only for the types whose rows fit its local memory */
#ifndef MRANK_SUM_WG /* the host passes the size the device allows (a power of two up to 64) */
#define MRANK_SUM_WG 64
#endif

/* ---- types ---- */
#if MRANK_DATA == 3
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
typedef double2 real2;
typedef double4 real4;
typedef double8 real8;
typedef double16 real16;
typedef long16 mask16;
typedef long4 mask4;
typedef double data_t;
#define LOAD(p, i) ((p)[i])
#define LOAD16(p) vload16(0, (p))
#define LOAD4(p) vload4(0, (p))
#define STORE(p, i, v) ((p)[i] = (v))
#define STORE16(p, v) vstore16((v), 0, (p))
#define STORE4(p, v) vstore4((v), 0, (p))
#define CONVERT_REAL16 convert_double16
#define CONVERT_REAL4 convert_double4
#else
typedef float real;
typedef float2 real2;
typedef float4 real4;
typedef float8 real8;
typedef float16 real16;
typedef int16 mask16;
typedef int4 mask4;
#define CONVERT_REAL16 convert_float16
#define CONVERT_REAL4 convert_float4
#if MRANK_DATA == 1
typedef half data_t;
#define LOAD(p, i) vload_half((i), (p))
#define LOAD16(p) vload_half16(0, (p))
#define LOAD4(p) vload_half4(0, (p))
#define STORE(p, i, v) vstore_half_rte((v), (i), (p))
#define STORE16(p, v) vstore_half16_rte((v), 0, (p))
#define STORE4(p, v) vstore_half4_rte((v), 0, (p))
#elif MRANK_DATA == 2
typedef ushort data_t;
inline float mrank_bf16_load(ushort bits) { return as_float((uint)bits << 16); }
/* round to nearest even; a NaN stays a (quiet) NaN */
inline ushort mrank_bf16_round(float value) {
  const uint u = as_uint(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x0040u);
  return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
inline float16 mrank_bf16_load16(__global const ushort *p) {
  return as_float16(convert_uint16(vload16(0, p)) << 16);
}
inline void mrank_bf16_store16(float16 value, __global ushort *p) {
  const uint16 u = as_uint16(value);
  const uint16 rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint16 quiet = (u >> 16) | 0x0040u;
  vstore16(convert_ushort16(select(rounded, quiet, (u & 0x7fffffffu) > 0x7f800000u)), 0, p);
}
inline float4 mrank_bf16_load4(__global const ushort *p) {
  return as_float4(convert_uint4(vload4(0, p)) << 16);
}
inline void mrank_bf16_store4(float4 value, __global ushort *p) {
  const uint4 u = as_uint4(value);
  const uint4 rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint4 quiet = (u >> 16) | 0x0040u;
  vstore4(convert_ushort4(select(rounded, quiet, (u & 0x7fffffffu) > 0x7f800000u)), 0, p);
}
#define LOAD(p, i) mrank_bf16_load((p)[i])
#define LOAD16(p) mrank_bf16_load16(p)
#define LOAD4(p) mrank_bf16_load4(p)
#define STORE(p, i, v) ((p)[i] = mrank_bf16_round(v))
#define STORE16(p, v) mrank_bf16_store16((v), (p))
#define STORE4(p, v) mrank_bf16_store4((v), (p))
#else
typedef float data_t;
#define LOAD(p, i) ((p)[i])
#define LOAD16(p) vload16(0, (p))
#define LOAD4(p) vload4(0, (p))
#define STORE(p, i, v) ((p)[i] = (v))
#define STORE16(p, v) vstore16((v), 0, (p))
#define STORE4(p, v) vstore4((v), 0, (p))
#endif
#endif

#if MRANK_LABELS == 1
typedef int label_t;
#elif MRANK_LABELS == 2
typedef char label_t;
#else
typedef float label_t;
#endif
#define LABEL(p, i) ((real)(p)[i])
#define LABEL16(p) CONVERT_REAL16(vload16(0, (p)))
#define LABEL4(p) CONVERT_REAL4(vload4(0, (p)))

/* ---- the operator, one element and 16 at a time ---- */
inline real mrank_dist(real x1, real x2, real y, real margin) {
  const real diff = x1 - x2;
  const real scaled = -y * diff;
  return scaled + margin;
}

inline real mrank_clamp(real dist) { return dist < (real)0 ? (real)0 : dist; }

inline real16 mrank_dist16(real16 x1, real16 x2, real16 y, real margin) {
  const real16 diff = x1 - x2;
  const real16 scaled = -y * diff;
  return scaled + margin;
}

inline real16 mrank_clamp16(real16 dist) { return select(dist, (real16)(0), dist < (real16)(0)); }

inline real4 mrank_dist4(real4 x1, real4 x2, real4 y, real margin) {
  const real4 diff = x1 - x2;
  const real4 scaled = -y * diff;
  return scaled + margin;
}

inline real4 mrank_clamp4(real4 dist) { return select(dist, (real4)(0), dist < (real4)(0)); }

/* Selects, not branches: every work-item stores, so the stores vectorise; the values (and the sign
 * of a zero) are those of Caffe2's branch. */
inline void mrank_store_gradient(real dist, real y, real upstream, __global data_t *dx1,
                                 __global data_t *dx2, size_t i) {
  const bool passes = !(dist < (real)0);
  STORE(dx1, i, passes ? -y * upstream : (real)0);
  STORE(dx2, i, passes ? y * upstream : (real)0);
}

inline void mrank_store_gradient16(real16 dist, real16 y, real16 upstream, __global data_t *dx1,
                                   __global data_t *dx2) {
  const mask16 passes = !(dist < (real16)(0));
  STORE16(dx1, select((real16)(0), -y * upstream, passes));
  STORE16(dx2, select((real16)(0), y * upstream, passes));
}

inline void mrank_store_gradient4(real4 dist, real4 y, real4 upstream, __global data_t *dx1,
                                  __global data_t *dx2) {
  const mask4 passes = !(dist < (real4)(0));
  STORE4(dx1, select((real4)(0), -y * upstream, passes));
  STORE4(dx2, select((real4)(0), y * upstream, passes));
}

/* The elementwise kernels take MRANK_EPW elements a work-item, MRANK_VW at a time (vector loads
 * and stores), and the last work-item's tail one by one. The same operations on every element,
 * whatever the shape: the same bits. Pointers below are already moved by their offsets. */
#if MRANK_VW == 16
#define VREAL real16
#define VLOAD LOAD16
#define VLABEL LABEL16
#define VSTORE STORE16
#define VDIST mrank_dist16
#define VCLAMP mrank_clamp16
#define VGRADIENT mrank_store_gradient16
#elif MRANK_VW == 4
#define VREAL real4
#define VLOAD LOAD4
#define VLABEL LABEL4
#define VSTORE STORE4
#define VDIST mrank_dist4
#define VCLAMP mrank_clamp4
#define VGRADIENT mrank_store_gradient4
#else
#define VREAL real
#define VLOAD(p) LOAD((p), 0)
#define VLABEL(p) LABEL((p), 0)
#define VSTORE(p, v) STORE((p), 0, (v))
#define VDIST mrank_dist
#define VCLAMP mrank_clamp
#define VGRADIENT(dist, y, upstream, dx1, dx2) \
  mrank_store_gradient((dist), (y), (upstream), (dx1), (dx2), 0)
#endif
#if MRANK_VW > MRANK_EPW || MRANK_EPW % MRANK_VW != 0
#error "MRANK_VW must divide MRANK_EPW"
#endif

/* loss[i] for reduction NONE. */
MRANK_KERNEL void mrank_forward_none(__global const data_t *x1, ulong x1_off,
                                     __global const data_t *x2, ulong x2_off,
                                     __global const label_t *y, ulong y_off, real margin, ulong n,
                                     __global data_t *loss, ulong loss_off) {
  const ulong base = get_global_id(0) * MRANK_EPW;
  if (base >= n) return;
  x1 += x1_off + base;
  x2 += x2_off + base;
  y += y_off + base;
  loss += loss_off + base;
  if (base + MRANK_EPW <= n) {
    for (int c = 0; c < MRANK_EPW; c += MRANK_VW) {
      VSTORE(loss + c, VCLAMP(VDIST(VLOAD(x1 + c), VLOAD(x2 + c), VLABEL(y + c), margin)));
    }
    return;
  }
  for (ulong k = 0; base + k < n; ++k) {
    STORE(loss, k, mrank_clamp(mrank_dist(LOAD(x1, k), LOAD(x2, k), LABEL(y, k), margin)));
  }
}

/* Gradient for reduction NONE: the upstream gradient is dloss[i]. */
MRANK_KERNEL void mrank_backward_none(__global const data_t *x1, ulong x1_off,
                                      __global const data_t *x2, ulong x2_off,
                                      __global const label_t *y, ulong y_off, real margin, ulong n,
                                      __global const data_t *dloss, ulong dloss_off,
                                      __global data_t *dx1, ulong dx1_off, __global data_t *dx2,
                                      ulong dx2_off) {
  const ulong base = get_global_id(0) * MRANK_EPW;
  if (base >= n) return;
  x1 += x1_off + base;
  x2 += x2_off + base;
  y += y_off + base;
  dloss += dloss_off + base;
  dx1 += dx1_off + base;
  dx2 += dx2_off + base;
  if (base + MRANK_EPW <= n) {
    for (int c = 0; c < MRANK_EPW; c += MRANK_VW) {
      const VREAL yv = VLABEL(y + c);
      VGRADIENT(VDIST(VLOAD(x1 + c), VLOAD(x2 + c), yv, margin), yv, VLOAD(dloss + c), dx1 + c,
                dx2 + c);
    }
    return;
  }
  for (ulong k = 0; base + k < n; ++k) {
    const real yk = LABEL(y, k);
    mrank_store_gradient(mrank_dist(LOAD(x1, k), LOAD(x2, k), yk, margin), yk, LOAD(dloss, k),
                         dx1, dx2, k);
  }
}

/* Gradient for SUM and MEAN: one upstream scalar, dloss[dloss_off] * scale (scale is 1 for SUM and
 * 1/n rounded to the compute type for MEAN). */
MRANK_KERNEL void mrank_backward_scalar(__global const data_t *x1, ulong x1_off,
                                        __global const data_t *x2, ulong x2_off,
                                        __global const label_t *y, ulong y_off, real margin,
                                        ulong n, __global const data_t *dloss, ulong dloss_off,
                                        real scale, __global data_t *dx1, ulong dx1_off,
                                        __global data_t *dx2, ulong dx2_off) {
  const ulong base = get_global_id(0) * MRANK_EPW;
  if (base >= n) return;
  const real upstream = LOAD(dloss, dloss_off) * scale;
  x1 += x1_off + base;
  x2 += x2_off + base;
  y += y_off + base;
  dx1 += dx1_off + base;
  dx2 += dx2_off + base;
  if (base + MRANK_EPW <= n) {
    for (int c = 0; c < MRANK_EPW; c += MRANK_VW) {
      const VREAL yv = VLABEL(y + c);
      VGRADIENT(VDIST(VLOAD(x1 + c), VLOAD(x2 + c), yv, margin), yv, (VREAL)(upstream), dx1 + c,
                dx2 + c);
    }
    return;
  }
  for (ulong k = 0; base + k < n; ++k) {
    const real yk = LABEL(y, k);
    mrank_store_gradient(mrank_dist(LOAD(x1, k), LOAD(x2, k), yk, margin), yk, upstream, dx1, dx2,
                         k);
  }
}

/* Forward and backward in one pass, reduction NONE: the upstream gradient of every loss is 1, so
 * dx1 = -y * 1 and dx2 = y * 1, the bits of mrank_backward_none with dloss = 1. */
MRANK_KERNEL void mrank_fused_none(__global const data_t *x1, ulong x1_off,
                                   __global const data_t *x2, ulong x2_off,
                                   __global const label_t *y, ulong y_off, real margin, ulong n,
                                   __global data_t *loss, ulong loss_off, __global data_t *dx1,
                                   ulong dx1_off, __global data_t *dx2, ulong dx2_off) {
  const ulong base = get_global_id(0) * MRANK_EPW;
  if (base >= n) return;
  x1 += x1_off + base;
  x2 += x2_off + base;
  y += y_off + base;
  loss += loss_off + base;
  dx1 += dx1_off + base;
  dx2 += dx2_off + base;
  if (base + MRANK_EPW <= n) {
    for (int c = 0; c < MRANK_EPW; c += MRANK_VW) {
      const VREAL yv = VLABEL(y + c);
      const VREAL dist = VDIST(VLOAD(x1 + c), VLOAD(x2 + c), yv, margin);
      VSTORE(loss + c, VCLAMP(dist));
      VGRADIENT(dist, yv, (VREAL)(1), dx1 + c, dx2 + c);
    }
    return;
  }
  for (ulong k = 0; base + k < n; ++k) {
    const real yk = LABEL(y, k);
    const real dist = mrank_dist(LOAD(x1, k), LOAD(x2, k), yk, margin);
    STORE(loss, k, mrank_clamp(dist));
    mrank_store_gradient(dist, yk, (real)1, dx1, dx2, k);
  }
}

/* ---- SUM and MEAN: a fixed tree ----
 * Pass 1 reduces 64 consecutive losses per work-item, as four blocks of 16; later passes reduce 16
 * partial sums per work-item; each block of 16 is added by halving (lane i with lane i + 8, then + 4,
 * + 2, + 1), the four blocks as ((b0 + b1) + (b2 + b3)). No loops, barriers or atomics: the same bits
 * every run, and straight-line code that vectorises on CPUs and coalesces on GPUs. The partial sums
 * are in the compute type (float, or double for MRANK_DATA 3). */
inline real mrank_sum16(real16 v) {
  const real8 a = v.lo + v.hi;
  const real4 b = a.lo + a.hi;
  const real2 c = b.lo + b.hi;
  return c.x + c.y;
}

inline real mrank_sum4(real b0, real b1, real b2, real b3) { return (b0 + b1) + (b2 + b3); }

/* The sum of the losses of elements base .. base + 15 (0 past n); pointers at element 0. */
inline real mrank_loss_block(__global const data_t *x1, __global const data_t *x2,
                             __global const label_t *y, real margin, ulong base, ulong n) {
  if (base + 16 <= n) {
    return mrank_sum16(
        mrank_clamp16(mrank_dist16(LOAD16(x1 + base), LOAD16(x2 + base), LABEL16(y + base), margin)));
  }
  real tail[16];
  for (int k = 0; k < 16; ++k) {
    const ulong i = base + k;
    tail[k] = i < n ? mrank_clamp(mrank_dist(LOAD(x1, i), LOAD(x2, i), LABEL(y, i), margin)) : 0;
  }
  return mrank_sum16(vload16(0, tail));
}

#if !MRANK_SUM_LOCAL
/* Pass 1: partials[partials_off + g] = the sum of the losses of elements 64g .. 64g + 63. */
MRANK_KERNEL void mrank_forward_sum64(__global const data_t *x1, ulong x1_off,
                                  __global const data_t *x2, ulong x2_off,
                                  __global const label_t *y, ulong y_off, real margin, ulong n,
                                  __global real *partials, ulong partials_off) {
  const ulong g = get_global_id(0), base = g * 64;
  if (base >= n) return;
  x1 += x1_off;
  x2 += x2_off;
  y += y_off;
  partials[partials_off + g] = mrank_sum4(mrank_loss_block(x1, x2, y, margin, base, n),
                                          mrank_loss_block(x1, x2, y, margin, base + 16, n),
                                          mrank_loss_block(x1, x2, y, margin, base + 32, n),
                                          mrank_loss_block(x1, x2, y, margin, base + 48, n));
}

#else
/* The local-memory pass 1 (MRANK_SUM_LOCAL): the work-group's 64 x MRANK_SUM_WG elements are loaded
 * with neighbouring work-items on neighbouring addresses (coalesced), their losses kept in rows of
 * 64 (padded to 65, so that the rows start in different banks), then each work-item adds its own
 * row with the direct pass's tree: ((sum16 b0 + sum16 b1) + (sum16 b2 + sum16 b3)). The same
 * values added in the same order: the same bits. Work-items past n still load (zeros) and pass
 * the barrier; only those with elements write a partial sum. */
#define MRANK_ROW 65
inline real mrank_row_sum(__local const real *row) {
  return mrank_sum4(mrank_sum16(vload16(0, row)), mrank_sum16(vload16(1, row)),
                    mrank_sum16(vload16(2, row)), mrank_sum16(vload16(3, row)));
}

__kernel __attribute__((reqd_work_group_size(MRANK_SUM_WG, 1, 1))) void mrank_forward_sum64(
    __global const data_t *x1, ulong x1_off, __global const data_t *x2, ulong x2_off,
    __global const label_t *y, ulong y_off, real margin, ulong n, __global real *partials,
    ulong partials_off) {
  __local real rows[MRANK_SUM_WG * MRANK_ROW];
  const uint lid = get_local_id(0);
  const ulong first = get_group_id(0) * (ulong)(MRANK_SUM_WG * 64);
  x1 += x1_off;
  x2 += x2_off;
  y += y_off;
  for (uint t = lid; t < MRANK_SUM_WG * 64; t += MRANK_SUM_WG) {
    const ulong i = first + t;
    rows[(t / 64) * MRANK_ROW + t % 64] =
        i < n ? mrank_clamp(mrank_dist(LOAD(x1, i), LOAD(x2, i), LABEL(y, i), margin)) : (real)0;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  const ulong g = get_global_id(0);
  if (g * 64 < n) partials[partials_off + g] = mrank_row_sum(rows + lid * MRANK_ROW);
}
#endif

/* The later passes: the sum of in[16g .. 16g + 15] times scale (1 until the last pass), stored in
 * the compute type (partials) or, on the last pass, in the data type (the loss). */
inline real mrank_partials_block(__global const real *in, ulong count) {
  if (16 <= count) return mrank_sum16(vload16(0, in));
  real tail[16];
  for (int k = 0; k < 16; ++k) tail[k] = (ulong)k < count ? in[k] : 0;
  return mrank_sum16(vload16(0, tail));
}

MRANK_KERNEL void mrank_sum16_pass(__global const real *in, ulong in_off, ulong count, real scale,
                               __global real *out, ulong out_off) {
  const ulong g = get_global_id(0), base = g * 16;
  if (base >= count) return;
  out[out_off + g] = mrank_partials_block(in + in_off + base, count - base) * scale;
}

MRANK_KERNEL void mrank_sum16_last(__global const real *in, ulong in_off, ulong count, real scale,
                               __global data_t *out, ulong out_off) {
  if (get_global_id(0) != 0) return;
  STORE(out, out_off, mrank_partials_block(in + in_off, count) * scale);
}

/* Forward and backward in one pass for SUM and MEAN: the gradients with the upstream scalar 1 * scale
 * (the bits of mrank_backward_scalar with dloss = 1), and pass 1 of the loss's sum, the partials of
 * mrank_forward_sum64, so the reduced loss has the forward's bits too. */
inline real mrank_fused_block(__global const data_t *x1, __global const data_t *x2,
                              __global const label_t *y, real margin, real upstream,
                              __global data_t *dx1, __global data_t *dx2, ulong base, ulong n) {
  if (base >= n) return 0;
  if (base + 16 <= n) {
    const real16 yv = LABEL16(y + base);
    const real16 dist = mrank_dist16(LOAD16(x1 + base), LOAD16(x2 + base), yv, margin);
    mrank_store_gradient16(dist, yv, (real16)(upstream), dx1 + base, dx2 + base);
    return mrank_sum16(mrank_clamp16(dist));
  }
  real tail[16];
  for (int k = 0; k < 16; ++k) {
    const ulong i = base + k;
    tail[k] = 0;
    if (i < n) {
      const real yi = LABEL(y, i);
      const real dist = mrank_dist(LOAD(x1, i), LOAD(x2, i), yi, margin);
      tail[k] = mrank_clamp(dist);
      mrank_store_gradient(dist, yi, upstream, dx1, dx2, i);
    }
  }
  return mrank_sum16(vload16(0, tail));
}

#if !MRANK_SUM_LOCAL
MRANK_KERNEL void mrank_fused_sum64(__global const data_t *x1, ulong x1_off, __global const data_t *x2,
                                ulong x2_off, __global const label_t *y, ulong y_off, real margin,
                                ulong n, real scale, __global data_t *dx1, ulong dx1_off,
                                __global data_t *dx2, ulong dx2_off, __global real *partials,
                                ulong partials_off) {
  const ulong g = get_global_id(0), base = g * 64;
  if (base >= n) return;
  const real upstream = (real)1 * scale;
  x1 += x1_off;
  x2 += x2_off;
  y += y_off;
  dx1 += dx1_off;
  dx2 += dx2_off;
  partials[partials_off + g] =
      mrank_sum4(mrank_fused_block(x1, x2, y, margin, upstream, dx1, dx2, base, n),
                 mrank_fused_block(x1, x2, y, margin, upstream, dx1, dx2, base + 16, n),
                 mrank_fused_block(x1, x2, y, margin, upstream, dx1, dx2, base + 32, n),
                 mrank_fused_block(x1, x2, y, margin, upstream, dx1, dx2, base + 48, n));
}
#else
/* The local-memory fused pass 1: the gradients are stored during the coalesced load. */
__kernel __attribute__((reqd_work_group_size(MRANK_SUM_WG, 1, 1))) void mrank_fused_sum64(
    __global const data_t *x1, ulong x1_off, __global const data_t *x2, ulong x2_off,
    __global const label_t *y, ulong y_off, real margin, ulong n, real scale,
    __global data_t *dx1, ulong dx1_off, __global data_t *dx2, ulong dx2_off,
    __global real *partials, ulong partials_off) {
  __local real rows[MRANK_SUM_WG * MRANK_ROW];
  const uint lid = get_local_id(0);
  const ulong first = get_group_id(0) * (ulong)(MRANK_SUM_WG * 64);
  const real upstream = (real)1 * scale;
  x1 += x1_off;
  x2 += x2_off;
  y += y_off;
  dx1 += dx1_off;
  dx2 += dx2_off;
  for (uint t = lid; t < MRANK_SUM_WG * 64; t += MRANK_SUM_WG) {
    const ulong i = first + t;
    real loss = 0;
    if (i < n) {
      const real yi = LABEL(y, i);
      const real dist = mrank_dist(LOAD(x1, i), LOAD(x2, i), yi, margin);
      loss = mrank_clamp(dist);
      mrank_store_gradient(dist, yi, upstream, dx1, dx2, i);
    }
    rows[(t / 64) * MRANK_ROW + t % 64] = loss;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  const ulong g = get_global_id(0);
  if (g * 64 < n) partials[partials_off + g] = mrank_row_sum(rows + lid * MRANK_ROW);
}
#endif

/* ---- tensor views: gathers into the broadcast shape, scatters back, gradients summed back ----
 * Shapes are padded on the left to 5 dimensions (size 1, stride 0); s0..s4 are the broadcast
 * shape's sizes, t0..t4 a view's strides in it (0 along broadcast dimensions), in elements. The
 * copies move bits as they are (integer types of the element's width). */
#if MRANK_DATA == 3
typedef ulong data_bits;
#elif MRANK_DATA == 0
typedef uint data_bits;
#else
typedef ushort data_bits;
#endif
#if MRANK_LABELS == 2
typedef uchar label_bits;
#else
typedef uint label_bits;
#endif
#define MRANK_SHAPE ulong s0, ulong s1, ulong s2, ulong s3, ulong s4
#define MRANK_STRIDES long t0, long t1, long t2, long t3, long t4

/* the element offset of broadcast position i in a view; 32-bit division where the sizes allow
 * (several times cheaper than 64-bit on most devices), dimensions of size 1 skipped */
inline ulong mrank_view_offset(ulong i, MRANK_SHAPE, MRANK_STRIDES) {
  if (s0 * s1 * s2 * s3 * s4 <= 0xffffffffUL) {
    uint j = (uint)i;
    ulong offset = 0;
    if (s4 > 1) {
      offset += (ulong)(j % (uint)s4) * (ulong)t4;
      j /= (uint)s4;
    }
    if (s3 > 1) {
      offset += (ulong)(j % (uint)s3) * (ulong)t3;
      j /= (uint)s3;
    }
    if (s2 > 1) {
      offset += (ulong)(j % (uint)s2) * (ulong)t2;
      j /= (uint)s2;
    }
    if (s1 > 1) {
      offset += (ulong)(j % (uint)s1) * (ulong)t1;
      j /= (uint)s1;
    }
    return offset + (ulong)j * (ulong)t0;
  }
  ulong offset = (i % s4) * (ulong)t4;
  i /= s4;
  offset += (i % s3) * (ulong)t3;
  i /= s3;
  offset += (i % s2) * (ulong)t2;
  i /= s2;
  offset += (i % s1) * (ulong)t1;
  i /= s1;
  return offset + (i % s0) * (ulong)t0;
}

MRANK_KERNEL void mrank_gather_data(__global const data_bits *in, ulong in_off, ulong count,
                                    MRANK_SHAPE, MRANK_STRIDES, __global data_bits *out) {
  const ulong i = get_global_id(0);
  if (i >= count) return;
  out[i] = in[in_off + mrank_view_offset(i, s0, s1, s2, s3, s4, t0, t1, t2, t3, t4)];
}

MRANK_KERNEL void mrank_gather_labels(__global const label_bits *in, ulong in_off, ulong count,
                                      MRANK_SHAPE, MRANK_STRIDES, __global label_bits *out) {
  const ulong i = get_global_id(0);
  if (i >= count) return;
  out[i] = in[in_off + mrank_view_offset(i, s0, s1, s2, s3, s4, t0, t1, t2, t3, t4)];
}

MRANK_KERNEL void mrank_scatter_data(__global const data_bits *in, ulong count, MRANK_SHAPE,
                                     MRANK_STRIDES, __global data_bits *out, ulong out_off) {
  const ulong i = get_global_id(0);
  if (i >= count) return;
  out[out_off + mrank_view_offset(i, s0, s1, s2, s3, s4, t0, t1, t2, t3, t4)] = in[i];
}

/* A gradient summed back: for the operand's element j (row-major over the dimensions it was not
 * broadcast along; `broadcast` has bit k set for dimension k), the sum in the compute type of in
 * (the broadcast shape, contiguous) over the positions it was broadcast to, in row-major order:
 * the order of the reference (src/tensor.c). t0..t4 are the output's strides. */
MRANK_KERNEL void mrank_reduce_to(__global const data_t *in, ulong own, MRANK_SHAPE,
                                  uint broadcast, MRANK_STRIDES, __global data_t *out,
                                  ulong out_off) {
  const ulong j = get_global_id(0);
  if (j >= own) return;
  const ulong size[5] = {s0, s1, s2, s3, s4};
  const long stride[5] = {t0, t1, t2, t3, t4};
  ulong index[5];
  ulong rest = j, reduced = 1;
  for (int k = 4; k >= 0; --k) {
    if (broadcast & (1u << k)) {
      index[k] = 0;
      reduced *= size[k];
    } else {
      index[k] = rest % size[k];
      rest /= size[k];
    }
  }
  real sum = 0;
  for (ulong r = 0; r < reduced; ++r) {
    ulong spread = r;
    for (int k = 4; k >= 0; --k) {
      if (!(broadcast & (1u << k))) continue;
      index[k] = spread % size[k];
      spread /= size[k];
    }
    ulong linear = 0;
    for (int k = 0; k < 5; ++k) linear = linear * size[k] + index[k];
    sum += LOAD(in, linear);
  }
  ulong at = out_off;
  for (int k = 0; k < 5; ++k)
    if (!(broadcast & (1u << k))) at += index[k] * (ulong)stride[k];
  STORE(out, at, sum);
}
