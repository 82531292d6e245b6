/* enqueue.h: the kernel launches behind every entry point, on (buffer, offset) views. The
 * host-array and the buffer entry points both go through these, so they give the same bits. */
#ifndef MRANK_ENQUEUE_H
#define MRANK_ENQUEUE_H

#include "context.h"
#include "reduce.h"

/* One kernel argument: its size and where its value is. */
typedef struct kernel_arg {
  size_t size;
  const void *value;
} kernel_arg;
#define MRANK_ARG(variable) \
  { sizeof(variable), &(variable) }

typedef struct mrank_view {
  cl_mem mem;
  cl_ulong offset; /* in elements */
} mrank_view;

typedef struct mrank_inputs {
  mrank_view x1, x2, y;
  double margin; /* passed to the kernels in the compute type */
} mrank_inputs;

/* loss[i] for i < n */
mrank_status mrank_enqueue_forward_none(mrank_context *ctx, const mrank_variant *v, size_t n,
                                        const mrank_inputs *in, mrank_view loss, cl_event *event);
/* dx1, dx2 for i < n; the upstream gradient is dloss[i] (NONE) or dloss[0] * scale. */
mrank_status mrank_enqueue_backward(mrank_context *ctx, const mrank_variant *v, size_t n,
                                    const mrank_inputs *in, mrank_reduction reduction,
                                    mrank_view dloss, double scale, mrank_view dx1, mrank_view dx2,
                                    cl_event *event);
/* Fused, reduction NONE: loss, dx1, dx2 for i < n with upstream gradient 1. */
mrank_status mrank_enqueue_fused_none(mrank_context *ctx, const mrank_variant *v, size_t n,
                                      const mrank_inputs *in, mrank_view loss, mrank_view dx1,
                                      mrank_view dx2, cl_event *event);

/* Pass 1 of SUM/MEAN for n elements: mrank_first_pass_outputs(n) partial sums written to
 * ctx->partials[0] from partials_offset on (mrank_ensure_partials has sized it). */
mrank_status mrank_enqueue_forward_sum64(mrank_context *ctx, const mrank_variant *v, size_t n,
                                         const mrank_inputs *in, cl_ulong partials_offset);
/* Fused, SUM/MEAN: dx1, dx2 with upstream gradient `scale` and the loss's pass-1 partial sums, as
 * mrank_enqueue_forward_sum64 writes them. */
mrank_status mrank_enqueue_fused_sum64(mrank_context *ctx, const mrank_variant *v, size_t n,
                                       const mrank_inputs *in, double scale, mrank_view dx1,
                                       mrank_view dx2, cl_ulong partials_offset);
/* The later passes: out = (the sum of the `count` partials in ctx->partials[0]) * scale, stored in
 * the data type. */
mrank_status mrank_enqueue_reduce_partials(mrank_context *ctx, const mrank_variant *v, size_t count,
                                           double scale, mrank_view out, cl_event *event);

/* Any of the context's kernels for variant v over work_items work-items, with its arguments. */
mrank_status mrank_enqueue_kernel(mrank_context *ctx, const mrank_variant *v, mrank_kernel_id id,
                                  const kernel_arg *args, cl_uint arg_count, size_t work_items,
                                  cl_event *event);

/* ctx->partials hold `count` pass-1 partials and the passes after, of `real_size` bytes each. */
mrank_status mrank_ensure_partials(mrank_context *ctx, size_t count, size_t real_size);
/* Grows *buffer to hold `bytes` (kept between calls). */
mrank_status mrank_ensure_buffer(mrank_context *ctx, cl_mem *buffer, size_t *capacity,
                                 size_t bytes);
/* 1/n in the compute type of v, given as a double (exact for float). */
double mrank_mean_scale_for(const mrank_variant *v, size_t n);

#endif /* MRANK_ENQUEUE_H */
