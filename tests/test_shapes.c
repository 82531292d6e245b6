/* test_shapes.c: the kernels' shapes (elements and vector width per work-item, work-group size,
 * the reduction's first pass). Every shape must give the same bits as every other and as the
 * reference, reductions included: the summation tree is the problem's, not the mapping's. Also the
 * shape's text, where a context takes its shape from, and `mrank autotune` as a user runs it. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "context.h"
#include "helpers.h"
#include "random.h"
#include "rank_helpers.h"
#include "shape.h"

static mrank_context *shaped(const char *variant) {
  mrank_context_options options = {.size = sizeof options, .variant = variant};
  mrank_context *ctx = NULL;
  const mrank_status status = mrank_context_create_ex(NULL, &options, &ctx);
  if (status != MRANK_SUCCESS && strstr(mrank_last_error(), "variant") == NULL) {
    cr_skip_test("no OpenCL device: %s", mrank_last_error());
  }
  cr_assert_eq(status, MRANK_SUCCESS, "%s: %s", variant, mrank_last_error());
  cr_assert(!ctx->is_host, "an OpenCL device is needed, not MRANK_DEVICE=host");
  return ctx;
}

enum { sizes = 4 };
static const size_t lengths[sizes] = {7, 63, 4097, 70001}; /* tails of 16, 64 and a 64 x 64 group */

/* forward, backward (dloss 0.5 / per element) and fused, none, mean and sum, every length: the
 * outputs one after another in `out` (float data) */
static size_t run_everything(mrank_context *ctx, const mrank_desc *base, float *out) {
  size_t at = 0;
  for (int l = 0; l < sizes; ++l) {
    const size_t n = lengths[l];
    test_inputs in = make_inputs(n, 17 + (unsigned long long)l, 1);
    for (int r = 0; r < 3; ++r) {
      mrank_desc desc = *base;
      desc.reduction = (mrank_reduction)r;
      const size_t outputs = r == 0 ? n : 1;
      float half = 0.5f;
      cr_assert_eq(mrank_forward_ex(ctx, &desc, n, in.x1, in.x2, in.y, out + at), MRANK_SUCCESS,
                   "%s", mrank_last_error());
      at += outputs;
      cr_assert_eq(mrank_backward_ex(ctx, &desc, n, in.x1, in.x2, in.y, r == 0 ? in.x1 : &half,
                                     out + at, out + at + n),
                   MRANK_SUCCESS, "%s", mrank_last_error());
      at += 2 * n;
      cr_assert_eq(mrank_forward_backward_ex(ctx, &desc, n, in.x1, in.x2, in.y, out + at,
                                             out + at + outputs, out + at + outputs + n),
                   MRANK_SUCCESS, "%s", mrank_last_error());
      at += outputs + 2 * n;
    }
    free_inputs(&in);
  }
  /* one row of 64 is summed by the tree alone, with no later rounding to hide a changed order: 40
   * of them, so that a tree that differs is seen */
  for (unsigned long long seed = 0; seed < 40; ++seed) {
    test_inputs in = make_inputs(64, 1000 + seed, 0);
    mrank_desc desc = *base;
    desc.reduction = MRANK_REDUCTION_SUM;
    cr_assert_eq(mrank_forward_ex(ctx, &desc, 64, in.x1, in.x2, in.y, out + at), MRANK_SUCCESS,
                 "%s", mrank_last_error());
    at += 1;
    desc.reduction = MRANK_REDUCTION_MEAN;
    cr_assert_eq(mrank_forward_backward_ex(ctx, &desc, 64, in.x1, in.x2, in.y, out + at,
                                           out + at + 1, out + at + 65),
                 MRANK_SUCCESS, "%s", mrank_last_error());
    at += 129;
    free_inputs(&in);
  }
  return at;
}

