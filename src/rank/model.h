/* model.h: the linear model's file: text, a versioned header (format version, feature count, the
 * training options), then one weight per line. Written atomically. */
#ifndef MRANK_RANK_MODEL_H
#define MRANK_RANK_MODEL_H

#include <stddef.h>
#include <stdio.h>

#include "rank/dataset.h"
#include "rank/encoding.h"
#include "rank/mlp.h"

/* 2 added scale= to the options line; 3 added l1= and holdout= to it and the "path" line (how the
 * weights were reached), and may hold an MLP (a "scorer mlp" line, the standardisation, then the
 * network's parameters as the weights); 4 added an MLP's input encoding ("bins=" and the
 * "encoding" block) and skip=base. A model is written in the oldest version that holds it (a
 * linear model and an MLP without either: 3), so that older readers take what they can; versions 1
 * (trained unscaled), 2 and 3 are still read. */
#define RANK_MODEL_VERSION 4

/* How the trainer scales the features before it starts (the weights it gives back are always in the
 * data's own units, so a model applies to unscaled data). */
typedef enum rank_scale {
  RANK_SCALE_AUTO, /* divide a feature by its largest |value| when that is above 1 (else keep it) */
  RANK_SCALE_MAX,  /* divide every feature by its largest |value| */
  RANK_SCALE_NONE
} rank_scale;

typedef struct rank_options {
  double margin, lr, l2, momentum;
  double l1; /* L1 strength: a soft-threshold (proximal) step after each update; 0: none */
  /* the fraction of the training queries train holds out to choose l2 and the epoch count
   * (0: none; the choice is then the options as given) */
  double holdout;
  unsigned epochs, batch_queries, pairs_per_query, patience;
  unsigned long long seed;
  unsigned average; /* 1: the model is the running average of w over every step (averaged SGD) */
  rank_scale scale;
} rank_options;

/* "auto", "max", "none"; and back (-1 for a name that is none of them). */
const char *rank_scale_name(rank_scale scale);
int rank_scale_parse(const char *name);

enum { RANK_MODEL_PATH_MAX = 16 };

typedef struct rank_model {
  size_t features;
  float *weights;
  rank_options options;
  unsigned best_epoch; /* the epoch whose weights these are */
  /* how the weights were reached: the L2 path steps run in order, warm-started, each for its
   * epochs (path_count 0: one run with options.l2, best_epoch epochs) */
  size_t path_count;
  double path_l2[RANK_MODEL_PATH_MAX];
  unsigned path_epochs[RANK_MODEL_PATH_MAX];
  /* an MLP (mlp.layers > 0): weights holds its rank_mlp_parameter_count parameters, and the
   * features are encoded (encoding.bins > 0) and standardised with mean and deviation (of the
   * mlp.features inputs) first; linear: mlp.layers 0, weights holds `features` weights */
  rank_mlp_shape mlp;
  rank_encoding encoding;
  float *mean, *deviation;
  int base; /* the MLP's linear term was the linear scorer, held while the network trained */
  double dropout, weight_decay; /* how it was trained (for the record) */
  char optimizer[16];
} rank_model;

/* The model's parameter count: features (linear) or the network's. */
size_t rank_model_parameters(const rank_model *model);
/* Scores of data under the model (either scorer), in double; 0 when out of memory. */
int rank_model_score(const rank_model *model, const rank_dataset *data, double *scores);

/* The defaults of mrank train (margin 1, lr 0.05, l2 1e-4, no L1, momentum 0.9, 30 epochs,
 * batches of 8 queries, every pair, patience 5, seed 1, averaging, scale auto, holdout 0.2). */
void rank_default_options(rank_options *o);

int rank_model_save(const rank_model *model, const char *path, char *error, size_t error_size);
/* The model's text (what rank_model_save puts in the file) to `file`; 0 on a write error, or for a
 * model with a non-finite option, which no file may hold. */
int rank_model_write(const rank_model *model, FILE *file);
/* The oldest format version that holds the model: 3, or 4 for an MLP with bins or skip=base. */
int rank_model_format(const rank_model *model);
/* Refuses another format version, a malformed file, and (when expected_features is not 0) another
 * feature count, with a message that says which. */
int rank_model_load(const char *path, size_t expected_features, rank_model *model, char *error,
                    size_t error_size);
/* The same from text in memory (NUL-terminated); `name` is used in messages. */
int rank_model_parse(const char *name, const char *text, size_t expected_features,
                     rank_model *model, char *error, size_t error_size);
void rank_model_free(rank_model *model);

/* Scores of a data set under weights, in double: s = w.x (features beyond the data's count, or the
 * model's, contribute nothing). */
void rank_score(const rank_dataset *data, const float *weights, size_t features, double *scores);

#endif /* MRANK_RANK_MODEL_H */
