/* test_fused.c: mrank_forward_backward gives the bits of mrank_forward followed by mrank_backward
 * with an upstream gradient of 1, on the device and on the reference, host arrays and buffers. */
#include "helpers.h"

static const size_t sizes[] = {0, 1, 3, 64, 65, 1000, 4097, (1 << 20) + 3};
enum { size_count = sizeof sizes / sizeof sizes[0] };
static const mrank_reduction reductions[] = {MRANK_REDUCTION_NONE, MRANK_REDUCTION_MEAN,
                                             MRANK_REDUCTION_SUM};

static mrank_context *device_context(void) {
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  return ctx;
}

/* fused on ctx against two separate calls on ctx, and the reference's fused against the reference
 */
static void check_fused(mrank_context *ctx, const test_inputs *in, mrank_reduction reduction,
                        float margin) {
  const size_t n = in->n, outputs = reduction == MRANK_REDUCTION_NONE ? n : 1;
  float *loss = test_alloc(outputs), *dx1 = test_alloc(n), *dx2 = test_alloc(n);
  float *loss2 = test_alloc(outputs), *dx1b = test_alloc(n), *dx2b = test_alloc(n);
  float *ones = test_alloc(n);
  for (size_t i = 0; i < n; ++i)
    ones[i] = 1.0f;
  cr_assert_eq(
      mrank_forward_backward(ctx, n, in->x1, in->x2, in->y, margin, reduction, loss, dx1, dx2),
      MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_forward(ctx, n, in->x1, in->x2, in->y, margin, reduction, loss2),
               MRANK_SUCCESS);
  cr_assert_eq(mrank_backward(ctx, n, in->x1, in->x2, in->y, margin, reduction, ones, dx1b, dx2b),
               MRANK_SUCCESS);
  /* the reduced loss too: the same tree gives the same bits */
  assert_same_bits(loss, loss2, outputs, "fused loss vs forward", n);
  assert_same_bits(dx1, dx1b, n, "fused dx1 vs backward", n);
  assert_same_bits(dx2, dx2b, n, "fused dx2 vs backward", n);
  cr_assert_eq(mrank_reference_forward_backward(n, in->x1, in->x2, in->y, margin, reduction, loss2,
                                                dx1b, dx2b),
               MRANK_SUCCESS);
  assert_same_bits(dx1, dx1b, n, "fused dx1 vs reference", n);
  assert_same_bits(dx2, dx2b, n, "fused dx2 vs reference", n);
  if (reduction == MRANK_REDUCTION_NONE) assert_same_bits(loss, loss2, n, "fused loss vs ref", n);
  free(loss);
  free(dx1);
  free(dx2);
  free(loss2);
  free(dx1b);
  free(dx2b);
  free(ones);
}

Test(fused, equals_forward_then_backward_for_every_reduction) {
  mrank_context *ctx = device_context();
  for (size_t s = 0; s < size_count; ++s) {
    test_inputs in = make_inputs(sizes[s], 800 + s, 1);
    for (int r = 0; r < 3; ++r)
      check_fused(ctx, &in, reductions[r], r == 2 ? -0.5f : 1.0f);
    free_inputs(&in);
  }
  mrank_context_destroy(ctx);
}

Test(fused, chunked_and_staged_paths_agree) {
  setenv("MRANK_MAX_ALLOC", "4096", 1); /* 1024 floats per chunk */
  setenv("MRANK_NO_ZERO_COPY", "1", 1);
  mrank_context *ctx = device_context();
  test_inputs in = make_inputs(5000, 31, 1);
  for (int r = 0; r < 3; ++r)
    check_fused(ctx, &in, reductions[r], 1.0f);
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(fused, on_the_host_context) {
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create("host", &ctx), MRANK_SUCCESS);
  test_inputs in = make_inputs(777, 32, 1);
  for (int r = 0; r < 3; ++r)
    check_fused(ctx, &in, reductions[r], 1.0f);
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(fused, on_buffers) {
  mrank_context *ctx = device_context();
  if (mrank_context_cl_context(ctx) == NULL) cr_skip_test("MRANK_DEVICE=host has no buffers");
  const size_t n = 4097;
  test_inputs in = make_inputs(n, 33, 1);
  cl_int err;
  cl_context cl = mrank_context_cl_context(ctx);
  cl_command_queue queue = mrank_context_queue(ctx);
  cl_mem x1 = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * 4, in.x1, &err);
  cl_mem x2 = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * 4, in.x2, &err);
  cl_mem y = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * 4, in.y, &err);
  cl_mem out = clCreateBuffer(cl, CL_MEM_READ_WRITE, 3 * n * 4, NULL, &err);
  float *got = test_alloc(3 * n), *loss = test_alloc(n), *dx1 = test_alloc(n), *dx2 = test_alloc(n);
  for (int r = 0; r < 3; ++r) {
    cl_event event = NULL;
    cr_assert_eq(mrank_forward_backward_buffers(ctx, n, x1, 0, x2, 0, y, 0, 1.0f, reductions[r],
                                                out, 0, out, n, out, 2 * n, &event),
                 MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert_eq(clWaitForEvents(1, &event), CL_SUCCESS);
    clReleaseEvent(event);
    clEnqueueReadBuffer(queue, out, CL_TRUE, 0, 3 * n * 4, got, 0, NULL, NULL);
    cr_assert_eq(
        mrank_forward_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, reductions[r], loss, dx1, dx2),
        MRANK_SUCCESS);
    assert_same_bits(got, loss, reductions[r] == MRANK_REDUCTION_NONE ? n : 1, "buffer loss", n);
    assert_same_bits(got + n, dx1, n, "buffer dx1", n);
    assert_same_bits(got + 2 * n, dx2, n, "buffer dx2", n);
  }
  clReleaseMemObject(x1);
  clReleaseMemObject(x2);
  clReleaseMemObject(y);
  clReleaseMemObject(out);
  free(got);
  free(loss);
  free(dx1);
  free(dx2);
  free_inputs(&in);
  mrank_context_destroy(ctx);
}

Test(fused, arguments_are_checked) {
  mrank_context *ctx = device_context();
  const float a[2] = {1, 2};
  float out[2] = {5, 5}, d1[2] = {5, 5};
  cr_assert_eq(mrank_forward_backward(ctx, 2, a, a, a, 1.0f, MRANK_REDUCTION_SUM, out, d1, NULL),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "dx2"), "%s", mrank_last_error());
  cr_assert_eq(mrank_forward_backward(NULL, 2, a, a, a, 1.0f, MRANK_REDUCTION_SUM, out, d1, d1),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert(out[0] == 5 && d1[0] == 5, "nothing written");
  float loss = 3.0f;
  cr_assert_eq(mrank_forward_backward(ctx, 0, NULL, NULL, NULL, 1.0f, MRANK_REDUCTION_MEAN, &loss,
                                      NULL, NULL),
               MRANK_SUCCESS);
  cr_assert(isnan(loss));
  mrank_context_destroy(ctx);
}
