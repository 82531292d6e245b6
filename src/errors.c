/* errors.c: status names, the thread-local last-error message, and OpenCL error names. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

enum { MRANK_ERROR_CAPACITY = 16384 };
static _Thread_local char last_error[MRANK_ERROR_CAPACITY];

const char *mrank_last_error(void) {
  return last_error;
}

void mrank_clear_error(void) {
  last_error[0] = '\0';
}

mrank_status mrank_fail(mrank_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

void mrank_append_error(const char *format, ...) {
  size_t used = strlen(last_error);
  if (used + 1 >= sizeof last_error) return;
  va_list args;
  va_start(args, format);
  vsnprintf(last_error + used, sizeof last_error - used, format, args);
  va_end(args);
}

const char *mrank_status_string(mrank_status status) {
  switch (status) {
    case MRANK_SUCCESS:
      return "MRANK_SUCCESS";
    case MRANK_ERROR_INVALID_ARGUMENT:
      return "MRANK_ERROR_INVALID_ARGUMENT";
    case MRANK_ERROR_DEVICE_NOT_FOUND:
      return "MRANK_ERROR_DEVICE_NOT_FOUND";
    case MRANK_ERROR_UNSUPPORTED:
      return "MRANK_ERROR_UNSUPPORTED";
    case MRANK_ERROR_BUILD_FAILED:
      return "MRANK_ERROR_BUILD_FAILED";
    case MRANK_ERROR_OUT_OF_MEMORY:
      return "MRANK_ERROR_OUT_OF_MEMORY";
    case MRANK_ERROR_OPENCL:
      return "MRANK_ERROR_OPENCL";
    case MRANK_ERROR_IO:
      return "MRANK_ERROR_IO";
    case MRANK_ERROR_DIVERGED:
      return "MRANK_ERROR_DIVERGED";
    case MRANK_ERROR_STOPPED:
      return "MRANK_ERROR_STOPPED";
  }
  return "MRANK_STATUS_UNKNOWN";
}

const char *mrank_cl_error_name(cl_int code) {
#define MRANK_CL_NAME(name) \
  case name:                \
    return #name
  switch (code) {
    MRANK_CL_NAME(CL_SUCCESS);
    MRANK_CL_NAME(CL_DEVICE_NOT_FOUND);
    MRANK_CL_NAME(CL_DEVICE_NOT_AVAILABLE);
    MRANK_CL_NAME(CL_COMPILER_NOT_AVAILABLE);
    MRANK_CL_NAME(CL_MEM_OBJECT_ALLOCATION_FAILURE);
    MRANK_CL_NAME(CL_OUT_OF_RESOURCES);
    MRANK_CL_NAME(CL_OUT_OF_HOST_MEMORY);
    MRANK_CL_NAME(CL_PROFILING_INFO_NOT_AVAILABLE);
    MRANK_CL_NAME(CL_MEM_COPY_OVERLAP);
    MRANK_CL_NAME(CL_IMAGE_FORMAT_MISMATCH);
    MRANK_CL_NAME(CL_IMAGE_FORMAT_NOT_SUPPORTED);
    MRANK_CL_NAME(CL_BUILD_PROGRAM_FAILURE);
    MRANK_CL_NAME(CL_MAP_FAILURE);
    MRANK_CL_NAME(CL_MISALIGNED_SUB_BUFFER_OFFSET);
    MRANK_CL_NAME(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
    MRANK_CL_NAME(CL_COMPILE_PROGRAM_FAILURE);
    MRANK_CL_NAME(CL_LINKER_NOT_AVAILABLE);
    MRANK_CL_NAME(CL_LINK_PROGRAM_FAILURE);
    MRANK_CL_NAME(CL_DEVICE_PARTITION_FAILED);
    MRANK_CL_NAME(CL_KERNEL_ARG_INFO_NOT_AVAILABLE);
    MRANK_CL_NAME(CL_INVALID_VALUE);
    MRANK_CL_NAME(CL_INVALID_DEVICE_TYPE);
    MRANK_CL_NAME(CL_INVALID_PLATFORM);
    MRANK_CL_NAME(CL_INVALID_DEVICE);
    MRANK_CL_NAME(CL_INVALID_CONTEXT);
    MRANK_CL_NAME(CL_INVALID_QUEUE_PROPERTIES);
    MRANK_CL_NAME(CL_INVALID_COMMAND_QUEUE);
    MRANK_CL_NAME(CL_INVALID_HOST_PTR);
    MRANK_CL_NAME(CL_INVALID_MEM_OBJECT);
    MRANK_CL_NAME(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR);
    MRANK_CL_NAME(CL_INVALID_IMAGE_SIZE);
    MRANK_CL_NAME(CL_INVALID_SAMPLER);
    MRANK_CL_NAME(CL_INVALID_BINARY);
    MRANK_CL_NAME(CL_INVALID_BUILD_OPTIONS);
    MRANK_CL_NAME(CL_INVALID_PROGRAM);
    MRANK_CL_NAME(CL_INVALID_PROGRAM_EXECUTABLE);
    MRANK_CL_NAME(CL_INVALID_KERNEL_NAME);
    MRANK_CL_NAME(CL_INVALID_KERNEL_DEFINITION);
    MRANK_CL_NAME(CL_INVALID_KERNEL);
    MRANK_CL_NAME(CL_INVALID_ARG_INDEX);
    MRANK_CL_NAME(CL_INVALID_ARG_VALUE);
    MRANK_CL_NAME(CL_INVALID_ARG_SIZE);
    MRANK_CL_NAME(CL_INVALID_KERNEL_ARGS);
    MRANK_CL_NAME(CL_INVALID_WORK_DIMENSION);
    MRANK_CL_NAME(CL_INVALID_WORK_GROUP_SIZE);
    MRANK_CL_NAME(CL_INVALID_WORK_ITEM_SIZE);
    MRANK_CL_NAME(CL_INVALID_GLOBAL_OFFSET);
    MRANK_CL_NAME(CL_INVALID_EVENT_WAIT_LIST);
    MRANK_CL_NAME(CL_INVALID_EVENT);
    MRANK_CL_NAME(CL_INVALID_OPERATION);
    MRANK_CL_NAME(CL_INVALID_GL_OBJECT);
    MRANK_CL_NAME(CL_INVALID_BUFFER_SIZE);
    MRANK_CL_NAME(CL_INVALID_MIP_LEVEL);
    MRANK_CL_NAME(CL_INVALID_GLOBAL_WORK_SIZE);
    MRANK_CL_NAME(CL_INVALID_PROPERTY);
    MRANK_CL_NAME(CL_INVALID_IMAGE_DESCRIPTOR);
    MRANK_CL_NAME(CL_INVALID_COMPILER_OPTIONS);
    MRANK_CL_NAME(CL_INVALID_LINKER_OPTIONS);
    MRANK_CL_NAME(CL_INVALID_DEVICE_PARTITION_COUNT);
    case -1001:
      return "CL_PLATFORM_NOT_FOUND_KHR";
  }
#undef MRANK_CL_NAME
  return "CL_UNKNOWN_ERROR";
}

mrank_status mrank_fail_cl(cl_int code, const char *what) {
  const int memory = code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_HOST_MEMORY ||
                     code == CL_OUT_OF_RESOURCES || code == CL_INVALID_BUFFER_SIZE;
  return mrank_fail(
      memory ? MRANK_ERROR_OUT_OF_MEMORY : MRANK_ERROR_OPENCL, "%s failed with %s (%d)%s", what,
      mrank_cl_error_name(code), (int)code,
      memory ? ": the device ran out of memory; use a smaller n or free device memory" : "");
}
