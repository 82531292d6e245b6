/* split.h: the host-array operations as the driver (ops.c) describes them, and their split across
 * the devices of a context over several (split.c). */
#ifndef MRANK_SPLIT_H
#define MRANK_SPLIT_H

#include "context.h"
#include "enqueue.h"

typedef struct host_op host_op;
/* Enqueues the operation's kernels on one chunk: its inputs, the extra input (the upstream
 * gradient: per element, or the scalar staged before the chunks), the elementwise outputs, and
 * where its pass-1 partial sums go when it reduces. */
typedef mrank_status (*chunk_enqueue)(mrank_context *ctx, const mrank_variant *v, const host_op *op,
                                      size_t count, const mrank_inputs *in, mrank_view extra,
                                      const mrank_view *outputs, cl_ulong partials_offset);

/* An operation on host arrays, as the driver sees it. */
struct host_op {
  mrank_reduction reduction;
  double scale;             /* the upstream factor: 1/n for MEAN (n of the whole call), else 1 */
  const void *extra_input;  /* an elementwise input besides x1, x2, y (staged in DLOSS), or NULL */
  const void *scalar_input; /* one element uploaded to DLOSS before the chunks, or NULL */
  int output_count;         /* elementwise outputs */
  void *outputs[3];
  mrank_staging_slot output_slots[3];
  void *reduced_output; /* the scalar from the summation tree (MEAN, SUM), or NULL */
  chunk_enqueue enqueue;
  /* one device's share of a split call: its pass-1 partial sums are read back here (one per 64
   * elements, real_size each) and reduced_output is left alone; NULL otherwise */
  void *partials_out;
};

/* Runs op over n elements on ctx's own device (ops.c). */
mrank_status mrank_run_chunks(mrank_context *ctx, const mrank_variant *v, size_t n, double margin,
                              const void *x1, const void *x2, const void *y, host_op *op);
/* The later passes of the summation tree over `count` pass-1 partial sums from the host, on ctx's
 * device, scaled; the scalar into result (ops.c). */
mrank_status mrank_reduce_host_partials(mrank_context *ctx, const mrank_variant *v,
                                        const void *partials, size_t count, double scale,
                                        void *result);
/* Runs op over n elements on every device of ctx, each a share in proportion to its measured
 * speed (one device: mrank_run_chunks). */
mrank_status mrank_run_split(mrank_context *ctx, const mrank_variant *v, size_t n, double margin,
                             const void *x1, const void *x2, const void *y, host_op *op);

#endif /* MRANK_SPLIT_H */
