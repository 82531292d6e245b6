/* bench_split.c: `mrank bench --device all`: the fused forward+backward (mean) and the forward
 * (none) through the host API on a context over several devices, beside each device alone through
 * the host API and each device's own roofline (a streaming kernel with the operation's loads and
 * stores), in interleaved rounds; the split's GB/s against the sum of the rooflines is the figure
 * that says how much of the devices' memory bandwidth the split turns into throughput. */
#include "cli/bench_split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/options.h"
#include "cli/roofline.h"
#include "random.h"

enum { most_devices = 16, most_rounds = 400 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct device_roof {
  mrank_context *ctx; /* owned by the set */
  roofline roof;
  cl_mem arrays[7];
} device_roof;

/* The op: 0 fused (mean), 1 forward (none), through the host API on ctx. */
static int run_op(mrank_context *ctx, int op, size_t n, float **host) {
  if (op == 0) {
    float loss = 0.0f;
    return mrank_forward_backward(ctx, n, host[0], host[1], host[2], 1.0f, MRANK_REDUCTION_MEAN,
                                  &loss, host[3], host[4]) == MRANK_SUCCESS;
  }
  return mrank_forward(ctx, n, host[0], host[1], host[2], 1.0f, MRANK_REDUCTION_NONE, host[3]) ==
         MRANK_SUCCESS;
}

static int setup_roof(device_roof *d, size_t n) {
  cl_context context = mrank_context_cl_context(d->ctx);
  cl_command_queue queue = mrank_context_queue(d->ctx);
  cl_device_id device = NULL;
  clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  for (int a = 0; a < 7; ++a) {
    cl_int err = CL_SUCCESS;
    d->arrays[a] = clCreateBuffer(context, CL_MEM_READ_WRITE, n * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS) {
      mrank_error("cannot allocate %zu floats on %s: %s", n, mrank_context_device_name(d->ctx),
                  mrank_cl_error_name(err));
      return 0;
    }
    const float zero = 0.5f;
    clEnqueueFillBuffer(queue, d->arrays[a], &zero, sizeof zero, 0, n * sizeof(float), 0, NULL,
                        NULL);
  }
  return roofline_init(&d->roof, context, device, queue);
}

static void release_roof(device_roof *d) {
  roofline_release(&d->roof);
  memset(&d->roof, 0, sizeof d->roof); /* released: a second release is a no-op */
  for (int a = 0; a < 7; ++a) {
    if (d->arrays[a] != NULL) clReleaseMemObject(d->arrays[a]);
    d->arrays[a] = NULL;
  }
}

/* one size: every device's roofline and host-API op alone, then the split, round after round */
static int bench_one(mrank_context *ctx, device_roof *devs, size_t devices, size_t n, double budget,
                     float **host) {
  static const char *const op_names[] = {"fused forward+backward (mean)", "forward (none)"};
  static const int loads[] = {3, 3}, stores[] = {2, 1};
  for (size_t d = 0; d < devices; ++d) {
    if (!setup_roof(&devs[d], n)) return 0;
  }
  const size_t kinds = 2 * devices + 1; /* rooflines, each alone, the split */
  double *times = malloc(kinds * most_rounds * sizeof *times);
  if (times == NULL) return mrank_error("out of memory"), 0;
  for (int op = 0; op < 2; ++op) {
    int rounds = 0;
    const double start = now();
    while (rounds < most_rounds && (rounds < 6 || now() - start < budget)) {
      for (size_t k = 0; k < kinds; ++k) {
        const double t0 = now();
        int ok = 1;
        if (k < devices) {
          device_roof *d = &devs[k];
          ok = roofline_enqueue(&d->roof, n % 4 == 0, loads[op], stores[op], n, d->arrays,
                                d->arrays + loads[op], NULL) &&
               clFinish(mrank_context_queue(d->ctx)) == CL_SUCCESS;
        } else if (k < 2 * devices) {
          ok = run_op(devs[k - devices].ctx, op, n, host);
        } else {
          ok = run_op(ctx, op, n, host);
        }
        if (!ok) {
          mrank_error("%s", mrank_last_error()[0] ? mrank_last_error() : "a kernel did not run");
          free(times);
          return 0;
        }
        /* the first round builds kernels and measures the devices' speeds: not counted */
        if (rounds > 0) times[k * most_rounds + (size_t)rounds - 1] = now() - t0;
      }
      rounds++;
    }
    const int counted = rounds - 1;
    double median[2 * most_devices + 1];
    for (size_t k = 0; k < kinds; ++k) {
      qsort(times + k * most_rounds, (size_t)counted, sizeof *times, by_value);
      median[k] = times[k * most_rounds + (size_t)counted / 2];
    }
    const double bytes = 4.0 * (double)(loads[op] + stores[op]) * (double)n;
    printf("%s, n = %zu (medians of %d interleaved rounds)\n", op_names[op], n, counted);
    printf("  %-44s %10s %10s\n", "", "GB/s", "ratio");
    double sum = 0.0;
    for (size_t d = 0; d < devices; ++d) {
      const double gbs = bytes / median[d] / 1e9;
      sum += gbs;
      char name[80];
      snprintf(name, sizeof name, "roofline, device %zu (%.28s)", d,
               mrank_context_device_name(devs[d].ctx));
      printf("  %-44s %10.2f\n", name, gbs);
    }
    printf("  %-44s %10.2f %10s\n", "sum of the rooflines", sum, "1.000");
    for (size_t d = 0; d < devices; ++d) {
      char name[80];
      snprintf(name, sizeof name, "host API, device %zu alone", d);
      const double gbs = bytes / median[devices + d] / 1e9;
      printf("  %-44s %10.2f %10.3f\n", name, gbs, gbs / sum);
    }
    char name[80];
    snprintf(name, sizeof name, "host API, split over the %zu devices", devices);
    const double gbs = bytes / median[2 * devices] / 1e9;
    printf("  %-44s %10.2f %10.3f\n", name, gbs, gbs / sum);
  }
  free(times);
  for (size_t d = 0; d < devices; ++d)
    release_roof(&devs[d]);
  return 1;
}

int mrank_bench_split(mrank_context *ctx, const size_t *sizes, int count, double budget) {
  static const size_t default_sizes[] = {(size_t)1 << 20, (size_t)1 << 22, (size_t)1 << 24};
  if (count == 0) {
    sizes = default_sizes;
    count = 3;
  }
  const size_t devices = mrank_context_device_count(ctx);
  device_roof devs[most_devices];
  memset(devs, 0, sizeof devs);
  for (size_t d = 0; d < devices && d < most_devices; ++d)
    mrank_context_device(ctx, d, &devs[d].ctx);
  printf("devices: %s (%zu), the host API's split against the sum of their own rooflines\n",
         mrank_context_device_name(ctx), devices);
  printf("(absolute GB/s are this machine's at this moment; the ratios are what carries over)\n");
  int ok = devices <= most_devices;
  if (!ok) mrank_error("at most %d devices", most_devices);
  for (int s = 0; s < count && ok; ++s) {
    const size_t n = sizes[s];
    float *host[5] = {NULL};
    for (int a = 0; a < 5; ++a) {
      host[a] = malloc(n * sizeof(float) + 1);
      ok = ok && host[a] != NULL;
    }
    if (!ok) mrank_error("out of memory for %zu floats", n);
    mrank_random random = {(unsigned long long)n};
    for (size_t i = 0; ok && i < n; ++i) {
      host[0][i] = mrank_random_uniform(&random, -1.0f, 1.0f);
      host[1][i] = mrank_random_uniform(&random, -1.0f, 1.0f);
      host[2][i] = (mrank_random_next(&random) & 1) ? 1.0f : -1.0f;
    }
    if (ok) ok = bench_one(ctx, devs, devices, n, budget, host);
    for (int a = 0; a < 5; ++a)
      free(host[a]);
  }
  for (size_t d = 0; d < devices && d < most_devices; ++d)
    release_roof(&devs[d]);
  mrank_context_destroy(ctx);
  return ok ? 0 : 2;
}
