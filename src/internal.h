/* internal.h: what the library's files share and the public header does not show: the context
 * layout, the error-reporting macros and the OpenCL helpers. */
#ifndef MRANK_INTERNAL_H
#define MRANK_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stddef.h>

#include "embedded_kernel.h"
#include "mrank.h"

#ifdef MRANK_LEDGER
#include <stdatomic.h>
#endif

/* Kernel families: one .cl file each; one program per (context, family, type variant). */
typedef enum mrank_family { MRANK_FAMILY_MARGIN_RANKING, MRANK_FAMILY_COUNT } mrank_family;

/* A type variant: data type (F32, F16, BF16, F64) x label type (F32, I32, I8), each its own build
 * of the kernels (-DMRANK_DATA, -DMRANK_LABELS). */
enum { MRANK_DATA_TYPES = 4, MRANK_LABEL_TYPES = 3 };
#define MRANK_VARIANT_COUNT (MRANK_DATA_TYPES * MRANK_LABEL_TYPES)
typedef struct mrank_variant {
  int index, data_code, label_code; /* the codes of kernels/margin_ranking.cl */
  mrank_dtype data, labels;
  size_t data_size, label_size, real_size; /* bytes; real: float, or double for F64 */
} mrank_variant;

typedef enum mrank_kernel_id {
  MRANK_KERNEL_FORWARD_NONE,
  MRANK_KERNEL_FORWARD_SUM64,
  MRANK_KERNEL_SUM16_PASS,
  MRANK_KERNEL_BACKWARD_NONE,
  MRANK_KERNEL_BACKWARD_SCALAR,
  MRANK_KERNEL_FUSED_NONE,
  MRANK_KERNEL_FUSED_SUM64,
  MRANK_KERNEL_SUM16_LAST,
  MRANK_KERNEL_COUNT
} mrank_kernel_id;

/* The staging buffers of the host-pointer path, kept between calls and grown on demand. */
typedef enum mrank_staging_slot {
  MRANK_STAGE_X1,
  MRANK_STAGE_X2,
  MRANK_STAGE_Y,
  MRANK_STAGE_DLOSS,
  MRANK_STAGE_OUT1,
  MRANK_STAGE_OUT2,
  MRANK_STAGE_COUNT
} mrank_staging_slot;

struct mrank_context {
#ifdef MRANK_LEDGER
  atomic_flag busy; /* debug builds: set while an entry point runs on this context */
#endif
  int is_host;
  int zero_copy; /* host arrays are wrapped, not copied (host-unified memory) */
  char device_name[256];
  cl_platform_id platform;
  cl_device_id device;
  cl_context cl_ctx;
  cl_command_queue queue;
  char build_options[64];
  int has_fp64; /* the device reports fp64 (MRANK_DISABLE_FP64=1 pretends it does not) */
  cl_program programs[MRANK_VARIANT_COUNT][MRANK_FAMILY_COUNT];
  char cache_dir[4096]; /* "" when the disk cache is off */
  int cache_warned;     /* the one warning about an unwritable cache was printed */
  int programs_from_disk, programs_from_source; /* counted for the tests and `devices --check` */
  cl_kernel kernels[MRANK_VARIANT_COUNT][MRANK_KERNEL_COUNT];
  size_t local_size; /* work-group size of every launch: a power of two */
  size_t
      chunk_elements; /* largest n one host-pointer pass stages on the device (a multiple of 64) */
  size_t
      max_alloc_bytes; /* the largest buffer mrank makes or wraps (MRANK_MAX_ALLOC may lower it) */
  cl_mem staging[MRANK_STAGE_COUNT];
  size_t staging_bytes[MRANK_STAGE_COUNT]; /* capacity of each staging buffer */
  cl_mem partials[2]; /* the partial sums of a reduction, pass after pass (ping-pong) */
  size_t partials_bytes[2];
};

