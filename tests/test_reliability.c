/* test_reliability.c: threads, and (in MRANK_LEDGER builds: Debug, which CI's sanitizer job uses)
 * the object ledger returning to zero after every entry point, injected device failures that leave
 * the caller's outputs untouched and name the failed call, and the loud refusal of a context shared
 * by two threads at once. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "helpers.h"

static int ledger_built(void) {
  long counts[MRANK_LEDGER_KINDS];
  return mrank_debug_ledger(counts);
}

static void expect_ledger_empty(const char *when) {
  long counts[MRANK_LEDGER_KINDS];
  cr_assert(mrank_debug_ledger(counts));
  static const char *const kinds[] = {"contexts", "queues", "programs", "kernels", "buffers"};
  for (int k = 0; k < MRANK_LEDGER_KINDS; ++k) {
    cr_assert_eq(counts[k], 0, "%s: %ld %s still held", when, counts[k], kinds[k]);
  }
}

Test(ledger, every_entry_point_gives_back_what_it_took) {
  if (!ledger_built()) cr_skip_test("built without MRANK_LEDGER (a Debug build has it)");
  unsetenv("MRANK_DEVICE");
  const size_t n = 5000;
  test_inputs in = make_inputs(n, 11, 1);
  float *out = test_alloc(n), *out2 = test_alloc(n), *out3 = test_alloc(n), loss;
  for (int round = 0; round < 3; ++round) {
    setenv("MRANK_NO_ZERO_COPY", round == 1 ? "1" : "0", 1);
    setenv("MRANK_MAX_ALLOC", round == 2 ? "8192" : "", 1); /* round 2: several chunks */
    mrank_context *ctx = NULL;
    cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
    for (int repeat = 0; repeat < 20; ++repeat) {
      for (int r = 0; r < 3; ++r) {
        const mrank_reduction red = (mrank_reduction)r;
        float *target = red == MRANK_REDUCTION_NONE ? out : &loss;
        cr_assert_eq(mrank_forward(ctx, n, in.x1, in.x2, in.y, 1.0f, red, target), MRANK_SUCCESS);
        cr_assert_eq(mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, red, in.dloss, out2, out3),
                     MRANK_SUCCESS);
        cr_assert_eq(
            mrank_forward_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, red, target, out2, out3),
            MRANK_SUCCESS);
      }
      const mrank_problem problem = {MRANK_OP_FUSED,  MRANK_REDUCTION_MEAN, 999, 1.0f, 1, 0,
                                     MRANK_DTYPE_F16, MRANK_DTYPE_I8};
      mrank_validation report;
      cr_assert_eq(mrank_validate(ctx, &problem, &report), MRANK_SUCCESS);
    }
    /* the buffer entry points, with events */
    cl_context cl = mrank_context_cl_context(ctx);
    cl_int err;
    cl_mem b = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * 4, in.x1, &err);
    cl_mem o = clCreateBuffer(cl, CL_MEM_READ_WRITE, 3 * n * 4, NULL, &err);
    for (int repeat = 0; repeat < 20; ++repeat) {
      cl_event event = NULL;
      cr_assert_eq(
          mrank_forward_backward_buffers(ctx, n, b, 0, b, 0, b, 0, 1.0f, MRANK_REDUCTION_SUM, o, 0,
                                         o, n, o, 2 * n, &event),
          MRANK_SUCCESS, "%s", mrank_last_error());
      clWaitForEvents(1, &event);
      clReleaseEvent(event);
    }
    clReleaseMemObject(b);
    clReleaseMemObject(o);
    mrank_context_destroy(ctx);
    expect_ledger_empty(round == 0 ? "zero-copy" : round == 1 ? "staging copies" : "chunked");
  }
  unsetenv("MRANK_MAX_ALLOC");
  unsetenv("MRANK_NO_ZERO_COPY");
  free(out);
  free(out2);
  free(out3);
  free_inputs(&in);
}

