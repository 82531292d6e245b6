/* bench_shape.h: `mrank bench --shape RxC`, the strided path against the contiguous one and the
 * roofline. */
#ifndef MRANK_CLI_BENCH_SHAPE_H
#define MRANK_CLI_BENCH_SHAPE_H

#include <stddef.h>

/* The process exit status (0, or 2 after a message). */
int mrank_bench_shape(const char *selector, size_t rows, size_t cols, double budget);

#endif /* MRANK_CLI_BENCH_SHAPE_H */