Test(shapes, every_candidate_gives_the_same_bits_as_the_reference_and_each_other, .timeout = 300) {
  const mrank_desc f32 = {MRANK_DTYPE_F32, MRANK_DTYPE_F32, MRANK_REDUCTION_NONE, 1.0};
  size_t total = 40 * 130;
  for (int l = 0; l < sizes; ++l)
    total += 3 * (lengths[l] * 7 + 3);
  float *want = test_alloc(total), *got = test_alloc(total);
  /* the reference's bits for the elementwise outputs, the device's default shape for all */
  mrank_context *reference = NULL;
  cr_assert_eq(mrank_context_create("host", &reference), MRANK_SUCCESS);
  float *ref = test_alloc(total);
  const size_t used = run_everything(reference, &f32, ref);
  mrank_context_destroy(reference);
  mrank_context *ctx = shaped("epw=16,vw=16,wg=256,sum=direct");
  cr_assert_eq(run_everything(ctx, &f32, want), used);
  mrank_context_destroy(ctx);
  /* elementwise outputs against the reference: every output of reduction none, and the gradients
   * of mean and sum (only the reduced losses come from a tree, checked against the other shapes) */
  size_t at = 0;
  for (int l = 0; l < sizes; ++l) {
    const size_t n = lengths[l];
    for (int r = 0; r < 3; ++r) {
      const size_t outputs = r == 0 ? n : 1;
      if (r == 0) assert_same_bits(want + at, ref + at, n, "forward none", n);
      at += outputs;
      assert_same_bits(want + at, ref + at, 2 * n, "backward", 2 * n);
      at += 2 * n;
      if (r == 0) assert_same_bits(want + at, ref + at, n, "fused loss", n);
      at += outputs;
      assert_same_bits(want + at, ref + at, 2 * n, "fused gradients", 2 * n);
      at += 2 * n;
    }
  }
  size_t count = 0;
  const mrank_shape *candidates = mrank_shape_candidates(&count);
  for (size_t c = 0; c < count + 2; ++c) {
    char text[96];
    if (c < count) {
      mrank_shape_format(&candidates[c], text, sizeof text);
    } else { /* two shapes autotune does not try: a small group, and the local pass with vw 4 */
      snprintf(text, sizeof text, "%s",
               c == count ? "epw=4,vw=4,wg=32,sum=direct" : "epw=16,vw=4,wg=128,sum=local");
    }
    ctx = shaped(text);
    memset(got, 0, total * sizeof *got);
    cr_assert_eq(run_everything(ctx, &f32, got), used);
    mrank_context_destroy(ctx);
    assert_same_bits(got, want, used, text, used);
  }
  free(want);
  free(got);
  free(ref);
}

/* Element i of a half, bfloat16 or double array: random bits of a value between about 2^-5 and
 * 2^5 in magnitude (both signs, every mantissa), so that sums stay finite. */
static void random_value(mrank_dtype type, void *array, size_t i, mrank_random *random) {
  const uint64_t bits = mrank_random_next(random);
  if (type == MRANK_DTYPE_F16) { /* exponent field 10 .. 20 of bias 15 */
    ((uint16_t *)array)[i] =
        (uint16_t)(((bits >> 63) << 15) | ((10 + (bits >> 20) % 11) << 10) | (bits & 0x3ffu));
  } else if (type == MRANK_DTYPE_BF16) { /* exponent field 122 .. 132 of bias 127 */
    ((uint16_t *)array)[i] =
        (uint16_t)(((bits >> 63) << 15) | ((122 + (bits >> 20) % 11) << 7) | (bits & 0x7fu));
  } else {
    ((double *)array)[i] = ((double)(bits >> 11) * 0x1p-53 - 0.5) * 64.0;
  }
}

/* The other types' kernels take the shapes too (vector loads of half, bfloat16, double and the
 * integer labels): the coalesced shape against the vectorised one. */
