/* train_options.c: the training options that train and tune share (rank_options), and the hint
 * for validation data whose features go beyond the training data's. */
#include "cli/train_options.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "rank/config.h"
#include "rank/dataset.h"

/* The options that train and tune share, by the library's parser (rank/config.c): one set of
 * names, ranges and messages. */
static const char *const shared_names[] = {
    "--margin",          "--lr",       "--l2",     "--l1",
    "--holdout",         "--momentum", "--epochs", "--batch-queries",
    "--pairs-per-query", "--patience", "--seed",   "--scale"};

int mrank_training_value_ok(const char *name, double value, const char **range) {
  return rank_config_value_ok(name, value, range);
}

int mrank_parse_training_option(int argc, char **argv, int *i, rank_options *o) {
  rank_train_config config;
  rank_config_init(&config);
  config.options = *o;
  char error[512];
  int taken = 0;
  if (strcmp(argv[*i], "--average") == 0 || strcmp(argv[*i], "--no-average") == 0) {
    taken =
        rank_config_set(&config, "--average", strcmp(argv[*i], "--average") == 0 ? "true" : "false",
                        error, sizeof error) == 1
            ? 1
            : -1;
  }
  for (size_t k = 0; k < sizeof shared_names / sizeof shared_names[0] && taken == 0; ++k) {
    if (!mrank_is_option(argv[*i], shared_names[k])) continue;
    const char *value = mrank_option_value(argc, argv, i, shared_names[k]);
    if (value == NULL) return -1;
    taken = rank_config_set(&config, shared_names[k], value, error, sizeof error) == 1 ? 1 : -1;
  }
  if (taken < 0) mrank_error("%s", error);
  if (taken > 0) *o = config.options;
  rank_config_free(&config);
  return taken;
}

int mrank_parse_max_label(int argc, char **argv, int *i, double *max_label) {
  const char *value = mrank_option_value(argc, argv, i, "--max-label");
  if (value == NULL) return 0;
  char *end = NULL;
  errno = 0;
  const double number = strtod(value, &end);
  if (value[0] == '\0' || *end != '\0' || errno != 0 || !(number >= 0) ||
      number > RANK_LARGEST_MAX_LABEL) {
    mrank_error("--max-label must be a number from 0 to %d, not \"%s\"", RANK_LARGEST_MAX_LABEL,
                value);
    return 0;
  }
  *max_label = number;
  return 1;
}

const char *mrank_features_hint(const char *error) {
  return rank_error_beyond_features(error)
             ? " (the count the training data gives; --features N makes room for the validation "
               "data's)"
             : "";
}
