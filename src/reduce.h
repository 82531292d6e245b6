/* reduce.h: the shape of the fixed summation tree behind MEAN and SUM (fan-in 64, then 16), shared
 * by the launches, the chunking of the host-array path and the error bound. */
#ifndef MRANK_REDUCE_H
#define MRANK_REDUCE_H

#include <stddef.h>

#define MRANK_FAN_IN 16
#define MRANK_FIRST_FAN_IN 64
/* the largest work-group size of the local-memory pass 1 (sum=local; MRANK_SUM_WG of
 * kernels/margin_ranking.cl): fewer where the device allows fewer (mrank_context.sum_group) */
#define MRANK_LOCAL_PASS_GROUP 64
/* the partial sums pass 1 makes of n elements, ceil(n / 64), and a later pass of n partials,
 * ceil(n / 16) */
size_t mrank_first_pass_outputs(size_t n);
size_t mrank_pass_outputs(size_t n);

#endif /* MRANK_REDUCE_H */
