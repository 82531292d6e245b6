/* model.h: the linear model's file: text, a versioned header (format version, feature count, the
 * training options), then one weight per line. Written atomically. */
#ifndef MRANK_RANK_MODEL_H
#define MRANK_RANK_MODEL_H

#include <stddef.h>

#include "rank/dataset.h"

/* 2 added scale= to the options line; version 1 files (trained unscaled) are still read. */
#define RANK_MODEL_VERSION 2

/* How the trainer scales the features before it starts (the weights it gives back are always in the
 * data's own units, so a model applies to unscaled data). */
typedef enum rank_scale {
  RANK_SCALE_AUTO, /* divide a feature by its largest |value| when that is above 1 (else keep it) */
  RANK_SCALE_MAX,  /* divide every feature by its largest |value| */
  RANK_SCALE_NONE
} rank_scale;

typedef struct rank_options {
  double margin, lr, l2, momentum;
  unsigned epochs, batch_queries, pairs_per_query, patience;
  unsigned long long seed;
  unsigned average; /* 1: the model is the running average of w over every step (averaged SGD) */
  rank_scale scale;
} rank_options;

/* "auto", "max", "none"; and back (-1 for a name that is none of them). */
const char *rank_scale_name(rank_scale scale);
int rank_scale_parse(const char *name);

typedef struct rank_model {
  size_t features;
  float *weights;
  rank_options options;
  unsigned best_epoch; /* the epoch whose weights these are */
} rank_model;

/* The defaults of mrank train (margin 1, lr 0.05, l2 1e-4, momentum 0.9, 30 epochs, batches of 8
 * queries, every pair, patience 5, seed 1, no averaging, scale auto). */
void rank_default_options(rank_options *o);

int rank_model_save(const rank_model *model, const char *path, char *error, size_t error_size);
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
