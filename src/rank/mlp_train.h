/* mlp_train.h: training the MLP scorer with the margin ranking loss: minibatches of queries in a
 * seeded order, the pairs' loss and gradients from mrank's fused operator, back through the layers,
 * and an optimiser step (SGD, momentum or Adam, with weight decay). On an OpenCL device
 * (rank/mlp_device.c: kernels/mlp.cl's dense kernels or CLBlast GEMM for the layers, no host round
 * trip within an epoch) or on the host (the same steps in plain loops: the CPU reference). */
#ifndef MRANK_RANK_MLP_TRAIN_H
#define MRANK_RANK_MLP_TRAIN_H

#include <stddef.h>

#include "rank/dataset.h"
#include "rank/mlp.h"
#include "rank/model.h"
#include "rank/trainer.h" /* rank_epoch_report */

typedef enum rank_optimizer { RANK_SGD, RANK_MOMENTUM, RANK_ADAM } rank_optimizer;

/* "sgd", "momentum", "adam"; and back (-1 for another name) */
const char *rank_optimizer_name(rank_optimizer optimizer);
int rank_optimizer_parse(const char *name);

typedef struct rank_mlp_options {
  rank_mlp_shape shape; /* features set from the data */
  double dropout;       /* after each hidden ReLU, in [0, 1) */
  rank_optimizer optimizer;
  double weight_decay;    /* added to the gradient as weight_decay * p (PyTorch's weight_decay) */
  rank_mlp_layers layers; /* the device's kernels for the layers (the host ignores it) */
  /* with shape.skip: the linear term's first weights (shape.features floats; NULL: 0), and the
   * network's output weights start at 0, so that the first score is this linear term's; frozen:
   * the optimiser leaves the linear term where it started (the network learns the rest) */
  const float *skip_start;
  int skip_frozen;
  /* for the caller's pipeline (cli/train_mlp.c; the trainer takes data as it is given): the input
   * encoding's bins per feature (0: none, rank/encoding.h), and base: the linear term starts as
   * the linear scorer trained with its defaults and stays there (skip_start, skip_frozen); base
   * is a kind of linear term, so it goes with shape.skip (mrank_mlp_skip_parse sets both) */
  size_t bins;
  int base;
} rank_mlp_options;

/* 64,32 with the linear term, dropout 0.3, Adam, weight decay 1e-4, layers auto
 * (rank/mlp_options.c, as the optimiser's and skip's names) */
void rank_mlp_default_options(rank_mlp_options *m);

/* skip: "none", "linear" (a linear term trained with the network) or "base" (the linear scorer
 * trained first, then held: see rank_mlp_options); parse returns 0 for another name. */
const char *rank_mlp_skip_name(const rank_mlp_options *mlp);
int rank_mlp_skip_parse(const char *name, rank_mlp_options *mlp);

typedef struct rank_mlp_trainer rank_mlp_trainer;

/* Standardises the training data with its own mean and deviation and puts it on `selector`'s
 * device (or "host"), once. 0 and a message on failure. */
rank_mlp_trainer *rank_mlp_trainer_create(const rank_dataset *train, const char *selector,
                                          int profile, char *error, size_t error_size);
void rank_mlp_trainer_destroy(rank_mlp_trainer *trainer);
const char *rank_mlp_trainer_device(const rank_mlp_trainer *trainer);
const float *rank_mlp_trainer_mean(const rank_mlp_trainer *trainer);
const float *rank_mlp_trainer_deviation(const rank_mlp_trainer *trainer);

/* A fresh network (He initialisation from options->seed) and optimiser state. */
int rank_mlp_trainer_reset(rank_mlp_trainer *trainer, const rank_options *options,
                           const rank_mlp_options *mlp, char *error, size_t error_size);
/* How the last reset runs the layers: "dense", "clblast" (on a device) or "host loops". */
const char *rank_mlp_trainer_layers(const rank_mlp_trainer *trainer);
/* One epoch; report->stages: gemv = the GEMMs, update = activations and the optimiser. */
int rank_mlp_trainer_epoch(rank_mlp_trainer *trainer, unsigned epoch, rank_epoch_report *report,
                           void (*progress)(double done, void *user), void *user, char *error,
                           size_t error_size);
/* The parameters (rank_mlp_parameter_count floats). */
int rank_mlp_trainer_parameters(rank_mlp_trainer *trainer, float *parameters, char *error,
                                size_t error_size);
/* The gradient of the first step of an epoch-1 pass over batch 0 from the current parameters, for
 * the tests (host and device must agree): the step is taken. */
int rank_mlp_trainer_first_gradient(rank_mlp_trainer *trainer, float *gradient, char *error,
                                    size_t error_size);

#endif /* MRANK_RANK_MLP_TRAIN_H */
