/* program.c: the operator's programs of a context: each kernel family built once per context and
 * type variant (through program_builder.c: the disk cache, MRANK_KERNEL_DIR, the build log), and
 * its kernels kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "binary_dir.h"
#include "program_builder.h"

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
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_gather_data"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_gather_labels"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_scatter_data"},
    {MRANK_FAMILY_MARGIN_RANKING, "mrank_reduce_to"},
};

/* The request for one family's program of one type variant; `options` is its storage. */
static mrank_program_request family_request(mrank_context *ctx, mrank_family family,
                                            const mrank_variant *variant, char *options,
                                            size_t options_size) {
  snprintf(options, options_size, "%s -DMRANK_DATA=%d -DMRANK_LABELS=%d -DMRANK_SUM_LOCAL=%d",
           ctx->build_options, variant->data_code, variant->label_code,
           mrank_local_pass(ctx, variant));
  const mrank_program_request request = {.context = ctx->cl_ctx,
                                         .device = ctx->device,
                                         .file_name = family_files[family],
                                         .embedded = mrank_embedded_kernels,
                                         .embedded_count = mrank_embedded_kernels_count,
                                         .options = options,
                                         .cache_dir = ctx->cache_dir,
                                         .cache_warned = &ctx->cache_warned,
                                         .binary_dir = ctx->binary_dir};
  return request;
}

enum { message_size = 16384 }; /* room for a build log, as mrank_last_error() has */

static mrank_status build_family(mrank_context *ctx, mrank_family family,
                                 const mrank_variant *variant) {
  char options[320];
  const mrank_program_request request =
      family_request(ctx, family, variant, options, sizeof options);
  char *message = malloc(message_size);
  if (message == NULL) {
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "out of host memory building kernels/%s",
                      family_files[family]);
  }
  mrank_program_origin origin;
  cl_program program = NULL;
  const mrank_status status =
      mrank_program_build(&request, &program, &origin, message, message_size);
  if (status != MRANK_SUCCESS) {
    mrank_fail(status, "%s", message);
    /* a folder holds the types it was made for: say which types this program serves */
    if (ctx->binary_dir[0] != '\0') {
      mrank_append_error(" (this is the program of --dtype %s --labels %s)",
                         mrank_dtype_name(variant->data), mrank_dtype_name(variant->labels));
    }
  } else {
    ctx->programs[variant->index][family] = program;
    if (origin == MRANK_PROGRAM_FROM_DISK_CACHE) {
      ctx->programs_from_disk++;
    } else if (origin == MRANK_PROGRAM_FROM_BINARY_DIR) {
      ctx->programs_from_binary_dir++;
    } else {
      ctx->programs_from_source++;
    }
  }
  free(message);
  return status;
}

mrank_status mrank_export_program(mrank_context *ctx, mrank_dtype data, mrank_dtype labels,
                                  const char *dir, mrank_export_kind kind, char *written,
                                  size_t written_size) {
  mrank_status status = MRANK_SUCCESS;
  char *message = NULL;
  mrank_clear_error();
  MRANK_TRY(mrank_check_context("mrank_export_program", ctx));
  MRANK_CHECK(dir != NULL && dir[0] != '\0', MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_export_program: dir is %s; pass the folder to write the programs into",
              dir == NULL ? "NULL" : "empty");
  MRANK_CHECK(kind == MRANK_EXPORT_BINARIES || kind == MRANK_EXPORT_SOURCES,
              MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_export_program: kind %d is neither MRANK_EXPORT_BINARIES nor "
              "MRANK_EXPORT_SOURCES",
              (int)kind);
  MRANK_CHECK(written == NULL || written_size > 0, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_export_program: written_size is 0; pass the capacity of `written`, or NULL");
  MRANK_CHECK(!ctx->is_host, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_export_program: the host context runs no OpenCL program; create the context "
              "on the device the programs are for");
  const mrank_desc desc = {data, labels, MRANK_REDUCTION_NONE, 1.0};
  mrank_variant variant;
  MRANK_TRY(mrank_variant_of("mrank_export_program", &desc, &variant));
  MRANK_CHECK(variant.data != MRANK_DTYPE_F64 || ctx->has_fp64, MRANK_ERROR_UNSUPPORTED,
              "device \"%s\" has no double precision (cl_khr_fp64), so it has no F64 program to "
              "export; leave f64 out",
              ctx->device_name);
  message = malloc(message_size);
  MRANK_CHECK(message != NULL, MRANK_ERROR_OUT_OF_MEMORY, "out of host memory");
  char files[256];
  for (int f = 0; f < MRANK_FAMILY_COUNT; ++f) {
    char options[320];
    const mrank_program_request request =
        family_request(ctx, (mrank_family)f, &variant, options, sizeof options);
    status = mrank_binary_dir_export(&request, dir, kind == MRANK_EXPORT_SOURCES, files,
                                     sizeof files, message, message_size);
    if (status != MRANK_SUCCESS) {
      mrank_fail(status, "%s", message);
      goto error;
    }
    if (written != NULL) snprintf(written, written_size, "%s", files);
  }
error:
  free(message);
  return status;
}

/* A kernel may allow smaller work-groups than the device does (registers, local memory): the
 * launches use the smallest limit, kept a power of two for the tree sums. */
static void fit_local_size(mrank_context *ctx, cl_kernel kernel) {
  if (ctx->fixed_work_group) return; /* built for local_size: a launch of any other size fails */
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
    /* the local pass 1 is built for sum_group work-items a group; the others take the shape's */
    const int local_pass = mrank_local_pass(ctx, variant) &&
                           (k == MRANK_KERNEL_FORWARD_SUM64 || k == MRANK_KERNEL_FUSED_SUM64);
    if (!local_pass) {
      fit_local_size(ctx, kernels[k]);
      continue;
    }
    size_t allowed = 0;
    if (clGetKernelWorkGroupInfo(kernels[k], ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof allowed,
                                 &allowed, NULL) == CL_SUCCESS &&
        allowed < ctx->sum_group) {
      status = mrank_fail(MRANK_ERROR_UNSUPPORTED,
                          "kernel %s on \"%s\" runs at most %zu work-items a group, fewer than "
                          "the %zu its local pass needs; run with MRANK_VARIANT=...,sum=direct",
                          kernel_names[k].name, ctx->device_name, allowed, ctx->sum_group);
      goto error;
    }
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
