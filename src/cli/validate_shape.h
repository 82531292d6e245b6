/* validate_shape.h: `mrank validate --shape`: the tensor entry points (views and broadcasting) on
 * a device against the reference's. */
#ifndef MRANK_CLI_VALIDATE_SHAPE_H
#define MRANK_CLI_VALIDATE_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "mrank.h"

/* "4x1x7,4x5x7,1x5x1" (x1, x2, y; "-" for a scalar) and, when not NULL, their strides in elements
 * ("7x0x1,35x7x1,0x1x0") into three descriptors (types left to the caller). 0 after a message. */
int mrank_parse_shapes(const char *shapes, const char *strides, mrank_tensor out[3]);

/* One problem on ctx: 0 passed, 1 failed, -1 the device could not run it; `line` says how it went
 * (or the error). */
int mrank_validate_shape_problem(mrank_context *ctx, const mrank_tensor shapes[3], mrank_op op,
                                 mrank_reduction reduction, double margin, mrank_dtype data,
                                 mrank_dtype labels, uint64_t seed, char *line, size_t line_size);

#endif /* MRANK_CLI_VALIDATE_SHAPE_H */
