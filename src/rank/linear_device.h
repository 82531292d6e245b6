/* linear_device.h: the linear scorer's training step on an OpenCL device. One step over a batch of
 * queries (whose documents and pairs are consecutive):
 *   s[d]      = X[d] . w                      GEMV over the batch's documents (CLBlast)
 *   x1, x2    = s[a[p]], s[b[p]]               gather, y = +1 (a ranks above b)
 *   loss, g   = mrank_forward_backward (mean)  the fused hinge and its gradients
 *   gd[d]     = sum of g over d's pairs        a fixed-order gather over a doc -> pairs index
 *   grad      = X^T gd + l2 w                  GEMV, transposed (CLBlast)
 *   v = momentum v + grad, w -= lr v           update (and the running average of w)
 * Nothing returns to the host inside an epoch; the epoch's loss is accumulated on the device and
 * read once. */
#ifndef MRANK_RANK_LINEAR_DEVICE_H
#define MRANK_RANK_LINEAR_DEVICE_H

#include <stddef.h>

#include "mrank.h"
#include "rank/dataset.h"
#include "rank/model.h"
#include "rank/pairs.h"

enum { RANK_K_GATHER, RANK_K_SCATTER, RANK_K_UPDATE, RANK_K_ACCUMULATE, RANK_K_COUNT };

/* Per-stage device time, seconds (profiling events). */
typedef struct rank_stage_times {
  double gemv, gather, loss, scatter, update;
} rank_stage_times;

typedef struct rank_linear_device {
  int profile;
  int host_unified;          /* the device's memory is the host's */
  unsigned long long memory; /* the device's global memory, bytes */
  size_t docs, features;
  cl_context cl;
  cl_command_queue queue; /* the trainer's own (profiling when asked), shared with mrank */
  cl_program program;
  int cache_warned; /* the one warning about an unwritable kernel cache was given */
  cl_kernel kernel[RANK_K_COUNT];
  size_t local[RANK_K_COUNT]; /* work-group size: 64, or less where the device allows less */
  cl_mem x, w, w_average, v, scores, grad, doc_gradient, a, b, x1, x2, y, dx1, dx2, doc_start,
      doc_entries, loss, total;
  size_t pair_capacity; /* of the pair buffers */
  int pairs_on_device;  /* the complete pair set is uploaded: later epochs reuse it */
} rank_linear_device;

/* Puts x (docs x features, already scaled) on the device of *ctx, whose context is replaced by one
 * on the trainer's own queue. 0 and a message on failure (then release with
 * rank_linear_device_free). */
int rank_linear_device_init(rank_linear_device *dev, mrank_context **ctx, const float *x,
                            size_t docs, size_t features, int profile, char *error,
                            size_t error_size);
/* Releases what init made, and destroys *ctx (which may be on the device's queue). */
void rank_linear_device_free(rank_linear_device *dev, mrank_context **ctx);
/* w, v, the average and the GEMV outputs to zero. */
int rank_linear_device_reset(rank_linear_device *dev, char *error, size_t error_size);
/* The pairs and the document index, once an epoch when sampled, once for the run when complete;
 * and the epoch's loss total to zero. */
int rank_linear_device_begin_epoch(rank_linear_device *dev, const rank_pairs *pairs, char *error,
                                   size_t error_size);
/* One step over queries [q0, q1); `step` counts the updates since the reset (1 for the first). */
int rank_linear_device_step(rank_linear_device *dev, mrank_context *ctx, const rank_dataset *data,
                            const rank_pairs *pairs, size_t q0, size_t q1,
                            const rank_options *options, double step, rank_stage_times *times,
                            char *error, size_t error_size);
/* The epoch's summed loss (mean of each batch times its pairs). */
int rank_linear_device_loss(rank_linear_device *dev, double *total, char *error, size_t error_size);
/* w, or its running average. */
int rank_linear_device_weights(rank_linear_device *dev, int average, float *weights, float *last,
                               char *error, size_t error_size);

/* The build options of kernels/ranker.cl for this device (`mrank compile` builds the same) and
 * the work-group size its kernels launch with. */
size_t rank_linear_program_options(cl_device_id device, char *options, size_t size);

#endif /* MRANK_RANK_LINEAR_DEVICE_H */