Test(faults, a_device_failure_midway_leaves_outputs_untouched) {
  if (!ledger_built()) cr_skip_test("built without MRANK_LEDGER (a Debug build has it)");
  unsetenv("MRANK_DEVICE");
  /* several chunks and staging copies: many enqueues per call, each of which may fail */
  setenv("MRANK_MAX_ALLOC", "4096", 1);
  setenv("MRANK_NO_ZERO_COPY", "1", 1);
  const size_t n = 3000;
  test_inputs in = make_inputs(n, 12, 1);
  float *dx1 = test_alloc(n), *dx2 = test_alloc(n), *want1 = test_alloc(n), *want2 = test_alloc(n);
  mrank_reference_backward(n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, want1,
                           want2);
  int failures = 0;
  for (int k = 1; k <= 40; ++k) {
    char which[16];
    snprintf(which, sizeof which, "%d", k);
    setenv("MRANK_FAIL_ENQUEUE", which, 1); /* the k-th enqueue of this process fails */
    mrank_context *ctx = NULL;
    cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS);
    for (size_t i = 0; i < n; ++i)
      dx1[i] = dx2[i] = -7.0f;
    const mrank_status status =
        mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, dx1, dx2);
    if (status != MRANK_SUCCESS) {
      failures++;
      cr_assert_eq(status, MRANK_ERROR_OUT_OF_MEMORY, "%s", mrank_last_error());
      cr_assert_not_null(strstr(mrank_last_error(), "clEnqueue"), "names the call: %s",
                         mrank_last_error());
      cr_assert_not_null(strstr(mrank_last_error(), "CL_OUT_OF_RESOURCES"), "%s",
                         mrank_last_error());
      for (size_t i = 0; i < n; ++i) {
        cr_assert(dx1[i] == -7.0f && dx2[i] == -7.0f, "k = %d: output %zu was written", k, i);
      }
    } else {
      assert_same_bits(dx1, want1, n, "dx1 after the fault point", n);
    }
    unsetenv("MRANK_FAIL_ENQUEUE");
    /* the context is still usable */
    cr_assert_eq(
        mrank_backward(ctx, n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss, dx1, dx2),
        MRANK_SUCCESS, "%s", mrank_last_error());
    assert_same_bits(dx2, want2, n, "dx2 after a failed call", n);
    mrank_context_destroy(ctx);
  }
  cr_assert_gt(failures, 10, "the hook made calls fail (%d)", failures);
  expect_ledger_empty("after injected faults");
  free(dx1);
  free(dx2);
  free(want1);
  free(want2);
  free_inputs(&in);
}

typedef struct worker {
  int id, failures;
} worker;

/* bit for bit, NaN equal to NaN (its sign and payload are not specified through a multiply) */
static int same_bits_nan_equal(const float *a, const float *b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!(isnan(a[i]) && isnan(b[i])) && memcmp(&a[i], &b[i], sizeof(float)) != 0) return 0;
  }
  return 1;
}

static void *run_worker(void *argument) {
  worker *w = argument;
  mrank_context *ctx = NULL;
  if (mrank_context_create(NULL, &ctx) != MRANK_SUCCESS) {
    w->failures = -1;
    return NULL;
  }
  test_inputs in = make_inputs(257, 900 + (unsigned long long)w->id, 1);
  float got[257], want[257], sum = 0.0f, sum_want = 0.0f;
  mrank_reference_forward(257, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, want);
  for (int call = 0; call < 500; ++call) {
    if (call % 2 == 0) {
      if (mrank_forward(ctx, 257, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, got) !=
              MRANK_SUCCESS ||
          !same_bits_nan_equal(got, want, 257)) {
        w->failures++;
      }
    } else if (mrank_forward(ctx, 50, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_SUM, &sum) !=
                   MRANK_SUCCESS ||
               (mrank_reference_forward(50, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_SUM,
                                        &sum_want),
                fabsf(sum - sum_want) > 1e-4f * fabsf(sum_want))) {
      w->failures++;
    }
  }
  free_inputs(&in);
  mrank_context_destroy(ctx);
  return NULL;
}

Test(threads, eight_threads_with_a_context_each, .timeout = 120) {
  unsetenv("MRANK_DEVICE");
  pthread_t threads[8];
  worker workers[8];
  for (int t = 0; t < 8; ++t) {
    workers[t].id = t;
    workers[t].failures = 0;
    cr_assert_eq(pthread_create(&threads[t], NULL, run_worker, &workers[t]), 0);
  }
  for (int t = 0; t < 8; ++t)
    pthread_join(threads[t], NULL);
  for (int t = 0; t < 8; ++t) {
    cr_assert_eq(workers[t].failures, 0, "thread %d: %d of 500 calls differ or failed", t,
                 workers[t].failures);
  }
}

#ifdef MRANK_LEDGER
static mrank_context *shared_context;

static void *hammer(void *unused) {
  (void)unused;
  test_inputs in = make_inputs(1 << 18, 5, 0);
  float *out = test_alloc(1 << 18);
  for (int call = 0; call < 2000; ++call) {
    mrank_forward(shared_context, 1 << 18, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, out);
  }
  return NULL;
}

/* The header says a context is for one thread at a time; a debug build enforces it */
Test(threads, a_context_shared_by_two_threads_aborts_in_debug_builds, .signal = SIGABRT,
     .timeout = 120) {
  unsetenv("MRANK_DEVICE");
  cr_assert_eq(mrank_context_create(NULL, &shared_context), MRANK_SUCCESS);
  pthread_t a, b;
  pthread_create(&a, NULL, hammer, NULL);
  pthread_create(&b, NULL, hammer, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
}
#endif
