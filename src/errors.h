/* errors.h: how the library reports a failure: the thread-local message behind mrank_last_error(),
 * and the one-line argument and result checks with a single cleanup label, as PoCL does. */
#ifndef MRANK_ERRORS_H
#define MRANK_ERRORS_H

#include "mrank.h"

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

/* The condition, the status and a message that tells the caller what to do; `status` and the label
 * `error` belong to the function that uses them. */
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

#endif /* MRANK_ERRORS_H */
