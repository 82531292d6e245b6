/* reference.h: what the oracle offers the library beyond the public reference: its flush-to-zero
 * twin, for devices that do not report CL_FP_DENORM (OpenCL 1.2 lets them flush single-precision
 * subnormals to zero, inputs, results or both). */
#ifndef MRANK_REFERENCE_H
#define MRANK_REFERENCE_H

#include <stddef.h>

#include "mrank.h"

/* The reference of op with every subnormal float, loaded or computed, made a zero of its sign.
 * Double (F64) is never flushed: OpenCL requires denormals of double. Arguments as the public
 * reference's (dloss only for MRANK_OP_BACKWARD; loss not for it). */
mrank_status mrank_reference_flushed(mrank_op op, const mrank_desc *desc, size_t n, const void *x1,
                                     const void *x2, const void *y, const void *dloss, void *loss,
                                     void *dx1, void *dx2);

#endif /* MRANK_REFERENCE_H */