Test(shapes, other_types_give_the_same_bits_in_every_shape, .timeout = 300) {
  const mrank_dtype data[] = {MRANK_DTYPE_F16, MRANK_DTYPE_BF16, MRANK_DTYPE_F64};
  const mrank_dtype labels[] = {MRANK_DTYPE_I8, MRANK_DTYPE_I32, MRANK_DTYPE_F32};
  const char *shapes[] = {"epw=16,vw=16,wg=256,sum=direct", "epw=1,vw=1,wg=256,sum=local",
                          "epw=16,vw=4,wg=64,sum=direct"};
  enum { n = 5000 };
  for (int t = 0; t < 3; ++t) {
    const size_t size = mrank_dtype_size(data[t]);
    unsigned char *x1 = malloc(n * size), *x2 = malloc(n * size), *y = malloc(n * 4);
    unsigned char *outputs[3];
    mrank_random random = {(uint64_t)t + 5};
    for (size_t i = 0; i < n; ++i) {
      random_value(data[t], x1, i, &random);
      random_value(data[t], x2, i, &random);
      const int sign = mrank_random_sign(&random) > 0 ? 1 : -1;
      if (labels[t] == MRANK_DTYPE_I8) ((int8_t *)y)[i] = (int8_t)sign;
      if (labels[t] == MRANK_DTYPE_I32) ((int32_t *)y)[i] = sign;
      if (labels[t] == MRANK_DTYPE_F32) ((float *)y)[i] = (float)sign;
    }
    for (int s = 0; s < 3; ++s) {
      mrank_context *ctx = shaped(shapes[s]);
      if (data[t] == MRANK_DTYPE_F64 && !ctx->has_fp64) {
        mrank_context_destroy(ctx);
        cr_skip_test("no fp64 on this device");
      }
      outputs[s] = calloc(3 * n + 2, size);
      for (int r = 0; r < 2; ++r) {
        const mrank_desc desc = {data[t], labels[t],
                                 r ? MRANK_REDUCTION_MEAN : MRANK_REDUCTION_NONE, 0.5};
        unsigned char *out = outputs[s] + (r ? (n + 1) * size : 0);
        cr_assert_eq(mrank_forward_backward_ex(
                         ctx, &desc, n, x1, x2, y, r ? out + 2 * n * size : out,
                         r ? out : out + n * size, r ? out + n * size : out + 2 * n * size),
                     MRANK_SUCCESS, "%s", mrank_last_error());
      }
      mrank_context_destroy(ctx);
    }
    for (int s = 1; s < 3; ++s) {
      cr_assert_eq(memcmp(outputs[s], outputs[0], (3 * n + 2) * size), 0, "%s, %s: %s against %s",
                   mrank_dtype_name(data[t]), mrank_dtype_name(labels[t]), shapes[s], shapes[0]);
    }
    for (int s = 0; s < 3; ++s)
      free(outputs[s]);
    free(x1);
    free(x2);
    free(y);
  }
}

Test(shapes, the_text_is_checked_and_names_what_is_wrong) {
  mrank_shape s;
  char why[256];
  cr_assert(mrank_shape_parse("sum=local,wg=64,vw=4,epw=16", &s, why, sizeof why), "%s", why);
  cr_assert(s.epw == 16 && s.vw == 4 && s.wg == 64 && s.sum_local == 1);
  char text[96];
  mrank_shape_format(&s, text, sizeof text);
  cr_assert_str_eq(text, "epw=16,vw=4,wg=64,sum=local");
  const char *bad[][2] = {{"epw=16,vw=16,wg=256", "give all of"},
                          {"epw=8,vw=1,wg=64,sum=direct", "epw is 1, 4 or 16"},
                          {"epw=4,vw=16,wg=64,sum=direct", "vw 16 is more than epw 4"},
                          {"epw=4,vw=4,wg=100,sum=direct", "power of two"},
                          {"epw=4,vw=4,wg=64,sum=tree", "sum is direct or local"},
                          {"epw=4,vw=4,wg=64,sum=direct,speed=2", "unknown key \"speed\""},
                          {"epw=4,epw=4,vw=4,wg=64,sum=direct", "epw is given twice"}};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
    cr_assert(!mrank_shape_parse(bad[k][0], &s, why, sizeof why), "%s", bad[k][0]);
    cr_assert_not_null(strstr(why, bad[k][1]), "%s: %s", bad[k][0], why);
  }
}

