/* mlp.h: the multilayer perceptron scorer: its shape, the layout of its parameters in one flat
 * array, He initialisation from a seed, the dropout mask (a counter-based hash: the same mask on
 * the host and on any device), standardisation, and scoring with it. Training is in
 * rank/mlp_train.c (host) and rank/mlp_device.c (OpenCL with CLBlast). */
#ifndef MRANK_RANK_MLP_H
#define MRANK_RANK_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "rank/dataset.h"

enum { RANK_MLP_MAX_LAYERS = 4 };
/* the largest hidden layer accepted */
#define RANK_MLP_MAX_UNITS ((size_t)4096)

typedef struct rank_mlp_shape {
  size_t features; /* inputs */
  size_t layers;   /* hidden layers, 1 .. RANK_MLP_MAX_LAYERS; 0: none (not an MLP) */
  size_t hidden[RANK_MLP_MAX_LAYERS];
  /* a linear term of the (standardised) inputs added to the score beside the network's: the
   * network then learns what a linear scorer cannot, on top of what it can */
  int skip;
} rank_mlp_shape;

/* how a device runs the layers' products (rank/mlp_pass.h) */
typedef enum rank_mlp_layers {
  RANK_MLP_LAYERS_AUTO,    /* dense on CPUs and accelerators, CLBlast on GPUs */
  RANK_MLP_LAYERS_DENSE,   /* kernels/mlp.cl's own */
  RANK_MLP_LAYERS_CLBLAST, /* CLBlast's GEMM and GEMV */
} rank_mlp_layers;

/* "auto", "dense", "clblast" and back (-1 for another name) */
const char *rank_mlp_layers_name(rank_mlp_layers layers);
int rank_mlp_layers_parse(const char *name);

/* Parameters, in this order: for each hidden layer l, W_l (in_l x out_l, row-major: in_l rows)
 * then b_l (out_l); then the output layer's w (hidden[last]); with skip, the linear term's
 * weights (features). The output has no bias: a constant
 * added to every score changes no pair's difference, so it would never learn. */
size_t rank_mlp_parameter_count(const rank_mlp_shape *shape);
size_t rank_mlp_layer_inputs(const rank_mlp_shape *shape, size_t layer);
size_t rank_mlp_weight_offset(const rank_mlp_shape *shape, size_t layer); /* W_l */
size_t rank_mlp_bias_offset(const rank_mlp_shape *shape, size_t layer);   /* b_l */
size_t rank_mlp_output_offset(const rank_mlp_shape *shape);               /* the output's w */
size_t rank_mlp_skip_offset(const rank_mlp_shape *shape); /* the linear term's (with skip) */

/* "64,32" into shape->hidden (features untouched); 0 with a message when it is not 1 to 4 counts
 * of 1 .. RANK_MLP_MAX_UNITS. */
int rank_mlp_parse_hidden(const char *text, rank_mlp_shape *shape, char *error, size_t error_size);
/* "64,32" */
void rank_mlp_hidden_text(const rank_mlp_shape *shape, char *text, size_t size);

/* He initialisation (normal, deviation sqrt(2 / inputs)) of every weight from the seed; biases 0.
 */
void rank_mlp_init(const rank_mlp_shape *shape, unsigned long long seed, float *parameters);

/* 1 when unit `unit` of document `doc` in hidden layer `layer` is kept at training step `step`
 * (probability 1 - p). The same on the host and in kernels/mlp.cl. */
static inline uint32_t rank_mlp_mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}
static inline int rank_mlp_keep(uint32_t seed, uint32_t step, uint32_t layer, uint32_t doc,
                                uint32_t unit, uint32_t threshold) {
  uint32_t h = rank_mlp_mix(seed ^ 0x9e3779b9u);
  h = rank_mlp_mix(h ^ step);
  h = rank_mlp_mix(h ^ (layer * 0x27d4eb2fu) ^ doc);
  h = rank_mlp_mix(h ^ unit);
  return h >= threshold;
}
/* threshold for rank_mlp_keep from a dropout probability in [0, 1) */
uint32_t rank_mlp_dropout_threshold(double p);

/* The training data's mean and deviation of each feature (deviation 0 becomes 1). */
int rank_mlp_standardisation(const rank_dataset *data, float *mean, float *deviation);

/* Scores of data under an MLP (no dropout), in double; features of the data beyond the model's are
 * ignored, the model's beyond the data's are 0 before standardisation. 0 when out of memory. */
int rank_mlp_score(const rank_mlp_shape *shape, const float *parameters, const float *mean,
                   const float *deviation, const rank_dataset *data, double *scores);

#endif /* MRANK_RANK_MLP_H */
