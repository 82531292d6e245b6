/* test_ops.c: forward and backward on the default OpenCL device (PoCL on the CPU in CI) against the
 * CPU reference: elementwise results bit for bit, reductions within the library's stated bound. */
#include "helpers.h"

static const size_t sizes[] = {
    0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 1000, 4097, 1 << 20, (1 << 20) + 3};
enum { size_count = sizeof sizes / sizeof sizes[0] };
static const float margins[] = {1.0f, 0.0f, -0.5f, 2.5f};

static mrank_context *device_context(void) {
  mrank_context *ctx = NULL;
  /* NULL: MRANK_DEVICE picks the device under test (MRANK_DEVICE=nvidia ctest), else the default */
  mrank_status status = mrank_context_create(NULL, &ctx);
  cr_assert_eq(status, MRANK_SUCCESS, "no OpenCL device: %s", mrank_last_error());
  return ctx;
}

Test(ops, forward_none_is_bitwise_equal_to_the_reference) {
  mrank_context *ctx = device_context();
  for (size_t s = 0; s < size_count; ++s) {
    const size_t n = sizes[s];
    test_inputs in = make_inputs(n, 100 + s, 1);
    float *got = test_alloc(n), *want = test_alloc(n);
    for (size_t m = 0; m < sizeof margins / sizeof margins[0]; ++m) {
      cr_assert_eq(mrank_forward(ctx, n, in.x1, in.x2, in.y, margins[m], MRANK_REDUCTION_NONE, got),
                   MRANK_SUCCESS, "%s", mrank_last_error());
      cr_assert_eq(
          mrank_reference_forward(n, in.x1, in.x2, in.y, margins[m], MRANK_REDUCTION_NONE, want),
          MRANK_SUCCESS);
      assert_same_bits(got, want, n, "forward none", n);
    }
    free(got);
    free(want);
    free_inputs(&in);
  }
  mrank_context_destroy(ctx);
}

static void check_reduction(mrank_context *ctx, const test_inputs *in, mrank_reduction reduction,
                            float margin) {
  float got = -1.0f, again = -2.0f, want = -3.0f;
  cr_assert_eq(mrank_forward(ctx, in->n, in->x1, in->x2, in->y, margin, reduction, &got),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_forward(ctx, in->n, in->x1, in->x2, in->y, margin, reduction, &again),
               MRANK_SUCCESS);
  cr_assert_eq(mrank_reference_forward(in->n, in->x1, in->x2, in->y, margin, reduction, &want),
               MRANK_SUCCESS);
  cr_assert_eq(float_bits(got), float_bits(again), "n = %zu: two runs gave %.9g and %.9g", in->n,
               got, again);
  if (isnan(want)) {
    cr_assert(isnan(got), "n = %zu: want NaN, got %g", in->n, got);
    return;
  }
  /* The terms are non-negative, so |want| is the sum of magnitudes that the bound multiplies; the
   * bound counts the roundings on the device's summation path (see reduce.c). */
  const double bound = mrank_reduction_error_bound(ctx, in->n) * fabs((double)want);
  cr_assert(fabs((double)got - (double)want) <= bound,
            "n = %zu, reduction %d: device %.9g, reference %.9g, |error| %.3g > bound %.3g", in->n,
            (int)reduction, got, want, fabs((double)got - (double)want), bound);
}

Test(ops, reductions_are_within_the_bound_and_deterministic) {
  mrank_context *ctx = device_context();
  for (size_t s = 0; s < size_count; ++s) {
    test_inputs in = make_inputs(sizes[s], 200 + s, 0);
    for (size_t m = 0; m < sizeof margins / sizeof margins[0]; ++m) {
      check_reduction(ctx, &in, MRANK_REDUCTION_SUM, margins[m]);
      check_reduction(ctx, &in, MRANK_REDUCTION_MEAN, margins[m]);
    }
    free_inputs(&in);
  }
  mrank_context_destroy(ctx);
}

