/* program_builder.h: the one way mrank builds an OpenCL program, for the library's kernels and the
 * tool's alike. The source is kernels/<file>: MRANK_KERNEL_DIR/<file> when that is set, else the
 * copy embedded at build time. A binary comes from the disk cache when it holds one for this exact
 * key (source, options, mrank version, platform, device, driver); otherwise the program is built
 * from source and its binary stored. A failed build carries the driver's log. With a binary folder
 * (MRANK_BINARY_DIR) the program is that folder's and nothing else; a device without a compiler
 * (FPGAs) can only use one.
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
  /* NULL or "": programs come from the disk cache or source. Else a folder made by `mrank compile`
   * (binary_dir.h): the program is loaded from it and from nothing else */
  const char *binary_dir;
} mrank_program_request;

/* Where a built program came from. */
typedef enum mrank_program_origin {
  MRANK_PROGRAM_FROM_SOURCE,
  MRANK_PROGRAM_FROM_DISK_CACHE,
  MRANK_PROGRAM_FROM_BINARY_DIR
} mrank_program_origin;

/* On success *program is built (and *origin says from where). On failure it
 * returns the status (MRANK_ERROR_IO for a missing source, MRANK_ERROR_BUILD_FAILED with the log,
 * MRANK_ERROR_OUT_OF_MEMORY, MRANK_ERROR_OPENCL) and writes the message into `message`. */
mrank_status mrank_program_build(const mrank_program_request *request, cl_program *program,
                                 mrank_program_origin *origin, char *message, size_t message_size);

/* The source of request->file_name: *source the text, *owned what the caller frees (NULL for the
 * embedded copy). */
mrank_status mrank_program_source(const mrank_program_request *request, const char **source,
                                  char **owned, char *message, size_t message_size);

#endif /* MRANK_PROGRAM_BUILDER_H */
