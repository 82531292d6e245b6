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
 * Elementwise results (NONE forward, every gradient) are bit-for-bit those of the reference (on a
 * device without CL_FP_DENORM, which OpenCL 1.2 lets flush float subnormals, those of the reference
 * or of its flush-to-zero twin, element by element); a reduction is within
 * mrank_reduction_error_bound() of the exact sum and gives the same bits every time on one device
 * (a fixed summation tree, no atomics).
 *
 * Conventions: every function that can fail returns an mrank_status and mrank_last_error() says
 * what went wrong and what to do. A rejected argument writes no output. A reduced value is written
 * only when the whole call succeeded; if the device fails in the middle of a host-array call larger
 * than one chunk (see MRANK_MAX_ALLOC), elementwise outputs of the chunks before may be written. An
 * array is "needed" when the call reads or writes it: with n = 0 the input arrays may be NULL.
 * In place: an output may be one of the inputs (the same array, of the same length: element i is
 * read before it is written), as in dx1 = x1. Any other sharing is refused with
 * MRANK_ERROR_INVALID_ARGUMENT: two outputs in one memory (dx1 == dx2), or an output that overlaps
 * an input without being it (dx1 = x1 + 1). The buffer entry points apply the same rule to views
 * of one cl_mem.
 *
 * Threads: mrank_last_error() is per thread. A context is NOT safe to use from two threads at once
 * (no internal locking: a call owns its context's queue and scratch buffers); give each thread its
 * own context, which is safe (tested with 8 threads). Debug builds (MRANK_LEDGER) abort with a
 * message when one context is entered by two threads at once.
 */
#ifndef MRANK_H
#define MRANK_H

#include <stddef.h>

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

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
  MRANK_ERROR_IO,               /* file or cache I/O */
  MRANK_ERROR_DIVERGED,         /* training: the loss or the weights stopped being finite */
  MRANK_ERROR_STOPPED           /* training: stopped by its callback before any model existed */
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
/* The name of an OpenCL error code ("CL_OUT_OF_RESOURCES"), for messages about a caller's own
 * OpenCL calls next to mrank's; "CL_UNKNOWN_ERROR" for a code OpenCL 1.2 does not define. */
MRANK_API const char *mrank_cl_error_name(cl_int code);
/* The message of the last failed call in this thread; "" when there was none. Every call that
 * returns an mrank_status clears it on entry, so after a success it is "". Valid until the next
 * mrank call. */
MRANK_API const char *mrank_last_error(void);

/* selector: NULL or "" reads MRANK_DEVICE, and when that is unset or empty picks the first GPU,
 * else accelerator, else CPU. Otherwise, case-insensitive: "gpu", "cpu", "accelerator", "host" (the
 * CPU reference, no OpenCL at all), "P:D" (platform and device index, as `mrank devices` lists
 * them), or a substring of one device's platform or device name ("pocl", "nvidia"); a substring
 * that matches several devices is an error that lists them. Kernels are compiled on first use and
 * kept.
 * Several devices at once: "all", "gpu:all", "cpu:all", "accelerator:all", or a comma list of
 * single selectors ("0:0,0:1"). The host-array entry points then split n across the devices in
 * proportion to each one's measured speed, one in-order queue each, all running at once; the
 * results are bitwise those of one device (reductions included: fixed 64-element blocks summed in
 * a fixed order whatever the split). The buffer entry points (cl_mem) and the tensor entry points
 * run on the first device, whose OpenCL objects mrank_context_cl_context and mrank_context_queue
 * give. */
MRANK_API mrank_status mrank_context_create(const char *selector, mrank_context **out);
MRANK_API void mrank_context_destroy(mrank_context *ctx); /* NULL is a no-op */
/* What mrank_context_create_ex may be told beyond the selector. Set `size` to
 * sizeof(mrank_context_options) and zero what you do not use (mrank_context_options o = {.size =
 * sizeof o}); later versions add fields at the end and read only as far as `size` says. */
typedef struct mrank_context_options {
  size_t size;
  /* NULL: MRANK_BINARY_DIR decides. "": build from source (or the disk cache), whatever
   * MRANK_BINARY_DIR says. A folder: every program comes from that folder, made by `mrank compile`
   * or mrank_export_program (FPGAs and devices without a compiler); a folder made for another
   * device, driver or mrank version is refused here, and a program it lacks is an error naming the
   * file, never a build from source. */
  const char *binary_dir;
  /* NULL or "": MRANK_VARIANT decides, else the shape `mrank autotune` stored for the device, else
   * the device type's default. Else the kernels' shape, "epw=E,vw=V,wg=G,sum=direct|local"
   * (elements and vector width per work-item 1, 4 or 16, work-group size, the reduction's first
   * pass); every shape gives the same bits. */
  const char *variant;
} mrank_context_options;
/* mrank_context_create with options (NULL: as mrank_context_create). */
MRANK_API mrank_status mrank_context_create_ex(const char *selector,
                                               const mrank_context_options *options,
                                               mrank_context **out);

/* The kernels' shape in use and where it came from: "epw=16,vw=16,wg=256,sum=direct (the default
 * for this device type)"; "" for a host context or NULL. Owned by the context. */
MRANK_API const char *mrank_context_variant(const mrank_context *ctx);
/* The OpenCL device name ("A + B" over several devices), or "host (CPU reference)"; "" for NULL.
 * Owned by the context. */
MRANK_API const char *mrank_context_device_name(const mrank_context *ctx);
/* How many devices the context spans: 1, more for a selector of several; 0 for NULL. */
MRANK_API size_t mrank_context_device_count(const mrank_context *ctx);
/* Device `index` (0 .. count - 1) of ctx as a context of its own that runs on that device alone
 * (ctx itself when ctx has one device), to read its OpenCL objects or to give it work of its own.
 * Owned by ctx and valid until ctx is destroyed; mrank_context_destroy on it does nothing. A set
 * runs its devices from threads of its own inside each call: use ctx and its devices' contexts
 * from one thread at a time, as any one context. */
MRANK_API mrank_status mrank_context_device(mrank_context *ctx, size_t index,
                                            mrank_context **device);

/* One OpenCL device as mrank numbers them: `selector` ("P:D") picks it in mrank_context_create. */
typedef struct mrank_device_info {
  unsigned platform_index, device_index;
  char selector[32];
  char type[16]; /* "GPU", "CPU", "ACCELERATOR", "CUSTOM" */
  char platform_name[256], platform_version[256];
  char name[256], vendor[256], driver_version[256], device_version[256], opencl_c_version[256];
  unsigned compute_units;
  unsigned long long global_memory_bytes, max_allocation_bytes, local_memory_bytes;
  size_t max_work_group_size;
  unsigned preferred_float_vector_width;
  int fp64, fp16;            /* cl_khr_fp64 / cl_khr_fp16 (or a reported double config) */
  int host_unified_memory;   /* the device shares the host's memory (CPUs, integrated GPUs) */
  int is_default;            /* the device the default policy picks */
  int is_environment_choice; /* the device MRANK_DEVICE picks, when it is set */
  char extensions[8192];     /* truncated when longer */
  /* CL_DEVICE_SINGLE_FP_CONFIG, _DOUBLE_ (0 without fp64) and _HALF_ (0 without fp16) bits */
  unsigned long long single_fp_config, double_fp_config, half_fp_config;
  int denormals; /* single precision keeps subnormals (CL_FP_DENORM); 0: it may flush them */
  /* the device builds programs from source (CL_DEVICE_COMPILER_AVAILABLE; 0 also under
   * MRANK_ASSUME_NO_COMPILER=1): without one, mrank runs only from a binary folder */
  int compiler_available;
} mrank_device_info;

/* The number of OpenCL devices over all platforms that answer (0 without any: not an error). */
MRANK_API mrank_status mrank_device_count(size_t *count);
/* Device `index` (0 .. count - 1, in platform then device order). */
MRANK_API mrank_status mrank_device_describe(size_t index, mrank_device_info *info);

/* A context on the caller's own OpenCL objects, so that mrank fits into an existing pipeline: mrank
 * retains them (and releases only its own references), enqueues on `queue`, and creates nothing but
 * its programs and scratch buffers in `context`. The queue must belong to that context and device
 * and be in order (the buffer entry points rely on queue order between their kernels). */
MRANK_API mrank_status mrank_context_create_from_cl(cl_context context, cl_device_id device,
                                                    cl_command_queue queue, mrank_context **out);
/* The same with options (binary_dir, variant), as mrank_context_create_ex takes them. */
MRANK_API mrank_status mrank_context_create_from_cl_ex(cl_context context, cl_device_id device,
                                                       cl_command_queue queue,
                                                       const mrank_context_options *options,
                                                       mrank_context **out);
/* The context's OpenCL objects, to make buffers for the entry points below and to wait on them;
 * NULL for a "host" context or NULL. Owned by the context: do not release them. */
MRANK_API cl_context mrank_context_cl_context(const mrank_context *ctx);
MRANK_API cl_command_queue mrank_context_queue(const mrank_context *ctx);

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

/* Forward and backward in one pass over the data, as training wants them: loss as mrank_forward
 * writes it, dx1 and dx2 as mrank_backward writes them for an upstream gradient of 1 on every loss
 * element (NONE) or on the scalar (MEAN, SUM). Same bits as those two calls (the reduced loss is
 * summed over the same tree). Outputs may be inputs in place, by the rule at the top. */
MRANK_API mrank_status mrank_forward_backward(mrank_context *ctx, size_t n, const float *x1,
                                              const float *x2, const float *y, float margin,
                                              mrank_reduction reduction, float *loss, float *dx1,
                                              float *dx2);

/* The same on device buffers (CLBlast's convention): each array is a cl_mem of the context plus an
 * offset in elements; nothing is copied and nothing waits. The work is enqueued on the context's
 * queue; when `event` is not NULL it receives an event that completes when every result is written
 * (release it with clReleaseEvent). The results are the same bits as the host-array functions give.
 * A "host" context has no buffers: MRANK_ERROR_UNSUPPORTED. */
MRANK_API mrank_status mrank_forward_buffers(mrank_context *ctx, size_t n, cl_mem x1,
                                             size_t x1_offset, cl_mem x2, size_t x2_offset,
                                             cl_mem y, size_t y_offset, float margin,
                                             mrank_reduction reduction, cl_mem loss,
                                             size_t loss_offset, cl_event *event);
MRANK_API mrank_status mrank_backward_buffers(mrank_context *ctx, size_t n, cl_mem x1,
                                              size_t x1_offset, cl_mem x2, size_t x2_offset,
                                              cl_mem y, size_t y_offset, float margin,
                                              mrank_reduction reduction, cl_mem dloss,
                                              size_t dloss_offset, cl_mem dx1, size_t dx1_offset,
                                              cl_mem dx2, size_t dx2_offset, cl_event *event);
MRANK_API mrank_status mrank_forward_backward_buffers(mrank_context *ctx, size_t n, cl_mem x1,
                                                      size_t x1_offset, cl_mem x2, size_t x2_offset,
                                                      cl_mem y, size_t y_offset, float margin,
                                                      mrank_reduction reduction, cl_mem loss,
                                                      size_t loss_offset, cl_mem dx1,
                                                      size_t dx1_offset, cl_mem dx2,
                                                      size_t dx2_offset, cl_event *event);

/* the same on the CPU reference, no OpenCL involved; SUM and MEAN are accumulated in double */
MRANK_API mrank_status mrank_reference_forward(size_t n, const float *x1, const float *x2,
                                               const float *y, float margin,
                                               mrank_reduction reduction, float *loss);
MRANK_API mrank_status mrank_reference_backward(size_t n, const float *x1, const float *x2,
                                                const float *y, float margin,
                                                mrank_reduction reduction, const float *dloss,
                                                float *dx1, float *dx2);
MRANK_API mrank_status mrank_reference_forward_backward(size_t n, const float *x1, const float *x2,
                                                        const float *y, float margin,
                                                        mrank_reduction reduction, float *loss,
                                                        float *dx1, float *dx2);

/* ---- other types: one descriptor, every entry point ----
 * The float functions above are these with {F32, F32}. */
typedef enum mrank_dtype {
  MRANK_DTYPE_F32,  /* float */
  MRANK_DTYPE_F16,  /* IEEE half (uint16_t bits) as storage: computed in float, stored rounded to
                       nearest even; works on every device (vload_half is core OpenCL C) */
  MRANK_DTYPE_BF16, /* bfloat16 (uint16_t bits) as storage, likewise */
  MRANK_DTYPE_F64,  /* double, computed in double: devices with fp64 only (else
                       MRANK_ERROR_UNSUPPORTED) */
  MRANK_DTYPE_I32,  /* int32_t: labels only (Caffe2's own label type) */
  MRANK_DTYPE_I8    /* int8_t: labels only, a quarter of the bytes */
} mrank_dtype;

typedef struct mrank_desc {
  mrank_dtype data;   /* x1, x2, loss, dloss, dx1, dx2: F32, F16, BF16 or F64 */
  mrank_dtype labels; /* y: F32, I32 or I8 (converted to the compute type: results are the same
                         for the same values) */
  mrank_reduction reduction;
  double margin; /* converted to the compute type (float for F32, F16, BF16) */
} mrank_desc;

/* ---- tensor views: strides, up to 5 dimensions, broadcasting ----
 * A tensor descriptor: element type, rank (0 to MRANK_MAX_RANK; 0 is a scalar), sizes, strides
 * in elements (0 repeats an element along a dimension: an expanded view; negative strides are
 * refused) and an offset in elements from the pointer or buffer start. x1, x2 (data type) and y
 * (label type) broadcast by PyTorch's rules (shapes aligned on the right; each size equal or 1);
 * the loss has the broadcast shape (reduction NONE) or rank 0 (MEAN, SUM), dloss likewise; dx1
 * and dx2 have x1's and x2's shapes: the gradient of a broadcast input is summed over the
 * dimensions it was broadcast along, in row-major order in the compute type, so that its bits do
 * not depend on the device. Outputs may not overlap themselves or each other. When all three
 * inputs and the outputs are contiguous and of one shape, this is the contiguous entry points'
 * path exactly; otherwise the inputs are gathered into the broadcast shape first (host loops for
 * host arrays, a strided kernel for buffers). */
#define MRANK_MAX_RANK 5
typedef struct mrank_tensor {
  mrank_dtype dtype;
  int rank;
  size_t sizes[MRANK_MAX_RANK];
  ptrdiff_t strides[MRANK_MAX_RANK];
  size_t offset;
} mrank_tensor;

MRANK_API mrank_status mrank_forward_tensor(mrank_context *ctx, mrank_reduction reduction,
                                            double margin, const mrank_tensor *x1_desc,
                                            const void *x1, const mrank_tensor *x2_desc,
                                            const void *x2, const mrank_tensor *y_desc,
                                            const void *y, const mrank_tensor *loss_desc,
                                            void *loss);
MRANK_API mrank_status mrank_backward_tensor(mrank_context *ctx, mrank_reduction reduction,
                                             double margin, const mrank_tensor *x1_desc,
                                             const void *x1, const mrank_tensor *x2_desc,
                                             const void *x2, const mrank_tensor *y_desc,
                                             const void *y, const mrank_tensor *dloss_desc,
                                             const void *dloss, const mrank_tensor *dx1_desc,
                                             void *dx1, const mrank_tensor *dx2_desc, void *dx2);
MRANK_API mrank_status mrank_forward_backward_tensor(
    mrank_context *ctx, mrank_reduction reduction, double margin, const mrank_tensor *x1_desc,
    const void *x1, const mrank_tensor *x2_desc, const void *x2, const mrank_tensor *y_desc,
    const void *y, const mrank_tensor *loss_desc, void *loss, const mrank_tensor *dx1_desc,
    void *dx1, const mrank_tensor *dx2_desc, void *dx2);
/* The same on the context's OpenCL buffers (offsets in the descriptors); event as for the buffer
 * entry points above. */
MRANK_API mrank_status mrank_forward_backward_tensor_buffers(
    mrank_context *ctx, mrank_reduction reduction, double margin, const mrank_tensor *x1_desc,
    cl_mem x1, const mrank_tensor *x2_desc, cl_mem x2, const mrank_tensor *y_desc, cl_mem y,
    const mrank_tensor *loss_desc, cl_mem loss, const mrank_tensor *dx1_desc, cl_mem dx1,
    const mrank_tensor *dx2_desc, cl_mem dx2, cl_event *event);
MRANK_API mrank_status mrank_backward_tensor_buffers(
    mrank_context *ctx, mrank_reduction reduction, double margin, const mrank_tensor *x1_desc,
    cl_mem x1, const mrank_tensor *x2_desc, cl_mem x2, const mrank_tensor *y_desc, cl_mem y,
    const mrank_tensor *dloss_desc, cl_mem dloss, const mrank_tensor *dx1_desc, cl_mem dx1,
    const mrank_tensor *dx2_desc, cl_mem dx2, cl_event *event);
MRANK_API mrank_status mrank_forward_tensor_buffers(mrank_context *ctx, mrank_reduction reduction,
                                                    double margin, const mrank_tensor *x1_desc,
                                                    cl_mem x1, const mrank_tensor *x2_desc,
                                                    cl_mem x2, const mrank_tensor *y_desc, cl_mem y,
                                                    const mrank_tensor *loss_desc, cl_mem loss,
                                                    cl_event *event);
/* The CPU reference of the three host entry points. */
MRANK_API mrank_status mrank_reference_forward_tensor(mrank_reduction reduction, double margin,
                                                      const mrank_tensor *x1_desc, const void *x1,
                                                      const mrank_tensor *x2_desc, const void *x2,
                                                      const mrank_tensor *y_desc, const void *y,
                                                      const mrank_tensor *loss_desc, void *loss);
MRANK_API mrank_status mrank_reference_backward_tensor(
    mrank_reduction reduction, double margin, const mrank_tensor *x1_desc, const void *x1,
    const mrank_tensor *x2_desc, const void *x2, const mrank_tensor *y_desc, const void *y,
    const mrank_tensor *dloss_desc, const void *dloss, const mrank_tensor *dx1_desc, void *dx1,
    const mrank_tensor *dx2_desc, void *dx2);
MRANK_API mrank_status mrank_reference_forward_backward_tensor(
    mrank_reduction reduction, double margin, const mrank_tensor *x1_desc, const void *x1,
    const mrank_tensor *x2_desc, const void *x2, const mrank_tensor *y_desc, const void *y,
    const mrank_tensor *loss_desc, void *loss, const mrank_tensor *dx1_desc, void *dx1,
    const mrank_tensor *dx2_desc, void *dx2);

/* ---- offline-built programs (FPGAs, devices without a compiler) ----
 * Writes the program that the (data, labels) pair runs on ctx's device into `dir` (made if missing)
 * and adds it to dir/manifest.txt: MRANK_EXPORT_BINARIES builds it here and writes its binary;
 * MRANK_EXPORT_SOURCES writes its exact source and build options for the vendor's offline compiler
 * (Intel's aoc, AMD Xilinx's v++), whose output goes next to them (README, "Offline-built
 * programs"). `written` (may be NULL) gets the names of the files written. A dir whose manifest is
 * another device's or another mrank's is refused: use an empty folder. */
typedef enum mrank_export_kind { MRANK_EXPORT_BINARIES, MRANK_EXPORT_SOURCES } mrank_export_kind;
MRANK_API mrank_status mrank_export_program(mrank_context *ctx, mrank_dtype data,
                                            mrank_dtype labels, const char *dir,
                                            mrank_export_kind kind, char *written,
                                            size_t written_size);

/* "f32", "f16", "bf16", "f64", "i32", "i8"; "unknown" outside the enum. */
MRANK_API const char *mrank_dtype_name(mrank_dtype dtype);
/* Bytes of one element: 4, 2, 2, 8, 4, 1; 0 outside the enum. */
MRANK_API size_t mrank_dtype_size(mrank_dtype dtype);
/* The relative error bound of a reduction under desc (see mrank_reduction_error_bound): the
 * tree's roundings in the compute type, plus the final rounding to half or bfloat16 storage. */
MRANK_API double mrank_reduction_error_bound_ex(const mrank_context *ctx, const mrank_desc *desc,
                                                size_t n);

MRANK_API mrank_status mrank_forward_ex(mrank_context *ctx, const mrank_desc *desc, size_t n,
                                        const void *x1, const void *x2, const void *y, void *loss);
MRANK_API mrank_status mrank_backward_ex(mrank_context *ctx, const mrank_desc *desc, size_t n,
                                         const void *x1, const void *x2, const void *y,
                                         const void *dloss, void *dx1, void *dx2);
MRANK_API mrank_status mrank_forward_backward_ex(mrank_context *ctx, const mrank_desc *desc,
                                                 size_t n, const void *x1, const void *x2,
                                                 const void *y, void *loss, void *dx1, void *dx2);
MRANK_API mrank_status mrank_forward_buffers_ex(mrank_context *ctx, const mrank_desc *desc,
                                                size_t n, cl_mem x1, size_t x1_offset, cl_mem x2,
                                                size_t x2_offset, cl_mem y, size_t y_offset,
                                                cl_mem loss, size_t loss_offset, cl_event *event);
MRANK_API mrank_status mrank_backward_buffers_ex(mrank_context *ctx, const mrank_desc *desc,
                                                 size_t n, cl_mem x1, size_t x1_offset, cl_mem x2,
                                                 size_t x2_offset, cl_mem y, size_t y_offset,
                                                 cl_mem dloss, size_t dloss_offset, cl_mem dx1,
                                                 size_t dx1_offset, cl_mem dx2, size_t dx2_offset,
                                                 cl_event *event);
MRANK_API mrank_status mrank_forward_backward_buffers_ex(
    mrank_context *ctx, const mrank_desc *desc, size_t n, cl_mem x1, size_t x1_offset, cl_mem x2,
    size_t x2_offset, cl_mem y, size_t y_offset, cl_mem loss, size_t loss_offset, cl_mem dx1,
    size_t dx1_offset, cl_mem dx2, size_t dx2_offset, cl_event *event);
/* The CPU reference of every type: the same conversions, the same operations; SUM and MEAN are
 * accumulated in double (compensated for F64). */
MRANK_API mrank_status mrank_reference_forward_ex(const mrank_desc *desc, size_t n, const void *x1,
                                                  const void *x2, const void *y, void *loss);
MRANK_API mrank_status mrank_reference_backward_ex(const mrank_desc *desc, size_t n, const void *x1,
                                                   const void *x2, const void *y, const void *dloss,
                                                   void *dx1, void *dx2);
MRANK_API mrank_status mrank_reference_forward_backward_ex(const mrank_desc *desc, size_t n,
                                                           const void *x1, const void *x2,
                                                           const void *y, void *loss, void *dx1,
                                                           void *dx2);

/* ---- debugging ---- */
/* The OpenCL objects the library holds now, by kind: contexts, queues, programs, kernels, buffers
 * (created or retained, minus released). Returns 1 in builds with the ledger (CMake option
 * MRANK_LEDGER, on in Debug builds), 0 (and zeros) otherwise. Events are the caller's. */
#define MRANK_LEDGER_KINDS 5
MRANK_API int mrank_debug_ledger(long counts[MRANK_LEDGER_KINDS]);

/* ---- validation: one problem on a context against the reference, in the manner of benchdnn ----
 */

typedef enum mrank_op { MRANK_OP_FORWARD, MRANK_OP_BACKWARD, MRANK_OP_FUSED } mrank_op;

/* A problem: the data is generated from `seed` (values at scales 1e-3 .. 1e3, y mostly +-1) with
 * the operator's edge cases planted at known positions: dist exactly 0 and one ulp either side, NaN
 * in each input, +-Inf, +-0, subnormals, y outside {-1, 1}, overflow to Inf. Reductions get the
 * edge cases that keep the sum finite (a NaN sum compares equal and proves nothing). */
typedef struct mrank_problem {
  mrank_op op;
  mrank_reduction reduction;
  size_t n;
  float margin;
  unsigned long long seed;
  int inject_fault;   /* self-test: 1 perturbs one device output, so that validation must fail;
                         2 replaces the outputs with the flush-to-zero reference's, which only the
                         flush-to-zero policy accepts */
  mrank_dtype data;   /* F32 (0) unless set: F16, BF16, F64 */
  mrank_dtype labels; /* F32 (0) unless set: I32, I8 (then y takes integer values only) */
} mrank_problem;

/* The comparison of one output (loss, dx1 or dx2) with the reference; values are shown as double,
 * whatever the data type. */
typedef struct mrank_output_check {
  char name[8]; /* "loss", "dx1", "dx2" */
  int checked;  /* 0 when the op has no such output */
  int bitwise;  /* elementwise: bit for bit (NaN equals NaN); else a reduced value */
  size_t compared, mismatches;
  size_t worst_index; /* the element with the largest error (or the first mismatch) */
  double worst_x1, worst_x2, worst_y, worst_device, worst_reference;
  double max_abs_error, max_rel_error;
  double bound;      /* reductions: the relative bound (mrank_reduction_error_bound_ex) */
  size_t nonzero;    /* reference elements that are not zero */
  int canary_intact; /* nothing was written outside the output (past the host array's end, or
                      * around an exact-size device buffer of it) */
  int deterministic; /* a second run gave the same bits */
} mrank_output_check;

typedef enum mrank_verdict {
  MRANK_VERDICT_PASSED,
  MRANK_VERDICT_FAILED,
  MRANK_VERDICT_MISTRUSTED /* every check held, but the outputs are mostly zero: it proves little */
} mrank_verdict;

typedef struct mrank_validation {
  mrank_verdict verdict;
  mrank_output_check outputs[3]; /* loss, dx1, dx2 */
  /* analytic gradients (the device's) against central differences of the loss in double, at points
   * away from the kink; relative error */
  size_t gradient_points;
  double gradient_max_error, gradient_tolerance;
  int gradient_passed;
  size_t fault_index; /* where inject_fault perturbed the output (n when it did not) */
  /* the policy applied: 0, IEEE (the device reports CL_FP_DENORM): elementwise outputs must be the
   * reference's bits; 1, flush-to-zero allowed (it does not, or MRANK_ASSUME_FTZ=1): each element
   * must be the reference's or its flush-to-zero twin's bits */
  int flush_to_zero;
} mrank_validation;

/* Runs the problem on ctx and on the reference and compares them. MRANK_SUCCESS means the
 * comparison ran (the verdict is in *report); any other status means the device failed to run it.
 */
MRANK_API mrank_status mrank_validate(mrank_context *ctx, const mrank_problem *problem,
                                      mrank_validation *report);
/* "PASSED", "FAILED", "MISTRUSTED" */
MRANK_API const char *mrank_verdict_string(mrank_verdict verdict);

#ifdef __cplusplus
}
#endif

#endif /* MRANK_H */
