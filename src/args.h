/* args.h: the argument checks shared by the device and reference entry points, so both reject the
 * same calls with the same messages. */
#ifndef MRANK_ARGS_H
#define MRANK_ARGS_H

#include "mrank.h"
#include "types.h"

mrank_status mrank_check_forward_args(const char *function, size_t n, const void *x1,
                                      const void *x2, const void *y, mrank_reduction reduction,
                                      const void *loss);
mrank_status mrank_check_backward_args(const char *function, size_t n, const void *x1,
                                       const void *x2, const void *y, mrank_reduction reduction,
                                       const void *dloss, const void *dx1, const void *dx2);
mrank_status mrank_check_fused_args(const char *function, size_t n, const void *x1, const void *x2,
                                    const void *y, mrank_reduction reduction, const void *loss,
                                    const void *dx1, const void *dx2);
/* The outputs given (NULL ones skipped) share no memory with each other, and each is either
 * apart from every input or exactly one of them (the same array and length: in place, as every
 * path reads element i before it writes it). loss and dloss hold n elements for NONE, else 1. */
mrank_status mrank_check_outputs(const char *function, size_t n, const mrank_variant *v,
                                 mrank_reduction reduction, const void *x1, const void *x2,
                                 const void *y, const void *dloss, const void *loss,
                                 const void *dx1, const void *dx2);
/* 1/n rounded to float: the factor MEAN applies to the upstream gradient and to the sum. */
float mrank_mean_scale(size_t n);

#endif /* MRANK_ARGS_H */
