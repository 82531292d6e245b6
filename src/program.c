/* program.c: find a kernel family's source (embedded, or MRANK_KERNEL_DIR), build it once per
 * context (from a cached binary when the disk cache has one) and keep the program and its kernels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk_cache.h"
#include "internal.h"

static const char *const family_files[MRANK_FAMILY_COUNT] = {"margin_ranking.cl"};

static const struct {
  mrank_family family;
  const char *name;
} kernel_names[MRANK_KERNEL_COUNT] = {
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_forward_none"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_forward_sum64"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_sum16_pass"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_backward_none"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_backward_scalar"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_fused_none"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_fused_sum64"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_sum16_last"},
};

static mrank_status read_file(const char *path, char **contents) {
  mrank_status status = MRANK_SUCCESS;
  char *buffer = NULL;
  FILE *file = fopen(path, "rb");
  MRANK_CHECK(file != NULL, MRANK_ERROR_IO,
              "cannot open kernel source %s (MRANK_KERNEL_DIR is set); unset MRANK_KERNEL_DIR or "
              "point it at the kernels/ folder",
              path);
  MRANK_CHECK(fseek(file, 0, SEEK_END) == 0, MRANK_ERROR_IO, "cannot read kernel source %s", path);
  long size = ftell(file);
  MRANK_CHECK(size >= 0 && fseek(file, 0, SEEK_SET) == 0, MRANK_ERROR_IO,
              "cannot read kernel source %s", path);
  buffer = malloc((size_t)size + 1);
  MRANK_CHECK(buffer != NULL, MRANK_ERROR_OUT_OF_MEMORY, "out of host memory reading %s", path);
  MRANK_CHECK(fread(buffer, 1, (size_t)size, file) == (size_t)size, MRANK_ERROR_IO,
              "cannot read kernel source %s", path);
  buffer[size] = '\0';
  fclose(file);
  *contents = buffer;
  return MRANK_SUCCESS;
error:
  free(buffer);
  if (file != NULL) fclose(file);
  return status;
}

mrank_status mrank_family_source(mrank_family family, const char **source, char **owned) {
  *owned = NULL;
  const char *dir = getenv("MRANK_KERNEL_DIR");
  if (dir != NULL && dir[0] != '\0') {
    char path[4096];
    int written = snprintf(path, sizeof path, "%s/%s", dir, family_files[family]);
    if (written < 0 || (size_t)written >= sizeof path) {
      return mrank_fail(MRANK_ERROR_IO, "MRANK_KERNEL_DIR is too long a path");
    }
    mrank_status status = read_file(path, owned);
    *source = *owned;
    return status;
  }
  for (size_t k = 0; k < mrank_embedded_kernels_count; ++k) {
    if (strcmp(mrank_embedded_kernels[k].file_name, family_files[family]) == 0) {
      *source = mrank_embedded_kernels[k].source;
      return MRANK_SUCCESS;
    }
  }
  return mrank_fail(MRANK_ERROR_IO, "kernel source %s is not embedded in this build of mrank",
                    family_files[family]);
}

static void append_build_log(const mrank_context *ctx, cl_program program) {
  size_t size = 0;
  if (clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) !=
          CL_SUCCESS ||
      size == 0) {
    mrank_append_error("\n(the driver gave no build log)");
    return;
  }
  char *log = malloc(size + 1);
  if (log == NULL) return;
  if (clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, size, log, NULL) ==
      CL_SUCCESS) {
    log[size] = '\0';
    mrank_append_error("\nbuild log:\n%s", log);
  }
  free(log);
}

static mrank_status build_log_failure(mrank_context *ctx, cl_program program, mrank_family family,
                                      const char *options, cl_int err) {
  mrank_status status =
      mrank_fail(MRANK_ERROR_BUILD_FAILED,
                 "building kernels/%s for device \"%s\" with options \"%s\" failed with %s; "
                 "fix the kernel source (see MRANK_KERNEL_DIR) or update the driver",
                 family_files[family], ctx->device_name, options, mrank_cl_error_name(err));
  append_build_log(ctx, program);
  return status;
}

/* The program from a cached binary, or NULL (a bad entry is deleted on the way). */
static cl_program load_cached(mrank_context *ctx, const char *key, const char *options) {
  size_t size = 0;
  unsigned char *binary = mrank_cache_load(ctx->cache_dir, key, &size);
  if (binary == NULL) return NULL;
  cl_int binary_status = CL_SUCCESS, err = CL_SUCCESS;
  const unsigned char *binaries[] = {binary};
  cl_program program = clCreateProgramWithBinary(ctx->cl_ctx, 1, &ctx->device, &size, binaries,
                                                 &binary_status, &err);
  free(binary);
  if (err == CL_SUCCESS && binary_status == CL_SUCCESS &&
      clBuildProgram(program, 1, &ctx->device, options, NULL, NULL) == CL_SUCCESS) {
    return program;
  }
  if (program != NULL) clReleaseProgram(program);
  mrank_cache_remove(ctx->cache_dir, key);
  return NULL;
}

