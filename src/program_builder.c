/* program_builder.c: find a kernels/ file's source (MRANK_KERNEL_DIR or the embedded copy), then a
 * program from the disk cache or built from source (its binary stored for the next process). */
#include "program_builder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binary_dir.h"
#include "device_traits.h"
#include "disk_cache.h"
#include "regular_file.h"
#include "trust.h"
#include "ledger.h" /* in the library's build, its programs are counted like every object */

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
static mrank_status
say(mrank_status status, char *message, size_t size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(message, size, format, args);
  va_end(args);
  return status;
}

static mrank_status read_source_file(const char *path, char **contents, char *message,
                                     size_t size) {
  /* the file that is opened is the one checked, on its descriptor; a FIFO or a device node is
   * refused before it could block or never end */
  struct stat info;
  char why[256] = "cannot be examined";
  const int fd = mrank_open_regular(path, 0, &info, why, sizeof why);
  if (fd < 0) {
    return say(MRANK_ERROR_IO, message, size,
               "cannot open kernel source %s (MRANK_KERNEL_DIR is set): %s; unset "
               "MRANK_KERNEL_DIR or point it at the kernels/ folder",
               path, why);
  }
  FILE *file = fdopen(fd, "rb");
  if (file == NULL) {
    close(fd);
    return say(MRANK_ERROR_IO, message, size, "cannot read kernel source %s", path);
  }
  if (!mrank_owner_trusted(&info, 1, why, sizeof why)) {
    fclose(file);
    return say(MRANK_ERROR_IO, message, size,
               "kernel source %s is %s, so another user could have put code in it; not compiled "
               "(chmod go-w it, or unset MRANK_KERNEL_DIR)",
               path, why);
  }
  char *buffer = NULL;
  long length = -1;
  if (fseek(file, 0, SEEK_END) == 0) length = ftell(file);
  if (length >= 0 && fseek(file, 0, SEEK_SET) == 0) buffer = malloc((size_t)length + 1);
  const int read_whole = buffer != NULL && fread(buffer, 1, (size_t)length, file) == (size_t)length;
  fclose(file);
  if (!read_whole) {
    free(buffer);
    return say(length >= 0 && buffer == NULL ? MRANK_ERROR_OUT_OF_MEMORY : MRANK_ERROR_IO, message,
               size, "cannot read kernel source %s", path);
  }
  buffer[length] = '\0';
  *contents = buffer;
  return MRANK_SUCCESS;
}

mrank_status mrank_program_source(const mrank_program_request *r, const char **source, char **owned,
                                  char *message, size_t size) {
  *owned = NULL;
  const char *dir = getenv("MRANK_KERNEL_DIR");
  if (dir != NULL && dir[0] != '\0') {
    /* as the cache: the folder must be this user's (or root's, for a system folder) and not
     * writable by others, or someone else could swap the file between this check and the read */
    char why[256];
    struct stat info;
    if (stat(dir, &info) == 0 && !mrank_owner_trusted(&info, 1, why, sizeof why)) {
      return say(MRANK_ERROR_IO, message, size,
                 "MRANK_KERNEL_DIR %s is %s, so another user could plant kernel code in it; "
                 "chmod go-w it, or unset MRANK_KERNEL_DIR",
                 dir, why);
    }
    char path[4096];
    const int written = snprintf(path, sizeof path, "%s/%s", dir, r->file_name);
    if (written < 0 || (size_t)written >= sizeof path) {
      return say(MRANK_ERROR_IO, message, size, "MRANK_KERNEL_DIR is too long a path");
    }
    const mrank_status status = read_source_file(path, owned, message, size);
    *source = *owned;
    return status;
  }
  for (size_t k = 0; k < r->embedded_count; ++k) {
    if (strcmp(r->embedded[k].file_name, r->file_name) == 0) {
      *source = r->embedded[k].source;
      return MRANK_SUCCESS;
    }
  }
  return say(MRANK_ERROR_IO, message, size,
             "kernel source %s is not embedded in this build of mrank", r->file_name);
}

static void device_name(cl_device_id device, char *name, size_t size) {
  if (clGetDeviceInfo(device, CL_DEVICE_NAME, size, name, NULL) != CL_SUCCESS) name[0] = '\0';
  name[size - 1] = '\0';
}

static mrank_status no_compiler(const mrank_program_request *r, char *message, size_t size) {
  char name[256];
  device_name(r->device, name, sizeof name);
  return say(
      MRANK_ERROR_UNSUPPORTED, message, size,
      "device \"%s\" has no OpenCL compiler (%s), so kernels/%s cannot be built on it: set "
      "MRANK_BINARY_DIR to a folder of its programs, made by `mrank compile --out DIR` where "
      "this device's driver can compile, or by `mrank compile --emit-source DIR` and the "
      "vendor's offline compiler (README, \"Offline-built programs\")",
      name,
      mrank_env_flag("MRANK_ASSUME_NO_COMPILER") ? "MRANK_ASSUME_NO_COMPILER is set"
                                                 : "CL_DEVICE_COMPILER_AVAILABLE is false",
      r->file_name);
}

