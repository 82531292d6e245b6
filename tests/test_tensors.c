/* test_tensors.c: tensor views: strides, up to 5 dimensions, broadcasting by PyTorch's rules. The
 * device (host arrays and buffers) against the reference, which handles the same descriptors with
 * plain loops; views against their contiguous copies; the gradients summed back over broadcast
 * dimensions; and the refusals (shapes that do not broadcast, negative strides, outputs that
 * overlap), each naming what is wrong. */
#include <stdint.h>
#include <stdio.h>

#include "cli_run.h"
#include "helpers.h"
#include "random.h"

static mrank_context *device(void) {
  mrank_context *ctx = NULL;
  if (mrank_context_create(NULL, &ctx) != MRANK_SUCCESS) {
    cr_skip_test("no OpenCL device: %s", mrank_last_error());
  }
  return ctx;
}

/* a contiguous descriptor of `rank` sizes */
static mrank_tensor dense(mrank_dtype dtype, int rank, const size_t *sizes) {
  mrank_tensor t = {dtype, rank, {0}, {0}, 0};
  ptrdiff_t stride = 1;
  for (int k = rank - 1; k >= 0; --k) {
    t.sizes[k] = sizes[k];
    t.strides[k] = stride;
    stride *= (ptrdiff_t)sizes[k];
  }
  return t;
}

static size_t count_of(const mrank_tensor *t) {
  size_t n = 1;
  for (int k = 0; k < t->rank; ++k)
    n *= t->sizes[k];
  return n;
}

static float *random_floats(size_t n, uint64_t seed) {
  float *a = test_alloc(n + 1);
  mrank_random r = {seed};
  for (size_t i = 0; i < n; ++i)
    a[i] = mrank_random_uniform(&r, -3.0f, 3.0f);
  return a;
}

/* The fused pass of x1 (4,1,7), x2 (4,5,7), y (1,5,1): the broadcast shape is (4,5,7); dx1 sums
 * over dimension 1, dx2 over none. Device against reference, reduction none and mean. */
