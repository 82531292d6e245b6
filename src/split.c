/* split.c: a host-array call over several devices. n is cut into one share per device, in
 * proportion to the speed each device showed on its last large share (equal shares until then),
 * every share a multiple of 64 elements but the last: the pass-1 blocks of the summation tree are
 * then the same blocks whatever the split, and their partial sums, brought back from each device
 * and reduced on the first one by the same later passes, give the bits of one device. The devices
 * run at once, one thread and one in-order queue each. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reduce.h"
#include "split.h"

/* Below this many elements a call stays on one device: a share would be mostly launch overhead. */
static const size_t split_minimum = 4096;
/* A share this large measures the device's speed (smaller ones mostly measure latency). */
static const size_t speed_sample_minimum = (size_t)1 << 16;

typedef struct device_share {
  mrank_context *ctx;
  const mrank_variant *v;
  size_t offset, count;
  double margin;
  const void *x1, *x2, *y;
  host_op op;
  mrank_status status;
  char message[2048];
  double seconds;
} device_share;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const void *at(const void *array, size_t index, size_t element_size) {
  return array == NULL ? NULL : (const char *)array + index * element_size;
}

static void run_share(device_share *s) {
  const double start = now();
  const size_t data = s->v->data_size, label = s->v->label_size;
  s->status = s->count == 0 ? MRANK_SUCCESS
                            : mrank_run_chunks(
                                  s->ctx, s->v, s->count, s->margin, at(s->x1, s->offset, data),
                                  at(s->x2, s->offset, data), at(s->y, s->offset, label), &s->op);
  if (s->status != MRANK_SUCCESS) snprintf(s->message, sizeof s->message, "%s", mrank_last_error());
  s->seconds = now() - start;
}

static void *share_thread(void *arg) {
  run_share(arg);
  return NULL;
}

/* counts[d]: multiples of 64 in proportion to speed (equal while any is unmeasured), each device
 * at least one block, the last device the rest. */
static void cut_shares(const mrank_context *ctx, size_t devices, size_t n, size_t *counts) {
  double total = 0.0;
  int measured = 1;
  for (size_t d = 0; d < devices; ++d) {
    total += ctx->speed[d];
    measured = measured && ctx->speed[d] > 0.0;
  }
  const size_t blocks = n / MRANK_FIRST_FAN_IN;
  size_t given = 0;
  for (size_t d = 0; d + 1 < devices; ++d) {
    const double fraction = measured ? ctx->speed[d] / total : 1.0 / (double)devices;
    size_t share = (size_t)((double)blocks * fraction);
    const size_t left_for_others = devices - 1 - d; /* one block each at least */
    if (share < 1) share = 1;
    if (given + share + left_for_others > blocks) share = blocks - given - left_for_others;
    counts[d] = share * MRANK_FIRST_FAN_IN;
    given += share;
  }
  counts[devices - 1] = n - given * MRANK_FIRST_FAN_IN;
}

static int overlaps(const void *a, size_t a_bytes, const void *b, size_t b_bytes) {
  if (a == NULL || b == NULL) return 0;
  const char *x = a, *y = b;
  return x < y + b_bytes && y < x + a_bytes;
}

static int outputs_overlap_inputs(const mrank_variant *v, size_t n, const void *x1, const void *x2,
                                  const void *y, const host_op *op) {
  const size_t data = n * v->data_size, labels = n * v->label_size;
  for (int o = 0; o < op->output_count; ++o) {
    const void *out = op->outputs[o];
    if (overlaps(out, data, x1, data) || overlaps(out, data, x2, data) ||
        overlaps(out, data, y, labels) || overlaps(out, data, op->extra_input, data)) {
      return 1;
    }
  }
  return 0;
}

