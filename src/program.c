/* program.c: the operator's programs of a context: each kernel family built once per context and
 * type variant (through program_builder.c: the disk cache, MRANK_KERNEL_DIR, the build log), and
 * its kernels kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
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
};

static mrank_status build_family(mrank_context *ctx, mrank_family family,
                                 const mrank_variant *variant) {
  char options[160];
  snprintf(options, sizeof options, "%s -DMRANK_DATA=%d -DMRANK_LABELS=%d", ctx->build_options,
           variant->data_code, variant->label_code);
  const mrank_program_request request = {ctx->cl_ctx,
                                         ctx->device,
                                         family_files[family],
                                         mrank_embedded_kernels,
                                         mrank_embedded_kernels_count,
                                         options,
                                         ctx->cache_dir,
                                         &ctx->cache_warned};
  enum { message_size = 16384 }; /* room for a build log, as mrank_last_error() has */
  char *message = malloc(message_size);
  if (message == NULL) {
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "out of host memory building kernels/%s",
                      family_files[family]);
  }
  int from_disk = 0;
  cl_program program = NULL;
  const mrank_status status =
      mrank_program_build(&request, &program, &from_disk, message, message_size);
  if (status != MRANK_SUCCESS) {
    mrank_fail(status, "%s", message);
  } else {
    ctx->programs[variant->index][family] = program;
    if (from_disk) {
      ctx->programs_from_disk++;
    } else {
      ctx->programs_from_source++;
    }
  }
  free(message);
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
