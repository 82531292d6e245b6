/* embedded_kernel.h: one file of kernels/ as cmake/EmbedKernels.cmake embeds it: the library's
 * table (internal.h) and the trainer's (rank/embedded.h) are arrays of these. */
#ifndef MRANK_EMBEDDED_KERNEL_H
#define MRANK_EMBEDDED_KERNEL_H

#include <stddef.h>

typedef struct mrank_embedded_kernel {
  const char *file_name;
  const char *source;
} mrank_embedded_kernel;

#endif /* MRANK_EMBEDDED_KERNEL_H */
