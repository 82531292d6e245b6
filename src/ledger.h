/* ledger.h: with MRANK_LEDGER (Debug builds), every OpenCL object the library creates, retains or
 * releases is counted (the calls of the files that include this go through these macros), enqueues
 * can be made to fail, and a context used by two threads at once aborts. Without it these cost
 * nothing. Include it after the OpenCL headers, in library files only. */
#ifndef MRANK_LEDGER_H
#define MRANK_LEDGER_H

#include "mrank.h"

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

#endif /* MRANK_LEDGER_H */