/* The message of a failed build, with the driver's log after it. */
static mrank_status build_failure(const mrank_program_request *r, cl_program program, cl_int err,
                                  char *message, size_t size) {
  char name[256];
  device_name(r->device, name, sizeof name);
  say(MRANK_ERROR_BUILD_FAILED, message, size,
      "building kernels/%s failed: %s (device \"%s\", options \"%s\"); fix the kernel source "
      "(see MRANK_KERNEL_DIR) or update the driver",
      r->file_name, mrank_cl_error_name(err), name, r->options);
  const size_t used = strlen(message);
  size_t log_size = 0;
  if (clGetProgramBuildInfo(program, r->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size) !=
          CL_SUCCESS ||
      log_size <= 1) {
    snprintf(message + used, size - used, "\n(the driver gave no build log)");
    return MRANK_ERROR_BUILD_FAILED;
  }
  char *log = malloc(log_size + 1);
  if (log != NULL && clGetProgramBuildInfo(program, r->device, CL_PROGRAM_BUILD_LOG, log_size, log,
                                           NULL) == CL_SUCCESS) {
    log[log_size] = '\0';
    snprintf(message + used, size - used, "\nbuild log:\n%s", log);
  }
  free(log);
  return MRANK_ERROR_BUILD_FAILED;
}

/* The program from a cached binary, or NULL (a bad entry is deleted on the way). */
static cl_program load_cached(const mrank_program_request *r, const char *key) {
  size_t size = 0;
  char refused[4600];
  unsigned char *binary = mrank_cache_load(r->cache_dir, key, &size, refused, sizeof refused);
  if (refused[0] != '\0' && r->cache_warned != NULL && !*r->cache_warned) {
    *r->cache_warned = 1;
    fprintf(stderr,
            "mrank: warning: the kernel cache entry %s, so it could be someone else's code: not "
            "loaded, built from source instead (remove it, or set MRANK_CACHE_DIR to a folder of "
            "your own)\n",
            refused);
  }
  if (binary == NULL) return NULL;
  cl_int binary_status = CL_SUCCESS, err = CL_SUCCESS;
  const unsigned char *binaries[] = {binary};
  cl_program program =
      clCreateProgramWithBinary(r->context, 1, &r->device, &size, binaries, &binary_status, &err);
  free(binary);
  if (err == CL_SUCCESS && binary_status == CL_SUCCESS &&
      clBuildProgram(program, 1, &r->device, r->options, NULL, NULL) == CL_SUCCESS) {
    return program;
  }
  if (program != NULL) clReleaseProgram(program);
  mrank_cache_remove(r->cache_dir, key);
  return NULL;
}

/* The disk cache is an optimisation: failing to write it costs one warning line, never an error. */
static void store_cached(const mrank_program_request *r, cl_program program, const char *key) {
  size_t size = 0;
  unsigned char *binary = NULL;
  const int stored =
      clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) == CL_SUCCESS &&
      size > 0 && (binary = malloc(size)) != NULL &&
      clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) == CL_SUCCESS &&
      mrank_cache_store(r->cache_dir, key, binary, size);
  free(binary);
  if (!stored && r->cache_warned != NULL && !*r->cache_warned) {
    *r->cache_warned = 1;
    fprintf(stderr,
            "mrank: warning: cannot write the kernel cache in %s; kernels will be compiled each "
            "run (set MRANK_CACHE_DIR to a writable folder, or MRANK_NO_CACHE=1)\n",
            r->cache_dir);
  }
}

mrank_status mrank_program_build(const mrank_program_request *request, cl_program *program,
                                 mrank_program_origin *origin, char *message, size_t message_size) {
  const char *source = NULL;
  char *owned = NULL, *key = NULL;
  *program = NULL;
  *origin = MRANK_PROGRAM_FROM_SOURCE;
  mrank_status status = mrank_program_source(request, &source, &owned, message, message_size);
  if (status != MRANK_SUCCESS) return status;
  if (request->binary_dir != NULL && request->binary_dir[0] != '\0') {
    status = mrank_binary_dir_load(request, source, program, message, message_size);
    *origin = MRANK_PROGRAM_FROM_BINARY_DIR;
    free(owned);
    return status;
  }
  if (!mrank_device_has_compiler(request->device)) {
    free(owned);
    return no_compiler(request, message, message_size);
  }
  const int cached = request->cache_dir != NULL && request->cache_dir[0] != '\0';
  if (cached) key = mrank_cache_key(request->device, request->file_name, source, request->options);
  if (key != NULL && (*program = load_cached(request, key)) != NULL) {
    *origin = MRANK_PROGRAM_FROM_DISK_CACHE;
  } else {
    cl_int err = CL_SUCCESS;
    cl_program built = clCreateProgramWithSource(request->context, 1, &source, NULL, &err);
    if (err != CL_SUCCESS) {
      status = say(err == CL_OUT_OF_HOST_MEMORY ? MRANK_ERROR_OUT_OF_MEMORY : MRANK_ERROR_OPENCL,
                   message, message_size, "clCreateProgramWithSource for kernels/%s failed: %s",
                   request->file_name, mrank_cl_error_name(err));
    } else if ((err = clBuildProgram(built, 1, &request->device, request->options, NULL, NULL)) !=
               CL_SUCCESS) {
      status = build_failure(request, built, err, message, message_size);
      clReleaseProgram(built);
    } else {
      *program = built;
      if (key != NULL) store_cached(request, built, key);
    }
  }
  free(key);
  free(owned);
  return status;
}