Test(shapes, where_a_context_takes_its_shape_from) {
  char dir[] = "/tmp/mrank-shapes-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  setenv("MRANK_CACHE_DIR", dir, 1);
  unsetenv("MRANK_VARIANT");
  mrank_context *ctx = shaped(NULL);
  cr_assert_not_null(strstr(mrank_context_variant(ctx), "the default for this device type"), "%s",
                     mrank_context_variant(ctx));
  /* a stored choice is taken; MRANK_VARIANT and the option win over it */
  const mrank_shape stored = {4, 4, 64, 0};
  char why[512], path[4200];
  cr_assert(mrank_shape_save(ctx->device, &stored, why, sizeof why), "%s", why);
  mrank_shape_store_path(ctx->device, path, sizeof path);
  mrank_context_destroy(ctx);
  ctx = shaped(NULL);
  cr_assert_str_eq(mrank_context_variant(ctx),
                   "epw=4,vw=4,wg=64,sum=direct (stored by mrank autotune)");
  mrank_context_destroy(ctx);
  setenv("MRANK_VARIANT", "epw=1,vw=1,wg=32,sum=direct", 1);
  ctx = shaped(NULL);
  cr_assert_str_eq(mrank_context_variant(ctx), "epw=1,vw=1,wg=32,sum=direct (MRANK_VARIANT)");
  mrank_context_destroy(ctx);
  ctx = shaped("epw=16,vw=1,wg=64,sum=direct");
  cr_assert_str_eq(mrank_context_variant(ctx), "epw=16,vw=1,wg=64,sum=direct (asked for)");
  mrank_context_destroy(ctx);
  /* a bad text is an error that names where it came from */
  setenv("MRANK_VARIANT", "epw=3", 1);
  ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "MRANK_VARIANT \"epw=3\": epw is 1, 4 or 16"), "%s",
                     mrank_last_error());
  unsetenv("MRANK_VARIANT");
  mrank_context_options options = {.size = sizeof options, .variant = "wg=3"};
  cr_assert_eq(mrank_context_create_ex(NULL, &options, &ctx), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "mrank_context_options.variant"), "%s",
                     mrank_last_error());
  unlink(path);
  rmdir(dir);
}

