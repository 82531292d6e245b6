/* test_validate.c: the mirror itself: problems pass on the device, an injected fault fails and is
 * named, the CLI's lines, JSON and exit codes. */
#include "cli_run.h"
#include "helpers.h"
#include "json_check.h"

static mrank_context *device_context(void) {
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  return ctx;
}

Test(validate, every_op_and_reduction_passes_on_the_device) {
  mrank_context *ctx = device_context();
  const size_t sizes[] = {63, 4097, 100003};
  for (int op = 0; op < 3; ++op) {
    for (int r = 0; r < 3; ++r) {
      for (int s = 0; s < 3; ++s) {
        mrank_problem problem = {(mrank_op)op,    (mrank_reduction)r, sizes[s], 1.0f, 5, 0,
                                 MRANK_DTYPE_F32, MRANK_DTYPE_F32};
        mrank_validation report;
        cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS, "%s",
                     mrank_last_error());
        cr_assert_eq(report.verdict, MRANK_VERDICT_PASSED, "op %d reduction %d n %zu: %s", op, r,
                     sizes[s], mrank_verdict_string(report.verdict));
        if (op != MRANK_OP_FORWARD) {
          cr_assert_gt(report.gradient_points, sizes[s] / 4 > 4096 ? 2048 : sizes[s] / 4,
                       "the gradient check saw enough points");
        }
      }
    }
  }
  mrank_context_destroy(ctx);
}

Test(validate, an_injected_fault_fails_and_is_named) {
  mrank_context *ctx = device_context();
  for (int op = 0; op < 3; ++op) {
    for (int r = 0; r < 3; ++r) {
      mrank_problem problem = {(mrank_op)op,    (mrank_reduction)r, 4097, 1.0f, 9, 1,
                               MRANK_DTYPE_F32, MRANK_DTYPE_F32};
      mrank_validation report;
      cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS);
      cr_assert_eq(report.verdict, MRANK_VERDICT_FAILED, "op %d reduction %d passed a fault", op,
                   r);
      const mrank_output_check *c = &report.outputs[op == MRANK_OP_BACKWARD ? 1 : 0];
      cr_assert_eq(c->mismatches, 1, "exactly the perturbed element differs (%zu)", c->mismatches);
      cr_assert_eq(c->worst_index, report.fault_index, "named %zu, perturbed %zu", c->worst_index,
                   report.fault_index);
    }
  }
  mrank_context_destroy(ctx);
}

Test(validate, a_mostly_zero_output_is_mistrusted) {
  mrank_context *ctx = device_context();
  /* margin -1e6: every dist is negative, the loss and gradients are all zero */
  mrank_problem problem = {MRANK_OP_FUSED,  MRANK_REDUCTION_NONE, 1000, -1e6f, 1, 0,
                           MRANK_DTYPE_F32, MRANK_DTYPE_F32};
  mrank_validation report;
  cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS);
  cr_assert_eq(report.verdict, MRANK_VERDICT_MISTRUSTED);
  mrank_context_destroy(ctx);
}

Test(validate, bad_arguments) {
  mrank_context *ctx = device_context();
  mrank_problem problem = {(mrank_op)7,     MRANK_REDUCTION_NONE, 10, 1.0f, 1, 0,
                           MRANK_DTYPE_F32, MRANK_DTYPE_F32};
  mrank_validation report;
  cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_validate(ctx, NULL, &report), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_validate(NULL, &problem, &report), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_str_eq(mrank_verdict_string(MRANK_VERDICT_MISTRUSTED), "MISTRUSTED");
  mrank_context_destroy(ctx);
}

Test(validate, cli_passes_and_summarises) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "validate --n 100,4097 --margin 1,0.5", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "validate: 36 passed, 0 failed"), "%s", out);
  cr_assert_not_null(strstr(out, "__REPRO: mrank validate --device "), "%s", out);
  free(out);
}

Test(validate, cli_fault_injection_fails_with_the_element) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "validate --n 1000 --op backward --reduction none --inject-fault", &out),
               1, "%s", out);
  cr_assert_not_null(strstr(out, "FAIL"), "%s", out);
  cr_assert_not_null(strstr(out, "dx1 worst at [500]"), "%s", out);
  cr_assert_not_null(strstr(out, "validate: 0 passed, 2 failed"), "%s", out);
  free(out);
}