Test(tensors, broadcasting_matches_the_reference_and_sums_gradients_back) {
  mrank_context *ctx = device();
  const size_t s1[] = {4, 1, 7}, s2[] = {4, 5, 7}, sy[] = {1, 5, 1}, sb[] = {4, 5, 7};
  const mrank_tensor x1 = dense(MRANK_DTYPE_F32, 3, s1), x2 = dense(MRANK_DTYPE_F32, 3, s2),
                     y = dense(MRANK_DTYPE_F32, 3, sy), loss = dense(MRANK_DTYPE_F32, 3, sb),
                     scalar = dense(MRANK_DTYPE_F32, 0, sb);
  float *a = random_floats(28, 1), *b = random_floats(140, 2), labels[5] = {1, -1, 1, 1, -1};
  float got[140], want[140], g1[28], w1[28], g2[140], w2[140];
  cr_assert_eq(mrank_forward_backward_tensor(ctx, MRANK_REDUCTION_NONE, 0.5, &x1, a, &x2, b, &y,
                                             labels, &loss, got, &x1, g1, &x2, g2),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_reference_forward_backward_tensor(MRANK_REDUCTION_NONE, 0.5, &x1, a, &x2, b,
                                                       &y, labels, &loss, want, &x1, w1, &x2, w2),
               MRANK_SUCCESS, "%s", mrank_last_error());
  assert_same_bits(got, want, 140, "loss", 140);
  assert_same_bits(g1, w1, 28, "dx1 (summed over dimension 1)", 28);
  assert_same_bits(g2, w2, 140, "dx2", 140);
  /* by hand: the loss at (i, j, k) uses x1[i, 0, k], x2[i, j, k], y[0, j, 0]; dx1[i, 0, k] is the
   * float sum over j of -y[j] where the hinge passes, in order j = 0 .. 4 */
  for (size_t i = 0; i < 4; ++i) {
    for (size_t k = 0; k < 7; ++k) {
      float sum = 0.0f;
      for (size_t j = 0; j < 5; ++j) {
        const float x = a[i * 7 + k], z = b[(i * 5 + j) * 7 + k], label = labels[j];
        const float dist = -label * (x - z) + 0.5f;
        cr_assert_eq(float_bits(got[(i * 5 + j) * 7 + k]), float_bits(dist < 0 ? 0.0f : dist));
        sum += dist < 0 ? 0.0f : -label;
      }
      cr_assert_eq(float_bits(g1[i * 7 + k]), float_bits(sum), "dx1[%zu, 0, %zu]", i, k);
    }
  }
  float mean = 0, mean_reference = 0;
  cr_assert_eq(mrank_forward_backward_tensor(ctx, MRANK_REDUCTION_MEAN, 0.5, &x1, a, &x2, b, &y,
                                             labels, &scalar, &mean, &x1, g1, &x2, g2),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(
      mrank_reference_forward_backward_tensor(MRANK_REDUCTION_MEAN, 0.5, &x1, a, &x2, b, &y, labels,
                                              &scalar, &mean_reference, &x1, w1, &x2, w2),
      MRANK_SUCCESS, "%s", mrank_last_error());
  assert_same_bits(g1, w1, 28, "dx1, mean", 28);
  assert_same_bits(g2, w2, 140, "dx2, mean", 140);
  /* the device's tree against the reference's double sum: within the stated bound */
  double total = 0;
  for (int i = 0; i < 140; ++i)
    total += fabs(want[i]);
  cr_assert(fabs(mean - mean_reference) <= mrank_reduction_error_bound(ctx, 140) * total / 140);
  free(a);
  free(b);
  mrank_context_destroy(ctx);
}

/* A transposed view, an expanded one (stride 0) and an offset give the bits of their copies. */
Test(tensors, views_give_the_bits_of_their_contiguous_copies) {
  mrank_context *ctx = device();
  enum { R = 37, C = 53 };
  float *base = random_floats(R * C + 5, 3), *z = random_floats(R * C, 4);
  float *copy = test_alloc(R * C), labels[C];
  for (int c = 0; c < C; ++c)
    labels[c] = c % 3 ? 1.0f : -1.0f;
  /* x1: the transpose of a C x R block stored from element 5: x1[r, c] = base[5 + c * R + r] */
  const mrank_tensor x1 = {MRANK_DTYPE_F32, 2, {R, C}, {1, R}, 5};
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c)
      copy[r * C + c] = base[5 + c * R + r];
  const size_t shape[] = {R, C};
  const mrank_tensor dense_x = dense(MRANK_DTYPE_F32, 2, shape);
  /* y: one label per column, expanded over the rows (stride 0) */
  const mrank_tensor y = {MRANK_DTYPE_F32, 2, {R, C}, {0, 1}, 0};
  float *y_copy = test_alloc(R * C);
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c)
      y_copy[r * C + c] = labels[c];
  float *viewed = test_alloc(3 * R * C), *copied = test_alloc(3 * R * C);
  cr_assert_eq(mrank_forward_backward_tensor(ctx, MRANK_REDUCTION_NONE, 1.0, &x1, base, &dense_x, z,
                                             &y, labels, &dense_x, viewed, &dense_x, viewed + R * C,
                                             &dense_x, viewed + 2 * R * C),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_forward_backward_ex(
                   ctx, &(mrank_desc){MRANK_DTYPE_F32, MRANK_DTYPE_F32, MRANK_REDUCTION_NONE, 1.0},
                   R * C, copy, z, y_copy, copied, copied + R * C, copied + 2 * R * C),
               MRANK_SUCCESS, "%s", mrank_last_error());
  assert_same_bits(viewed, copied, 3 * R * C, "views against copies", 3 * R * C);
  /* the same on buffers: the strided gather kernel */
  cl_context context = mrank_context_cl_context(ctx);
  cl_command_queue queue = mrank_context_queue(ctx);
  cl_int err = CL_SUCCESS;
  cl_mem bx = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, (R * C + 5) * 4, base, &err);
  cl_mem bz = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, R * C * 4, z, &err);
  cl_mem by = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, C * 4, labels, &err);
  cl_mem out = clCreateBuffer(context, CL_MEM_READ_WRITE, 3 * R * C * 4, NULL, &err);
  cr_assert_eq(err, CL_SUCCESS);
  const mrank_tensor d1 = {MRANK_DTYPE_F32, 2, {R, C}, {C, 1}, R * C},
                     d2 = {MRANK_DTYPE_F32, 2, {R, C}, {C, 1}, 2 * R * C};
  cr_assert_eq(
      mrank_forward_backward_tensor_buffers(ctx, MRANK_REDUCTION_NONE, 1.0, &x1, bx, &dense_x, bz,
                                            &y, by, &dense_x, out, &d1, out, &d2, out, NULL),
      MRANK_SUCCESS, "%s", mrank_last_error());
  float *back = test_alloc(3 * R * C);
  cr_assert_eq(clEnqueueReadBuffer(queue, out, CL_TRUE, 0, 3 * R * C * 4, back, 0, NULL, NULL),
               CL_SUCCESS);
  assert_same_bits(back, copied, 3 * R * C, "buffers against copies", 3 * R * C);
  clReleaseMemObject(bx);
  clReleaseMemObject(bz);
  clReleaseMemObject(by);
  clReleaseMemObject(out);
  free(back);
  free(viewed);
  free(copied);
  free(y_copy);
  free(copy);
  free(base);
  free(z);
  mrank_context_destroy(ctx);
}