Test(ops, the_error_bound_is_tight_enough_to_mean_something) {
  mrank_context *ctx = device_context();
  /* 2^20 + 3 elements: pass 1 (fan-in 64, 6 roundings) leaves 16385 partials, then passes of 16
   * (4 roundings each) leave 1025, 65, 5 and 1: 6 + 4 * 4 + 2 = 24 levels. 64 leaves room for
   * another chunking while still failing a bound that has lost its meaning. */
  for (size_t s = 0; s < size_count; ++s) {
    const double bound = mrank_reduction_error_bound(ctx, sizes[s]);
    cr_assert(bound <= 64 * FLT_EPSILON, "n = %zu: bound %g", sizes[s], bound);
    if (sizes[s] > 0) cr_assert(bound >= FLT_EPSILON);
  }
  mrank_context_destroy(ctx);
}

Test(ops, reductions_propagate_nan_and_inf) {
  mrank_context *ctx = device_context();
  test_inputs in = make_inputs(4097, 7, 0);
  float got = 0.0f;
  in.x1[4000] = NAN;
  cr_assert_eq(mrank_forward(ctx, in.n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_SUM, &got),
               MRANK_SUCCESS);
  cr_assert(isnan(got), "a NaN loss must make the sum NaN, got %g", got);
  in.x1[4000] = -INFINITY;
  in.y[4000] = 1.0f;
  cr_assert_eq(mrank_forward(ctx, in.n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_MEAN, &got),
               MRANK_SUCCESS);
  cr_assert(isinf(got) && got > 0.0f, "an infinite loss must make the mean +Inf, got %g", got);
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(ops, backward_is_bitwise_equal_for_every_reduction) {
  mrank_context *ctx = device_context();
  const mrank_reduction reductions[] = {MRANK_REDUCTION_NONE, MRANK_REDUCTION_MEAN,
                                        MRANK_REDUCTION_SUM};
  for (size_t s = 0; s < size_count; ++s) {
    const size_t n = sizes[s];
    test_inputs in = make_inputs(n, 300 + s, 1);
    float *dx1 = test_alloc(n), *dx2 = test_alloc(n), *want1 = test_alloc(n),
          *want2 = test_alloc(n);
    for (size_t r = 0; r < 3; ++r) {
      for (size_t m = 0; m < 2; ++m) {
        cr_assert_eq(mrank_backward(ctx, n, in.x1, in.x2, in.y, margins[m], reductions[r], in.dloss,
                                    dx1, dx2),
                     MRANK_SUCCESS, "%s", mrank_last_error());
        cr_assert_eq(mrank_reference_backward(n, in.x1, in.x2, in.y, margins[m], reductions[r],
                                              in.dloss, want1, want2),
                     MRANK_SUCCESS);
        assert_same_bits(dx1, want1, n, reductions[r] == MRANK_REDUCTION_NONE ? "dx1 none" : "dx1",
                         n);
        assert_same_bits(dx2, want2, n, "dx2", n);
      }
    }
    free(dx1);
    free(dx2);
    free(want1);
    free(want2);
    free_inputs(&in);
  }
  mrank_context_destroy(ctx);
}

Test(ops, edge_cases_match_caffe2_semantics_on_the_device) {
  mrank_context *ctx = device_context();
  test_inputs in = make_inputs(edge_count, 1, 1);
  float loss[edge_count], dx1[edge_count], dx2[edge_count];
  const float ones[edge_count] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  cr_assert_eq(mrank_forward(ctx, edge_count, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, loss),
               MRANK_SUCCESS);
  cr_assert_eq(mrank_backward(ctx, edge_count, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, ones,
                              dx1, dx2),
               MRANK_SUCCESS);
  cr_assert_eq(loss[0], 0.0f); /* dist exactly 0 ... */
  cr_assert_eq(dx1[0], -1.0f); /* ... and the gradient passes */
  cr_assert_eq(dx2[0], 1.0f);
  cr_assert(loss[1] > 0.0f && loss[2] == 0.0f && dx1[2] == 0.0f, "just above / below 0");
  cr_assert(isnan(loss[3]) && isnan(loss[4]) && isnan(loss[5]), "NaN in x1, x2, y propagates");
  cr_assert_eq(loss[6], 0.0f);    /* x1 = +Inf: dist = -Inf */
  cr_assert(isinf(loss[7]));      /* x1 = -Inf: dist = +Inf */
  cr_assert(isnan(loss[8]));      /* Inf - Inf */
  cr_assert_eq(loss[13], 1.625f); /* y = -2.5: -(-2.5)(0.25) + 1 */
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(ops, inputs_larger_than_a_device_buffer_are_processed_in_chunks) {
  /* 4 KiB buffers: 1024 floats per chunk, so 4097 and 10000 elements take 5 and 10 chunks */
  setenv("MRANK_MAX_ALLOC", "4096", 1);
  mrank_context *ctx = device_context();
  const size_t chunked_sizes[] = {1023, 1024, 1025, 4097, 10000};
  for (size_t s = 0; s < 5; ++s) {
    const size_t n = chunked_sizes[s];
    test_inputs in = make_inputs(n, 400 + s, 1);
    float *got = test_alloc(n), *want = test_alloc(n), *got2 = test_alloc(n),
          *want2 = test_alloc(n);
    cr_assert_eq(mrank_forward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, got),
                 MRANK_SUCCESS, "%s", mrank_last_error());
    mrank_reference_forward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, want);
    assert_same_bits(got, want, n, "chunked forward", n);
    cr_assert_eq(
        mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, got, got2),
        MRANK_SUCCESS);
    mrank_reference_backward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, want,
                             want2);
    assert_same_bits(got, want, n, "chunked dx1", n);
    assert_same_bits(got2, want2, n, "chunked dx2", n);
    mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_MEAN, in.dloss, got, got2);
    mrank_reference_backward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_MEAN, in.dloss, want,
                             want2);
    assert_same_bits(got, want, n, "chunked dx1 mean", n);
    free(got);
    free(want);
    free(got2);
    free(want2);
    free_inputs(&in);
    test_inputs clean = make_inputs(n, 500 + s, 0);
    check_reduction(ctx, &clean, MRANK_REDUCTION_SUM, 1.0f);
    check_reduction(ctx, &clean, MRANK_REDUCTION_MEAN, 1.0f);
    free_inputs(&clean);
  }
  mrank_context_destroy(ctx);
}

