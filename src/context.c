/* context.c: create and destroy an mrank_context (an OpenCL device, its context and queue, the
 * programs built for it and the staging buffers of the host-pointer path). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary_dir.h"
#include "device.h"
#include "device_traits.h"
#include "shape.h"
#include "disk_cache.h"
#include "context.h"
#include "reduce.h"

/* Host-pointer calls stage at most this many elements per buffer and pass (16 MiB of float): the
 * device memory mrank keeps between calls stays small, and longer inputs are processed in chunks.
 */
static const size_t default_chunk_elements = (size_t)1 << 22;

static size_t floor_power_of_two(size_t value) {
  size_t power = 1;
  while (power <= value / 2)
    power *= 2;
  return power;
}

/* MRANK_MAX_ALLOC (bytes) lowers the largest buffer mrank will allocate, to exercise chunking
 * without gigabytes of memory. */
static mrank_status read_alloc_override(cl_ulong *max_alloc) {
  const char *text = getenv("MRANK_MAX_ALLOC");
  if (text == NULL || text[0] == '\0') return MRANK_SUCCESS;
  char *end = NULL;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  /* at least one pass-1 block (64 elements) of the widest type: every chunk is then a multiple of
   * 64 elements, and chunking never changes the summation tree */
  const size_t smallest = MRANK_FIRST_FAN_IN * sizeof(double);
  if (errno != 0 || *end != '\0' || value < smallest || text[0] == '-') {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "MRANK_MAX_ALLOC=\"%s\" is not a byte count of at least %zu; unset it or "
                      "give a whole number of bytes",
                      text, smallest);
  }
  if (value < *max_alloc) *max_alloc = value;
  return MRANK_SUCCESS;
}

/* The binary folder in use: the caller's option, else MRANK_BINARY_DIR; when there is one, it must
 * be this mrank's and this device's, or the context is not made (its programs would all fail). */
static mrank_status choose_binary_dir(mrank_context *ctx, const char *option) {
  const char *dir = option != NULL ? option : mrank_binary_dir_setting();
  if (dir == NULL || dir[0] == '\0') return MRANK_SUCCESS;
  if (strlen(dir) >= sizeof ctx->binary_dir) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "the binary folder path is longer than %zu bytes",
                      sizeof ctx->binary_dir - 1);
  }
  snprintf(ctx->binary_dir, sizeof ctx->binary_dir, "%s", dir);
  char message[4096];
  const mrank_status status =
      mrank_binary_dir_check(ctx->binary_dir, ctx->device, message, sizeof message);
  return status == MRANK_SUCCESS ? status : mrank_fail(status, "%s", message);
}

/* The kernels' shape: the caller's option, else MRANK_VARIANT, else the stored autotune choice,
 * else the device type's default; a bad text is an error that names where it came from. */
static mrank_status choose_shape(mrank_context *ctx, const char *option) {
  const char *env = getenv("MRANK_VARIANT");
  const char *text = option != NULL && option[0] != '\0' ? option
                     : env != NULL && env[0] != '\0'     ? env
                                                         : NULL;
  char why[256];
  if (text != NULL) {
    if (!mrank_shape_parse(text, &ctx->shape, why, sizeof why)) {
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s \"%s\": %s",
                        text == option ? "mrank_context_options.variant" : "MRANK_VARIANT", text,
                        why);
    }
    snprintf(ctx->shape_source, sizeof ctx->shape_source, "%s",
             text == option ? "asked for" : "MRANK_VARIANT");
  } else if (mrank_shape_load(ctx->device, &ctx->shape)) {
    snprintf(ctx->shape_source, sizeof ctx->shape_source, "stored by mrank autotune");
  } else {
    mrank_shape_default(ctx->device, &ctx->shape);
    snprintf(ctx->shape_source, sizeof ctx->shape_source, "the default for this device type");
  }
  /* the local pass 1: a power of two of work-items up to 64, as many as the device allows a group
   * and its first dimension (each item sums its own row of 64: the bits do not depend on it) */
  size_t max_group = 0, item_sizes[3] = {0, 0, 0};
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_group, &max_group,
                      NULL) != CL_SUCCESS) {
    max_group = 1;
  }
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof item_sizes, item_sizes,
                      NULL) == CL_SUCCESS &&
      item_sizes[0] > 0 && item_sizes[0] < max_group) {
    max_group = item_sizes[0];
  }
  ctx->sum_group = MRANK_LOCAL_PASS_GROUP;
  while (ctx->sum_group > 1 && ctx->sum_group > max_group)
    ctx->sum_group /= 2;
  /* its rows (sum_group of 65 values) in local memory: float needs half of double, so the choice
   * is made type by type (mrank_local_pass); here only whether float fits at all */
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ctx->local_memory,
                      &ctx->local_memory, NULL) != CL_SUCCESS) {
    ctx->local_memory = 0;
  }
  if (ctx->shape.sum_local && ctx->local_memory < ctx->sum_group * 65 * sizeof(float)) {
    ctx->shape.sum_local = 0;
    snprintf(ctx->shape_source + strlen(ctx->shape_source),
             sizeof ctx->shape_source - strlen(ctx->shape_source),
             "; sum=direct: the local memory is too small for sum=local");
  }
  return MRANK_SUCCESS;
}

