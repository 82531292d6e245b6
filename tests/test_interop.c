/* test_interop.c: mrank on the caller's own OpenCL context and queue, and the buffer entry points
 * (offsets, events, argument checks). */
#include "helpers.h"

typedef struct caller_objects {
  cl_platform_id platform;
  cl_device_id device;
  cl_context context;
  cl_command_queue queue;
} caller_objects;

static caller_objects make_caller_objects(void) {
  caller_objects objects;
  cl_int err;
  if (clGetPlatformIDs(1, &objects.platform, NULL) != CL_SUCCESS ||
      clGetDeviceIDs(objects.platform, CL_DEVICE_TYPE_ALL, 1, &objects.device, NULL) !=
          CL_SUCCESS) {
    cr_skip_test("no OpenCL device on this machine");
  }
  objects.context = clCreateContext(NULL, 1, &objects.device, NULL, NULL, &err);
  cr_assert_eq(err, CL_SUCCESS);
  objects.queue = clCreateCommandQueue(objects.context, objects.device, 0, &err);
  cr_assert_eq(err, CL_SUCCESS);
  return objects;
}

static void release_caller_objects(caller_objects *objects) {
  clReleaseCommandQueue(objects->queue);
  clReleaseContext(objects->context);
}

static cl_mem upload(cl_context context, cl_command_queue queue, const float *data, size_t count) {
  cl_int err;
  cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE,
                                 (count > 0 ? count : 1) * sizeof(float), NULL, &err);
  cr_assert_eq(err, CL_SUCCESS);
  if (count > 0) {
    cr_assert_eq(
        clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, count * sizeof(float), data, 0, NULL, NULL),
        CL_SUCCESS);
  }
  return buffer;
}

static cl_uint reference_count(cl_context context) {
  cl_uint count = 0;
  clGetContextInfo(context, CL_CONTEXT_REFERENCE_COUNT, sizeof count, &count, NULL);
  return count;
}

static void expect_complete(cl_event event) {
  cr_assert_not_null(event, "an event was returned");
  cr_assert_eq(clWaitForEvents(1, &event), CL_SUCCESS);
  cl_int state = -1;
  clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof state, &state, NULL);
  cr_assert_eq(state, CL_COMPLETE);
  clReleaseEvent(event);
}

Test(interop, buffers_with_offsets_on_the_callers_queue) {
  caller_objects objects = make_caller_objects();
  const cl_uint references_before = reference_count(objects.context);
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create_from_cl(objects.context, objects.device, objects.queue, &ctx),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_context_cl_context(ctx), objects.context);
  cr_assert_eq(mrank_context_queue(ctx), objects.queue);

  /* inputs at different offsets in larger buffers, outputs likewise */
  const size_t n = 5000, pad = 7;
  test_inputs in = make_inputs(n + pad, 21, 1);
  cl_mem x1 = upload(objects.context, objects.queue, in.x1, n + pad);
  cl_mem x2 = upload(objects.context, objects.queue, in.x2, n + pad);
  cl_mem y = upload(objects.context, objects.queue, in.y, n + pad);
  cl_mem dloss = upload(objects.context, objects.queue, in.dloss, n + pad);
  cl_int err;
  cl_mem out =
      clCreateBuffer(objects.context, CL_MEM_READ_WRITE, (n + pad) * sizeof(float), NULL, &err);
  cl_mem out2 =
      clCreateBuffer(objects.context, CL_MEM_READ_WRITE, (n + pad) * sizeof(float), NULL, &err);
  float *got = test_alloc(n), *got2 = test_alloc(n), *want = test_alloc(n), *want2 = test_alloc(n);

  cl_event event = NULL;
  cr_assert_eq(mrank_forward_buffers(ctx, n, x1, 1, x2, 3, y, 0, 1.0f, MRANK_REDUCTION_NONE, out,
                                     pad, &event),
               MRANK_SUCCESS, "%s", mrank_last_error());
  expect_complete(event);
  clEnqueueReadBuffer(objects.queue, out, CL_TRUE, pad * sizeof(float), n * sizeof(float), got, 0,
                      NULL, NULL);
  mrank_reference_forward(n, in.x1 + 1, in.x2 + 3, in.y, 1.0f, MRANK_REDUCTION_NONE, want);
  assert_same_bits(got, want, n, "forward on buffers", n);

  cr_assert_eq(mrank_backward_buffers(ctx, n, x1, 1, x2, 3, y, 0, 1.0f, MRANK_REDUCTION_NONE, dloss,
                                      2, out, 0, out2, 5, &event),
               MRANK_SUCCESS, "%s", mrank_last_error());
  expect_complete(event);
  clEnqueueReadBuffer(objects.queue, out, CL_TRUE, 0, n * sizeof(float), got, 0, NULL, NULL);
  clEnqueueReadBuffer(objects.queue, out2, CL_TRUE, 5 * sizeof(float), n * sizeof(float), got2, 0,
                      NULL, NULL);
  mrank_reference_backward(n, in.x1 + 1, in.x2 + 3, in.y, 1.0f, MRANK_REDUCTION_NONE, in.dloss + 2,
                           want, want2);
  assert_same_bits(got, want, n, "dx1 on buffers", n);
  assert_same_bits(got2, want2, n, "dx2 on buffers", n);

  /* a reduction on buffers gives the bits of the host-array call (same chunks, same tree) */
  const mrank_reduction reductions[] = {MRANK_REDUCTION_MEAN, MRANK_REDUCTION_SUM};
  for (int r = 0; r < 2; ++r) {
    float on_buffers = 0.0f, on_host = 1.0f;
    cr_assert_eq(
        mrank_forward_buffers(ctx, n, x1, 1, x2, 3, y, 0, 1.0f, reductions[r], out, 4, NULL),
        MRANK_SUCCESS, "%s", mrank_last_error());
    clEnqueueReadBuffer(objects.queue, out, CL_TRUE, 4 * sizeof(float), sizeof(float), &on_buffers,
                        0, NULL, NULL);
    cr_assert_eq(mrank_forward(ctx, n, in.x1 + 1, in.x2 + 3, in.y, 1.0f, reductions[r], &on_host),
                 MRANK_SUCCESS);
    cr_assert_eq(float_bits(on_buffers), float_bits(on_host), "%.9g vs %.9g", on_buffers, on_host);
  }

  mrank_context_destroy(ctx);
  /* every buffer holds a reference to its context: the test's six are still alive */
  cr_assert_eq(reference_count(objects.context), references_before + 6,
               "mrank gave back exactly the references it took");
  /* the caller's queue still works after mrank is gone */
  cr_assert_eq(
      clEnqueueReadBuffer(objects.queue, out, CL_TRUE, 0, sizeof(float), got, 0, NULL, NULL),
      CL_SUCCESS);
  cl_mem buffers[] = {x1, x2, y, dloss, out, out2};
  for (int b = 0; b < 6; ++b)
    clReleaseMemObject(buffers[b]);
  free(got);
  free(got2);
  free(want);
  free(want2);
  free_inputs(&in);
  release_caller_objects(&objects);
}

