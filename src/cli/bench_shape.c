/* bench_shape.c: `mrank bench --shape RxC`: the tensor path's strided gather against the
 * contiguous path and the roofline, side by side in interleaved rounds: forward (reduction none,
 * float) of x1 an R x C transposed view (strides 1, R), x2 and y contiguous. */
#include "cli/bench_shape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/options.h"
#include "cli/roofline.h"
#include "random.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int mrank_bench_shape(const char *selector, size_t rows, size_t cols, double budget) {
  const size_t n = rows * cols;
  mrank_context *ctx = NULL;
  if (mrank_context_create(selector, &ctx) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_last_error());
    return 2;
  }
  cl_context context = mrank_context_cl_context(ctx);
  cl_command_queue queue = mrank_context_queue(ctx);
  if (context == NULL) {
    mrank_error("the \"host\" reference has no device to measure; pick one");
    mrank_context_destroy(ctx);
    return 2;
  }
  cl_device_id device = NULL;
  clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  float *host = malloc(n * sizeof *host);
  cl_mem arrays[7] = {NULL};
  int status = 2;
  roofline roof;
  memset(&roof, 0, sizeof roof);
  if (host == NULL) {
    mrank_error("out of memory for %zu floats", n);
    goto done;
  }
  mrank_random random = {1};
  for (size_t i = 0; i < n; ++i)
    host[i] = mrank_random_uniform(&random, -1.0f, 1.0f);
  for (int a = 0; a < 7; ++a) {
    cl_int err = CL_SUCCESS;
    arrays[a] = clCreateBuffer(context, CL_MEM_READ_WRITE | (a < 3 ? CL_MEM_COPY_HOST_PTR : 0),
                               n * sizeof(float), a < 3 ? host : NULL, &err);
    if (err != CL_SUCCESS) {
      mrank_error("cannot allocate %zu floats on the device: %s", n, mrank_cl_error_name(err));
      goto done;
    }
  }
  if (!roofline_init(&roof, context, device, queue)) goto done;
  const mrank_tensor transposed = {MRANK_DTYPE_F32, 2, {rows, cols}, {1, (ptrdiff_t)rows}, 0};
  const mrank_tensor dense = {MRANK_DTYPE_F32, 2, {rows, cols}, {(ptrdiff_t)cols, 1}, 0};
  const mrank_desc desc = {MRANK_DTYPE_F32, MRANK_DTYPE_F32, MRANK_REDUCTION_NONE, 1.0};
  enum { kinds = 3, most_rounds = 200 };
  double *times = malloc((size_t)kinds * most_rounds * sizeof *times);
  int rounds = 0;
  const double start = now();
  while (times != NULL && rounds < most_rounds && (rounds < 5 || now() - start < budget)) {
    for (int k = 0; k < kinds; ++k) {
      const double t0 = now();
      int ok = 1;
      if (k == 0) {
        ok = roofline_enqueue(&roof, n % 4 == 0, 3, 1, n, arrays, arrays + 3, NULL);
      } else if (k == 1) {
        ok = mrank_forward_buffers_ex(ctx, &desc, n, arrays[0], 0, arrays[1], 0, arrays[2], 0,
                                      arrays[3], 0, NULL) == MRANK_SUCCESS;
      } else {
        ok = mrank_forward_tensor_buffers(ctx, MRANK_REDUCTION_NONE, 1.0, &transposed, arrays[0],
                                          &dense, arrays[1], &dense, arrays[2], &dense, arrays[3],
                                          NULL) == MRANK_SUCCESS;
      }
      if (!ok || clFinish(queue) != CL_SUCCESS) {
        mrank_error("%s", k == 0 ? "the roofline kernel did not run" : mrank_last_error());
        free(times);
        goto done;
      }
      if (rounds > 0) times[(size_t)k * most_rounds + (size_t)rounds - 1] = now() - t0;
    }
    rounds++; /* the first round builds the kernels: not counted */
  }
  if (times == NULL) goto done;
  const int counted = rounds - 1;
  double median[kinds];
  for (int k = 0; k < kinds; ++k) {
    qsort(times + (size_t)k * most_rounds, (size_t)counted, sizeof *times, by_value);
    median[k] = times[(size_t)k * most_rounds + (size_t)counted / 2];
  }
  free(times);
  const double bytes = 4.0 * 4.0 * (double)n; /* x1, x2, y read, the loss written */
  static const char *const names[kinds] = {"roofline (3 loads, 1 store)", "forward, x1 contiguous",
                                           "forward, x1 transposed"};
  printf(
      "device: %s\nforward, reduction none, float, %zu x %zu (medians of %d interleaved "
      "rounds)\n",
      mrank_context_device_name(ctx), rows, cols, counted);
  printf("%-30s %12s %10s %10s\n", "", "time", "GB/s", "ratio");
  for (int k = 0; k < kinds; ++k) {
    printf("%-30s %9.3f ms %10.2f %10.3f\n", names[k], median[k] * 1e3, bytes / median[k] / 1e9,
           median[0] / median[k]);
  }
  printf(
      "(the transposed view is gathered into the broadcast shape by the strided kernel, then "
      "computed as the contiguous one: its ratio is what the view costs)\n");
  status = 0;
done:
  roofline_release(&roof);
  for (int a = 0; a < 7; ++a)
    if (arrays[a] != NULL) clReleaseMemObject(arrays[a]);
  free(host);
  mrank_context_destroy(ctx);
  return status;
}
