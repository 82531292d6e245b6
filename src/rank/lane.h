/* lane.h: one lane of the trainer: a share of the training queries on one device (or on the host,
 * the CPU reference), stored grouped by batch so that each batch's part of the share is one run of
 * queries. A query belongs to batch (its number in the whole data set) mod (the batch count): the
 * batches are the same however the queries are spread over devices and MPI ranks. */
#ifndef MRANK_RANK_LANE_H
#define MRANK_RANK_LANE_H

#include <stddef.h>

#include "mrank.h"
#include "rank/dataset.h"
#include "rank/linear_device.h"
#include "rank/model.h"
#include "rank/pairs.h"

typedef struct rank_lane {
  rank_dataset data; /* the share, grouped by batch (x scaled); x is freed once on a device */
  size_t *query_id;  /* the number of each of its queries in the whole data set */
  size_t
      *batch_start; /* batches + 1: batch b's queries here are [batch_start[b], batch_start[b+1]) */
  size_t batches, max_batch_queries;
  rank_pairs pairs;
  int on_device;
  rank_linear_device dev;
  /* on the host */
  float *w, *w_average, *velocity, *scores, *x1, *x2, *ones, *dx1, *dx2, *doc_gradient, *partials;
  double loss_total;
} rank_lane;

/* Queries [first, last) of data, whose features x (data->x, or a scaled copy) holds, numbered
 * first_id + (q - first) in the whole data set, grouped into `batches`. 0 when out of memory. */
int rank_lane_build(rank_lane *lane, const rank_dataset *data, const float *x, size_t first,
                    size_t last, size_t first_id, size_t batches);
/* Puts the lane on a device (cl, device: x goes up and the host copy is freed); or, with cl NULL,
 * makes the host step's arrays. 0 and a message on failure. */
int rank_lane_place(rank_lane *lane, cl_context cl, cl_device_id device, int profile, char *error,
                    size_t error_size);
void rank_lane_free(rank_lane *lane);

/* w, the velocity and the average to zero. */
int rank_lane_reset(rank_lane *lane, char *error, size_t error_size);
/* The epoch's pairs (drawn per query from its number in the whole set) and, on a device, their
 * upload; the loss total to zero. -1: more than RANK_MAX_PAIRS; 0 with a message: failure. */
int rank_lane_begin_epoch(rank_lane *lane, const rank_options *options, unsigned epoch, char *error,
                          size_t error_size);
/* The host step up to the batch's partial gradients (lane->partials, one row per query of the
 * batch here), with the CPU reference of the loss on `host`. */
void rank_lane_host_partials(rank_lane *lane, mrank_context *host, size_t batch, double margin);
/* The host update from grad (the batch's summed gradient; scale = 1 / its pairs). */
void rank_lane_host_update(rank_lane *lane, const float *grad, const rank_options *options,
                           float scale, double step);

#endif /* MRANK_RANK_LANE_H */
