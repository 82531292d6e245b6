/* validate_guarded.c: validate's guarded run (see validate_guarded.h). The library's host-array
 * path stages outputs in device buffers that may be larger than the output (they are reused and
 * only grow), so a kernel writing past its output's end lands inside one unseen; here every output
 * is a buffer of its own, guard + length + guard elements, the guards filled with a pattern and
 * read back after the run. */
#include "validate_guarded.h"

#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "errors.h"
#include "types.h"

static const unsigned char guard_byte = 0x5a; /* another pattern than the host canary's */

int mrank_guarded_run_applies(const mrank_context *ctx, const mrank_problem *problem) {
  return !ctx->is_host && mrank_context_device_count(ctx) == 1 && problem->n > 0;
}

/* A read-only buffer holding `bytes` of `host`. */
static cl_mem input_buffer(cl_context cl, const void *host, size_t bytes, cl_int *err) {
  return clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, (void *)host, err);
}

static int guards_intact(const unsigned char *staged, size_t length, size_t size) {
  const size_t guard = MRANK_GUARD_ELEMENTS * size, after = guard + length * size;
  for (size_t b = 0; b < guard; ++b) {
    if (staged[b] != guard_byte || staged[after + b] != guard_byte) return 0;
  }
  return 1;
}

static mrank_status enqueue(mrank_context *ctx, const mrank_problem *p, cl_mem *in, cl_mem *out) {
  const mrank_desc desc = {p->data, p->labels, p->reduction, p->margin};
  const size_t g = MRANK_GUARD_ELEMENTS;
  if (p->op == MRANK_OP_FORWARD) {
    return mrank_forward_buffers_ex(ctx, &desc, p->n, in[0], 0, in[1], 0, in[2], 0, out[0], g,
                                    NULL);
  }
  if (p->op == MRANK_OP_BACKWARD) {
    return mrank_backward_buffers_ex(ctx, &desc, p->n, in[0], 0, in[1], 0, in[2], 0, in[3], 0,
                                     out[1], g, out[2], g, NULL);
  }
  return mrank_forward_backward_buffers_ex(ctx, &desc, p->n, in[0], 0, in[1], 0, in[2], 0, out[0],
                                           g, out[1], g, out[2], g, NULL);
}

mrank_status mrank_run_guarded(mrank_context *ctx, const mrank_problem *p,
                               const mrank_problem_data *d, void *const *out, const size_t *lengths,
                               int *intact) {
  mrank_status status = MRANK_SUCCESS;
  const size_t size = mrank_dtype_size(p->data), label_size = mrank_dtype_size(p->labels);
  const size_t dloss_length = p->reduction == MRANK_REDUCTION_NONE ? p->n : 1;
  cl_context cl = mrank_context_cl_context(ctx);
  cl_command_queue queue = mrank_context_queue(ctx);
  cl_mem in[4] = {NULL, NULL, NULL, NULL}, outputs[3] = {NULL, NULL, NULL};
  unsigned char *staged[3] = {NULL, NULL, NULL};
  cl_int err = CL_SUCCESS;
  const void *hosts[4] = {d->x1, d->x2, d->y, d->dloss};
  const size_t bytes[4] = {p->n * size, p->n * size, p->n * label_size, dloss_length * size};
  for (int k = 0; k < 4; ++k) {
    if (k == 3 && p->op != MRANK_OP_BACKWARD) continue;
    in[k] = input_buffer(cl, hosts[k], bytes[k], &err);
    MRANK_CHECK_CL(err, "clCreateBuffer (validate's exact-size inputs)");
  }
  for (int o = 0; o < 3; ++o) {
    intact[o] = 1;
    if (lengths[o] == 0) continue;
    const size_t total = (lengths[o] + 2 * MRANK_GUARD_ELEMENTS) * size;
    staged[o] = malloc(total);
    MRANK_CHECK(staged[o] != NULL, MRANK_ERROR_OUT_OF_MEMORY,
                "mrank_validate: out of host memory for the guarded outputs");
    memset(staged[o], guard_byte, total);
    outputs[o] =
        clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, total, staged[o], &err);
    MRANK_CHECK_CL(err, "clCreateBuffer (validate's guarded outputs)");
  }
  MRANK_TRY(enqueue(ctx, p, in, outputs));
  for (int o = 0; o < 3; ++o) {
    if (lengths[o] == 0) continue;
    const size_t total = (lengths[o] + 2 * MRANK_GUARD_ELEMENTS) * size;
    MRANK_CHECK_CL(
        clEnqueueReadBuffer(queue, outputs[o], CL_TRUE, 0, total, staged[o], 0, NULL, NULL),
        "clEnqueueReadBuffer (validate's guarded outputs)");
    intact[o] = guards_intact(staged[o], lengths[o], size);
    memcpy(out[o], staged[o] + MRANK_GUARD_ELEMENTS * size, lengths[o] * size);
  }
error:
  for (int k = 0; k < 4; ++k)
    if (in[k] != NULL) clReleaseMemObject(in[k]);
  for (int o = 0; o < 3; ++o) {
    if (outputs[o] != NULL) clReleaseMemObject(outputs[o]);
    free(staged[o]);
  }
  return status;
}
