/* bench.h: one measured figure of `mrank bench`, and the writers of its table, JSON and CSV. */
#ifndef MRANK_CLI_BENCH_H
#define MRANK_CLI_BENCH_H

#include <stddef.h>
#include <stdio.h>

#include "mrank.h"

typedef struct bench_row {
  const char *op;        /* forward, backward, fused, roofline, empty, reference */
  const char *of;        /* roofline/reference rows: the op they stand beside; else "" */
  const char *reduction; /* none, mean, sum; "" for empty */
  const char *api;       /* buffer (device arrays, no transfers) or host (host arrays) */
  const char *kind;      /* throughput or launch */
  size_t n;
  int loads, stores; /* arrays read and written per element */
  double seconds;    /* best of the repetitions */
  double gbps;       /* bytes * n / seconds */
  double ratio;      /* op rows: the median over interleaved pairs of gbps / the roofline's; launch
                        rows: time / empty's */
  const char *dtype, *labels;   /* the types of the data and of y (the roofline is float) */
  double bytes;                 /* moved per element: loads and stores at their types' sizes */
  double ratio_low, ratio_high; /* op rows: the quartiles of the paired ratios (0: none) */
  int pairs;                    /* op rows: the pairs measured */
} bench_row;

typedef struct bench_device {
  char name[256], type[16], platform[256];
  char variant[256]; /* the kernels' shape that ran (mrank_context_variant) */
} bench_device;

void bench_print_header(FILE *out);
void bench_print_row(FILE *out, const bench_row *row);
void bench_write_json(FILE *out, const bench_device *devices, const size_t *row_counts,
                      const bench_row *const *rows, size_t device_count);
void bench_write_csv(FILE *out, const bench_device *devices, const size_t *row_counts,
                     const bench_row *const *rows, size_t device_count);

/* The arrays an operation reads and writes per element: its roofline kernel's loads and stores. */
void mrank_bench_traffic(mrank_op op, mrank_reduction reduction, int *loads, int *stores);

#endif /* MRANK_CLI_BENCH_H */
