/* validate_guarded.h: validate's second device run on buffers of its own, each output exact-size
 * between guard regions, so that a kernel that writes outside its output is seen on any device
 * (the host arrays' canary only sees it where the device writes host memory directly). */
#ifndef MRANK_VALIDATE_GUARDED_H
#define MRANK_VALIDATE_GUARDED_H

#include "mrank.h"
#include "validate_data.h"

/* Whether ctx can take the guarded run: one OpenCL device (not "host", not a group) and n > 0. */
int mrank_guarded_run_applies(const mrank_context *ctx, const mrank_problem *problem);

/* Runs the problem through the buffer entry points with inputs of exact size and each output
 * (lengths[o] elements, 0: not produced) between guards of MRANK_GUARD_ELEMENTS elements filled
 * with a pattern; the outputs into out[o], and intact[o] 0 where a guard changed. */
enum { MRANK_GUARD_ELEMENTS = 4096 };
mrank_status mrank_run_guarded(mrank_context *ctx, const mrank_problem *problem,
                               const mrank_problem_data *data, void *const *out,
                               const size_t *lengths, int *intact);

#endif /* MRANK_VALIDATE_GUARDED_H */