/* Half data with int8 labels broadcast in 5 dimensions, on buffers: the gradient sums are the
 * reference's bits (the same order, in float, one rounding to half at the end). */
Test(tensors, five_dimensions_in_half_on_buffers) {
  mrank_context *ctx = device();
  const size_t s1[] = {2, 1, 3, 1, 4}, s2[] = {1, 3, 3, 2, 1}, sy[] = {2, 3, 1, 2, 4},
               sb[] = {2, 3, 3, 2, 4};
  const mrank_tensor x1 = dense(MRANK_DTYPE_F16, 5, s1), x2 = dense(MRANK_DTYPE_F16, 5, s2),
                     y = dense(MRANK_DTYPE_I8, 5, sy), loss = dense(MRANK_DTYPE_F16, 5, sb);
  const size_t n1 = count_of(&x1), n2 = count_of(&x2), ny = count_of(&y), nb = count_of(&loss);
  uint16_t a[64], b[64], got[3][256], want[3][256];
  int8_t labels[64];
  mrank_random r = {9};
  for (size_t i = 0; i < 64; ++i) {
    a[i] = (uint16_t)(0x3000 + (mrank_random_next(&r) & 0x0fff)); /* 0.125 .. 1 */
    b[i] = (uint16_t)(0x3000 + (mrank_random_next(&r) & 0x0fff));
    labels[i] = mrank_random_sign(&r) > 0 ? 1 : -1;
  }
  cl_context context = mrank_context_cl_context(ctx);
  cl_int err = CL_SUCCESS;
  cl_mem ba = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, n1 * 2, a, &err);
  cl_mem bb = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, n2 * 2, b, &err);
  cl_mem bl = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, ny, labels, &err);
  cl_mem bo[3];
  for (int k = 0; k < 3; ++k)
    bo[k] = clCreateBuffer(context, CL_MEM_READ_WRITE, nb * 2, NULL, &err);
  cr_assert_eq(err, CL_SUCCESS);
  cr_assert_eq(mrank_forward_backward_tensor_buffers(
                   ctx, MRANK_REDUCTION_SUM, 0.25, &x1, ba, &x2, bb, &y, bl,
                   &(mrank_tensor){.dtype = MRANK_DTYPE_F16}, bo[0], &x1, bo[1], &x2, bo[2], NULL),
               MRANK_SUCCESS, "%s", mrank_last_error());
  const size_t sizes[3] = {1, n1, n2};
  for (int k = 0; k < 3; ++k) {
    cr_assert_eq(clEnqueueReadBuffer(mrank_context_queue(ctx), bo[k], CL_TRUE, 0, sizes[k] * 2,
                                     got[k], 0, NULL, NULL),
                 CL_SUCCESS);
    clReleaseMemObject(bo[k]);
  }
  cr_assert_eq(mrank_reference_forward_backward_tensor(
                   MRANK_REDUCTION_SUM, 0.25, &x1, a, &x2, b, &y, labels,
                   &(mrank_tensor){.dtype = MRANK_DTYPE_F16}, want[0], &x1, want[1], &x2, want[2]),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(memcmp(got[1], want[1], n1 * 2), 0, "dx1 of the half data");
  cr_assert_eq(memcmp(got[2], want[2], n2 * 2), 0, "dx2 of the half data");
  clReleaseMemObject(ba);
  clReleaseMemObject(bb);
  clReleaseMemObject(bl);
  mrank_context_destroy(ctx);
}