Test(validate, cli_json_parses) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "validate --n 65 --json", &out), 0, "%s", out);
  cr_assert(json_is_valid(out), "not JSON:\n%s", out);
  cr_assert_not_null(strstr(out, "\"passed\": 18"), "%s", out);
  free(out);
}

Test(validate, cli_usage_errors_exit_2) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "validate --op sideways 2>&1", &out), 2);
  cr_assert_not_null(strstr(out, "forward, backward, fused"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "validate --dtype f13 2>&1", &out), 2);
  free(out);
  cr_assert_eq(run_cli("", "validate --n lots 2>&1", &out), 2);
  free(out);
  cr_assert_eq(run_cli("", "validate --device no-such-device-xyz 2>&1", &out), 2);
  cr_assert_not_null(strstr(out, "matches no device"), "%s", out);
  free(out);
}

/* Half's normal range ends at 2^-14: the MEAN gradient 1/n of n = 1048579 is a subnormal half, off
 * by up to 30% of itself while correctly rounded. The device was right and the check must say so;
 * every other type at large n too. */
Test(validate, large_n_passes_for_every_type_and_subnormal_half_gradients_are_right) {
  mrank_context *ctx = device_context();
  const mrank_dtype types[] = {MRANK_DTYPE_F32, MRANK_DTYPE_F16, MRANK_DTYPE_BF16, MRANK_DTYPE_F64};
  size_t count = 0;
  mrank_device_info info;
  int fp64 = 0;
  for (size_t i = 0; mrank_device_count(&count) == MRANK_SUCCESS && i < count; ++i) {
    if (mrank_device_describe(i, &info) == MRANK_SUCCESS && info.is_default) fp64 = info.fp64;
  }
  for (int t = 0; t < 4; ++t) {
    if (types[t] == MRANK_DTYPE_F64 && !fp64) continue;
    mrank_problem problem = {MRANK_OP_BACKWARD, MRANK_REDUCTION_MEAN, 1048579, 1.0f, 1, 0,
                             types[t],          MRANK_DTYPE_F32};
    mrank_validation report;
    cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert_eq(report.verdict, MRANK_VERDICT_PASSED, "%s: %s, gradient error %g > %g",
                 mrank_dtype_name(types[t]), mrank_verdict_string(report.verdict),
                 report.gradient_max_error, report.gradient_tolerance);
  }
  mrank_context_destroy(ctx);
}

/* n = 0 has exact answers (SUM 0, MEAN NaN, no elements): every problem passes, none is
 * mistrusted, and an empty output names no worst element. */
Test(validate, n_zero_is_checked_exactly) {
  mrank_context *ctx = device_context();
  for (int op = 0; op < 3; ++op) {
    for (int r = 0; r < 3; ++r) {
      mrank_problem problem = {(mrank_op)op,    (mrank_reduction)r, 0, 1.0f, 1, 0,
                               MRANK_DTYPE_F32, MRANK_DTYPE_F32};
      mrank_validation report;
      cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS, "%s", mrank_last_error());
      cr_assert_eq(report.verdict, MRANK_VERDICT_PASSED, "op %d reduction %d: %s", op, r,
                   mrank_verdict_string(report.verdict));
    }
  }
  mrank_context_destroy(ctx);
  char *out = NULL;
  cr_assert_eq(run_cli("", "validate --n 0", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "validate: 18 passed, 0 failed"), "%s", out);
  cr_assert_null(strstr(out, "MISTRUSTED"), "%s", out);
  cr_assert_null(strstr(out, "worst at"), "%s", out);
  free(out);
}

/* n * sizeof overflows size_t: refused up front with a message, never a tiny buffer written past;
 * a problem larger than the host's memory is refused with both sizes, before any allocation. */
Test(validate, sizes_beyond_memory_are_refused_up_front) {
  char *out = NULL;
  cr_assert_eq(
      run_cli("", "validate --n 4611686018427387904 --op forward --reduction none 2>&1", &out), 2,
      "%s", out);
  cr_assert_not_null(strstr(out, "more bytes than the address space holds"), "%s", out);
  cr_assert_null(strstr(out, "passed"), "no tally of nothing: %s", out);
  free(out);
  cr_assert_eq(run_cli("", "demo --n 2^62 --no-train 2>&1", &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "more bytes than the address space holds"), "%s", out);
  free(out);
  /* 2^40 elements: some terabytes, more than any machine that runs this test */
  cr_assert_eq(run_cli("", "demo --n 2^40 --no-train 2>&1", &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "GiB of host memory"), "%s", out);
  free(out);
}

