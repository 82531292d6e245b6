/* trainer.h: minibatch SGD on the pairwise hinge (RankSVM's model, sofia-ml's method) for a linear
 * score s = w.x, on an OpenCL device (CLBlast for the matrix-vector work, mrank's fused loss) or on
 * the host (the same steps in plain C with the CPU reference of the loss). */
#ifndef MRANK_RANK_TRAINER_H
#define MRANK_RANK_TRAINER_H

#include <stddef.h>

#include "mrank.h"
#include "rank/dataset.h"
#include "rank/linear_device.h" /* rank_stage_times */
#include "rank/metrics.h"
#include "rank/model.h"

typedef struct rank_trainer rank_trainer;

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
