/* embedded.h: kernels/ranker.cl as embedded at build time (generated/ranker_embedded.c, made by
 * cmake/EmbedKernels.cmake), so that an installed mrank trains without the source tree. */
#ifndef MRANK_RANK_EMBEDDED_H
#define MRANK_RANK_EMBEDDED_H

#include <stddef.h>

typedef struct rank_embedded_kernel {
  const char *file_name;
  const char *source;
} rank_embedded_kernel;
extern const rank_embedded_kernel rank_embedded_kernels[];
extern const size_t rank_embedded_kernel_count;

#endif /* MRANK_RANK_EMBEDDED_H */
