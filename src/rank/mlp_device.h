/* mlp_device.h: the MLP's training step on an OpenCL device, with nothing returning to the host
 * within an epoch. For a batch's documents [d0, d1):
 *   the layers forward to the scores s (rank/mlp_pass.h: mrank's dense kernels or CLBlast)
 *   x1, x2 = s[a], s[b]; the fused loss (summed, into the step's slot); g_d by the fixed-order
 *         scatter, with the last hidden layer's delta dZ_L = g w^T masked (kernels/mlp.cl)
 *   the layers backward: every parameter's gradient (rank/mlp_pass.h)
 *   the optimiser step over every parameter at once (kernels/mlp.cl). */
#ifndef MRANK_RANK_MLP_DEVICE_H
#define MRANK_RANK_MLP_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "mrank.h"
#include "rank/linear_device.h" /* rank_stage_times */
#include "rank/mlp.h"
#include "rank/pairs.h"

enum {
  MLP_K_BIAS_RELU,
  MLP_K_SCATTER_DELTA,
  MLP_K_RELU_BACKWARD,
  MLP_K_COLUMN_SUM,
  MLP_K_OPTIMIZE,
  MLP_K_DENSE_FORWARD,
  MLP_K_DENSE_SCORE,
  MLP_K_DENSE_OUTPUT_GRADIENT,
  MLP_K_DENSE_WEIGHT_GRADIENT,
  MLP_K_DENSE_INPUT_GRADIENT,
  MLP_K_TRANSPOSE,
  MLP_K_GATHER, /* from kernels/ranker.cl */
  MLP_K_COUNT
};

typedef struct rank_mlp_device {
  int profile;
  rank_mlp_layers layers; /* dense or clblast (auto resolved by rank_mlp_device_reset) */
  cl_device_id device;
  size_t vector_width; /* kernels/mlp.cl's MLP_VW */
  size_t docs, features, max_batch_docs;
  rank_mlp_shape shape; /* of the buffers below (layers 0: none yet) */
  size_t parameters;
  cl_context cl;
  cl_command_queue queue;
  mrank_context *ctx; /* mrank on that queue */
  cl_program programs[2];
  int cache_warned;
  cl_kernel kernel[MLP_K_COUNT];
  size_t local[MLP_K_COUNT];
  cl_mem x, p, g, m, v, average, z[RANK_MLP_MAX_LAYERS], a[RANK_MLP_MAX_LAYERS], d1, d2;
  cl_mem pt; /* the weights of the layers above the first, transposed (the dense path) */
  cl_mem scores, doc_gradient, doc_start, doc_entries, pa, pb, x1, x2, y, dx1, dx2;
  cl_mem losses; /* a slot a step: each step's summed loss, added on the host at the epoch's end */
  size_t loss_slots, steps_in_epoch;
  size_t pair_capacity;
  int pairs_on_device;
} rank_mlp_device;

/* kernels/mlp.cl's vector width for the device (16 where its preferred float width is 16, else
 * 8; MRANK_MLP_VW=8 or 16 forces one), and its build options for it (`mrank compile` builds the
 * same) */
size_t rank_mlp_vector_width(cl_device_id device);
void rank_mlp_program_options(cl_device_id device, char *options, size_t size);

/* x: docs x features, standardised. The device is ctx's; a queue of its own (profiling when
 * asked). 0 and a message on failure (then rank_mlp_device_free). */
int rank_mlp_device_init(rank_mlp_device *dev, mrank_context *ctx, const float *x, size_t docs,
                         size_t features, size_t max_batch_docs, int profile, char *error,
                         size_t error_size);
void rank_mlp_device_free(rank_mlp_device *dev);
/* Buffers for this shape; the parameters from the host; gradient and moments to zero; the
 * layers' kernels (auto resolved for the device). */
int rank_mlp_device_reset(rank_mlp_device *dev, const rank_mlp_shape *shape, rank_mlp_layers layers,
                          const float *parameters, char *error, size_t error_size);
int rank_mlp_device_begin_epoch(rank_mlp_device *dev, const rank_pairs *pairs, char *error,
                                size_t error_size);

typedef struct rank_mlp_step {
  size_t d0, d1, p0, p1; /* the batch's documents and pairs */
  float margin, lr, weight_decay, momentum, dropout_scale;
  int optimizer;      /* rank_optimizer */
  float bias1, bias2; /* Adam's 1 - beta^t */
  float share;        /* 1 / steps: the running average's weight for this step (0: none kept) */
  uint32_t seed, step, threshold;
  int take_step;  /* 0: the gradient only (the tests) */
  size_t trained; /* the optimiser steps parameters [0, trained): the rest are frozen */
} rank_mlp_step;

int rank_mlp_device_step(rank_mlp_device *dev, const rank_mlp_step *step, rank_stage_times *times,
                         char *error, size_t error_size);
int rank_mlp_device_loss(rank_mlp_device *dev, double *total, char *error, size_t error_size);
/* which 0: the parameters, 1: the last gradient, 2: the parameters' running average */
int rank_mlp_device_read(rank_mlp_device *dev, int which, float *out, char *error,
                         size_t error_size);

#endif /* MRANK_RANK_MLP_DEVICE_H */