/* The disk cache is an optimisation: failing to write it costs one warning line, never an error. */
static void store_cached(mrank_context *ctx, cl_program program, const char *key) {
  size_t size = 0;
  unsigned char *binary = NULL;
  int stored =
      clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) == CL_SUCCESS &&
      size > 0 && (binary = malloc(size)) != NULL &&
      clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) == CL_SUCCESS &&
      mrank_cache_store(ctx->cache_dir, key, binary, size);
  free(binary);
  if (!stored && !ctx->cache_warned) {
    ctx->cache_warned = 1;
    fprintf(stderr,
            "mrank: warning: cannot write the kernel cache in %s; kernels will be compiled each "
            "run (set MRANK_CACHE_DIR to a writable folder, or MRANK_NO_CACHE=1)\n",
            ctx->cache_dir);
  }
}

static mrank_status build_family(mrank_context *ctx, mrank_family family,
                                 const mrank_variant *variant) {
  mrank_status status = MRANK_SUCCESS;
  const char *source = NULL;
  char *owned = NULL, *key = NULL;
  cl_int err = CL_SUCCESS;
  cl_program program = NULL;
  char options[160];
  snprintf(options, sizeof options, "%s -DMRANK_DATA=%d -DMRANK_LABELS=%d", ctx->build_options,
           variant->data_code, variant->label_code);
  MRANK_TRY(mrank_family_source(family, &source, &owned));
  if (ctx->cache_dir[0] != '\0') key = mrank_cache_key(ctx, family_files[family], source, options);
  if (key != NULL && (program = load_cached(ctx, key, options)) != NULL) {
    ctx->programs_from_disk++;
  } else {
    program = clCreateProgramWithSource(ctx->cl_ctx, 1, &source, NULL, &err);
    MRANK_CHECK_CL(err, "clCreateProgramWithSource");
    err = clBuildProgram(program, 1, &ctx->device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
      status = build_log_failure(ctx, program, family, options, err);
      goto error;
    }
    ctx->programs_from_source++;
    if (key != NULL) store_cached(ctx, program, key);
  }
  ctx->programs[variant->index][family] = program;
  free(key);
  free(owned);
  return MRANK_SUCCESS;
error:
  if (program != NULL) clReleaseProgram(program);
  free(key);
  free(owned);
  return status;
}

/* A kernel may allow smaller work-groups than the device does (registers, local memory): the
 * launches use the smallest limit, kept a power of two for the tree sums. */
static void fit_local_size(mrank_context *ctx, cl_kernel kernel) {
  size_t limit = 0;
  if (clGetKernelWorkGroupInfo(kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof limit, &limit,
                               NULL) != CL_SUCCESS) {
    return;
  }
  while (ctx->local_size > limit && ctx->local_size > 1)
    ctx->local_size /= 2;
}

mrank_status mrank_ensure_kernels(mrank_context *ctx, const mrank_variant *variant) {
  mrank_status status = MRANK_SUCCESS;
  cl_kernel *kernels = ctx->kernels[variant->index];
  if (kernels[MRANK_KERNEL_COUNT - 1] != NULL) return MRANK_SUCCESS;
  MRANK_CHECK(variant->data != MRANK_DTYPE_F64 || ctx->has_fp64, MRANK_ERROR_UNSUPPORTED,
              "device \"%s\" has no double precision (cl_khr_fp64), so it cannot run F64 data; "
              "use F32, or a device that `mrank devices` lists with fp64",
              ctx->device_name);
  for (int f = 0; f < MRANK_FAMILY_COUNT; ++f) {
    if (ctx->programs[variant->index][f] == NULL) {
      MRANK_TRY(build_family(ctx, (mrank_family)f, variant));
    }
  }
  for (int k = 0; k < MRANK_KERNEL_COUNT; ++k) {
    if (kernels[k] != NULL) continue;
    cl_int err = CL_SUCCESS;
    kernels[k] = clCreateKernel(ctx->programs[variant->index][kernel_names[k].family],
                                kernel_names[k].name, &err);
    if (err != CL_SUCCESS) {
      kernels[k] = NULL;
      status = mrank_fail_cl(err, "clCreateKernel");
      mrank_append_error(" for kernel %s", kernel_names[k].name);
      goto error;
    }
    fit_local_size(ctx, kernels[k]);
  }
  return MRANK_SUCCESS;
error:
  return status;
}

void mrank_release_programs(mrank_context *ctx) {
  for (int v = 0; v < MRANK_VARIANT_COUNT; ++v) {
    for (int k = 0; k < MRANK_KERNEL_COUNT; ++k) {
      if (ctx->kernels[v][k] != NULL) clReleaseKernel(ctx->kernels[v][k]);
      ctx->kernels[v][k] = NULL;
    }
    for (int f = 0; f < MRANK_FAMILY_COUNT; ++f) {
      if (ctx->programs[v][f] != NULL) clReleaseProgram(ctx->programs[v][f]);
      ctx->programs[v][f] = NULL;
    }
  }
}
