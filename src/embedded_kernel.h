/* embedded_kernel.h: the files of kernels/ as cmake/EmbedKernels.cmake embeds them at build time,
 * so that an installed mrank needs no source tree: the library's table (the operator's kernels)
 * and the tool's (the trainer's and the benchmark's). */
#ifndef MRANK_EMBEDDED_KERNEL_H
#define MRANK_EMBEDDED_KERNEL_H

#include <stddef.h>

typedef struct mrank_embedded_kernel {
  const char *file_name;
  const char *source;
} mrank_embedded_kernel;

/* generated/kernels_embedded.c, in libmrank: margin_ranking.cl */
extern const mrank_embedded_kernel mrank_embedded_kernels[];
extern const size_t mrank_embedded_kernels_count;
/* generated/tool_kernels_embedded.c, in the tool: ranker.cl, roofline.cl */
extern const mrank_embedded_kernel mrank_tool_kernels[];
extern const size_t mrank_tool_kernels_count;

#endif /* MRANK_EMBEDDED_KERNEL_H */
