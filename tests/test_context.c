/* test_context.c: device selection (every selector form, MRANK_DEVICE, errors), the host context,
 * and kernel sources from MRANK_KERNEL_DIR. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include "helpers.h"

/* Runs before each test: the caller's environment must not choose the device for us. */
static void clean_environment(void) {
  unsetenv("MRANK_DEVICE");
  unsetenv("MRANK_KERNEL_DIR");
  unsetenv("MRANK_MAX_ALLOC");
}

static int has_device_type(cl_device_type type) {
  cl_platform_id platforms[16];
  cl_uint count = 0;
  if (clGetPlatformIDs(16, platforms, &count) != CL_SUCCESS) return 0;
  for (cl_uint p = 0; p < count && p < 16; ++p) {
    cl_uint devices = 0;
    if (clGetDeviceIDs(platforms[p], type, 0, NULL, &devices) == CL_SUCCESS && devices > 0)
      return 1;
  }
  return 0;
}

static void expect_selector_works(const char *selector) {
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(selector, &ctx), MRANK_SUCCESS, "selector \"%s\": %s",
               selector ? selector : "(null)", mrank_last_error());
  cr_assert_str_eq(mrank_last_error(), "");
  float loss = 0.0f;
  const float x1 = 2.0f, x2 = 0.5f, y = -1.0f;
  cr_assert_eq(mrank_forward(ctx, 1, &x1, &x2, &y, 1.0f, MRANK_REDUCTION_SUM, &loss), MRANK_SUCCESS,
               "%s", mrank_last_error());
  cr_assert_eq(loss, 2.5f); /* -(-1)(1.5) + 1 */
  mrank_context_destroy(ctx);
}

static const char *strcasestr_portable(const char *haystack, const char *needle) {
  for (; *haystack; ++haystack) {
    if (strncasecmp(haystack, needle, strlen(needle)) == 0) return haystack;
  }
  return NULL;
}

TestSuite(context, .init = clean_environment);

Test(context, default_and_type_selectors) {
  expect_selector_works(NULL);
  expect_selector_works("");
  expect_selector_works("host");
  expect_selector_works("HoSt");
  if (has_device_type(CL_DEVICE_TYPE_CPU)) {
    expect_selector_works("cpu");
    expect_selector_works("CPU");
  }
  if (has_device_type(CL_DEVICE_TYPE_GPU)) expect_selector_works("gpu");
  expect_selector_works("0:0");
}

Test(context, host_context_runs_the_reference) {
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create("host", &ctx), MRANK_SUCCESS);
  cr_assert_str_eq(mrank_context_device_name(ctx), "host (CPU reference)");
  cr_assert_eq(mrank_reduction_error_bound(ctx, 1000), FLT_EPSILON);
  test_inputs in = make_inputs(1000, 3, 1);
  float got[1000], want[1000];
  cr_assert_eq(mrank_forward(ctx, 1000, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, got),
               MRANK_SUCCESS);
  mrank_reference_forward(1000, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, want);
  assert_same_bits(got, want, 1000, "host forward", 1000);
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(context, device_name_substring_selects_case_insensitively) {
  if (!has_device_type(CL_DEVICE_TYPE_ALL)) cr_skip_test("no OpenCL device on this machine");
  cl_platform_id platform;
  cl_device_id device;
  char name[256];
  cr_assert_eq(clGetPlatformIDs(1, &platform, NULL), CL_SUCCESS);
  cr_assert_eq(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL), CL_SUCCESS);
  cr_assert_eq(clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL), CL_SUCCESS);
  /* the device's full name, upper-cased, picks it unless another device shares that name */
  for (char *c = name; *c; ++c)
    *c = (char)toupper((unsigned char)*c);
  mrank_context *ctx = NULL;
  mrank_status status = mrank_context_create(name, &ctx);
  if (status == MRANK_ERROR_INVALID_ARGUMENT) {
    cr_assert_not_null(strstr(mrank_last_error(), "ambiguous"), "%s", mrank_last_error());
    return;
  }
  cr_assert_eq(status, MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(strcasecmp(mrank_context_device_name(ctx), name), 0);
  mrank_context_destroy(ctx);
}

Test(context, mrank_device_is_honoured_and_explicit_selectors_win) {
  setenv("MRANK_DEVICE", "host", 1);
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS);
  cr_assert_str_eq(mrank_context_device_name(ctx), "host (CPU reference)");
  mrank_context_destroy(ctx);
  cr_assert_eq(mrank_context_create("", &ctx), MRANK_SUCCESS);
  cr_assert_str_eq(mrank_context_device_name(ctx), "host (CPU reference)");
  mrank_context_destroy(ctx);
  if (has_device_type(CL_DEVICE_TYPE_ALL)) {
    cr_assert_eq(mrank_context_create("0:0", &ctx), MRANK_SUCCESS);
    cr_assert_str_neq(mrank_context_device_name(ctx), "host (CPU reference)");
    mrank_context_destroy(ctx);
  }
  setenv("MRANK_DEVICE", "no-such-device-xyz", 1);
  ctx = (mrank_context *)0x1;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_ERROR_DEVICE_NOT_FOUND);
  cr_assert_eq(ctx, (mrank_context *)0x1, "out must not be written on failure");
  cr_assert_not_null(strstr(mrank_last_error(), "MRANK_DEVICE"), "%s", mrank_last_error());
}

