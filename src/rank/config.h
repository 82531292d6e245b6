/* config.h: the training options by name, as mrank_train_options_set takes them and as the
 * command line gives them ("lr" or "--lr"): one parser, one set of ranges and messages, for the
 * library, the CLI's train and tune, and the bindings. */
#ifndef MRANK_RANK_CONFIG_H
#define MRANK_RANK_CONFIG_H

#include <stddef.h>

#include "rank/mlp_train.h"
#include "rank/model.h"

typedef struct rank_train_config {
  rank_options options; /* options.l2 NaN: not given, chosen */
  rank_mlp_options mlp;
  int mlp_scorer; /* scorer mlp */
  /* what was given: an MLP option (which needs scorer mlp), lr, epochs, average true */
  int mlp_given, lr_given, epochs_given, average_given;
  int profile;  /* time each stage on the device (profiling events) */
  char *device; /* the device selector (malloc'd); NULL: the default device */
  /* the names were given as on the command line ("--lr"): messages name options that way */
  int dashed;
} rank_train_config;

/* mrank train's defaults (l2 chosen, the linear scorer, the default device). */
void rank_config_init(rank_train_config *config);
void rank_config_free(rank_train_config *config);
/* Copies (the device string included); 0 when out of memory. */
int rank_config_copy(rank_train_config *to, const rank_train_config *from);

/* Sets option `name` ("lr" or "--lr") from its text. 1; 0 with a message for a bad value; -1 with
 * a message (naming the closest known option) for an unknown name. */
int rank_config_set(rank_train_config *config, const char *name, const char *value, char *error,
                    size_t error_size);

/* The options' names without dashes, in the order of mrank train --help. */
extern const char *const rank_config_names[];
extern const size_t rank_config_name_count;
/* Whether name ("lr" or "--lr") is a training option that takes no value on the command line
 * ("average", "no-average", "profile": flags), is one with a value, or neither (-1). */
int rank_config_is_flag(const char *name);

/* The options taken together: an MLP option needs scorer mlp. 1, or 0 with a message. */
int rank_config_check(const rank_train_config *config, char *error, size_t error_size);

/* Whether `value` lies in the range of the real or count option `name`; *range (when not NULL)
 * gets the range in words. */
int rank_config_value_ok(const char *name, double value, const char **range);

#endif /* MRANK_RANK_CONFIG_H */
