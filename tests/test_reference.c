/* test_reference.c: the CPU reference against values computed by hand from Caffe2's formulas. */
#include "helpers.h"

/* margin 1; dist = -y (x1 - x2) + 1:
 *  0: -(1)(1 - 0) + 1 = 0     -> loss 0, gradient passes (dist == 0 is not < 0)
 *  1: -(-1)(2 - 2) + 1 = 1    -> 1
 *  2: -(1)(0.5 - 1) + 1 = 1.5 -> 1.5
 *  3: -(-1)(3 - -1) + 1 = 5   -> 5
 *  4: -(1)(3 - 0) + 1 = -2    -> 0, gradient 0
 *  5: -(0.5)(1 - 3) + 1 = 2   -> 2 (y is a multiplier) */
static const float x1[] = {1.0f, 2.0f, 0.5f, 3.0f, 3.0f, 1.0f};
static const float x2[] = {0.0f, 2.0f, 1.0f, -1.0f, 0.0f, 3.0f};
static const float y[] = {1.0f, -1.0f, 1.0f, -1.0f, 1.0f, 0.5f};
static const float expected_loss[] = {0.0f, 1.0f, 1.5f, 5.0f, 0.0f, 2.0f};
enum { count = 6 };

Test(reference, forward_none_matches_hand_values) {
  float loss[count];
  cr_assert_eq(mrank_reference_forward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_NONE, loss),
               MRANK_SUCCESS);
  for (int i = 0; i < count; ++i)
    cr_assert_eq(loss[i], expected_loss[i], "element %d", i);
}

Test(reference, forward_sum_and_mean) {
  float sum = -1.0f, mean = -1.0f;
  cr_assert_eq(mrank_reference_forward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_SUM, &sum),
               MRANK_SUCCESS);
  cr_assert_eq(mrank_reference_forward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_MEAN, &mean),
               MRANK_SUCCESS);
  cr_assert_eq(sum, 9.5f);
  cr_assert_eq(mean, (float)(9.5 / 6.0)); /* the reference divides in double, then rounds */
}

Test(reference, backward_none_follows_the_gradient_rule) {
  const float dloss[] = {2.0f, 3.0f, -1.0f, 0.5f, 7.0f, 4.0f};
  float dx1[count], dx2[count];
  cr_assert_eq(
      mrank_reference_backward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_NONE, dloss, dx1, dx2),
      MRANK_SUCCESS);
  const float want_dx1[] = {-2.0f, 3.0f, 1.0f, 0.5f, 0.0f, -2.0f};
  const float want_dx2[] = {2.0f, -3.0f, -1.0f, -0.5f, 0.0f, 2.0f};
  for (int i = 0; i < count; ++i) {
    cr_assert_eq(dx1[i], want_dx1[i], "dx1[%d] = %g", i, dx1[i]);
    cr_assert_eq(dx2[i], want_dx2[i], "dx2[%d] = %g", i, dx2[i]);
  }
}

Test(reference, backward_mean_scales_by_one_over_n) {
  const float dloss = 3.0f;
  float dx1[count], dx2[count];
  cr_assert_eq(
      mrank_reference_backward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_MEAN, &dloss, dx1, dx2),
      MRANK_SUCCESS);
  const float g = 3.0f * (float)(1.0 / 6.0);
  cr_assert_eq(dx1[0], -1.0f * g);
  cr_assert_eq(dx2[0], g);
  cr_assert_eq(dx1[4], 0.0f);
  cr_assert_eq(dx1[5], -0.5f * g);
  cr_assert_eq(dx2[5], 0.5f * g);
  cr_assert_eq(
      mrank_reference_backward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_SUM, &dloss, dx1, dx2),
      MRANK_SUCCESS);
  cr_assert_eq(dx1[3], 3.0f); /* -(-1) * 3 */
  cr_assert_eq(dx2[3], -3.0f);
}