Test(tensors, refusals_name_what_is_wrong) {
  mrank_context *ctx = device();
  const size_t nd[] = {64, 5}, n[] = {64};
  const mrank_tensor x = dense(MRANK_DTYPE_F32, 2, nd), target = dense(MRANK_DTYPE_F32, 1, n);
  float data[320] = {0}, out[320], g1[320], g2[320];
  /* PyTorch's folklore trap: inputs (N, D), a target (N) */
  cr_assert_eq(mrank_forward_tensor(ctx, MRANK_REDUCTION_NONE, 1.0, &x, data, &x, data, &target,
                                    data, &x, out),
               MRANK_ERROR_INVALID_ARGUMENT);
  const char *message = mrank_last_error();
  cr_assert_not_null(strstr(message, "x1 (64, 5), x2 (64, 5) and y (64,) do not broadcast"), "%s",
                     message);
  cr_assert_not_null(strstr(message, "x1 has 5 and y 64"), "%s", message);
  cr_assert_not_null(strstr(message, "y of shape (64, 1)"), "the shape that works: %s", message);
  /* negative strides */
  mrank_tensor flipped = x;
  flipped.strides[0] = -5;
  cr_assert_eq(mrank_forward_tensor(ctx, MRANK_REDUCTION_NONE, 1.0, &flipped, data, &x, data, &x,
                                    data, &x, out),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "negative strides are not taken"), "%s",
                     mrank_last_error());
  /* an output whose positions share elements */
  mrank_tensor expanded = x;
  expanded.strides[0] = 0;
  cr_assert_eq(mrank_forward_tensor(ctx, MRANK_REDUCTION_NONE, 1.0, &x, data, &x, data, &x, data,
                                    &expanded, out),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "make positions share elements"), "%s",
                     mrank_last_error());
  /* two outputs on one array */
  cr_assert_eq(mrank_forward_backward_tensor(ctx, MRANK_REDUCTION_NONE, 1.0, &x, data, &x, data, &x,
                                             data, &x, out, &x, g1, &x, g1),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "dx1 and dx2 overlap"), "%s", mrank_last_error());
  /* an output of the wrong shape */
  cr_assert_eq(mrank_forward_backward_tensor(ctx, MRANK_REDUCTION_NONE, 1.0, &x, data, &x, data, &x,
                                             data, &target, out, &x, g1, &x, g2),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "loss has shape (64,); it must be (64, 5)"), "%s",
                     mrank_last_error());
  /* rank */
  mrank_tensor deep = x;
  deep.rank = 6;
  cr_assert_eq(mrank_forward_tensor(ctx, MRANK_REDUCTION_NONE, 1.0, &deep, data, &x, data, &x, data,
                                    &x, out),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "rank 6; mrank takes 0 to 5"), "%s",
                     mrank_last_error());
  mrank_context_destroy(ctx);
}

/* Contiguous inputs of one shape take the contiguous path: the same bits as mrank_forward_ex; a
 * zero-size dimension is no element at all. */
