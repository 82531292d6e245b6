/* train_options.c: the training options that train and tune share (rank_options), and the hint
 * for validation data whose features go beyond the training data's. */
#include "cli/train_options.h"

#include <stdint.h>
#include <stdio.h>

#include "cli/options.h"
#include "rank/dataset.h"

static int parse_unsigned_option(const char *name, const char *value, unsigned *out) {
  uint64_t v;
  if (!mrank_parse_u64(name, value, &v) || v > 0xffffffffu) return 0;
  *out = (unsigned)v;
  return 1;
}

static int parse_double_option(const char *name, const char *value, double *out) {
  float v;
  if (!mrank_parse_float(name, value, &v)) return 0;
  *out = v;
  return 1;
}

int mrank_parse_training_option(int argc, char **argv, int *i, rank_options *o) {
  const char *arg = argv[*i], *value = NULL;
  static const char *const names[] = {
      "--margin",          "--lr",       "--l2",   "--momentum", "--epochs", "--batch-queries",
      "--pairs-per-query", "--patience", "--seed", "--scale"};
  int which = -1;
  for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k) {
    if (mrank_is_option(arg, names[k])) which = k;
  }
  if (which < 0) return 0;
  if ((value = mrank_option_value(argc, argv, i, names[which])) == NULL) return -1;
  uint64_t seed = 0;
  int ok = 1;
  switch (which) {
    case 0:
      ok = parse_double_option(names[0], value, &o->margin);
      break;
    case 1:
      ok = parse_double_option(names[1], value, &o->lr) && o->lr > 0;
      break;
    case 2:
      ok = parse_double_option(names[2], value, &o->l2) && o->l2 >= 0;
      break;
    case 3:
      ok =
          parse_double_option(names[3], value, &o->momentum) && o->momentum >= 0 && o->momentum < 1;
      break;
    case 4:
      ok = parse_unsigned_option(names[4], value, &o->epochs) && o->epochs > 0;
      break;
    case 5:
      ok = parse_unsigned_option(names[5], value, &o->batch_queries) && o->batch_queries > 0;
      break;
    case 6:
      ok = parse_unsigned_option(names[6], value, &o->pairs_per_query);
      break;
    case 7:
      ok = parse_unsigned_option(names[7], value, &o->patience);
      break;
    case 8:
      ok = mrank_parse_u64(names[8], value, &seed);
      o->seed = seed;
      break;
    default: {
      const int scale = rank_scale_parse(value);
      if (scale < 0) {
        fprintf(stderr, "mrank: --scale is auto, max or none, not \"%s\"\n", value);
        return -1;
      }
      o->scale = (rank_scale)scale;
      break;
    }
  }
  if (!ok) {
    fprintf(stderr, "mrank: %s %s is out of range (see --help)\n", names[which], value);
    return -1;
  }
  return 1;
}

const char *mrank_features_hint(const char *error) {
  return rank_error_beyond_features(error)
             ? " (the count the training data gives; --features N makes room for the validation "
               "data's)"
             : "";
}
