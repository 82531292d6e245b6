/* mrank.h: the public C API of mrank, the margin ranking loss (Caffe2's MarginRankingCriterion and
 * its gradient, PyTorch's MarginRankingLoss) on any OpenCL device, with a CPU reference to check it
 * against.
 *
 * Semantics (the same on every device and on the reference):
 *   dist[i] = -y[i] * (x1[i] - x2[i]) + margin          (evaluated in this order, no contraction)
 *   loss[i] = dist[i] < 0 ? 0 : dist[i]                 (NaN propagates, unlike fmax)
 *   reduction NONE keeps loss[i]; SUM adds them; MEAN is SUM / n (n = 0: SUM is 0, MEAN is NaN).
 *   gradient: g[i] = dloss[i] (NONE), dloss[0] (SUM) or dloss[0] * (1/n) (MEAN, 1/n rounded to
 * float); dist[i] < 0 ? dx1[i] = dx2[i] = 0 : dx1[i] = -y[i] * g[i], dx2[i] = y[i] * g[i].
 * Elementwise results (NONE forward, every gradient) are bit-for-bit those of the reference; a
 * reduction is within mrank_reduction_error_bound() of the exact sum and gives the same bits every
 * time on one device (a fixed summation tree, no atomics).
 *
 * Conventions: every function that can fail returns an mrank_status; on failure it writes no output
 * and mrank_last_error() says what went wrong and what to do. An array is "needed" when the call
 * reads or writes it: with n = 0 the input arrays may be NULL. Outputs may alias inputs of the same
 * index.
 *
 * Threads: mrank_last_error() is per thread. A context is not safe to use from two threads at once;
 * give each thread its own context (they share nothing).
 */
#ifndef MRANK_H
#define MRANK_H

#include <stddef.h>

#include "mrank_version.h"

#if defined(__GNUC__) || defined(__clang__)
#define MRANK_API __attribute__((visibility("default")))
#else
#define MRANK_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mrank_status {
  MRANK_SUCCESS = 0,
  MRANK_ERROR_INVALID_ARGUMENT, /* NULL pointer where data is needed, bad enum, bad selector */
  MRANK_ERROR_DEVICE_NOT_FOUND, /* no OpenCL platform/device matches */
  MRANK_ERROR_UNSUPPORTED,      /* the device lacks what was asked (e.g. fp64) */
  MRANK_ERROR_BUILD_FAILED,     /* kernel compilation failed; mrank_last_error() has the log */
  MRANK_ERROR_OUT_OF_MEMORY,    /* host or device allocation failed */
  MRANK_ERROR_OPENCL,           /* any other OpenCL failure; the message names the CL error */
  MRANK_ERROR_IO                /* file or cache I/O */
} mrank_status;

typedef enum mrank_reduction {
  MRANK_REDUCTION_NONE,
  MRANK_REDUCTION_MEAN,
  MRANK_REDUCTION_SUM
} mrank_reduction;

typedef struct mrank_context mrank_context;

/* "MAJOR.MINOR.PATCH", the same as MRANK_VERSION_STRING of the header the library was built with.
 */
MRANK_API const char *mrank_version(void);
/* A constant name such as "MRANK_ERROR_OPENCL"; "MRANK_STATUS_UNKNOWN" for a value outside the
 * enum. */
MRANK_API const char *mrank_status_string(mrank_status status);
/* The message of the last failed call in this thread; "" when there was none. Every call that
 * returns an mrank_status clears it on entry, so after a success it is "". Valid until the next
 * mrank call. */
MRANK_API const char *mrank_last_error(void);

/* selector: NULL or "" reads MRANK_DEVICE, and when that is unset or empty picks the first GPU,
 * else accelerator, else CPU. Otherwise, case-insensitive: "gpu", "cpu", "accelerator", "host" (the
 * CPU reference, no OpenCL at all), "P:D" (platform and device index, as `mrank devices` lists
 * them), or a substring of one device's platform or device name ("pocl", "nvidia"); a substring
 * that matches several devices is an error that lists them. Kernels are compiled on first use and
 * kept. */
MRANK_API mrank_status mrank_context_create(const char *selector, mrank_context **out);
MRANK_API void mrank_context_destroy(mrank_context *ctx); /* NULL is a no-op */
/* The OpenCL device name, or "host (CPU reference)"; "" for NULL. Owned by the context. */
MRANK_API const char *mrank_context_device_name(const mrank_context *ctx);

/* The relative error bound of a reduction of n elements on this context: |result - exact| is at
 * most bound * (sum of |loss[i]|) for SUM, and that divided by n for MEAN. It counts the rounding
 * levels of the fixed summation tree the device uses (1 level = FLT_EPSILON); on "host" it is one
 * rounding. 0 for NULL. */
MRANK_API double mrank_reduction_error_bound(const mrank_context *ctx, size_t n);

/* loss: n elements for NONE, 1 for MEAN and SUM */
MRANK_API mrank_status mrank_forward(mrank_context *ctx, size_t n, const float *x1, const float *x2,
                                     const float *y, float margin, mrank_reduction reduction,
                                     float *loss);
/* dloss: n elements for NONE, 1 (the upstream gradient of the scalar) for MEAN and SUM */
MRANK_API mrank_status mrank_backward(mrank_context *ctx, size_t n, const float *x1,
                                      const float *x2, const float *y, float margin,
                                      mrank_reduction reduction, const float *dloss, float *dx1,
                                      float *dx2);

/* the same on the CPU reference, no OpenCL involved; SUM and MEAN are accumulated in double */
MRANK_API mrank_status mrank_reference_forward(size_t n, const float *x1, const float *x2,
                                               const float *y, float margin,
                                               mrank_reduction reduction, float *loss);
MRANK_API mrank_status mrank_reference_backward(size_t n, const float *x1, const float *x2,
                                                const float *y, float margin,
                                                mrank_reduction reduction, const float *dloss,
                                                float *dx1, float *dx2);

#ifdef __cplusplus
}
#endif

#endif /* MRANK_H */