int mrank_local_pass(const mrank_context *ctx, const mrank_variant *variant) {
  return ctx->shape.sum_local && ctx->sum_group * 65 * variant->real_size <= ctx->local_memory;
}

static mrank_status configure_device(mrank_context *ctx, const char *binary_dir,
                                     const char *variant) {
  mrank_status status = MRANK_SUCCESS;
  cl_ulong max_alloc = 0;
  size_t max_group = 0;
  size_t item_sizes[3] = {0, 0, 0};
  char c_version[128] = "";
  MRANK_CHECK_CL(
      clGetDeviceInfo(ctx->device, CL_DEVICE_NAME, sizeof ctx->device_name, ctx->device_name, NULL),
      "clGetDeviceInfo(CL_DEVICE_NAME)");
  ctx->device_name[sizeof ctx->device_name - 1] = '\0';
  MRANK_CHECK_CL(clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc,
                                 &max_alloc, NULL),
                 "clGetDeviceInfo(CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
  MRANK_CHECK_CL(clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_group,
                                 &max_group, NULL),
                 "clGetDeviceInfo(CL_DEVICE_MAX_WORK_GROUP_SIZE)");
  MRANK_CHECK_CL(clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof item_sizes,
                                 item_sizes, NULL),
                 "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)");
  MRANK_CHECK_CL(
      clGetDeviceInfo(ctx->device, CL_DEVICE_OPENCL_C_VERSION, sizeof c_version, c_version, NULL),
      "clGetDeviceInfo(CL_DEVICE_OPENCL_C_VERSION)");
  MRANK_TRY(read_alloc_override(&max_alloc));
  /* A device that shares the host's memory can read and write the caller's arrays in place
   * (CL_MEM_USE_HOST_PTR); MRANK_NO_ZERO_COPY=1 falls back to staging copies. */
  cl_bool unified = CL_FALSE;
  const char *no_zero_copy = getenv("MRANK_NO_ZERO_COPY");
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL) ==
      CL_SUCCESS) {
    ctx->zero_copy = unified == CL_TRUE && (no_zero_copy == NULL || no_zero_copy[0] == '\0' ||
                                            strcmp(no_zero_copy, "0") == 0);
  }
  char untrusted[8192];
  if (!mrank_cache_dir(ctx->cache_dir, sizeof ctx->cache_dir, untrusted, sizeof untrusted)) {
    /* a warning, never an error: the kernels are built from source instead */
    fprintf(stderr, "mrank: warning: %s; until then kernels are compiled each run\n", untrusted);
    ctx->cache_warned = 1;
  }

  MRANK_TRY(choose_shape(ctx, variant));
  size_t limit = ctx->shape.wg;
  if (max_group < limit) limit = max_group;
  if (item_sizes[0] < limit) limit = item_sizes[0];
  ctx->local_size = floor_power_of_two(limit > 0 ? limit : 1);

  /* sized for the widest element (double), so that one chunking, and one summation tree, serves
   * every type */
  size_t fit = (size_t)(max_alloc / sizeof(double));
  ctx->chunk_elements = fit < default_chunk_elements ? fit : default_chunk_elements;
  /* a multiple of 64, the block of the reduction's first pass (max_alloc holds at least one block):
   * chunking then never changes the summation tree */
  ctx->chunk_elements -= ctx->chunk_elements % MRANK_FIRST_FAN_IN;
  if (ctx->chunk_elements == 0) ctx->chunk_elements = MRANK_FIRST_FAN_IN;
  ctx->max_alloc_bytes = (size_t)max_alloc;

  /* The device's own OpenCL C version decides -cl-std (an OpenCL 3.0 platform may still compile
   * only OpenCL C 1.2); a 1.1 compiler gets no -cl-std at all. */
  /* F64 needs the device's double precision; MRANK_DISABLE_FP64=1 pretends it is missing, to test
   * the refusal on any machine */
  cl_device_fp_config doubles = 0;
  const char *no_fp64 = getenv("MRANK_DISABLE_FP64");
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof doubles, &doubles, NULL) !=
      CL_SUCCESS) {
    doubles = 0;
  }
  ctx->has_fp64 =
      doubles != 0 && (no_fp64 == NULL || no_fp64[0] == '\0' || strcmp(no_fp64, "0") == 0);
  /* OpenCL 1.2 lets a device flush single-precision subnormals (CL_FP_DENORM is optional);
   * MRANK_ASSUME_FTZ=1 acts as if this one did and asks the compiler to flush, to test the policy
   * on any device */
  cl_device_fp_config singles = 0;
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof singles, &singles, NULL) !=
      CL_SUCCESS) {
    singles = 0;
  }
  const char *assume_ftz = getenv("MRANK_ASSUME_FTZ");
  const int forced = assume_ftz != NULL && assume_ftz[0] != '\0' && strcmp(assume_ftz, "0") != 0;
  ctx->may_flush_denormals = forced || !(singles & CL_FP_DENORM);
  int major = 0, minor = 0;
  if (sscanf(c_version, "OpenCL C %d.%d", &major, &minor) == 2 && (major > 1 || minor >= 2)) {
    snprintf(ctx->build_options, sizeof ctx->build_options, "-cl-std=CL1.2");
  }
  if (forced) {
    const size_t used = strlen(ctx->build_options);
    snprintf(ctx->build_options + used, sizeof ctx->build_options - used, "%s-cl-denorms-are-zero",
             used > 0 ? " " : "");
  }
  {
    const size_t used = strlen(ctx->build_options);
    snprintf(ctx->build_options + used, sizeof ctx->build_options - used,
             "%s-DMRANK_EPW=%d -DMRANK_VW=%d -DMRANK_SUM_WG=%zu", used > 0 ? " " : "",
             ctx->shape.epw, ctx->shape.vw, ctx->sum_group);
  }
  ctx->shape.wg = ctx->local_size; /* as launched: capped by the device */
  char text[96];
  mrank_shape_format(&ctx->shape, text, sizeof text);
  snprintf(ctx->variant_text, sizeof ctx->variant_text, "%s (%s)", text, ctx->shape_source);
  ctx->fixed_work_group = mrank_device_fixes_work_group(ctx->device);
  if (ctx->fixed_work_group) {
    const size_t used = strlen(ctx->build_options);
    snprintf(ctx->build_options + used, sizeof ctx->build_options - used,
             "%s-DMRANK_REQD_WORK_GROUP_SIZE=%zu", used > 0 ? " " : "", ctx->local_size);
  }
  MRANK_TRY(choose_binary_dir(ctx, binary_dir));
  return MRANK_SUCCESS;
