/* shape.h: how the operator's kernels map onto a device (elements and vector width per work-item,
 * work-group size, the reduction's first pass). Every shape gives the same bits: the summation tree
 * is fixed by the problem, never by the mapping. A context takes its shape from, in order: the
 * caller's option or MRANK_VARIANT, the choice `mrank autotune` stored for the device in the cache
 * folder, or the default of the device's type. Shared by the library and the tool. */
#ifndef MRANK_SHAPE_H
#define MRANK_SHAPE_H

#include <stddef.h>

#include "mrank.h"

typedef struct mrank_shape {
  int epw;       /* elements per work-item of the elementwise kernels: 1, 4, 16 */
  int vw;        /* their vector width: 1, 4, 16 (dividing epw) */
  size_t wg;     /* work-group size of every launch but the local pass 1 (a power of two) */
  int sum_local; /* 1: the reduction's pass 1 through local memory (64 work-items a group) */
} mrank_shape;

/* "epw=16,vw=16,wg=256,sum=direct": the text MRANK_VARIANT, the stored choice and `mrank bench`
 * use. */
void mrank_shape_format(const mrank_shape *shape, char *out, size_t size);
/* Parses that text (any order, every key once; all four keys). 0 with the reason in `why`. */
int mrank_shape_parse(const char *text, mrank_shape *shape, char *why, size_t why_size);

/* The default of a device type: CPUs the vectorised shape (PoCL does not vectorise across
 * work-items), GPUs and accelerators the coalesced one (one element a work-item, wg 256, the
 * local pass 1). */
void mrank_shape_default(cl_device_id device, mrank_shape *shape);

/* The file in the cache folder that holds the stored choice for this device, driver and mrank
 * version ("" when there is no cache folder). */
void mrank_shape_store_path(cl_device_id device, char *path, size_t size);
/* The stored choice: 1 and *shape when there is one that parses, else 0. */
int mrank_shape_load(cl_device_id device, mrank_shape *shape);
/* Stores the choice (atomically). 0 with the reason in `why`. */
int mrank_shape_save(cl_device_id device, const mrank_shape *shape, char *why, size_t why_size);

/* Every shape autotune tries (count written to *count), the default CPU shape first. */
const mrank_shape *mrank_shape_candidates(size_t *count);

#endif /* MRANK_SHAPE_H */
