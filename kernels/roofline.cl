/* roofline.cl: the streaming kernels `mrank bench` compares the operation with (clpeak's method).
 * Each reads LOADS arrays and writes STORES arrays, one element (WIDTH 1) or float4 (WIDTH 4) per
 * work-item, like the operation's own kernels; with no store it keeps its loads alive through a
 * test that never holds. `empty` measures the launch round trip. Built with -DWIDTH, -DLOADS and
 * -DSTORES. */
/* FPGA compilers size their pipelines from a fixed work-group size: for such devices mrank builds
 * with -DMRANK_REQD_WORK_GROUP_SIZE=N and launches every kernel with exactly N work-items a group */
#ifdef MRANK_REQD_WORK_GROUP_SIZE
#define MRANK_KERNEL __kernel __attribute__((reqd_work_group_size(MRANK_REQD_WORK_GROUP_SIZE, 1, 1)))
#else
#define MRANK_KERNEL __kernel
#endif
#if WIDTH == 4
typedef float4 vec;
#define LANES(v) ((v).x + (v).y + (v).z + (v).w)
#else
typedef float vec;
#define LANES(v) (v)
#endif

MRANK_KERNEL void stream(__global const vec *a, __global const vec *b, __global const vec *c,
                     __global const vec *d, __global vec *o0, __global vec *o1, __global vec *o2,
                     ulong count) {
  const size_t i = get_global_id(0);
  if (i >= count) return;
  vec s = a[i];
#if LOADS > 1
  s += b[i];
#endif
#if LOADS > 2
  s += c[i];
#endif
#if LOADS > 3
  s += d[i];
#endif
#if STORES == 0
  if (LANES(s) == -1.2345e-30f) o0[0] = s;
#endif
#if STORES > 0
  o0[i] = s;
#endif
#if STORES > 1
  o1[i] = s * 2.0f;
#endif
#if STORES > 2
  o2[i] = s * 3.0f;
#endif
}

MRANK_KERNEL void empty(void) {}
