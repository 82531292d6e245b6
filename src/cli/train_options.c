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
#include "rank/dataset.h"

/* Each option's kind and its range, said the same way in every message. */
typedef enum option_kind { KIND_REAL, KIND_COUNT, KIND_SEED, KIND_SCALE } option_kind;
typedef struct option_rule {
  const char *name;
  option_kind kind;
  double low, high;        /* a value must lie within [low, high] */
  int low_open, high_open; /* ... or (low, high], [low, high) */
  const char *range;
} option_rule;

static const option_rule rules[] = {
    {"--margin", KIND_REAL, -HUGE_VAL, HUGE_VAL, 0, 0, "a finite number"},
    {"--lr", KIND_REAL, 0.0, HUGE_VAL, 1, 0, "greater than 0"},
    {"--l2", KIND_REAL, 0.0, HUGE_VAL, 0, 0, "0 or more"},
    {"--l1", KIND_REAL, 0.0, HUGE_VAL, 0, 0, "0 or more"},
    {"--holdout", KIND_REAL, 0.0, 0.5, 0, 0, "from 0 (none) to 0.5"},
    {"--momentum", KIND_REAL, 0.0, 1.0, 0, 1, "at least 0 and less than 1"},
    {"--epochs", KIND_COUNT, 1.0, 4294967295.0, 0, 0, "a whole number from 1 to 4294967295"},
    {"--batch-queries", KIND_COUNT, 1.0, 4294967295.0, 0, 0, "a whole number from 1 to 4294967295"},
    {"--pairs-per-query", KIND_COUNT, 0.0, 4294967295.0, 0, 0,
     "a whole number from 0 (every pair) to 4294967295"},
    {"--patience", KIND_COUNT, 0.0, 4294967295.0, 0, 0,
     "a whole number from 0 (never stop early) to 4294967295"},
    {"--seed", KIND_SEED, 0.0, 0.0, 0, 0, "a whole number of 0 or more"},
    {"--scale", KIND_SCALE, 0.0, 0.0, 0, 0, "auto, max or none"},
};
enum { rule_count = sizeof rules / sizeof rules[0] };

static const option_rule *find_rule(const char *name) {
  for (int k = 0; k < rule_count; ++k) {
    if (strcmp(rules[k].name, name) == 0 || strcmp(rules[k].name + 2, name) == 0) return &rules[k];
  }
  return NULL;
}

static int within(const option_rule *r, double value) {
  if (!isfinite(value)) return 0;
  if (r->kind == KIND_COUNT && value != floor(value)) return 0;
  const int above = r->low_open ? value > r->low : value >= r->low;
  const int below = r->high_open ? value < r->high : value <= r->high;
  return above && below;
}

int mrank_training_value_ok(const char *name, double value, const char **range) {
  const option_rule *r = find_rule(name);
  if (r == NULL || (r->kind != KIND_REAL && r->kind != KIND_COUNT)) return 0;
  if (range != NULL) *range = r->range;
  return within(r, value);
}

static void set_value(rank_options *o, const char *name, double value) {
  if (strcmp(name, "--margin") == 0) o->margin = value;
  if (strcmp(name, "--lr") == 0) o->lr = value;
  if (strcmp(name, "--l2") == 0) o->l2 = value;
  if (strcmp(name, "--l1") == 0) o->l1 = value;
  if (strcmp(name, "--holdout") == 0) o->holdout = value;
  if (strcmp(name, "--momentum") == 0) o->momentum = value;
  if (strcmp(name, "--epochs") == 0) o->epochs = (unsigned)value;
  if (strcmp(name, "--batch-queries") == 0) o->batch_queries = (unsigned)value;
  if (strcmp(name, "--pairs-per-query") == 0) o->pairs_per_query = (unsigned)value;
  if (strcmp(name, "--patience") == 0) o->patience = (unsigned)value;
}

int mrank_parse_training_option(int argc, char **argv, int *i, rank_options *o) {
  if (strcmp(argv[*i], "--average") == 0 || strcmp(argv[*i], "--no-average") == 0) {
    o->average = strcmp(argv[*i], "--average") == 0;
    return 1;
  }
  const option_rule *r = NULL;
  for (int k = 0; k < rule_count && r == NULL; ++k) {
    if (mrank_is_option(argv[*i], rules[k].name)) r = &rules[k];
  }
  if (r == NULL) return 0;
  const char *value = mrank_option_value(argc, argv, i, r->name);
  if (value == NULL) return -1;
  if (r->kind == KIND_SCALE) {
    const int scale = rank_scale_parse(value);
    if (scale < 0) {
      mrank_error("--scale is %s, not \"%s\"", r->range, value);
      return -1;
    }
    o->scale = (rank_scale)scale;
    return 1;
  }
  if (r->kind == KIND_SEED) {
    uint64_t seed = 0;
    if (!mrank_parse_u64(r->name, value, &seed)) return -1;
    o->seed = seed;
    return 1;
  }
  char *end = NULL;
  errno = 0;
  /* the trainer works in float: a real value is read as a float, as it always was */
  const double number = r->kind == KIND_REAL ? (double)strtof(value, &end) : strtod(value, &end);
  const int overflow = errno == ERANGE && fabs(number) > 1.0;
  if (value[0] == '\0' || *end != '\0') {
    mrank_error("%s expects a number (%s), not \"%s\"", r->name, r->range, value);
    return -1;
  }
  if (overflow && r->kind == KIND_REAL) {
    mrank_error(
        "%s %s is beyond the range of float (3.4e38), in which the trainer works; give a "
        "smaller value",
        r->name, value);
    return -1;
  }
  if (errno == ERANGE && r->kind == KIND_REAL) {
    mrank_error(
        "%s %s is too small for float (below 1.2e-38), in which the trainer works; give a "
        "larger value",
        r->name, value);
    return -1;
  }
  if (errno == ERANGE || !within(r, number)) {
    mrank_error("%s must be %s, not \"%s\"", r->name, r->range, value);
    return -1;
  }
  set_value(o, r->name, number == 0.0 ? 0.0 : number); /* -0 is 0: a model records "l2=0" */
  return 1;
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