Test(shapes, autotune_measures_stores_and_devices_and_bench_show_it, .timeout = 300) {
  char dir[] = "/tmp/mrank-autotune-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char prefix[128], *out = NULL;
  snprintf(prefix, sizeof prefix, "MRANK_CACHE_DIR=%s", dir);
  cr_assert_eq(run_cli(prefix, "autotune --n 4096 --budget 0.2 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "roofline (GB/s)"), "%s", out);
  cr_assert_not_null(strstr(out, "epw=1,vw=1,wg=256,sum=local"), "every candidate: %s", out);
  cr_assert_not_null(strstr(out, "(today's)"), "%s", out);
  const char *chosen = strstr(out, "every operation: ");
  cr_assert_not_null(chosen, "%s", out);
  char shape[96] = "";
  cr_assert_eq(sscanf(chosen + strlen("every operation: "), "%95s", shape), 1);
  cr_assert_not_null(strstr(out, "stored in "), "%s", out);
  free(out);
  char expected[160];
  snprintf(expected, sizeof expected, "kernel shape: %s (stored by mrank autotune)", shape);
  cr_assert_eq(run_cli(prefix, "devices --verbose 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, expected), "%s in %s", expected, out);
  free(out);
  cr_assert_eq(
      run_cli(prefix, "bench --n 2^12 --budget 0.05 --op forward --reduction none 2>&1", &out), 0,
      "%s", out);
  cr_assert_not_null(strstr(out, expected), "%s in %s", expected, out);
  free(out);
  expect_cli("autotune --n 10", 2, "--n is from 64");
  expect_cli("autotune --budget -1", 2, "--budget is a number of seconds above 0");
  snprintf(prefix, sizeof prefix, "rm -rf %s", dir);
  cr_assert_eq(system(prefix), 0);
}

/* A context on the caller's own OpenCL objects takes the same options (as autotune uses it: one
 * set of arrays, a context per shape). */
Test(shapes, a_context_on_the_callers_objects_takes_options_too) {
  mrank_context *base = shaped(NULL);
  cl_device_id device = NULL;
  clGetCommandQueueInfo(mrank_context_queue(base), CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  mrank_context_options options = {.size = sizeof options, .variant = "epw=4,vw=1,wg=64,sum=local"};
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create_from_cl_ex(mrank_context_cl_context(base), device,
                                               mrank_context_queue(base), &options, &ctx),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_str_eq(mrank_context_variant(ctx), "epw=4,vw=1,wg=64,sum=local (asked for)");
  float x1[100], x2[100], y[100], got = 0, want = 0;
  for (int i = 0; i < 100; ++i) {
    x1[i] = (float)i / 7.0f;
    x2[i] = (float)(100 - i) / 9.0f;
    y[i] = i % 3 ? 1.0f : -1.0f;
  }
  cr_assert_eq(mrank_forward(ctx, 100, x1, x2, y, 1.0f, MRANK_REDUCTION_SUM, &got), MRANK_SUCCESS,
               "%s", mrank_last_error());
  cr_assert_eq(mrank_forward(base, 100, x1, x2, y, 1.0f, MRANK_REDUCTION_SUM, &want), MRANK_SUCCESS,
               "%s", mrank_last_error());
  cr_assert_eq(memcmp(&got, &want, sizeof got), 0, "the same bits in both shapes");
  mrank_context_destroy(ctx);
  options.size = 3;
  cr_assert_eq(mrank_context_create_from_cl_ex(mrank_context_cl_context(base), device,
                                               mrank_context_queue(base), &options, &ctx),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "mrank_context_create_from_cl_ex: options->size"),
                     "%s", mrank_last_error());
  mrank_context_destroy(base);
}

Test(shapes, an_assumed_device_type_makes_that_types_choices) {
  char dir[] = "/tmp/mrank-shapes-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  setenv("MRANK_CACHE_DIR", dir, 1); /* no stored choice */
  unsetenv("MRANK_VARIANT");
  /* PoCL is a CPU: its default is the CPU's; assumed a GPU, the GPU's (the local pass) */
  setenv("MRANK_ASSUME_DEVICE_TYPE", "gpu", 1);
  mrank_context *ctx = shaped(NULL);
  cr_assert_str_eq(mrank_context_variant(ctx),
                   "epw=1,vw=1,wg=256,sum=local (the default for this device type)");
  mrank_context_destroy(ctx);
  setenv("MRANK_ASSUME_DEVICE_TYPE", "cpu", 1);
  ctx = shaped(NULL);
  cr_assert_str_eq(mrank_context_variant(ctx),
                   "epw=16,vw=16,wg=256,sum=direct (the default for this device type)");
  mrank_context_destroy(ctx);
  setenv("MRANK_ASSUME_DEVICE_TYPE", "tpu", 1);
  ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "MRANK_ASSUME_DEVICE_TYPE is \"tpu\""), "%s",
                     mrank_last_error());
  unsetenv("MRANK_ASSUME_DEVICE_TYPE");
  char command[128];
  snprintf(command, sizeof command, "rm -rf %s", dir);
  cr_assert_eq(system(command), 0);
}