Test(tensors, the_contiguous_case_and_empty_shapes) {
  mrank_context *ctx = device();
  const size_t shape[] = {3, 111};
  const mrank_tensor t = dense(MRANK_DTYPE_F32, 2, shape),
                     scalar = dense(MRANK_DTYPE_F32, 0, shape);
  float *a = random_floats(333, 7), *b = random_floats(333, 8), *y = random_floats(333, 9);
  float got = 0, want = 1;
  cr_assert_eq(
      mrank_forward_tensor(ctx, MRANK_REDUCTION_SUM, 1.0, &t, a, &t, b, &t, y, &scalar, &got),
      MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_forward(ctx, 333, a, b, y, 1.0f, MRANK_REDUCTION_SUM, &want), MRANK_SUCCESS);
  cr_assert_eq(float_bits(got), float_bits(want));
  const size_t empty_shape[] = {0, 4};
  const mrank_tensor empty = dense(MRANK_DTYPE_F32, 2, empty_shape);
  cr_assert_eq(mrank_forward_tensor(ctx, MRANK_REDUCTION_SUM, 1.0, &empty, a, &t, b, &empty, y,
                                    &scalar, &got),
               MRANK_ERROR_INVALID_ARGUMENT, "(0, 4) against (3, 111) does not broadcast");
  cr_assert_eq(mrank_forward_tensor(ctx, MRANK_REDUCTION_SUM, 1.0, &empty, a, &empty, b, &empty, y,
                                    &scalar, &got),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(float_bits(got), float_bits(0.0f), "the sum of nothing is 0");
  free(a);
  free(b);
  free(y);
  mrank_context_destroy(ctx);
}

/* backward on buffers: a transposed dloss gathered, both inputs broadcast (an outer product) */
Test(tensors, backward_on_buffers_gathers_dloss_and_sums_back) {
  mrank_context *ctx = device();
  const size_t s1[] = {3, 1}, s2[] = {1, 4}, sy[] = {3, 4};
  const mrank_tensor x1 = dense(MRANK_DTYPE_F32, 2, s1), x2 = dense(MRANK_DTYPE_F32, 2, s2),
                     y = dense(MRANK_DTYPE_F32, 2, sy);
  const mrank_tensor dloss = {MRANK_DTYPE_F32, 2, {3, 4}, {1, 3}, 0}; /* a transposed 4 x 3 */
  float a[3] = {0.5f, -1.0f, 2.0f}, b[4] = {1.0f, 0.25f, -0.5f, 3.0f}, labels[12], up[12];
  for (int i = 0; i < 12; ++i) {
    labels[i] = i % 2 ? 1.0f : -1.0f;
    up[i] = 0.1f * (float)(i + 1);
  }
  cl_context context = mrank_context_cl_context(ctx);
  cl_int err = CL_SUCCESS;
  cl_mem ba = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, sizeof a, a, &err);
  cl_mem bb = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, sizeof b, b, &err);
  cl_mem bl = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, sizeof labels, labels, &err);
  cl_mem bu = clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, sizeof up, up, &err);
  cl_mem g1 = clCreateBuffer(context, CL_MEM_READ_WRITE, sizeof a, NULL, &err);
  cl_mem g2 = clCreateBuffer(context, CL_MEM_READ_WRITE, sizeof b, NULL, &err);
  cr_assert_eq(err, CL_SUCCESS);
  cr_assert_eq(mrank_backward_tensor_buffers(ctx, MRANK_REDUCTION_NONE, 1.0, &x1, ba, &x2, bb, &y,
                                             bl, &dloss, bu, &x1, g1, &x2, g2, NULL),
               MRANK_SUCCESS, "%s", mrank_last_error());
  float got1[3], got2[4], want1[3], want2[4];
  clEnqueueReadBuffer(mrank_context_queue(ctx), g1, CL_TRUE, 0, sizeof got1, got1, 0, NULL, NULL);
  clEnqueueReadBuffer(mrank_context_queue(ctx), g2, CL_TRUE, 0, sizeof got2, got2, 0, NULL, NULL);
  cr_assert_eq(mrank_reference_backward_tensor(MRANK_REDUCTION_NONE, 1.0, &x1, a, &x2, b, &y,
                                               labels, &dloss, up, &x1, want1, &x2, want2),
               MRANK_SUCCESS, "%s", mrank_last_error());
  assert_same_bits(got1, want1, 3, "dx1 summed over the 4 columns", 3);
  assert_same_bits(got2, want2, 4, "dx2 summed over the 3 rows", 4);
  /* by hand, dx2[c] = sum over rows r of (hinge active ? y * dloss : 0), rows in order */
  for (int c = 0; c < 4; ++c) {
    float sum = 0.0f;
    for (int r = 0; r < 3; ++r) {
      const float label = labels[r * 4 + c], dist = -label * (a[r] - b[c]) + 1.0f;
      sum += dist < 0 ? 0.0f : label * up[c * 3 + r];
    }
    cr_assert_eq(float_bits(got2[c]), float_bits(sum), "dx2[%d]", c);
  }
  cl_mem all[] = {ba, bb, bl, bu, g1, g2};
  for (int k = 0; k < 6; ++k)
    clReleaseMemObject(all[k]);
  mrank_context_destroy(ctx);
}