error:
  return status;
}

static mrank_status create_opencl(mrank_context *ctx, const mrank_device_choice *choice,
                                  const char *binary_dir, const char *variant) {
  mrank_status status = MRANK_SUCCESS;
  cl_int err = CL_SUCCESS;
  ctx->platform = choice->platform;
  ctx->device = choice->device;
  cl_context_properties properties[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->platform,
                                        0};
  ctx->cl_ctx = clCreateContext(properties, 1, &ctx->device, NULL, NULL, &err);
  MRANK_CHECK_CL(err, "clCreateContext");
  ctx->queue = clCreateCommandQueue(ctx->cl_ctx, ctx->device, 0, &err);
  MRANK_CHECK_CL(err, "clCreateCommandQueue");
  MRANK_TRY(configure_device(ctx, binary_dir, variant));
  return MRANK_SUCCESS;
error:
  return status;
}

/* The fields of the caller's options that its `size` covers (a caller built against an older
 * header passes a shorter struct: the fields past its size are absent, as if NULL). */
static mrank_status read_options(const char *function, const mrank_context_options *options,
                                 const char **binary_dir, const char **variant) {
  *binary_dir = *variant = NULL;
  if (options == NULL) return MRANK_SUCCESS;
  if (options->size < sizeof(size_t) || options->size > sizeof(mrank_context_options)) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: options->size is %zu; set it to sizeof(mrank_context_options) (%zu)",
                      function, options->size, sizeof(mrank_context_options));
  }
  if (options->size >= offsetof(mrank_context_options, binary_dir) + sizeof(const char *)) {
    *binary_dir = options->binary_dir;
  }
  if (options->size >= offsetof(mrank_context_options, variant) + sizeof(const char *)) {
    *variant = options->variant;
  }
  return MRANK_SUCCESS;
}