/* errors.c */
void mrank_clear_error(void);
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
mrank_status
mrank_fail(mrank_status status, const char *format, ...);
/* Appends to the current message (for build logs and device lists); truncates silently. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
void mrank_append_error(const char *format, ...);
/* MRANK_ERROR_OUT_OF_MEMORY for the CL allocation failures, MRANK_ERROR_OPENCL otherwise. */
mrank_status mrank_fail_cl(cl_int code, const char *what);

/* One-line argument and result checks with a single cleanup label, as PoCL does: the condition, the
 * status and a message that tells the caller what to do. */
#define MRANK_CHECK(cond, status_value, ...)            \
  do {                                                  \
    if (!(cond)) {                                      \
      status = mrank_fail((status_value), __VA_ARGS__); \
      goto error;                                       \
    }                                                   \
  } while (0)
#define MRANK_CHECK_CL(call, what)                   \
  do {                                               \
    cl_int mrank_cl_err_ = (call);                   \
    if (mrank_cl_err_ != CL_SUCCESS) {               \
      status = mrank_fail_cl(mrank_cl_err_, (what)); \
      goto error;                                    \
    }                                                \
  } while (0)
#define MRANK_TRY(call)                      \
  do {                                       \
    status = (call);                         \
    if (status != MRANK_SUCCESS) goto error; \
  } while (0)

/* device.c */
typedef struct mrank_device_choice {
  int is_host;
  cl_platform_id platform;
  cl_device_id device;
} mrank_device_choice;
mrank_status mrank_select_device(const char *selector, mrank_device_choice *choice);

/* program.c: the kernels of one type variant, built on first use (F64 needs the device's fp64) */
mrank_status mrank_ensure_kernels(mrank_context *ctx, const mrank_variant *variant);
void mrank_release_programs(mrank_context *ctx);
/* The OpenCL C source of a family: MRANK_KERNEL_DIR/<file> when set, else the embedded copy.
 * *owned is set when the caller must free() the result. */
mrank_status mrank_family_source(mrank_family family, const char **source, char **owned);

/* kernels_embedded.c (generated by cmake/EmbedKernels.cmake) */
extern const mrank_embedded_kernel mrank_embedded_kernels[];
extern const size_t mrank_embedded_kernels_count;

/* reduce.c: the shape of the fixed summation tree (fan-in 16), shared by the launches and the error
 * bound. */
#define MRANK_FAN_IN 16
#define MRANK_FIRST_FAN_IN 64
/* the partial sums pass 1 makes of n elements, ceil(n / 64), and a later pass of n partials,
 * ceil(n / 16); also the work-items of the 16-wide elementwise kernels */
size_t mrank_first_pass_outputs(size_t n);
size_t mrank_pass_outputs(size_t n);

/* types.c */
/* Checks desc (types, reduction) and describes its variant; `function` names the caller. */
mrank_status mrank_variant_of(const char *function, const mrank_desc *desc, mrank_variant *variant);
/* Conversions of half and bfloat16 storage: to float exactly, from float rounded to nearest even
 * (a NaN stays a quiet NaN), as vload_half / vstore_half_rte and the kernels' bfloat16 code do. */
float mrank_half_to_float(unsigned short bits);
unsigned short mrank_half_from_float(float value);
float mrank_bf16_to_float(unsigned short bits);
unsigned short mrank_bf16_from_float(float value);
/* Element i of an array of `type` as a double (exact for every type), and the other way round
 * (rounded to float first for F32, F16 and BF16, to the label type's integer for I32 and I8). */
double mrank_decode(mrank_dtype type, const void *array, size_t i);
void mrank_encode(mrank_dtype type, void *array, size_t i, double value);

/* ledger.c: with MRANK_LEDGER, every OpenCL object the library creates, retains or releases is
 * counted (the calls below go through these macros), enqueues can be made to fail, and a context
 * used by two threads at once aborts. Without it these cost nothing. */
