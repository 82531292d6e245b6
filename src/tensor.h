/* tensor.h: tensor descriptors for the library's tensor entry points and the reference's alike:
 * PyTorch's broadcasting of x1, x2 and y, the checks of every descriptor (with messages that name
 * the shapes), and the host loops that gather a strided view into the broadcast shape, scatter it
 * back, and sum a gradient over the dimensions an input was broadcast along in a fixed order. */
#ifndef MRANK_TENSOR_H
#define MRANK_TENSOR_H

#include <stddef.h>

#include "mrank.h"
#include "types.h"

/* an operand seen in the broadcast shape: its strides there (0 along broadcast dimensions) */
typedef struct mrank_aligned {
  ptrdiff_t strides[MRANK_MAX_RANK];
  size_t offset;
  int broadcast[MRANK_MAX_RANK]; /* 1 where its size is 1 and the broadcast shape's is not */
} mrank_aligned;

typedef struct mrank_broadcast {
  int rank; /* of the broadcast shape; the operands are padded with 1s on the left */
  size_t sizes[MRANK_MAX_RANK];
  size_t count; /* elements of the broadcast shape */
  mrank_aligned x1, x2, y;
  int contiguous; /* x1, x2 and y contiguous and of the broadcast shape itself */
  mrank_variant variant;
} mrank_broadcast;

/* Checks x1, x2 and y (types, ranks, strides) and broadcasts them; on failure a message naming
 * the three shapes, the dimension that clashes and a shape that would work. */
mrank_status mrank_broadcast_plan(const char *function, mrank_reduction reduction, double margin,
                                  const mrank_tensor *x1, const mrank_tensor *x2,
                                  const mrank_tensor *y, mrank_broadcast *plan);
/* An output (or dloss) must have `dtype` and the shape (rank, sizes) and must not overlap itself;
 * *contiguous says whether it is row-major dense. */
mrank_status mrank_tensor_check_output(const char *function, const char *name,
                                       const mrank_tensor *t, mrank_dtype dtype, int rank,
                                       const size_t *sizes, int *contiguous);
/* Two outputs on the same base (pointer or buffer) must not share an element. */
mrank_status mrank_tensor_apart(const char *function, const char *name_a, const mrank_tensor *a,
                                const void *base_a, const char *name_b, const mrank_tensor *b,
                                const void *base_b);
/* 1 when t is row-major dense with these sizes (any offset). */
int mrank_tensor_contiguous(const mrank_tensor *t);

/* Host loops. gather: out[i] = the element of (aligned, in) at broadcast position i, for every i
 * (element_size bytes, copied as they are). */
void mrank_tensor_gather(const mrank_broadcast *plan, const mrank_aligned *from,
                         size_t element_size, const void *in, void *out);
/* The view of t (whose shape is the broadcast shape) as an mrank_aligned. */
mrank_aligned mrank_tensor_aligned(const mrank_broadcast *plan, const mrank_tensor *t);
/* scatter: the element of (to, out) at position i = in[i], for every position. */
void mrank_tensor_scatter(const mrank_broadcast *plan, const mrank_aligned *to, size_t element_size,
                          const void *in, void *out);
/* The gradient of an operand: for each of its elements (row-major), the sum of in (the broadcast
 * shape, contiguous, of the data type) over the positions it was broadcast to, in row-major order
 * in the compute type (float, or double for F64), stored in the data type at out (its own
 * descriptor). */
void mrank_tensor_reduce_to(const mrank_broadcast *plan, const mrank_aligned *operand,
                            mrank_dtype dtype, const void *in, const mrank_tensor *out_desc,
                            void *out);

#endif /* MRANK_TENSOR_H */