/* A device without CL_FP_DENORM may flush float subnormals: its outputs must then equal, element by
 * element, the IEEE reference or its flush-to-zero twin. MRANK_ASSUME_FTZ=1 puts any device under
 * that policy (and builds with -cl-denorms-are-zero): a flushed output (injected) passes only
 * there, the device itself passes under both, and a wrong output fails under both. */
Test(validate, a_flushed_output_passes_only_under_the_flush_to_zero_policy) {
  for (int assume = 0; assume < 2; ++assume) {
    if (assume) setenv("MRANK_ASSUME_FTZ", "1", 1);
    mrank_context *ctx = device_context();
    for (int inject = 0; inject < 3; ++inject) {
      /* margin 0 puts the subnormal edge case where IEEE and flush-to-zero differ */
      mrank_problem problem = {MRANK_OP_BACKWARD, MRANK_REDUCTION_NONE, 1000, 0.0f, 1, inject,
                               MRANK_DTYPE_F32,   MRANK_DTYPE_F32};
      mrank_validation report;
      cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS, "%s", mrank_last_error());
      cr_assert_eq(report.flush_to_zero, assume);
      const mrank_verdict expected = inject == 1              ? MRANK_VERDICT_FAILED
                                     : inject == 2 && !assume ? MRANK_VERDICT_FAILED
                                                              : MRANK_VERDICT_PASSED;
      cr_assert_eq(report.verdict, expected, "policy %s, injection %d: %s",
                   assume ? "flush-to-zero" : "IEEE", inject, mrank_verdict_string(report.verdict));
    }
    mrank_context_destroy(ctx);
  }
  unsetenv("MRANK_ASSUME_FTZ");
  char *out = NULL;
  cr_assert_eq(run_cli("MRANK_ASSUME_FTZ=1", "validate --n 4097 --margin 0,1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "policy: IEEE or flush-to-zero"), "%s", out);
  free(out);
}

/* An overrun planted in the kernel (the tail of mrank_forward_none writes one element past n): with
 * no zero-copy, the host array's canary cannot see it (the device writes a staging buffer larger
 * than the output), and the guarded run on exact-size buffers must; the CLI names the kernel. */
Test(validate, an_overrun_is_seen_on_a_device_without_shared_memory, .timeout = 120) {
  char dir[] = "/tmp/mrank-overrun-XXXXXX", command[512];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(command, sizeof command,
           "cp '%s/kernels/'*.cl '%s/' && sed -i '0,/base + k < n; ++k/s//base + k <= n; ++k/' "
           "'%s/margin_ranking.cl' && grep -q 'base + k <= n' '%s/margin_ranking.cl'",
           MRANK_SOURCE_DIR, dir, dir, dir);
  cr_assert_eq(system(command), 0, "%s", command);
  setenv("MRANK_KERNEL_DIR", dir, 1);
  setenv("MRANK_NO_CACHE", "1", 1);
  setenv("MRANK_NO_ZERO_COPY", "1", 1);
  mrank_context *ctx = device_context();
  mrank_problem problem = {MRANK_OP_FORWARD, MRANK_REDUCTION_NONE, 4097, 1.0f, 5, 0,
                           MRANK_DTYPE_F32,  MRANK_DTYPE_F32};
  mrank_validation report;
  cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(report.verdict, MRANK_VERDICT_FAILED, "%s", mrank_verdict_string(report.verdict));
  cr_assert_eq(report.outputs[0].mismatches, 0, "the values are right: only the overrun is wrong");
  cr_assert_eq(report.outputs[0].canary_intact, 0);
  mrank_context_destroy(ctx);
  char *out = NULL;
  cr_assert_eq(run_cli("MRANK_NO_ZERO_COPY=1 MRANK_NO_CACHE=1",
                       "validate --n 4097 --op forward --reduction none --margin 1", &out),
               1, "%s", out);
  cr_assert_not_null(strstr(out, "loss: WRITTEN OUTSIDE ITSELF (kernel mrank_forward_none)"), "%s",
                     out);
  free(out);
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  cr_assert_eq(system(command), 0);
}