Test(reference, nan_propagates_in_the_loss_and_the_gradient_passes) {
  const float a[] = {NAN, 0.0f, 1.0f, INFINITY};
  const float b[] = {0.0f, NAN, 0.0f, INFINITY};
  const float labels[] = {1.0f, 1.0f, NAN, 1.0f};
  float loss[4], sum = 0.0f, dx1[4], dx2[4];
  const float dloss[] = {1.0f, 1.0f, 1.0f, 1.0f};
  cr_assert_eq(mrank_reference_forward(4, a, b, labels, 1.0f, MRANK_REDUCTION_NONE, loss),
               MRANK_SUCCESS);
  for (int i = 0; i < 4; ++i)
    cr_assert(isnan(loss[i]), "loss[%d] = %g, want NaN", i, loss[i]);
  cr_assert_eq(mrank_reference_forward(4, a, b, labels, 1.0f, MRANK_REDUCTION_SUM, &sum),
               MRANK_SUCCESS);
  cr_assert(isnan(sum));
  cr_assert_eq(
      mrank_reference_backward(4, a, b, labels, 1.0f, MRANK_REDUCTION_NONE, dloss, dx1, dx2),
      MRANK_SUCCESS);
  /* !(NaN < 0): Caffe2's rule passes the gradient, -y * dloss */
  cr_assert_eq(dx1[0], -1.0f);
  cr_assert_eq(dx2[0], 1.0f);
  cr_assert(isnan(dx1[2]) && isnan(dx2[2])); /* y is NaN: -NaN * 1 */
}

Test(reference, infinities_and_signed_zeros) {
  const float a[] = {INFINITY, INFINITY, 0.0f, 0.0f};
  const float b[] = {0.0f, 0.0f, -0.0f, -0.0f};
  const float labels[] = {1.0f, -1.0f, 1.0f, 1.0f};
  float loss[4];
  cr_assert_eq(mrank_reference_forward(2, a, b, labels, 1.0f, MRANK_REDUCTION_NONE, loss),
               MRANK_SUCCESS);
  cr_assert_eq(loss[0], 0.0f); /* dist = -Inf */
  cr_assert(isinf(loss[1]) && loss[1] > 0.0f);
  /* margin +0: -(1)(0 - -0) + 0 = -0 + 0 = +0; margin -0: -0 + -0 = -0, and -0 < 0 is false so the
   * loss keeps its sign bit, as std::max(-0.f, 0.f) does in Caffe2 */
  cr_assert_eq(
      mrank_reference_forward(1, a + 2, b + 2, labels + 2, 0.0f, MRANK_REDUCTION_NONE, loss),
      MRANK_SUCCESS);
  cr_assert_eq(float_bits(loss[0]), 0x00000000u);
  cr_assert_eq(
      mrank_reference_forward(1, a + 3, b + 3, labels + 3, -0.0f, MRANK_REDUCTION_NONE, loss),
      MRANK_SUCCESS);
  cr_assert_eq(float_bits(loss[0]), 0x80000000u);
}

Test(reference, empty_input) {
  float loss = 42.0f;
  cr_assert_eq(mrank_reference_forward(0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_NONE, NULL),
               MRANK_SUCCESS);
  cr_assert_eq(mrank_reference_forward(0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_NONE, &loss),
               MRANK_SUCCESS);
  cr_assert_eq(loss, 42.0f, "NONE with n = 0 writes nothing");
  cr_assert_eq(mrank_reference_forward(0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_SUM, &loss),
               MRANK_SUCCESS);
  cr_assert_eq(float_bits(loss), 0u);
  cr_assert_eq(mrank_reference_forward(0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_MEAN, &loss),
               MRANK_SUCCESS);
  cr_assert(isnan(loss));
  cr_assert_eq(
      mrank_reference_backward(0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_MEAN, NULL, NULL, NULL),
      MRANK_SUCCESS);
}

Test(reference, errors_write_nothing) {
  float loss[count] = {7.0f, 7.0f, 7.0f, 7.0f, 7.0f, 7.0f};
  cr_assert_eq(mrank_reference_forward(count, x1, NULL, y, 1.0f, MRANK_REDUCTION_NONE, loss),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "x2"), "message: %s", mrank_last_error());
  cr_assert_eq(mrank_reference_forward(count, x1, x2, y, 1.0f, (mrank_reduction)7, loss),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "reduction"), "message: %s", mrank_last_error());
  cr_assert_eq(mrank_reference_forward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_MEAN, NULL),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "loss"), "message: %s", mrank_last_error());
  for (int i = 0; i < count; ++i)
    cr_assert_eq(loss[i], 7.0f);
  float dx1[count], dx2[count];
  cr_assert_eq(
      mrank_reference_backward(count, x1, x2, y, 1.0f, MRANK_REDUCTION_NONE, NULL, dx1, dx2),
      MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "dloss"), "message: %s", mrank_last_error());
}
