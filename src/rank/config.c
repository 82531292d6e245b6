/* config.c: the training options by name (see config.h). Each option has a kind and, for numbers,
 * a range said the same way in every message. */
#include "rank/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/encoding.h"

typedef enum option_kind {
  KIND_REAL,
  KIND_COUNT,
  KIND_SEED,
  KIND_SCALE,
  KIND_FLAG, /* true/false: average, profile */
  KIND_SCORER,
  KIND_HIDDEN,
  KIND_BINS,
  KIND_DROPOUT,
  KIND_OPTIMIZER,
  KIND_WEIGHT_DECAY,
  KIND_SKIP,
  KIND_GEMM,
  KIND_DEVICE
} option_kind;

typedef struct option_rule {
  const char *name;
  option_kind kind;
  double low, high;        /* a number must lie within [low, high] */
  int low_open, high_open; /* ... or (low, high], [low, high) */
  const char *range;
} option_rule;

static const option_rule rules[] = {
    {"scorer", KIND_SCORER, 0, 0, 0, 0, "linear or mlp"},
    {"margin", KIND_REAL, -HUGE_VAL, HUGE_VAL, 0, 0, "a finite number"},
    {"lr", KIND_REAL, 0.0, HUGE_VAL, 1, 0, "greater than 0"},
    {"l2", KIND_REAL, 0.0, HUGE_VAL, 0, 0, "0 or more"},
    {"l1", KIND_REAL, 0.0, HUGE_VAL, 0, 0, "0 or more"},
    {"momentum", KIND_REAL, 0.0, 1.0, 0, 1, "at least 0 and less than 1"},
    {"epochs", KIND_COUNT, 1.0, 4294967295.0, 0, 0, "a whole number from 1 to 4294967295"},
    {"batch-queries", KIND_COUNT, 1.0, 4294967295.0, 0, 0, "a whole number from 1 to 4294967295"},
    {"pairs-per-query", KIND_COUNT, 0.0, 4294967295.0, 0, 0,
     "a whole number from 0 (every pair) to 4294967295"},
    {"patience", KIND_COUNT, 0.0, 4294967295.0, 0, 0,
     "a whole number from 0 (never stop early) to 4294967295"},
    {"holdout", KIND_REAL, 0.0, 0.5, 0, 0, "from 0 (none) to 0.5"},
    {"seed", KIND_SEED, 0, 0, 0, 0, "a whole number of 0 or more"},
    {"scale", KIND_SCALE, 0, 0, 0, 0, "auto, max or none"},
    {"average", KIND_FLAG, 0, 0, 0, 0, "true or false"},
    {"hidden", KIND_HIDDEN, 0, 0, 0, 0, "1 to 4 layer sizes"},
    {"bins", KIND_BINS, 0, 0, 0, 0, "a whole number from 0 to 64"},
    {"dropout", KIND_DROPOUT, 0, 0, 0, 0, "a probability in [0, 1)"},
    {"optimizer", KIND_OPTIMIZER, 0, 0, 0, 0, "sgd, momentum or adam"},
    {"weight-decay", KIND_WEIGHT_DECAY, 0, 0, 0, 0, "a number >= 0"},
    {"skip", KIND_SKIP, 0, 0, 0, 0, "base, linear or none"},
    {"gemm", KIND_GEMM, 0, 0, 0, 0, "auto, dense or clblast"},
    {"device", KIND_DEVICE, 0, 0, 0, 0, "a device selector"},
    {"profile", KIND_FLAG, 0, 0, 0, 0, "true or false"},
};
enum { rule_count = sizeof rules / sizeof rules[0] };

const char *const rank_config_names[] = {"scorer",
                                         "margin",
                                         "lr",
                                         "l2",
                                         "l1",
                                         "momentum",
                                         "epochs",
                                         "batch-queries",
                                         "pairs-per-query",
                                         "patience",
                                         "holdout",
                                         "seed",
                                         "scale",
                                         "average",
                                         "hidden",
                                         "bins",
                                         "dropout",
                                         "optimizer",
                                         "weight-decay",
                                         "skip",
                                         "gemm",
                                         "device",
                                         "profile"};
