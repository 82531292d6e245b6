/* test_types.c: half, bfloat16 and double data and int32/int8 labels: every type x label x
 * reduction x op mirrors the reference (through mrank_validate: bitwise elementwise, bounded
 * reductions, gradients against finite differences); hand-checked roundings; labels of every type
 * give the same bits; F64 is refused, clearly, where the device lacks it. */
#include <stdint.h>

#include "helpers.h"

static mrank_context *device_context(void) {
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  return ctx;
}

static const mrank_dtype data_types[] = {MRANK_DTYPE_F32, MRANK_DTYPE_F16, MRANK_DTYPE_BF16,
                                         MRANK_DTYPE_F64};
static const mrank_dtype label_types[] = {MRANK_DTYPE_F32, MRANK_DTYPE_I32, MRANK_DTYPE_I8};

Test(types, every_combination_mirrors_the_reference) {
  mrank_context *ctx = device_context();
  /* awkward sizes: below one 16-wide block, not a multiple of 16 or 64, and several chunks */
  const size_t sizes[] = {5, 1000, 70001};
  int ran = 0;
  for (int d = 0; d < 4; ++d) {
    for (int l = 0; l < 3; ++l) {
      for (int op = 0; op < 3; ++op) {
        for (int r = 0; r < 3; ++r) {
          for (int s = 0; s < 3; ++s) {
            const mrank_problem problem = {(mrank_op)op,  (mrank_reduction)r, sizes[s], 1.0f, 3, 0,
                                           data_types[d], label_types[l]};
            mrank_validation report;
            const mrank_status status = mrank_validate(ctx, &problem, &report);
            if (status == MRANK_ERROR_UNSUPPORTED && data_types[d] == MRANK_DTYPE_F64) continue;
            cr_assert_eq(status, MRANK_SUCCESS, "%s", mrank_last_error());
            cr_assert_neq(report.verdict, MRANK_VERDICT_FAILED, "%s %s op %d reduction %d n %zu",
                          mrank_dtype_name(data_types[d]), mrank_dtype_name(label_types[l]), op, r,
                          sizes[s]);
            ran++;
          }
        }
      }
    }
  }
  cr_assert_geq(ran, 3 * 3 * 3 * 3 * 3, "at least every non-f64 combination ran");
  mrank_context_destroy(ctx);
}

Test(types, a_fault_in_half_storage_is_caught) {
  mrank_context *ctx = device_context();
  const mrank_problem problem = {MRANK_OP_FUSED,  MRANK_REDUCTION_NONE, 4097, 1.0f, 3, 1,
                                 MRANK_DTYPE_F16, MRANK_DTYPE_I8};
  mrank_validation report;
  cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS);
  cr_assert_eq(report.verdict, MRANK_VERDICT_FAILED);
  cr_assert_eq(report.outputs[0].worst_index, report.fault_index);
  mrank_context_destroy(ctx);
}

static uint16_t half_loss(mrank_dtype type, uint16_t x1, uint16_t x2) {
  /* y = -1, margin 0: dist = x1 - x2, rounded on the store */
  const int8_t y = -1;
  uint16_t loss = 0;
  const mrank_desc desc = {type, MRANK_DTYPE_I8, MRANK_REDUCTION_NONE, 0.0};
  cr_assert_eq(mrank_reference_forward_ex(&desc, 1, &x1, &x2, &y, &loss), MRANK_SUCCESS);
  return loss;
}

Test(types, half_and_bfloat16_round_to_nearest_even) {
  /* half: 1 + 2^-11 lies halfway between 1 (0x3c00) and 1 + 2^-10 (0x3c01): even, 0x3c00;
   * 1 + 3 * 2^-11 lies between 0x3c01 and 0x3c02: even, 0x3c02. x2 = -2^-11 is 0x9000 in half. */
  cr_assert_eq(half_loss(MRANK_DTYPE_F16, 0x3c00, 0x9000), 0x3c00);
  cr_assert_eq(half_loss(MRANK_DTYPE_F16, 0x3c01, 0x9000), 0x3c02);
  /* subnormal halves pass through exactly: 2^-24 (0x0001) + 0 */
  cr_assert_eq(half_loss(MRANK_DTYPE_F16, 0x0001, 0x0000), 0x0001);
  /* 65504 + 16 = 65520 ties between 65504 (0x7bff) and Inf: even is Inf (0x7c00) */
  cr_assert_eq(half_loss(MRANK_DTYPE_F16, 0x7bff, 0xcc00), 0x7c00);
  /* bfloat16: 1 + 2^-8 ties between 1 (0x3f80) and 1 + 2^-7 (0x3f81): even, 0x3f80; 1 + 3 * 2^-8
   * ties between 0x3f81 and 0x3f82: even, 0x3f82. x2 = -2^-8 is 0xbb80 in bfloat16. */
  cr_assert_eq(half_loss(MRANK_DTYPE_BF16, 0x3f80, 0xbb80), 0x3f80);
  cr_assert_eq(half_loss(MRANK_DTYPE_BF16, 0x3f81, 0xbb80), 0x3f82);
  /* a NaN input stays NaN in both storages (exponent all ones, mantissa not zero) */
  const uint16_t nan_half = half_loss(MRANK_DTYPE_F16, 0x7e01, 0x0000);
  cr_assert((nan_half & 0x7c00) == 0x7c00 && (nan_half & 0x03ff) != 0, "0x%04x", nan_half);
  const uint16_t nan_bf16 = half_loss(MRANK_DTYPE_BF16, 0x7fc1, 0x0000);
  cr_assert((nan_bf16 & 0x7f80) == 0x7f80 && (nan_bf16 & 0x007f) != 0, "0x%04x", nan_bf16);
}