Test(context, unknown_selectors_say_what_exists) {
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create("no-such-device-xyz", &ctx), MRANK_ERROR_DEVICE_NOT_FOUND);
  cr_assert_null(ctx);
  if (has_device_type(CL_DEVICE_TYPE_ALL)) {
    cr_assert_not_null(strstr(mrank_last_error(), "0:0"), "the message lists the devices: %s",
                       mrank_last_error());
  } else {
    cr_assert_not_null(strstr(mrank_last_error(), "pocl-opencl-icd"), "%s", mrank_last_error());
  }
  cr_assert_eq(mrank_context_create("99:0", &ctx), MRANK_ERROR_DEVICE_NOT_FOUND);
  if (!has_device_type(CL_DEVICE_TYPE_ACCELERATOR)) {
    cr_assert_eq(mrank_context_create("accelerator", &ctx), MRANK_ERROR_DEVICE_NOT_FOUND);
    cr_assert_not_null(strstr(mrank_last_error(), "accelerator"), "%s", mrank_last_error());
  }
  cr_assert_eq(mrank_context_create("host", NULL), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "out"), "%s", mrank_last_error());
}

Test(context, ambiguous_name_lists_the_candidates) {
  /* Two PoCL devices in one platform; the variable must be set before the ICD loader starts PoCL,
   * which happens in this test's own process. */
  setenv("POCL_DEVICES", "pthread basic", 1);
  cl_platform_id platform;
  char name[256] = "";
  if (clGetPlatformIDs(1, &platform, NULL) != CL_SUCCESS ||
      clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof name, name, NULL) != CL_SUCCESS ||
      strstr(name, "Portable Computing Language") == NULL) {
    cr_skip_test("needs PoCL as the first platform");
  }
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create("portable computing", &ctx), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "ambiguous"), "%s", mrank_last_error());
  cr_assert_not_null(strstr(mrank_last_error(), "0:0"), "%s", mrank_last_error());
  cr_assert_not_null(strstr(mrank_last_error(), "0:1"), "%s", mrank_last_error());
  /* PoCL names its devices after their driver: a substring unique to one picks it */
  const char *drivers[] = {"basic", "PTHREAD"};
  for (int d = 0; d < 2; ++d) {
    cr_assert_eq(mrank_context_create(drivers[d], &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert_not_null(strcasestr_portable(mrank_context_device_name(ctx), drivers[d]), "%s",
                       mrank_context_device_name(ctx));
    mrank_context_destroy(ctx);
  }
}

static void write_file(const char *path, const char *text) {
  FILE *file = fopen(path, "w");
  cr_assert_not_null(file, "cannot write %s", path);
  fputs(text, file);
  fclose(file);
}

Test(context, kernel_dir_with_a_broken_kernel_reports_the_build_log) {
  if (!has_device_type(CL_DEVICE_TYPE_ALL)) cr_skip_test("no OpenCL device on this machine");
  char dir[] = "/tmp/mrank-kernels-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[512];
  snprintf(path, sizeof path, "%s/margin_ranking.cl", dir);
  write_file(path, "__kernel void mrank_forward_none(__global float *x) { x[0] = undeclared; }\n");
  setenv("MRANK_KERNEL_DIR", dir, 1);
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS);
  const float x = 1.0f;
  float loss = 9.0f;
  cr_assert_eq(mrank_forward(ctx, 1, &x, &x, &x, 1.0f, MRANK_REDUCTION_NONE, &loss),
               MRANK_ERROR_BUILD_FAILED);
  cr_assert_eq(loss, 9.0f, "no output on a failed build");
  cr_assert_not_null(strstr(mrank_last_error(), "build log"), "%s", mrank_last_error());
  cr_assert_not_null(strstr(mrank_last_error(), "undeclared"), "the log names the culprit: %s",
                     mrank_last_error());
  mrank_context_destroy(ctx);
  unlink(path);
  /* a folder without the file is an I/O error naming the path */
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS);
  cr_assert_eq(mrank_forward(ctx, 1, &x, &x, &x, 1.0f, MRANK_REDUCTION_NONE, &loss),
               MRANK_ERROR_IO);
  cr_assert_not_null(strstr(mrank_last_error(), path), "%s", mrank_last_error());
  mrank_context_destroy(ctx);
  rmdir(dir);
}

Test(context, kernel_dir_pointing_at_the_sources_works) {
  if (!has_device_type(CL_DEVICE_TYPE_ALL)) cr_skip_test("no OpenCL device on this machine");
  setenv("MRANK_KERNEL_DIR", MRANK_SOURCE_DIR "/kernels", 1);
  expect_selector_works(NULL);
}

Test(context, bad_max_alloc_is_rejected) {
  setenv("MRANK_MAX_ALLOC", "lots", 1);
  mrank_context *ctx = NULL;
  if (!has_device_type(CL_DEVICE_TYPE_ALL)) cr_skip_test("no OpenCL device on this machine");
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "MRANK_MAX_ALLOC"), "%s", mrank_last_error());
}
