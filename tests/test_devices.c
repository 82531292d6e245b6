/* test_devices.c: the device listing (library and `mrank devices`): every device described, JSON
 * that parses even for odd names, --check, and the message when no OpenCL platform exists. */
#include "cli_run.h"
#include "helpers.h"
#include "json_check.h"

Test(devices, the_listing_describes_every_device) {
  size_t count = 0;
  cr_assert_eq(mrank_device_count(&count), MRANK_SUCCESS);
  if (count == 0) cr_skip_test("no OpenCL device on this machine");
  int defaults = 0;
  for (size_t i = 0; i < count; ++i) {
    mrank_device_info info;
    cr_assert_eq(mrank_device_describe(i, &info), MRANK_SUCCESS, "%s", mrank_last_error());
    char selector[32];
    snprintf(selector, sizeof selector, "%u:%u", info.platform_index, info.device_index);
    cr_assert_str_eq(info.selector, selector);
    cr_assert(info.name[0] != '\0' && info.compute_units > 0 && info.max_allocation_bytes > 0);
    cr_assert(strncmp(info.opencl_c_version, "OpenCL C ", 9) == 0, "%s", info.opencl_c_version);
    defaults += info.is_default;
    /* the listed selector picks the listed device */
    mrank_context *ctx = NULL;
    cr_assert_eq(mrank_context_create(info.selector, &ctx), MRANK_SUCCESS, "%s",
                 mrank_last_error());
    cr_assert_str_eq(mrank_context_device_name(ctx), info.name);
    mrank_context_destroy(ctx);
  }
  cr_assert_eq(defaults, 1, "exactly one device is the default");
  mrank_device_info info;
  cr_assert_eq(mrank_device_describe(count, &info), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_device_describe(0, NULL), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_device_count(NULL), MRANK_ERROR_INVALID_ARGUMENT);
}

Test(devices, json_output_parses) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "devices --json --verbose", &out), 0);
  cr_assert(json_is_valid(out), "not JSON:\n%s", out);
  cr_assert_not_null(strstr(out, "\"selector\": \"0:0\""), "%s", out);
  cr_assert_not_null(strstr(out, "\"default\": true"), "%s", out);
  free(out);
}

Test(devices, json_checker_rejects_broken_documents) {
  /* the checker above must be able to fail, or the test before proves nothing */
  cr_assert(!json_is_valid("[{\"a\": 1,}]"));
  cr_assert(!json_is_valid("{\"name\": \"tab\there\"}"));
  cr_assert(!json_is_valid("[1] 2"));
  cr_assert(json_is_valid("[{\"a\": -1.5e3, \"b\": [true, false, null], \"c\": \"\\u00e9\"}]"));
}

Test(devices, mrank_device_marks_its_choice) {
  char *out = NULL;
  cr_assert_eq(run_cli("POCL_DEVICES='pthread basic' MRANK_DEVICE=basic", "devices --json", &out),
               0);
  cr_assert(json_is_valid(out), "not JSON:\n%s", out);
  if (strstr(out, "basic") == NULL) {
    free(out);
    cr_skip_test("needs PoCL");
  }
  cr_assert_not_null(strstr(out, "\"mrank_device\": true"), "%s", out);
  free(out);
}

Test(devices, check_runs_each_device) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "devices --check", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "OK"), "%s", out);
  cr_assert_not_null(strstr(out, " 0 failed"), "%s", out);
  free(out);
}

Test(devices, check_reports_a_broken_kernel_and_fails) {
  char dir[] = "/tmp/mrank-broken-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[512], prefix[600];
  snprintf(path, sizeof path, "%s/margin_ranking.cl", dir);
  FILE *file = fopen(path, "w");
  cr_assert_not_null(file);
  fputs("__kernel void broken(void) { this is not C; }\n", file);
  fclose(file);
  snprintf(prefix, sizeof prefix, "MRANK_KERNEL_DIR='%s'", dir);
  char *out = NULL;
  cr_assert_eq(run_cli(prefix, "devices --check 2>/dev/null", &out), 1, "%s", out);
  cr_assert_not_null(strstr(out, "FAIL"), "%s", out);
  cr_assert_not_null(strstr(out, "build log"), "the first lines of the log are shown: %s", out);
  free(out);
  remove(path);
  remove(dir);
}

Test(devices, no_platform_says_how_to_get_one) {
  char dir[] = "/tmp/mrank-no-icd-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char prefix[256];
  snprintf(prefix, sizeof prefix, "OCL_ICD_VENDORS='%s'", dir);
  char *out = NULL;
  cr_assert_eq(run_cli(prefix, "devices 2>&1", &out), 1, "%s", out);
  cr_assert_not_null(strstr(out, "pocl-opencl-icd"), "%s", out);
  free(out);
  /* the library says the same to C callers, and the host reference still works */
  setenv("OCL_ICD_VENDORS", dir, 1);
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create("gpu", &ctx), MRANK_ERROR_DEVICE_NOT_FOUND);
  cr_assert_not_null(strstr(mrank_last_error(), "pocl-opencl-icd"), "%s", mrank_last_error());
  cr_assert_eq(mrank_context_create("host", &ctx), MRANK_SUCCESS);
  mrank_context_destroy(ctx);
  remove(dir);
}

/* With no platform, --json still prints a JSON document ([]), not nothing. */
Test(devices, json_without_a_platform_is_an_empty_array) {
  char dir[] = "/tmp/mrank-no-icd-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char prefix[256];
  snprintf(prefix, sizeof prefix, "OCL_ICD_VENDORS='%s'", dir);
  char *out = NULL;
  cr_assert_eq(run_cli(prefix, "devices --json 2>/dev/null", &out), 1, "%s", out);
  cr_assert_str_eq(out, "[]\n");
  free(out);
  remove(dir);
}

/* PoCL cannot list its device when it cannot create its cache folder (an unwritable HOME): that is
 * said, with the fix, instead of "install an OpenCL driver". */
Test(devices, pocl_without_a_cache_folder_is_named) {
  char *out = NULL;
  run_cli("", "devices 2>&1", &out);
  const int pocl = strstr(out, "Portable Computing Language") != NULL;
  free(out);
  if (!pocl) cr_skip_test("the default OpenCL platform here is not PoCL");
  const char *prefix = "env -u POCL_CACHE_DIR -u XDG_CACHE_HOME HOME=/proc/mrank-no-home";
  cr_assert_eq(run_cli(prefix, "devices 2>&1", &out), 1, "%s", out);
  cr_assert_not_null(strstr(out, "cannot create its kernel cache in /proc/mrank-no-home"), "%s",
                     out);
  cr_assert_not_null(strstr(out, "POCL_CACHE_DIR"), "%s", out);
  free(out);
  /* the README's own example: "pocl" names the platform by its vendor ("The pocl project") */
  cr_assert_eq(run_cli("", "demo --device pocl --n 100 --no-train", &out), 0, "%s", out);
  free(out);
}

/* The float, double and half configurations are shown, and whether float keeps subnormals (what
 * decides the policy of mrank validate). */
Test(devices, the_floating_point_configurations_are_shown) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "devices --json", &out), 0, "%s", out);
  cr_assert(json_is_valid(out), "%s", out);
  const char *keys[] = {"\"single_fp_config\": \"", "\"double_fp_config\"", "\"half_fp_config\"",
                        "\"denormals\": "};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; ++k)
    cr_assert_not_null(strstr(out, keys[k]), "no %s: %s", keys[k], out);
  free(out);
  cr_assert_eq(run_cli("", "devices --verbose", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "subnormals"), "%s", out);
  free(out);
}