const size_t rank_config_name_count = sizeof rank_config_names / sizeof rank_config_names[0];

static const char *undashed(const char *name) {
  return strncmp(name, "--", 2) == 0 ? name + 2 : name;
}

static const option_rule *find_rule(const char *name) {
  const char *bare = undashed(name);
  if (strcmp(bare, "batch") == 0) bare = "batch-queries"; /* the short name the API also takes */
  for (int k = 0; k < rule_count; ++k) {
    if (strcmp(rules[k].name, bare) == 0) return &rules[k];
  }
  return NULL;
}

int rank_config_is_flag(const char *name) {
  const char *bare = undashed(name);
  if (strcmp(bare, "no-average") == 0) return 1;
  const option_rule *r = find_rule(name);
  return r == NULL ? -1 : r->kind == KIND_FLAG;
}

void rank_config_init(rank_train_config *c) {
  memset(c, 0, sizeof *c);
  rank_default_options(&c->options);
  c->options.l2 = NAN; /* not given: chosen */
  rank_mlp_default_options(&c->mlp);
}

void rank_config_free(rank_train_config *c) {
  free(c->device);
  c->device = NULL;
}

int rank_config_copy(rank_train_config *to, const rank_train_config *from) {
  *to = *from;
  to->device = NULL;
  if (from->device == NULL) return 1;
  const size_t length = strlen(from->device) + 1;
  to->device = malloc(length);
  if (to->device == NULL) return 0;
  memcpy(to->device, from->device, length);
  return 1;
}

static int within(const option_rule *r, double value) {
  if (!isfinite(value)) return 0;
  if (r->kind == KIND_COUNT && value != floor(value)) return 0;
  const int above = r->low_open ? value > r->low : value >= r->low;
  const int below = r->high_open ? value < r->high : value <= r->high;
  return above && below;
}

int rank_config_value_ok(const char *name, double value, const char **range) {
  const option_rule *r = find_rule(name);
  if (r == NULL || (r->kind != KIND_REAL && r->kind != KIND_COUNT)) return 0;
  if (range != NULL) *range = r->range;
  return within(r, value);
}

/* Edit distance (insertions, deletions, substitutions) of two short names. */
static size_t distance(const char *a, const char *b) {
  size_t row[64];
  const size_t la = strlen(a) < 63 ? strlen(a) : 63, lb = strlen(b) < 63 ? strlen(b) : 63;
  for (size_t j = 0; j <= lb; ++j)
    row[j] = j;
  for (size_t i = 1; i <= la; ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; ++j) {
      const size_t above = row[j];
      const size_t change = diagonal + (a[i - 1] != b[j - 1]);
      const size_t shorter = (above < row[j - 1] ? above : row[j - 1]) + 1;
      row[j] = change < shorter ? change : shorter;
      diagonal = above;
    }
  }
  return row[lb];
}

static int unknown(const char *name, char *error, size_t error_size) {
  const char *bare = undashed(name), *closest = rules[0].name;
  size_t best = (size_t)-1;
  for (int k = 0; k < rule_count; ++k) {
    const size_t d = distance(bare, rules[k].name);
    if (d < best) best = d, closest = rules[k].name;
  }
  snprintf(error, error_size, "unknown training option \"%s\"; did you mean \"%s%s\"?", name,
           name != bare ? "--" : "", closest);
  return -1;
}

static int parse_flag(const char *value, int *out) {
  static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no",
                                                                              "off"};
  for (int k = 0; k < 4; ++k) {
    if (strcmp(value, yes[k]) == 0) return *out = 1, 1;
    if (strcmp(value, no[k]) == 0) return *out = 0, 1;
  }
  return 0;
}

