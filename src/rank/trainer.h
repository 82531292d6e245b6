/* trainer.h: minibatch SGD on the pairwise hinge (RankSVM's model, sofia-ml's method) for a linear
 * score s = w.x, on one OpenCL device, on several at once (each a share of the queries: data
 * parallel), or on the host (the same steps in plain C with the CPU reference of the loss); and
 * across MPI ranks through a rank_collective. The gradient is summed per query, then over the
 * batch's queries in the order of their numbers: the same seed gives the same model bits on any
 * of these. */
#ifndef MRANK_RANK_TRAINER_H
#define MRANK_RANK_TRAINER_H

#include <stddef.h>

#include "mrank.h"
#include "rank/dataset.h"
#include "rank/linear_device.h" /* rank_stage_times */
#include "rank/metrics.h"
#include "rank/model.h"

typedef struct rank_trainer rank_trainer;

/* What the trainer needs from other processes that hold other shares of the queries (MPI; see
 * cli/mpi_train.c). Every call is collective: each process makes the same calls in the same
 * order. Each returns 1, or 0 with a message. */
typedef struct rank_collective {
  /* this process's queries are numbers first_query .. first_query + (its count) - 1 of
   * total_queries in the whole data set */
  size_t first_query, total_queries;
  /* grad[features] = the sum over every process's rows (rows x features floats each), the rows
   * of process 0 first, each added in turn (ordered) or by MPI_Allreduce (fast) */
  int (*sum_rows)(void *user, const float *rows, size_t count, size_t features, float *grad,
                  char *error, size_t error_size);
  /* element-wise over processes, in place */
  int (*max_floats)(void *user, float *values, size_t count, char *error, size_t error_size);
  int (*sum_counts)(void *user, unsigned long long *values, size_t count, char *error,
                    size_t error_size);
  int (*sum_doubles)(void *user, double *values, size_t count, char *error, size_t error_size);
  void *user;
} rank_collective;

typedef struct rank_epoch_report {
  unsigned epoch;
  double train_loss;       /* mean hinge over the epoch's pairs */
  size_t pairs;            /* pairs trained on this epoch */
  double seconds;          /* wall time of the epoch's steps */
  double setup_seconds;    /* wall time of its set-up: the pairs made and put on the device */
  rank_stage_times stages; /* device time by stage (profiling events; 0 on the host) */
} rank_epoch_report;

/* Puts the training data on `selector`'s device (or "host") once, its features scaled as `scale`
 * says; several trainings (tune) can reuse it. 0 and a message on failure. */
rank_trainer *rank_trainer_create(const rank_dataset *train, const char *selector, int profile,
                                  rank_scale scale, char *error, size_t error_size);
/* The same for this process's share of the queries of a data set spread over processes. */
rank_trainer *rank_trainer_create_shared(const rank_dataset *train, const char *selector,
                                         int profile, rank_scale scale,
                                         const rank_collective *collective, char *error,
                                         size_t error_size);
/* The devices the trainer runs on (1 for one device or the host). */
size_t rank_trainer_device_count(const rank_trainer *trainer);
/* How many features the scaling divided by something other than 1. */
size_t rank_trainer_scaled_features(const rank_trainer *trainer);
void rank_trainer_destroy(rank_trainer *trainer);
const char *rank_trainer_device(const rank_trainer *trainer);

/* Starts a fresh model (w = 0) with these options. */
int rank_trainer_reset(rank_trainer *trainer, const rank_options *options, char *error,
                       size_t error_size);
/* Goes on from the current weights with other options (a warm start: the L2 path of train's
 * automatic choice); the running average goes on too. */
int rank_trainer_continue(rank_trainer *trainer, const rank_options *options, char *error,
                          size_t error_size);
/* One epoch (pairs sampled and batches ordered from the seed and the epoch number); progress, when
 * not NULL, is called after each batch with the fraction done. */
int rank_trainer_epoch(rank_trainer *trainer, unsigned epoch, rank_epoch_report *report,
                       void (*progress)(double done, void *user), void *user, char *error,
                       size_t error_size);
/* The current weights (features floats), in the data's own units (scaling undone). */
int rank_trainer_weights(rank_trainer *trainer, float *weights, char *error, size_t error_size);

/* 1 when the epoch's loss and every weight are finite numbers (0: the training diverged). */
int rank_weights_finite(const float *weights, size_t features, double loss);

#endif /* MRANK_RANK_TRAINER_H */