mrank_status mrank_run_split(mrank_context *ctx, const mrank_variant *v, size_t n, double margin,
                             const void *x1, const void *x2, const void *y, host_op *op) {
  const size_t devices = ctx->peer_count;
  if (devices < 2 || n < split_minimum * devices) {
    return mrank_run_chunks(ctx, v, n, margin, x1, x2, y, op);
  }
  mrank_status status = MRANK_SUCCESS;
  device_share shares[MRANK_MAX_DEVICES];
  pthread_t threads[MRANK_MAX_DEVICES];
  int started[MRANK_MAX_DEVICES] = {0};
  size_t counts[MRANK_MAX_DEVICES];
  /* outputs over an input are held until every device succeeded: a failure on one device then
   * leaves the caller's inputs untouched (outputs apart from the inputs are written in place: a
   * failure leaves them partly written, as the error says) */
  void *held[3] = {NULL, NULL, NULL};
  const int reduced = op->reduced_output != NULL;
  void *partials = NULL;
  const size_t bytes = n * v->data_size;
  const int hold = outputs_overlap_inputs(v, n, x1, x2, y, op);
  for (int o = 0; o < op->output_count && hold; ++o) {
    if (op->outputs[o] == NULL) continue;
    held[o] = malloc(bytes);
    MRANK_CHECK(held[o] != NULL, MRANK_ERROR_OUT_OF_MEMORY,
                "out of host memory for %zu bytes of output held until every device is done",
                bytes);
  }
  if (reduced) {
    partials = malloc(mrank_first_pass_outputs(n) * v->real_size);
    MRANK_CHECK(partials != NULL, MRANK_ERROR_OUT_OF_MEMORY,
                "out of host memory for the partial sums of %zu elements", n);
  }
  cut_shares(ctx, devices, n, counts);
  size_t offset = 0;
  for (size_t d = 0; d < devices; ++d) {
    device_share *s = &shares[d];
    memset(s, 0, sizeof *s);
    *s = (device_share){.ctx = ctx->peers[d],
                        .v = v,
                        .offset = offset,
                        .count = counts[d],
                        .margin = margin,
                        .x1 = x1,
                        .x2 = x2,
                        .y = y,
                        .op = *op};
    for (int o = 0; o < op->output_count; ++o) {
      void *target = held[o] != NULL ? held[o] : op->outputs[o];
      s->op.outputs[o] = target == NULL ? NULL : (char *)target + offset * v->data_size;
    }
    s->op.extra_input = at(op->extra_input, offset, v->data_size);
    if (reduced) {
      s->op.partials_out = (char *)partials + (offset / MRANK_FIRST_FAN_IN) * v->real_size;
    }
    offset += counts[d];
  }
  for (size_t d = 1; d < devices; ++d) {
    started[d] = pthread_create(&threads[d], NULL, share_thread, &shares[d]) == 0;
    if (!started[d]) run_share(&shares[d]); /* no thread to spare: run it here, in turn */
  }
  run_share(&shares[0]); /* the first device's share in this thread */
  for (size_t d = 1; d < devices; ++d) {
    if (started[d]) pthread_join(threads[d], NULL);
  }
  for (size_t d = 0; d < devices; ++d) {
    const device_share *s = &shares[d];
    MRANK_CHECK(s->status == MRANK_SUCCESS, s->status,
                "device %zu of %zu (%s), elements %zu..%zu: %s (outputs apart from the inputs "
                "may be partly written)",
                d, devices, mrank_context_device_name(s->ctx), s->offset, s->offset + s->count,
                s->message);
  }
  for (size_t d = 0; d < devices; ++d) {
    if (shares[d].count < speed_sample_minimum || shares[d].seconds <= 0.0) continue;
    const double speed = (double)shares[d].count / shares[d].seconds;
    ctx->speed[d] = ctx->speed[d] > 0.0 ? 0.5 * (ctx->speed[d] + speed) : speed;
  }
  if (reduced) {
    MRANK_TRY(mrank_reduce_host_partials(ctx, v, partials, mrank_first_pass_outputs(n), op->scale,
                                         op->reduced_output));
  }
  for (int o = 0; o < op->output_count; ++o) {
    if (held[o] != NULL) memcpy(op->outputs[o], held[o], bytes);
  }
error:
  for (int o = 0; o < 3; ++o)
    free(held[o]);
  free(partials);
  return status;
}