Test(interop, buffer_arguments_are_checked) {
  caller_objects objects = make_caller_objects();
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create_from_cl(objects.context, objects.device, objects.queue, &ctx),
               MRANK_SUCCESS);
  const float data[16] = {0};
  cl_mem small = upload(objects.context, objects.queue, data, 16);
  cr_assert_eq(mrank_forward_buffers(ctx, 16, small, 1, small, 0, small, 0, 1.0f,
                                     MRANK_REDUCTION_NONE, small, 0, NULL),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "x1 holds 16 elements"), "%s", mrank_last_error());
  cr_assert_eq(mrank_forward_buffers(ctx, 16, small, 0, NULL, 0, small, 0, 1.0f,
                                     MRANK_REDUCTION_NONE, small, 0, NULL),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "x2 is NULL"), "%s", mrank_last_error());
  cr_assert_eq(mrank_backward_buffers(ctx, 16, small, 0, small, 0, small, 0, 1.0f,
                                      (mrank_reduction)5, small, 0, small, 0, small, 0, NULL),
               MRANK_ERROR_INVALID_ARGUMENT);
  /* a buffer of another context */
  caller_objects other = make_caller_objects();
  cl_mem foreign = upload(other.context, other.queue, data, 16);
  cr_assert_eq(mrank_forward_buffers(ctx, 16, small, 0, small, 0, foreign, 0, 1.0f,
                                     MRANK_REDUCTION_NONE, small, 0, NULL),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "another OpenCL context"), "%s",
                     mrank_last_error());
  /* a queue of another context */
  mrank_context *mixed = NULL;
  cr_assert_eq(mrank_context_create_from_cl(objects.context, objects.device, other.queue, &mixed),
               MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_null(mixed);
  cr_assert_eq(mrank_context_create_from_cl(NULL, objects.device, objects.queue, &mixed),
               MRANK_ERROR_INVALID_ARGUMENT);
  /* the host context has no buffers */
  mrank_context *host = NULL;
  cr_assert_eq(mrank_context_create("host", &host), MRANK_SUCCESS);
  cr_assert_eq(mrank_forward_buffers(host, 16, small, 0, small, 0, small, 0, 1.0f,
                                     MRANK_REDUCTION_NONE, small, 0, NULL),
               MRANK_ERROR_UNSUPPORTED);
  mrank_context_destroy(host);
  clReleaseMemObject(foreign);
  clReleaseMemObject(small);
  mrank_context_destroy(ctx);
  release_caller_objects(&other);
  release_caller_objects(&objects);
}
