/* embedded.h: kernels/ranker.cl as embedded at build time (generated/ranker_embedded.c, made by
 * cmake/EmbedKernels.cmake), so that an installed mrank trains without the source tree. */
#ifndef MRANK_RANK_EMBEDDED_H
#define MRANK_RANK_EMBEDDED_H

#include "embedded_kernel.h"

extern const mrank_embedded_kernel rank_embedded_kernels[];
extern const size_t rank_embedded_kernels_count;

#endif /* MRANK_RANK_EMBEDDED_H */