static void set_number(rank_options *o, const char *name, double value) {
  if (strcmp(name, "margin") == 0) o->margin = value;
  if (strcmp(name, "lr") == 0) o->lr = value;
  if (strcmp(name, "l2") == 0) o->l2 = value;
  if (strcmp(name, "l1") == 0) o->l1 = value;
  if (strcmp(name, "holdout") == 0) o->holdout = value;
  if (strcmp(name, "momentum") == 0) o->momentum = value;
  if (strcmp(name, "epochs") == 0) o->epochs = (unsigned)value;
  if (strcmp(name, "batch-queries") == 0) o->batch_queries = (unsigned)value;
  if (strcmp(name, "pairs-per-query") == 0) o->pairs_per_query = (unsigned)value;
  if (strcmp(name, "patience") == 0) o->patience = (unsigned)value;
}

/* A real (read as a float: the trainer works in float) or a count. */
static int parse_number(rank_train_config *c, const option_rule *r, const char *name,
                        const char *value, char *error, size_t error_size) {
  char *end = NULL;
  errno = 0;
  const double number = r->kind == KIND_REAL ? (double)strtof(value, &end) : strtod(value, &end);
  const int overflow = errno == ERANGE && fabs(number) > 1.0;
  if (value[0] == '\0' || *end != '\0') {
    snprintf(error, error_size, "%s expects a number (%s), not \"%s\"", name, r->range, value);
    return 0;
  }
  if (overflow && r->kind == KIND_REAL) {
    snprintf(error, error_size,
             "%s %s is beyond the range of float (3.4e38), in which the trainer works; give a "
             "smaller value",
             name, value);
    return 0;
  }
  if (errno == ERANGE && r->kind == KIND_REAL) {
    snprintf(error, error_size,
             "%s %s is too small for float (below 1.2e-38), in which the trainer works; give a "
             "larger value",
             name, value);
    return 0;
  }
  if (errno == ERANGE || !within(r, number)) {
    snprintf(error, error_size, "%s must be %s, not \"%s\"", name, r->range, value);
    return 0;
  }
  set_number(&c->options, r->name, number == 0.0 ? 0.0 : number); /* -0 is 0: "l2=0" */
  if (strcmp(r->name, "lr") == 0) c->lr_given = 1;
  if (strcmp(r->name, "epochs") == 0) c->epochs_given = 1;
  return 1;
}

static int parse_seed(rank_train_config *c, const char *name, const char *value, char *error,
                      size_t error_size) {
  char *end = NULL;
  errno = 0;
  const unsigned long long seed = strtoull(value, &end, 10);
  if (!isdigit((unsigned char)value[0]) || errno != 0 || *end != '\0') {
    snprintf(error, error_size, "%s expects a non-negative whole number, not \"%s\"", name, value);
    return 0;
  }
  c->options.seed = seed;
  return 1;
}

