/* train_options.h: the training options shared by train and tune (rank/model.h's rank_options). */
#ifndef MRANK_CLI_TRAIN_OPTIONS_H
#define MRANK_CLI_TRAIN_OPTIONS_H

#include "rank/model.h"

/* 1 when argv[*i] was one of them (its value consumed), 0 when it is not theirs, -1 on a bad value
 * (message printed). */
int mrank_parse_training_option(int argc, char **argv, int *i, rank_options *o);

/* After a reader error for validation data: a hint when its feature index was beyond the training
 * data's count ("" otherwise). */
const char *mrank_features_hint(const char *error);

#endif /* MRANK_CLI_TRAIN_OPTIONS_H */