Test(types, labels_of_every_type_give_the_same_bits) {
  mrank_context *ctx = device_context();
  enum { n = 999 };
  static float x1[n], x2[n], label_f[n], out[3][n], grad1[3][n], grad2[3][n];
  static int32_t label_i[n];
  static int8_t label_c[n];
  const int values[] = {1, -1, 0, 2, -3, 1, -1};
  test_inputs in = make_inputs(n, 77, 0);
  for (int i = 0; i < n; ++i) {
    x1[i] = in.x1[i];
    x2[i] = in.x2[i];
    label_f[i] = (float)values[i % 7];
    label_i[i] = values[i % 7];
    label_c[i] = (int8_t)values[i % 7];
  }
  const void *labels[] = {label_f, label_i, label_c};
  for (int l = 0; l < 3; ++l) {
    const mrank_desc desc = {MRANK_DTYPE_F32, label_types[l], MRANK_REDUCTION_NONE, 0.5};
    cr_assert_eq(
        mrank_forward_backward_ex(ctx, &desc, n, x1, x2, labels[l], out[l], grad1[l], grad2[l]),
        MRANK_SUCCESS, "%s", mrank_last_error());
  }
  for (int l = 1; l < 3; ++l) {
    assert_same_bits(out[l], out[0], n, "loss across label types", n);
    assert_same_bits(grad1[l], grad1[0], n, "dx1 across label types", n);
    assert_same_bits(grad2[l], grad2[0], n, "dx2 across label types", n);
  }
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(types, f64_is_refused_by_a_device_without_it) {
  /* the capability check, not the device, is mocked: MRANK_DISABLE_FP64 */
  setenv("MRANK_DISABLE_FP64", "1", 1);
  mrank_context *ctx = device_context();
  const double x[2] = {1.0, 2.0};
  double loss[2] = {7.0, 7.0};
  const float y[2] = {1.0f, -1.0f};
  const mrank_desc desc = {MRANK_DTYPE_F64, MRANK_DTYPE_F32, MRANK_REDUCTION_NONE, 1.0};
  cr_assert_eq(mrank_forward_ex(ctx, &desc, 2, x, x, y, loss), MRANK_ERROR_UNSUPPORTED);
  cr_assert_not_null(strstr(mrank_last_error(), mrank_context_device_name(ctx)), "%s",
                     mrank_last_error());
  cr_assert_not_null(strstr(mrank_last_error(), "fp64"), "%s", mrank_last_error());
  cr_assert(loss[0] == 7.0 && loss[1] == 7.0, "nothing written");
  /* the other types still work on that context */
  const float xf[2] = {1.0f, 2.0f};
  float lossf[2];
  const mrank_desc f32 = {MRANK_DTYPE_F32, MRANK_DTYPE_F32, MRANK_REDUCTION_NONE, 1.0};
  cr_assert_eq(mrank_forward_ex(ctx, &f32, 2, xf, xf, y, lossf), MRANK_SUCCESS);
  mrank_context_destroy(ctx);
}

Test(types, typed_arguments_are_checked) {
  mrank_context *ctx = device_context();
  const float x[2] = {1.0f, 2.0f};
  float loss[2];
  mrank_desc desc = {MRANK_DTYPE_I32, MRANK_DTYPE_F32, MRANK_REDUCTION_NONE, 1.0};
  cr_assert_eq(mrank_forward_ex(ctx, &desc, 2, x, x, x, loss), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "data type"), "%s", mrank_last_error());
  desc.data = MRANK_DTYPE_F32;
  desc.labels = MRANK_DTYPE_F16;
  cr_assert_eq(mrank_forward_ex(ctx, &desc, 2, x, x, x, loss), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "label type"), "%s", mrank_last_error());
  cr_assert_eq(mrank_forward_ex(ctx, NULL, 2, x, x, x, loss), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_str_eq(mrank_dtype_name(MRANK_DTYPE_BF16), "bf16");
  cr_assert_eq(mrank_dtype_size(MRANK_DTYPE_I8), 1);
  cr_assert_eq(mrank_dtype_size((mrank_dtype)42), 0);
  mrank_context_destroy(ctx);
}

Test(types, chunked_half_and_double) {
  setenv("MRANK_MAX_ALLOC", "8192", 1); /* 1024 elements of 8 bytes a chunk */
  mrank_context *ctx = device_context();
  const mrank_dtype types[] = {MRANK_DTYPE_F16, MRANK_DTYPE_F64};
  for (int t = 0; t < 2; ++t) {
    for (int r = 0; r < 3; ++r) {
      const mrank_problem problem = {MRANK_OP_FUSED, (mrank_reduction)r, 5000, 1.0f, 4, 0,
                                     types[t],       MRANK_DTYPE_I32};
      mrank_validation report;
      const mrank_status status = mrank_validate(ctx, &problem, &report);
      if (status == MRANK_ERROR_UNSUPPORTED) continue;
      cr_assert_eq(status, MRANK_SUCCESS, "%s", mrank_last_error());
      cr_assert_eq(report.verdict, MRANK_VERDICT_PASSED, "%s reduction %d",
                   mrank_dtype_name(types[t]), r);
    }
  }
  mrank_context_destroy(ctx);
}