Test(tensors, validate_and_bench_take_shapes, .timeout = 120) {
  char *out = NULL;
  cr_assert_eq(
      run_cli("", "validate --shape 4x1x7,4x5x7,1x5x1 --dtype f32,f16 --labels i8 2>&1", &out), 0,
      "%s", out);
  cr_assert_not_null(strstr(out, "validate: 36 passed, 0 failed"), "%s", out);
  cr_assert_not_null(strstr(out, "__REPRO: mrank validate --device"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "validate --shape 5x3,5x3,- --strides 1x5,3x1, --op fused 2>&1", &out),
               0, "%s", out);
  cr_assert_not_null(strstr(out, "0 failed"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "validate --shape 64x5,64x5,64 --op forward 2>&1", &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "y of shape (64, 1)"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "validate --shape 4x4,4x4 2>&1", &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "give three shapes"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "bench --shape 64x48 --budget 0.05 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "forward, x1 transposed"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "bench --shape 64 2>&1", &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "--shape is RxC"), "%s", out);
  free(out);
}

/* Views whose element count or byte extent passes the address space are refused before any
 * pointer arithmetic, with the contiguous entry points' words: sizes {2^32, 2^32} used to wrap to
 * 0 elements and return SUCCESS with loss 0; a huge stride or offset, or a broadcast of two views
 * that each fit, likewise. */
Test(tensors, views_beyond_the_address_space_are_refused) {
  mrank_context *ctx = device();
  float data[8] = {0}, loss = -1.0f;
  const size_t one[] = {1};
  const mrank_tensor scalar_loss = dense(MRANK_DTYPE_F32, 0, one);
  /* by hand: dense() would compute the stride 2^64 of a dimension past the last */
  mrank_tensor huge = {
      MRANK_DTYPE_F32, 2, {(size_t)1 << 32, (size_t)1 << 32}, {(ptrdiff_t)1 << 32, 1}, 0};
  mrank_tensor stride = dense(MRANK_DTYPE_F32, 2, (const size_t[]){2, 2});
  stride.strides[0] = PTRDIFF_MAX / 2;
  mrank_tensor offset = dense(MRANK_DTYPE_F32, 1, one);
  offset.offset = SIZE_MAX - 1;
  mrank_tensor tall = dense(MRANK_DTYPE_F32, 2, (const size_t[]){(size_t)1 << 40, 1});
  tall.strides[0] = 0; /* one element repeated: its extent fits, the broadcast below does not */
  mrank_tensor wide = dense(MRANK_DTYPE_F32, 2, (const size_t[]){1, (size_t)1 << 40});
  wide.strides[1] = 0;
  const struct {
    const mrank_tensor *a, *b;
    const char *expected;
  } cases[] = {{&huge, &huge, "x1 of shape (4294967296, 4294967296)"},
               {&stride, &stride, "reaches more bytes than the address space holds"},
               {&offset, &offset, "(offset 18446744073709551614)"},
               {&tall, &wide, "the broadcast shape of x1, x2 and y has more elements"}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    cr_assert_eq(mrank_forward_tensor(ctx, MRANK_REDUCTION_SUM, 1.0, cases[k].a, data, cases[k].b,
                                      data, cases[k].a, data, &scalar_loss, &loss),
                 MRANK_ERROR_INVALID_ARGUMENT, "case %zu", k);
    cr_assert_not_null(strstr(mrank_last_error(), cases[k].expected), "case %zu: %s", k,
                       mrank_last_error());
    cr_assert_eq(loss, -1.0f, "nothing was written");
  }
  mrank_context_destroy(ctx);
}