Test(ops, empty_input_on_the_device) {
  mrank_context *ctx = device_context();
  float loss = 5.0f;
  cr_assert_eq(mrank_forward(ctx, 0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_NONE, &loss),
               MRANK_SUCCESS);
  cr_assert_eq(loss, 5.0f);
  cr_assert_eq(mrank_forward(ctx, 0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_SUM, &loss),
               MRANK_SUCCESS);
  cr_assert_eq(float_bits(loss), 0u);
  cr_assert_eq(mrank_forward(ctx, 0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_MEAN, &loss),
               MRANK_SUCCESS);
  cr_assert(isnan(loss));
  cr_assert_eq(
      mrank_backward(ctx, 0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_SUM, NULL, NULL, NULL),
      MRANK_SUCCESS);
  mrank_context_destroy(ctx);
}

Test(ops, outputs_may_alias_inputs) {
  mrank_context *ctx = device_context();
  const size_t n = 4097;
  test_inputs in = make_inputs(n, 9, 1);
  float *want = test_alloc(n), *want2 = test_alloc(n);
  mrank_reference_forward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, want);
  cr_assert_eq(mrank_forward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.x1),
               MRANK_SUCCESS);
  assert_same_bits(in.x1, want, n, "in-place forward", n);
  mrank_reference_backward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, want,
                           want2);
  cr_assert_eq(mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss,
                              in.x1, in.x2),
               MRANK_SUCCESS);
  assert_same_bits(in.x1, want, n, "in-place dx1", n);
  assert_same_bits(in.x2, want2, n, "in-place dx2", n);
  free(want);
  free(want2);
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(ops, staging_copies_and_zero_copy_give_the_same_bits) {
  /* On a host-unified device (PoCL) the host-array path wraps the caller's arrays in place;
   * MRANK_NO_ZERO_COPY=1 forces the staging copies that discrete GPUs use. Both must agree. */
  setenv("MRANK_NO_ZERO_COPY", "1", 1);
  mrank_context *ctx = device_context();
  const size_t staged_sizes[] = {4097, (1 << 20) + 3};
  for (size_t s = 0; s < 2; ++s) {
    const size_t n = staged_sizes[s];
    test_inputs in = make_inputs(n, 600 + s, 1);
    float *got = test_alloc(n), *want = test_alloc(n), *got2 = test_alloc(n),
          *want2 = test_alloc(n);
    cr_assert_eq(mrank_forward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, got),
                 MRANK_SUCCESS, "%s", mrank_last_error());
    mrank_reference_forward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, want);
    assert_same_bits(got, want, n, "staged forward", n);
    cr_assert_eq(
        mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, got, got2),
        MRANK_SUCCESS);
    mrank_reference_backward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, want,
                             want2);
    assert_same_bits(got, want, n, "staged dx1", n);
    assert_same_bits(got2, want2, n, "staged dx2", n);
    free(got);
    free(want);
    free(got2);
    free(want2);
    free_inputs(&in);
    test_inputs clean = make_inputs(n, 700 + s, 0);
    check_reduction(ctx, &clean, MRANK_REDUCTION_MEAN, 0.5f);
    free_inputs(&clean);
  }
  mrank_context_destroy(ctx);
}