/* One OpenCL device's context. */
static mrank_status create_single(const mrank_device_choice *choice, const char *binary_dir,
                                  const char *variant, mrank_context **out) {
  mrank_status status = MRANK_SUCCESS;
  mrank_context *ctx = calloc(1, sizeof *ctx);
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_OUT_OF_MEMORY,
              "mrank_context_create: out of host memory for the context");
  ctx->magic = MRANK_CONTEXT_MAGIC;
  MRANK_TRY(create_opencl(ctx, choice, binary_dir, variant));
  *out = ctx;
  return MRANK_SUCCESS;
error:
  mrank_context_destroy(ctx);
  return status;
}

/* A context over the devices a set selector names: the first device's, with a context of each
 * device (the first included) as its peers. One device named is a plain context. */
static mrank_status create_group(const char *selector, const char *origin, const char *binary_dir,
                                 const char *variant, mrank_context **out) {
  mrank_status status = MRANK_SUCCESS;
  mrank_device_choice choices[MRANK_MAX_DEVICES];
  size_t count = 0;
  mrank_context *ctx = NULL;
  MRANK_TRY(mrank_select_device_set(selector, origin, choices, &count));
  MRANK_TRY(create_single(&choices[0], binary_dir, variant, &ctx));
  if (count == 1) {
    *out = ctx;
    return MRANK_SUCCESS;
  }
  for (size_t k = 0; k < count; ++k) {
    mrank_context *peer = NULL;
    MRANK_TRY(create_single(&choices[k], binary_dir, variant, &peer));
    peer->group = ctx;
    ctx->peers[ctx->peer_count++] = peer;
    const size_t used = strlen(ctx->group_name);
    snprintf(ctx->group_name + used, sizeof ctx->group_name - used, "%s%s", k > 0 ? " + " : "",
             peer->device_name);
  }
  *out = ctx;
  return MRANK_SUCCESS;
error:
  mrank_context_destroy(ctx);
  return status;
}

size_t mrank_context_device_count(const mrank_context *ctx) {
  if (!mrank_context_live(ctx)) return 0;
  return ctx->peer_count > 0 ? ctx->peer_count : 1;
}

mrank_status mrank_context_device(mrank_context *ctx, size_t index, mrank_context **device) {
  mrank_clear_error();
  mrank_status status = mrank_check_context("mrank_context_device", ctx);
  if (status != MRANK_SUCCESS) return status;
  if (device == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_context_device: device is NULL; pass the address of an mrank_context "
                      "pointer");
  }
  const size_t count = mrank_context_device_count(ctx);
  if (index >= count) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_context_device: index %zu, but the context has %zu device%s (ask "
                      "mrank_context_device_count)",
                      index, count, count > 1 ? "s" : "");
  }
  *device = ctx->peer_count > 0 ? ctx->peers[index] : ctx;
  return MRANK_SUCCESS;
}

