/* linear_device.h: the linear scorer's training step on one OpenCL device, over the documents of
 * one lane (its share of the queries; rank/trainer.c). For the lane's queries [q0, q1) of a batch:
 *   s[d]       = x[d] . w                      features in order (kernels/ranker.cl: scores)
 *   x1, x2     = s[a[p]], s[b[p]]               gather, y = +1 (a ranks above b)
 *   loss, g    = mrank_forward_backward (sum)   the fused hinge; g is -1, 0 or +1: exact
 *   gd[d]      = sum of g over d's pairs        a fixed-order gather over a doc -> pairs index
 *   part[q][f] = sum over q's documents of x[d][f] gd[d], in document order
 * then either on the device (one lane) grad[f] = sum of part[q][f] in query order and the update,
 * or the partials go to the host, which adds every lane's (and every MPI rank's) in query order and
 * sends grad back for the update. Either way the same additions in the same order: the same bits.
 * Nothing returns to the host inside an epoch on one device; the epoch's loss is accumulated on
 * the device and read once. */
#ifndef MRANK_RANK_LINEAR_DEVICE_H
#define MRANK_RANK_LINEAR_DEVICE_H

#include <stddef.h>

#include "mrank.h"
#include "rank/dataset.h"
#include "rank/model.h"
#include "rank/pairs.h"

enum {
  RANK_K_SCORES,
  RANK_K_GATHER,
  RANK_K_SCATTER,
  RANK_K_QUERY_GRADIENT,
  RANK_K_SUM_QUERIES,
  RANK_K_UPDATE,
  RANK_K_ACCUMULATE,
  RANK_K_COUNT
};

/* Per-stage device time, seconds (profiling events). */
typedef struct rank_stage_times {
  double gemv, gather, loss, scatter, update;
  double activation; /* the MLP's bias, ReLU and dropout, forward and back (0 for linear) */
} rank_stage_times;

/* a profiled event's end (ns, after waiting for it; the event is kept), and its duration in
 * seconds (the event is released); 0 for NULL */
cl_ulong rank_event_end(cl_event event);
double rank_event_seconds(cl_event event);

typedef struct rank_linear_device {
  int profile;
  int host_unified;          /* the device's memory is the host's */
  unsigned long long memory; /* the device's global memory, bytes */
  size_t docs, features;
  size_t queries;
  const size_t *doc_of_query; /* the lane's query offsets (host memory, the caller's) */
  cl_context cl;
  cl_command_queue queue; /* the trainer's own (profiling when asked), shared with mrank */
  mrank_context *ctx;     /* mrank on that queue */
  cl_program program;
  int cache_warned; /* the one warning about an unwritable kernel cache was given */
  cl_kernel kernel[RANK_K_COUNT];
  size_t local[RANK_K_COUNT]; /* work-group size: 64, or less where the device allows less */
  cl_mem x, w, w_average, v, scores, grad, doc_gradient, a, b, x1, x2, y, dx1, dx2, doc_start,
      doc_entries, loss, total, query_start, partials;
  size_t partial_capacity; /* floats of the partials buffer */
  size_t pair_capacity;    /* of the pair buffers */
  int pairs_on_device;     /* the complete pair set is uploaded: later epochs reuse it */
} rank_linear_device;

/* Puts x (docs x features, already scaled) and the query offsets on `device` of `cl` (a queue of
 * its own, profiling when asked, and an mrank context on it); `max_batch_queries` sizes the
 * partials. 0 and a message on failure (then release with rank_linear_device_free). */
int rank_linear_device_init(rank_linear_device *dev, cl_context cl, cl_device_id device,
                            const float *x, size_t docs, size_t features, const size_t *query_start,
                            size_t queries, size_t max_batch_queries, int profile, char *error,
                            size_t error_size);
void rank_linear_device_free(rank_linear_device *dev);
/* w, v, the average and the outputs to zero. */
int rank_linear_device_reset(rank_linear_device *dev, char *error, size_t error_size);
/* The pairs and the document index, once an epoch when sampled, once for the run when complete;
 * and the epoch's loss total to zero. */
int rank_linear_device_begin_epoch(rank_linear_device *dev, const rank_pairs *pairs, char *error,
                                   size_t error_size);
/* Enqueues the batch's work on the lane's queries [q0, q1) up to their partial gradients
 * (q1 - q0 rows of features floats, on the device). */
int rank_linear_device_partials(rank_linear_device *dev, const rank_pairs *pairs, size_t q0,
                                size_t q1, double margin, rank_stage_times *times, char *error,
                                size_t error_size);
/* One lane alone: grad = the rows added in order, then the update, all on the device. */
int rank_linear_device_sum_and_update(rank_linear_device *dev, size_t rows,
                                      const rank_options *options, float scale, double step,
                                      rank_stage_times *times, char *error, size_t error_size);
/* Enqueues the read of the rows into host memory (complete after rank_linear_device_wait). */
int rank_linear_device_read_partials(rank_linear_device *dev, size_t rows, float *host, char *error,
                                     size_t error_size);
int rank_linear_device_wait(rank_linear_device *dev, char *error, size_t error_size);
/* grad (features floats, from the host) in, then the update. */
int rank_linear_device_update(rank_linear_device *dev, const float *grad,
                              const rank_options *options, float scale, double step,
                              rank_stage_times *times, char *error, size_t error_size);
/* The epoch's summed loss. */
int rank_linear_device_loss(rank_linear_device *dev, double *total, char *error, size_t error_size);
/* w, or its running average. */
int rank_linear_device_weights(rank_linear_device *dev, int average, float *weights, float *last,
                               char *error, size_t error_size);

/* Builds the tool's kernels/FILE (embedded, or from the caches or a binary folder) for the device
 * with the trainers' options followed by `extra` (a file's own, "" for none), and creates `count`
 * of its kernels by name, with the work-group size each launches with. 0 and a message on failure
 * (the caller releases what was made). */
int rank_tool_kernels(cl_context cl, cl_device_id device, const char *file, const char *extra,
                      const char *const *names, size_t count, cl_program *program,
                      cl_kernel *kernels, size_t *local, int *cache_warned, char *error,
                      size_t error_size);

/* The build options of kernels/ranker.cl for this device (`mrank compile` builds the same) and
 * the work-group size its kernels launch with. */
size_t rank_linear_program_options(cl_device_id device, char *options, size_t size);

#endif /* MRANK_RANK_LINEAR_DEVICE_H */