/* One rule for sharing memory: an output may be an input in place (the same array: dx1 = x1,
 * with the bits of separate arrays, reductions too), never another output (dx1 == dx2 used to
 * return SUCCESS with dx1 holding dx2's values) nor part of an input. On a device and on the host
 * reference alike. */
Test(ops, outputs_share_memory_only_in_place) {
  const char *selectors[] = {NULL, "host"};
  const size_t n = 4097;
  for (int s = 0; s < 2; ++s) {
    mrank_context *ctx = NULL;
    cr_assert_eq(mrank_context_create(selectors[s], &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
    test_inputs in = make_inputs(n, 77, 1);
    float *a = test_alloc(n + 1), *b = test_alloc(n), *loss = test_alloc(n), one = 1.0f;
    cr_assert_eq(mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_MEAN, &one, a, a),
                 MRANK_ERROR_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(mrank_last_error(), "the outputs dx1 and dx2 share memory"), "%s",
                       mrank_last_error());
    cr_assert_eq(
        mrank_forward_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, a, a + 1, b),
        MRANK_ERROR_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(mrank_last_error(), "the outputs loss and dx1 share memory"), "%s",
                       mrank_last_error());
    cr_assert_eq(mrank_backward(ctx, n - 1, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_SUM, &one,
                                in.x1 + 1, b),
                 MRANK_ERROR_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(mrank_last_error(), "overlaps the input x1 without being it"), "%s",
                       mrank_last_error());
    /* in place against separate arrays, for every reduction of the fused pass */
    const mrank_reduction reductions[] = {MRANK_REDUCTION_NONE, MRANK_REDUCTION_MEAN,
                                          MRANK_REDUCTION_SUM};
    for (int r = 0; r < 3; ++r) {
      const int none = reductions[r] == MRANK_REDUCTION_NONE;
      float *x1 = test_alloc(n), *x2 = test_alloc(n), *dx2 = test_alloc(n), scalar[2] = {0, 0};
      memcpy(x1, in.x1, n * sizeof *x1);
      memcpy(x2, in.x2, n * sizeof *x2);
      cr_assert_eq(mrank_forward_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, reductions[r],
                                          none ? loss : &scalar[0], a, b),
                   MRANK_SUCCESS, "%s", mrank_last_error());
      cr_assert_eq(mrank_forward_backward(ctx, n, x1, x2, in.y, 1.0f, reductions[r],
                                          none ? x1 : &scalar[1], none ? x2 : x1, none ? dx2 : x2),
                   MRANK_SUCCESS, "%s", mrank_last_error());
      if (none) {
        assert_same_bits(x1, loss, n, "in place: loss over x1", n);
        assert_same_bits(x2, a, n, "in place: dx1 over x2", n);
      } else {
        cr_assert_eq(float_bits(scalar[1]), float_bits(scalar[0]), "in place: the reduced loss");
        assert_same_bits(x1, a, n, "in place: dx1 over x1", n);
        assert_same_bits(x2, b, n, "in place: dx2 over x2", n);
      }
      free(x1);
      free(x2);
      free(dx2);
    }
    free(a);
    free(b);
    free(loss);
    free_inputs(&in);
    mrank_context_destroy(ctx);
  }
}