/* The MLP's options; each marks the configuration as one for scorer mlp. */
static int parse_mlp(rank_train_config *c, const option_rule *r, const char *name,
                     const char *value, char *error, size_t error_size) {
  rank_mlp_options *m = &c->mlp;
  char detail[256];
  int ok = 1;
  if (r->kind == KIND_HIDDEN) {
    if (!rank_mlp_parse_hidden(value, &m->shape, detail, sizeof detail)) {
      snprintf(error, error_size, "%s %s", name, detail);
      return 0;
    }
  } else if (r->kind == KIND_SKIP) {
    ok = rank_mlp_skip_parse(value, m);
  } else if (r->kind == KIND_GEMM) {
    const int layers = rank_mlp_layers_parse(value);
    if ((ok = layers >= 0)) m->layers = (rank_mlp_layers)layers;
  } else if (r->kind == KIND_OPTIMIZER) {
    const int optimizer = rank_optimizer_parse(value);
    if ((ok = optimizer >= 0)) m->optimizer = (rank_optimizer)optimizer;
  } else if (r->kind == KIND_BINS) {
    char *end = NULL;
    const unsigned long bins = strtoul(value, &end, 10);
    ok = end != value && *end == '\0' && value[0] != '-' && bins <= RANK_ENCODING_MAX_BINS;
    if (!ok) {
      snprintf(error, error_size, "%s is a whole number from 0 to %zu, not \"%s\"", name,
               RANK_ENCODING_MAX_BINS, value);
      return 0;
    }
    m->bins = bins;
  } else {
    char *end = NULL;
    const double number = strtod(value, &end);
    const int dropout = r->kind == KIND_DROPOUT;
    ok = end != value && *end == '\0' && number >= 0.0 &&
         (dropout ? number < 1.0 : isfinite(number));
    if (!ok) {
      snprintf(error, error_size, "%s must be %s, not \"%s\"", name, r->range, value);
      return 0;
    }
    if (dropout)
      m->dropout = number;
    else
      m->weight_decay = number;
  }
  if (!ok) {
    snprintf(error, error_size, "%s is %s, not \"%s\"", name, r->range, value);
    return 0;
  }
  c->mlp_given = 1;
  return 1;
}

static int set_device(rank_train_config *c, const char *name, const char *value, char *error,
                      size_t error_size) {
  if (value[0] == '\0') {
    snprintf(error, error_size, "%s is empty: give a device selector (gpu, cpu, host, P:D, ...)",
             name);
    return 0;
  }
  const size_t length = strlen(value) + 1;
  char *copy = malloc(length);
  if (copy == NULL) return snprintf(error, error_size, "out of memory"), 0;
  memcpy(copy, value, length);
  free(c->device);
  c->device = copy;
  return 1;
}

int rank_config_set(rank_train_config *c, const char *name, const char *value, char *error,
                    size_t error_size) {
  const option_rule *r = find_rule(name);
  if (r == NULL) return unknown(name, error, error_size);
  if (value == NULL) {
    snprintf(error, error_size, "%s needs a value (%s)", name, r->range);
    return 0;
  }
  c->dashed = strncmp(name, "--", 2) == 0;
  switch (r->kind) {
    case KIND_REAL:
    case KIND_COUNT:
      return parse_number(c, r, name, value, error, error_size);
    case KIND_SEED:
      return parse_seed(c, name, value, error, error_size);
    case KIND_SCALE: {
      const int scale = rank_scale_parse(value);
      if (scale < 0) {
        snprintf(error, error_size, "%s is %s, not \"%s\"", name, r->range, value);
        return 0;
      }
      c->options.scale = (rank_scale)scale;
      return 1;
    }
    case KIND_FLAG: {
      int on = 0;
      if (!parse_flag(value, &on)) {
        snprintf(error, error_size, "%s is %s, not \"%s\"", name, r->range, value);
        return 0;
      }
      if (strcmp(r->name, "profile") == 0) {
        c->profile = on;
      } else {
        c->options.average = (unsigned)on;
        c->average_given = on;
      }
      return 1;
    }
    case KIND_SCORER:
      if (strcmp(value, "linear") != 0 && strcmp(value, "mlp") != 0) {
        snprintf(error, error_size, "%s is %s, not \"%s\"", name, r->range, value);
        return 0;
      }
      c->mlp_scorer = strcmp(value, "mlp") == 0;
      return 1;
    case KIND_DEVICE:
      return set_device(c, name, value, error, error_size);
    default:
      return parse_mlp(c, r, name, value, error, error_size);
  }
}

int rank_config_check(const rank_train_config *c, char *error, size_t error_size) {
  if (c->mlp_given && !c->mlp_scorer) {
    const char *d = c->dashed ? "--" : "";
    snprintf(error, error_size,
             "%shidden, %sbins, %sdropout, %soptimizer, %sweight-decay, %sskip and %sgemm go with "
             "%sscorer mlp",
             d, d, d, d, d, d, d, d);
    return 0;
  }
  return 1;
}