enum {
  MRANK_LEDGER_CONTEXT,
  MRANK_LEDGER_QUEUE,
  MRANK_LEDGER_PROGRAM,
  MRANK_LEDGER_KERNEL,
  MRANK_LEDGER_BUFFER
};
#ifdef MRANK_LEDGER
void mrank_ledger_add(int kind, long delta);
int mrank_debug_fail_enqueue(void);
void mrank_debug_enter(mrank_context *ctx);
void mrank_debug_leave(mrank_context *ctx);
static inline void *mrank_ledger_created(void *object, int kind) {
  if (object != NULL) mrank_ledger_add(kind, 1);
  return object;
}
static inline cl_int mrank_ledger_retained(cl_int err, int kind) {
  if (err == CL_SUCCESS) mrank_ledger_add(kind, 1);
  return err;
}
static inline int mrank_ledger_released(int kind) {
  mrank_ledger_add(kind, -1);
  return 0;
}
/* a macro's own name is not expanded again inside it: these call the real functions */
#define clCreateContext(...) \
  ((cl_context)mrank_ledger_created(clCreateContext(__VA_ARGS__), MRANK_LEDGER_CONTEXT))
#define clCreateCommandQueue(...) \
  ((cl_command_queue)mrank_ledger_created(clCreateCommandQueue(__VA_ARGS__), MRANK_LEDGER_QUEUE))
#define clCreateProgramWithSource(...) \
  ((cl_program)mrank_ledger_created(clCreateProgramWithSource(__VA_ARGS__), MRANK_LEDGER_PROGRAM))
#define clCreateProgramWithBinary(...) \
  ((cl_program)mrank_ledger_created(clCreateProgramWithBinary(__VA_ARGS__), MRANK_LEDGER_PROGRAM))
#define clCreateKernel(...) \
  ((cl_kernel)mrank_ledger_created(clCreateKernel(__VA_ARGS__), MRANK_LEDGER_KERNEL))
#define clCreateBuffer(...) \
  ((cl_mem)mrank_ledger_created(clCreateBuffer(__VA_ARGS__), MRANK_LEDGER_BUFFER))
#define clRetainContext(c) mrank_ledger_retained(clRetainContext(c), MRANK_LEDGER_CONTEXT)
#define clRetainCommandQueue(q) mrank_ledger_retained(clRetainCommandQueue(q), MRANK_LEDGER_QUEUE)
#define clReleaseContext(c) (mrank_ledger_released(MRANK_LEDGER_CONTEXT), clReleaseContext(c))
#define clReleaseCommandQueue(q) \
  (mrank_ledger_released(MRANK_LEDGER_QUEUE), clReleaseCommandQueue(q))
#define clReleaseProgram(p) (mrank_ledger_released(MRANK_LEDGER_PROGRAM), clReleaseProgram(p))
#define clReleaseKernel(k) (mrank_ledger_released(MRANK_LEDGER_KERNEL), clReleaseKernel(k))
#define clReleaseMemObject(m) (mrank_ledger_released(MRANK_LEDGER_BUFFER), clReleaseMemObject(m))
/* MRANK_FAIL_ENQUEUE=N: the N-th enqueue of the process fails as if the device ran out */
#define clEnqueueNDRangeKernel(...) \
  (mrank_debug_fail_enqueue() ? CL_OUT_OF_RESOURCES : clEnqueueNDRangeKernel(__VA_ARGS__))
#define clEnqueueWriteBuffer(...) \
  (mrank_debug_fail_enqueue() ? CL_OUT_OF_RESOURCES : clEnqueueWriteBuffer(__VA_ARGS__))
#define clEnqueueReadBuffer(...) \
  (mrank_debug_fail_enqueue() ? CL_OUT_OF_RESOURCES : clEnqueueReadBuffer(__VA_ARGS__))
#define MRANK_DEBUG_ENTER(ctx) mrank_debug_enter(ctx)
#define MRANK_DEBUG_LEAVE(ctx) mrank_debug_leave(ctx)
#else
#define MRANK_DEBUG_ENTER(ctx) ((void)0)
#define MRANK_DEBUG_LEAVE(ctx) ((void)0)
#endif

#endif /* MRANK_INTERNAL_H */