mrank_status mrank_context_create(const char *selector, mrank_context **out) {
  return mrank_context_create_ex(selector, NULL, out);
}

mrank_status mrank_context_create_ex(const char *selector, const mrank_context_options *options,
                                     mrank_context **out) {
  mrank_status status = MRANK_SUCCESS;
  mrank_context *ctx = NULL;
  mrank_clear_error();
  MRANK_CHECK(out != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_context_create: out is NULL; pass the address of an mrank_context pointer");
  const char *binary_dir = NULL, *variant = NULL;
  MRANK_TRY(read_options("mrank_context_create_ex", options, &binary_dir, &variant));
  const char *assumed = getenv("MRANK_ASSUME_DEVICE_TYPE");
  MRANK_CHECK(assumed == NULL || assumed[0] == '\0' || strcmp(assumed, "gpu") == 0 ||
                  strcmp(assumed, "cpu") == 0 || strcmp(assumed, "accelerator") == 0,
              MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_context_create: MRANK_ASSUME_DEVICE_TYPE is \"%s\"; it is gpu, cpu or "
              "accelerator (or unset: the device's own type)",
              assumed);
  const char *from_env = getenv("MRANK_DEVICE");
  const int from_environment = (selector == NULL || selector[0] == '\0') && from_env != NULL;
  if (mrank_selector_is_set(from_environment ? from_env : selector)) {
    return create_group(from_environment ? from_env : selector,
                        from_environment ? " (from MRANK_DEVICE)" : "", binary_dir, variant, out);
  }
  mrank_device_choice choice;
  MRANK_TRY(mrank_select_device(selector, &choice));
  ctx = calloc(1, sizeof *ctx);
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_OUT_OF_MEMORY,
              "mrank_context_create: out of host memory for the context");
  ctx->magic = MRANK_CONTEXT_MAGIC;
  if (choice.is_host) {
    ctx->is_host = 1;
    snprintf(ctx->device_name, sizeof ctx->device_name, "host (CPU reference)");
  } else {
    MRANK_TRY(create_opencl(ctx, &choice, binary_dir, variant));
  }
  *out = ctx;
  return MRANK_SUCCESS;
error:
  mrank_context_destroy(ctx);
  return status;
}

const char *mrank_context_variant(const mrank_context *ctx) {
  if (!mrank_context_live(ctx) || ctx->is_host) return "";
  return ctx->variant_text;
}

mrank_status mrank_check_context(const char *function, const mrank_context *ctx) {
  if (ctx == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: ctx is NULL; create one with mrank_context_create", function);
  }
  if (ctx->magic != MRANK_CONTEXT_MAGIC) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: ctx is not a live mrank_context (destroyed already, or not made by "
                      "mrank_context_create); create one with mrank_context_create",
                      function);
  }
  return MRANK_SUCCESS;
}

void mrank_context_destroy(mrank_context *ctx) {
  /* NULL, and a context destroyed already (while its memory is still mapped), are left alone */
  if (!mrank_context_live(ctx) || ctx->group != NULL) return; /* a peer goes with its group */
  for (size_t k = 0; k < ctx->peer_count; ++k) {
    ctx->peers[k]->group = NULL;
    mrank_context_destroy(ctx->peers[k]);
  }
  ctx->magic = 0;
  if (ctx->queue != NULL) clFinish(ctx->queue);
  for (size_t s = 0; s < MRANK_STAGE_COUNT; ++s) {
    if (ctx->staging[s] != NULL) clReleaseMemObject(ctx->staging[s]);
  }
  for (int p = 0; p < 2; ++p) {
    if (ctx->partials[p] != NULL) clReleaseMemObject(ctx->partials[p]);
  }
  for (int k = 0; k < 6; ++k) {
    if (ctx->tensor_temps[k] != NULL) clReleaseMemObject(ctx->tensor_temps[k]);
  }
  mrank_release_programs(ctx);
  if (ctx->queue != NULL) clReleaseCommandQueue(ctx->queue);
  if (ctx->cl_ctx != NULL) clReleaseContext(ctx->cl_ctx);
  free(ctx);
}

