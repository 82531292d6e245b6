/* program_builder.h: the one way mrank builds an OpenCL program, for the library's kernels and the
 * tool's alike. The source is kernels/<file>: MRANK_KERNEL_DIR/<file> when that is set, else the
 * copy embedded at build time. A binary comes from the disk cache when it holds one for this exact
 * key (source, options, mrank version, platform, device, driver); otherwise the program is built
 * from source and its binary stored. A failed build carries the driver's log.
 *
 * It knows nothing of mrank_context and writes its messages into the caller's buffer, so that it
 * can be compiled into the library and into the tool (which reaches the library only through the
 * public API) alike. */
#ifndef MRANK_PROGRAM_BUILDER_H
#define MRANK_PROGRAM_BUILDER_H

#include <stddef.h>

#include "embedded_kernel.h"
#include "mrank.h"

typedef struct mrank_program_request {
  cl_context context;
  cl_device_id device;
  const char *file_name; /* in kernels/, e.g. "ranker.cl" */
  const mrank_embedded_kernel *embedded;
  size_t embedded_count;
  const char *options;   /* the full build options (part of the cache key) */
  const char *cache_dir; /* NULL or "": no disk cache */
  int *cache_warned; /* the one stderr warning about an unwritable cache was given; NULL: never */
} mrank_program_request;

/* On success *program is built (and *from_disk says whether from the disk cache). On failure it
 * returns the status (MRANK_ERROR_IO for a missing source, MRANK_ERROR_BUILD_FAILED with the log,
 * MRANK_ERROR_OUT_OF_MEMORY, MRANK_ERROR_OPENCL) and writes the message into `message`. */
mrank_status mrank_program_build(const mrank_program_request *request, cl_program *program,
                                 int *from_disk, char *message, size_t message_size);

#endif /* MRANK_PROGRAM_BUILDER_H */
