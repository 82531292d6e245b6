/* train_options.h: the training options shared by train and tune (rank/model.h's rank_options). */
#ifndef MRANK_CLI_TRAIN_OPTIONS_H
#define MRANK_CLI_TRAIN_OPTIONS_H

#include "rank/model.h"

/* 1 when argv[*i] was one of them (its value consumed), 0 when it is not theirs, -1 on a bad value
 * (message printed). */
int mrank_parse_training_option(int argc, char **argv, int *i, rank_options *o);

/* Whether `value` lies in the range of the training option `name` ("lr" or "--lr"; real and count
 * options only); *range (when not NULL) gets the range in words for a message. */
int mrank_training_value_ok(const char *name, double value, const char **range);

/* --max-label N (its value at argv[*i + 1] or after '='): 1 and *max_label, or 0 after a message.
 */
int mrank_parse_max_label(int argc, char **argv, int *i, double *max_label);

/* After a reader error for validation data: a hint when its feature index was beyond the training
 * data's count ("" otherwise). */
const char *mrank_features_hint(const char *error);

#endif /* MRANK_CLI_TRAIN_OPTIONS_H */