/* The caller's objects must fit together: the device in the context, the queue on both, in order.
 */
static mrank_status check_caller_objects(cl_context context, cl_device_id device,
                                         cl_command_queue queue) {
  mrank_status status = MRANK_SUCCESS;
  cl_context queue_context = NULL;
  cl_device_id queue_device = NULL;
  cl_command_queue_properties properties = 0;
  MRANK_CHECK(context != NULL && device != NULL && queue != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_context_create_from_cl: %s is NULL; pass your cl_context, cl_device_id and "
              "cl_command_queue",
              context == NULL  ? "context"
              : device == NULL ? "device"
                               : "queue");
  MRANK_CHECK_CL(
      clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof queue_context, &queue_context, NULL),
      "mrank_context_create_from_cl: clGetCommandQueueInfo(CL_QUEUE_CONTEXT)");
  MRANK_CHECK_CL(
      clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof queue_device, &queue_device, NULL),
      "mrank_context_create_from_cl: clGetCommandQueueInfo(CL_QUEUE_DEVICE)");
  MRANK_CHECK_CL(
      clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof properties, &properties, NULL),
      "mrank_context_create_from_cl: clGetCommandQueueInfo(CL_QUEUE_PROPERTIES)");
  MRANK_CHECK(queue_context == context && queue_device == device, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_context_create_from_cl: the queue belongs to another %s; pass the queue's own "
              "context and device",
              queue_context != context ? "context" : "device");
  MRANK_CHECK(!(properties & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE), MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_context_create_from_cl: the queue is out of order; mrank needs an in-order "
              "queue (its kernels depend on one another)");
error:
  return status;
}

mrank_status mrank_context_create_from_cl(cl_context context, cl_device_id device,
                                          cl_command_queue queue, mrank_context **out) {
  return mrank_context_create_from_cl_ex(context, device, queue, NULL, out);
}

mrank_status mrank_context_create_from_cl_ex(cl_context context, cl_device_id device,
                                             cl_command_queue queue,
                                             const mrank_context_options *options,
                                             mrank_context **out) {
  mrank_status status = MRANK_SUCCESS;
  mrank_context *ctx = NULL;
  mrank_clear_error();
  MRANK_CHECK(out != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_context_create_from_cl: out is NULL; pass the address of an mrank_context "
              "pointer");
  const char *binary_dir = NULL, *variant = NULL;
  MRANK_TRY(read_options("mrank_context_create_from_cl_ex", options, &binary_dir, &variant));
  MRANK_TRY(check_caller_objects(context, device, queue));
  ctx = calloc(1, sizeof *ctx);
  MRANK_CHECK(ctx != NULL, MRANK_ERROR_OUT_OF_MEMORY,
              "mrank_context_create_from_cl: out of host memory for the context");
  ctx->magic = MRANK_CONTEXT_MAGIC;
  MRANK_CHECK_CL(
      clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof ctx->platform, &ctx->platform, NULL),
      "clGetDeviceInfo(CL_DEVICE_PLATFORM)");
  /* references of mrank's own, given back in mrank_context_destroy */
  MRANK_CHECK_CL(clRetainContext(context), "clRetainContext");
  ctx->cl_ctx = context;
  MRANK_CHECK_CL(clRetainCommandQueue(queue), "clRetainCommandQueue");
  ctx->queue = queue;
  ctx->device = device;
  MRANK_TRY(configure_device(ctx, binary_dir, variant));
  *out = ctx;
  return MRANK_SUCCESS;
error:
  mrank_context_destroy(ctx);
  return status;
}

cl_context mrank_context_cl_context(const mrank_context *ctx) {
  return mrank_context_live(ctx) ? ctx->cl_ctx : NULL;
}

cl_command_queue mrank_context_queue(const mrank_context *ctx) {
  return mrank_context_live(ctx) ? ctx->queue : NULL;
}

const char *mrank_context_device_name(const mrank_context *ctx) {
  if (!mrank_context_live(ctx)) return "";
  return ctx->peer_count > 0 ? ctx->group_name : ctx->device_name;
}
