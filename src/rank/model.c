/* model.c: reading and writing the model file. */
#include "rank/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/atomic_file.h"
#include "rank/dataset.h"

/* The name of an option that is not a finite number (an unchosen l2 is NaN), or NULL: a model
 * file never holds one, as it would describe a training that did not happen. */
static const char *non_finite_option(const rank_model *model) {
  const rank_options *o = &model->options;
  const double values[] = {o->margin, o->lr, o->l2, o->momentum, o->l1, o->holdout};
  const char *names[] = {"margin", "lr", "l2", "momentum", "l1", "holdout"};
  for (size_t k = 0; k < sizeof values / sizeof values[0]; ++k) {
    if (!isfinite(values[k])) return names[k];
  }
  for (size_t k = 0; k < model->path_count; ++k) {
    if (!isfinite(model->path_l2[k])) return "path";
  }
  if (model->mlp.layers > 0 && (!isfinite(model->dropout) || !isfinite(model->weight_decay))) {
    return !isfinite(model->dropout) ? "dropout" : "weight-decay";
  }
  return NULL;
}

int rank_model_format(const rank_model *model) {
  return model->mlp.layers > 0 && (model->encoding.bins > 0 || model->base) ? RANK_MODEL_VERSION
                                                                            : 3;
}

int rank_model_write(const rank_model *model, FILE *file) {
  if (non_finite_option(model) != NULL) return 0;
  const rank_options *o = &model->options;
  fprintf(file, "mrank-model %d\n", rank_model_format(model));
  fprintf(file, "features %zu\n", model->features);
  fprintf(file,
          "options margin=%.9g lr=%.9g l2=%.9g momentum=%.9g epochs=%u batch-queries=%u "
          "pairs-per-query=%u patience=%u seed=%llu average=%u scale=%s l1=%.9g holdout=%.9g\n",
          o->margin, o->lr, o->l2, o->momentum, o->epochs, o->batch_queries, o->pairs_per_query,
          o->patience, o->seed, o->average, rank_scale_name(o->scale), o->l1, o->holdout);
  fprintf(file, "path");
  if (model->path_count == 0) fprintf(file, " -");
  for (size_t k = 0; k < model->path_count; ++k)
    fprintf(file, " %.9g:%u", model->path_l2[k], model->path_epochs[k]);
  fprintf(file, "\nbest-epoch %u\n", model->best_epoch);
  if (model->mlp.layers > 0) {
    char hidden[128];
    rank_mlp_hidden_text(&model->mlp, hidden, sizeof hidden);
    const rank_encoding *e = &model->encoding;
    fprintf(file,
            "scorer mlp hidden=%s activation=relu dropout=%.9g optimizer=%s weight-decay=%.9g%s",
            hidden, model->dropout, model->optimizer[0] ? model->optimizer : "adam",
            model->weight_decay,
            !model->mlp.skip ? ""
            : model->base    ? " skip=base"
                             : " skip=linear");
    if (e->bins > 0) {
      fprintf(file, " bins=%zu\nencoding\n", e->bins);
      for (size_t f = 0; f < model->features; ++f) {
        fprintf(file, "%zu", e->start[f + 1] - e->start[f]);
        for (size_t k = e->start[f]; k < e->start[f + 1]; ++k)
          fprintf(file, " %.9g", e->edges[k]);
        fputc('\n', file);
      }
    } else {
      fputc('\n', file);
    }
    fprintf(file, "standardisation\n");
    for (size_t f = 0; f < model->mlp.features; ++f)
      fprintf(file, "%.9g %.9g\n", model->mean[f], model->deviation[f]);
  }
  fprintf(file, "weights\n");
  const size_t count = rank_model_parameters(model);
  for (size_t k = 0; k < count; ++k)
    fprintf(file, "%.9g\n", model->weights[k]);
  return !ferror(file);
}

int rank_model_save(const rank_model *model, const char *path, char *error, size_t error_size) {
  const char *unset = non_finite_option(model);
  if (unset != NULL) {
    snprintf(error, error_size,
             "%s: not written: the model's %s is not a finite number (nothing was chosen for "
             "it); this is mrank's fault, please report it",
             path, unset);
    return 0;
  }
  rank_atomic_file out;
  if (!rank_atomic_open(&out, path)) {
    snprintf(error, error_size, "%s: cannot write the model: %s", path, strerror(errno));
    return 0;
  }
  if (!rank_model_write(model, out.file) || !rank_atomic_commit(&out)) {
    rank_atomic_abort(&out);
    snprintf(error, error_size, "%s: cannot write the model: %s", path, strerror(errno));
    return 0;
  }
  return 1;
}

void rank_model_free(rank_model *model) {
  free(model->weights);
  free(model->mean);
  free(model->deviation);
  model->weights = model->mean = model->deviation = NULL;
  rank_encoding_free(&model->encoding);
}

size_t rank_model_parameters(const rank_model *model) {
  return model->mlp.layers > 0 ? rank_mlp_parameter_count(&model->mlp) : model->features;
}

int rank_model_score(const rank_model *model, const rank_dataset *data, double *scores) {
  if (model->mlp.layers > 0 && model->encoding.bins > 0) {
    rank_dataset encoded;
    if (!rank_encoding_apply(&model->encoding, data, (size_t)-1, &encoded)) return 0;
    const int ok = rank_mlp_score(&model->mlp, model->weights, model->mean, model->deviation,
                                  &encoded, scores);
    rank_dataset_free(&encoded);
    return ok;
  }
  if (model->mlp.layers > 0) {
    return rank_mlp_score(&model->mlp, model->weights, model->mean, model->deviation, data, scores);
  }
  rank_score(data, model->weights, model->features, scores);
  return 1;
}

/* The optional words after weight-decay= on the scorer line: " skip=linear" or " skip=base",
 * then " bins=N"; *consumed moves past them. */
static int parse_scorer_tail(const char *text, int *consumed, rank_model *model) {
  if (strncmp(text + *consumed, " skip=linear", 12) == 0) {
    model->mlp.skip = 1;
    *consumed += 12;
  } else if (strncmp(text + *consumed, " skip=base", 10) == 0) {
    model->mlp.skip = 1;
    model->base = 1;
    *consumed += 10;
  }
  size_t bins = 0;
  int more = -1;
  if (sscanf(text + *consumed, " bins=%zu%n", &bins, &more) == 1 && more > 0) {
    if (bins == 0 || bins > RANK_ENCODING_MAX_BINS) return 0;
    model->encoding.bins = bins;
    *consumed += more;
  }
  return 1;
}

/* The "encoding" block: per feature, its edge count (0, or 2 to bins + 1) and its edges,
 * ascending. */
static int parse_encoding(const char *name, const char **p, size_t *line, rank_model *model,
                          char *error, size_t error_size) {
  rank_encoding *e = &model->encoding;
  const size_t F = model->features, most = e->bins + 1;
  if (strncmp(*p, "encoding\n", 9) != 0) {
    snprintf(error, error_size, "%s:%zu: expected \"encoding\"", name, *line);
    return 0;
  }
  *p += 9;
  (*line)++;
  e->features = F;
  e->start = calloc(F + 1, sizeof *e->start);
  size_t used = 0, room = 0; /* the edges grow as they are read: a file's claim costs no memory */
  if (e->start == NULL) {
    snprintf(error, error_size, "%s: out of memory", name);
    return 0;
  }
  for (size_t f = 0; f < F; ++f, (*line)++) {
    e->start[f] = used;
    char *end = NULL;
    const unsigned long count = strtoul(*p, &end, 10);
    int ok = end != *p && (count == 0 || (count >= 2 && count <= most));
    if (ok && used + count > room) {
      room = 2 * (used + count);
      float *grown = realloc(e->edges, room * sizeof *grown);
      if (grown == NULL) {
        snprintf(error, error_size, "%s: out of memory", name);
        return 0;
      }
      e->edges = grown;
    }
    for (unsigned long k = 0; ok && k < count; ++k) {
      const char *at = end;
      const float edge = strtof(at, &end);
      ok = end != at && isfinite(edge) && (k == 0 || edge > e->edges[used - 1]);
      e->edges[used++] = edge;
    }
    if (!ok || *end != '\n') {
      snprintf(error, error_size,
               "%s:%zu: expected the edge count of feature %zu (0, or 2 to %zu) and its edges, "
               "finite and ascending",
               name, *line, f + 1, most);
      return 0;
    }
    *p = end + 1;
  }
  e->start[F] = used;
  return 1;
}

/* The MLP block after best-epoch: "scorer mlp ...", the encoding (with bins=), "standardisation"
 * and a mean and deviation per input; *p moves past it. *line counts the file's lines. */
static int parse_mlp(const char *name, const char **p, size_t *line, rank_model *model, char *error,
                     size_t error_size) {
  char hidden[128] = "", optimizer[16] = "", activation[16] = "";
  int consumed = -1;
  const int tail =
      sscanf(*p,
             "scorer mlp hidden=%127[0-9,] activation=%15[a-z] dropout=%lf optimizer=%15[a-z] "
             "weight-decay=%lf%n",
             hidden, activation, &model->dropout, optimizer, &model->weight_decay,
             &consumed) == 5 &&
      consumed > 0 && parse_scorer_tail(*p, &consumed, model);
  if (tail && (*p)[consumed] == '\n') {
    consumed++;
  } else {
    consumed = -1;
  }
  if (consumed <= 0 || strcmp(activation, "relu") != 0 || !(model->dropout >= 0) ||
      !(model->dropout < 1) || !(model->weight_decay >= 0)) {
    snprintf(error, error_size,
             "%s:%zu: expected \"scorer mlp hidden=N,... activation=relu dropout=P "
             "optimizer=NAME weight-decay=D [skip=linear|base] [bins=1..%zu]\"",
             name, *line, RANK_ENCODING_MAX_BINS);
    return 0;
  }
  char detail[256];
  if (!rank_mlp_parse_hidden(hidden, &model->mlp, detail, sizeof detail)) {
    snprintf(error, error_size, "%s:%zu: the scorer's hidden= %s; the model file is damaged", name,
             *line, detail);
    return 0;
  }
  snprintf(model->optimizer, sizeof model->optimizer, "%s", optimizer);
  *p += consumed;
  (*line)++;
  if (model->encoding.bins > 0 && !parse_encoding(name, p, line, model, error, error_size)) {
    return 0;
  }
  model->mlp.features =
      model->encoding.bins > 0 ? rank_encoding_width(&model->encoding) : model->features;
  if (strncmp(*p, "standardisation\n", 16) != 0) {
    snprintf(error, error_size, "%s:%zu: expected \"standardisation\"", name, *line);
    return 0;
  }
  *p += 16;
  (*line)++;
  model->mean = malloc((model->mlp.features + 1) * sizeof(float));
  model->deviation = malloc((model->mlp.features + 1) * sizeof(float));
  if (model->mean == NULL || model->deviation == NULL) {
    snprintf(error, error_size, "%s: out of memory", name);
    return 0;
  }
  for (size_t f = 0; f < model->mlp.features; ++f, (*line)++) {
    char *end = NULL;
    const float mean = strtof(*p, &end);
    const char *after = end;
    const float deviation = end == *p ? 0.0f : strtof(after, &end);
    if (end == after || *end != '\n' || !isfinite(mean) || !isfinite(deviation) ||
        !(deviation > 0.0f)) {
      snprintf(error, error_size,
               "%s:%zu: expected the mean and deviation of feature %zu (a finite mean, a "
               "deviation above 0)",
               name, *line, f + 1);
      return 0;
    }
    model->mean[f] = mean;
    model->deviation[f] = deviation;
    *p = end + 1;
  }
  return 1;
}

int rank_model_load(const char *path, size_t expected_features, rank_model *model, char *error,
                    size_t error_size) {
  size_t length = 0;
  memset(model, 0, sizeof *model);
  char *text = rank_read_file(path, &length, error, error_size);
  if (text == NULL) return 0;
  if (strlen(text) != length) {
    snprintf(error, error_size, "%s: not an mrank model (it holds a NUL byte)", path);
    free(text);
    return 0;
  }
  const int ok = rank_model_parse(path, text, expected_features, model, error, error_size);
  free(text);
  return ok;
}

/* "path -" or "path L2:EPOCHS ..." (at most RANK_MODEL_PATH_MAX steps); *p moves past its line. */
static int parse_path(const char *name, const char **p, rank_model *model, char *error,
                      size_t error_size) {
  int consumed = -1;
  if (sscanf(*p, "path -\n%n", &consumed) == 0 && consumed > 0) {
    *p += consumed;
    return 1;
  }
  if (strncmp(*p, "path ", 5) != 0) {
    snprintf(error, error_size, "%s:4: expected \"path -\" or \"path L2:EPOCHS ...\"", name);
    return 0;
  }
  const char *at = *p + 4;
  while (*at == ' ') {
    double l2 = 0.0;
    unsigned epochs = 0;
    consumed = -1;
    if (model->path_count == RANK_MODEL_PATH_MAX ||
        sscanf(at, " %lf:%u%n", &l2, &epochs, &consumed) != 2 || consumed <= 0 || !(l2 >= 0)) {
      snprintf(error, error_size,
               "%s:4: expected at most %d steps \"L2:EPOCHS\" (L2 >= 0) on the path line", name,
               RANK_MODEL_PATH_MAX);
      return 0;
    }
    model->path_l2[model->path_count] = l2;
    model->path_epochs[model->path_count++] = epochs;
    at += consumed;
  }
  if (*at != '\n' || model->path_count == 0) {
    snprintf(error, error_size, "%s:4: expected \"path -\" or \"path L2:EPOCHS ...\"", name);
    return 0;
  }
  *p = at + 1;
  return 1;
}

/* Lines 1 and 2: "mrank-model N" and "features F" (F the data's when expected_features is not 0).
 */
static int parse_header(const char *path, const char **p, size_t expected_features, int *version,
                        size_t *features, char *error, size_t error_size) {
  /* %n is only stored when the whole format matched: reset it before each scan and require it */
  int consumed = -1;
  if (sscanf(*p, "mrank-model %d\n%n", version, &consumed) != 1 || consumed <= 0) {
    snprintf(error, error_size,
             "%s: not an mrank model (the first line must be \"mrank-model N\", N from 1 to %d)",
             path, RANK_MODEL_VERSION);
    return 0;
  }
  if (*version < 1 || *version > RANK_MODEL_VERSION) {
    snprintf(error, error_size,
             "%s: model format version %d; this mrank reads versions 1 to %d: train the model "
             "again with this version",
             path, *version, RANK_MODEL_VERSION);
    return 0;
  }
  *p += consumed;
  consumed = -1;
  if (sscanf(*p, "features %zu\n%n", features, &consumed) != 1 || consumed <= 0 || *features == 0 ||
      *features > RANK_MAX_FEATURES) {
    snprintf(error, error_size, "%s:2: expected \"features N\" with 1 <= N <= %zu", path,
             RANK_MAX_FEATURES);
    return 0;
  }
  *p += consumed;
  if (expected_features != 0 && *features != expected_features) {
    snprintf(error, error_size,
             "%s: the model has %zu features, the data %zu; use the model with data of its own "
             "feature count (or pass --features %zu)",
             path, *features, expected_features, *features);
    return 0;
  }
  return 1;
}

/* Line 3, the options; what each format version added after the first ones. */
static int parse_options(const char *path, const char **p, int version, rank_options *o,
                         char *error, size_t error_size) {
  int consumed = -1;
  if (sscanf(*p,
             "options margin=%lf lr=%lf l2=%lf momentum=%lf epochs=%u batch-queries=%u "
             "pairs-per-query=%u patience=%u seed=%llu average=%u%n",
             &o->margin, &o->lr, &o->l2, &o->momentum, &o->epochs, &o->batch_queries,
             &o->pairs_per_query, &o->patience, &o->seed, &o->average, &consumed) != 10 ||
      consumed <= 0) {
    snprintf(error, error_size, "%s:3: expected the options line", path);
    return 0;
  }
  *p += consumed;
  /* version 2 added scale=; a version 1 model was trained on unscaled data */
  o->scale = RANK_SCALE_NONE;
  if (version >= 2) {
    char scale[8] = "";
    consumed = -1;
    const int parsed = sscanf(*p, " scale=%7[a-z]%n", scale, &consumed) == 1 && consumed > 0
                           ? rank_scale_parse(scale)
                           : -1;
    if (parsed < 0) {
      snprintf(error, error_size,
               "%s:3: expected scale=auto, max or none at the end of the options", path);
      return 0;
    }
    o->scale = (rank_scale)parsed;
    *p += consumed;
  }
  /* version 3 added l1= and holdout=, and the path line */
  if (version >= 3) {
    consumed = -1;
    if (sscanf(*p, " l1=%lf holdout=%lf%n", &o->l1, &o->holdout, &consumed) != 2 || consumed <= 0 ||
        !(o->l1 >= 0) || !(o->holdout >= 0 && o->holdout < 1)) {
      snprintf(error, error_size,
               "%s:3: expected l1=X (X >= 0) and holdout=F (0 <= F < 1) at the end of the "
               "options",
               path);
      return 0;
    }
    *p += consumed;
  }
  if (**p != '\n') {
    snprintf(error, error_size, "%s:3: expected the options line", path);
    return 0;
  }
  ++*p;
  return 1;
}

/* The "weights" line and one finite weight per line from line `line`, then nothing else. */
static int parse_weights(const char *path, const char *p, size_t line, rank_model *model,
                         char *error, size_t error_size) {
  if (strncmp(p, "weights\n", 8) != 0) {
    snprintf(error, error_size, "%s:%zu: expected \"weights\"", path, line);
    return 0;
  }
  p += 8;
  line++;
  const size_t count = rank_model_parameters(model);
  model->weights = malloc(count * sizeof(float));
  if (model->weights == NULL) {
    snprintf(error, error_size, "%s: out of memory for %zu weights", path, count);
    return 0;
  }
  for (size_t f = 0; f < count; ++f) {
    char *end = NULL;
    errno = 0;
    const float w = strtof(p, &end);
    /* ERANGE is not refused as such: an underflow is a subnormal weight (or 0) that training can
     * reach and that the writer prints, and an overflow is infinite, refused below by name */
    if (end == p || (*end != '\n' && *end != '\0')) {
      snprintf(error, error_size, "%s:%zu: expected weight %zu of %zu", path, f + line, f + 1,
               count);
      return 0;
    }
    if (!isfinite(w)) { /* a NaN or infinite weight scores every document alike: refuse it */
      snprintf(error, error_size, "%s:%zu:1: weight %zu of %zu is %.*s, not a finite number", path,
               f + line, f + 1, count, (int)(end - p), p);
      return 0;
    }
    model->weights[f] = w;
    p = *end == '\n' ? end + 1 : end;
  }
  while (*p == '\n' || *p == ' ')
    p++;
  if (*p != '\0') {
    snprintf(error, error_size, "%s: more lines than its %zu weights", path, count);
    return 0;
  }
  return 1;
}

int rank_model_parse(const char *path, const char *text, size_t expected_features,
                     rank_model *model, char *error, size_t error_size) {
  memset(model, 0, sizeof *model);
  int version = 0, consumed = -1;
  size_t features = 0;
  const char *p = text;
  if (!parse_header(path, &p, expected_features, &version, &features, error, error_size) ||
      !parse_options(path, &p, version, &model->options, error, error_size)) {
    goto fail;
  }
  if (version >= 3 && !parse_path(path, &p, model, error, error_size)) goto fail;
  size_t line = version >= 3 ? 5 : 4;
  if (sscanf(p, "best-epoch %u\n%n", &model->best_epoch, &consumed) != 1 || consumed <= 0) {
    snprintf(error, error_size, "%s:%zu: expected \"best-epoch N\"", path, line);
    goto fail;
  }
  p += consumed;
  line++;
  model->features = features;
  if (version >= 3 && strncmp(p, "scorer ", 7) == 0 &&
      !parse_mlp(path, &p, &line, model, error, error_size)) {
    goto fail;
  }
  if (!parse_weights(path, p, line, model, error, error_size)) goto fail;
  return 1;
fail:
  rank_model_free(model);
  return 0;
}

const char *rank_scale_name(rank_scale scale) {
  return scale == RANK_SCALE_AUTO ? "auto" : scale == RANK_SCALE_MAX ? "max" : "none";
}

int rank_scale_parse(const char *name) {
  return strcmp(name, "auto") == 0   ? RANK_SCALE_AUTO
         : strcmp(name, "max") == 0  ? RANK_SCALE_MAX
         : strcmp(name, "none") == 0 ? RANK_SCALE_NONE
                                     : -1;
}

void rank_default_options(rank_options *o) {
  o->margin = 1.0;
  o->lr = 0.05;
  o->l2 = 1e-4;
  o->momentum = 0.9;
  o->epochs = 30;
  o->batch_queries = 8;
  o->pairs_per_query = 0;
  o->patience = 5;
  o->seed = 1;
  o->average = 1;
  o->scale = RANK_SCALE_AUTO;
  o->l1 = 0.0;
  o->holdout = 0.2;
}

void rank_score(const rank_dataset *data, const float *weights, size_t features, double *scores) {
  const size_t columns = data->features < features ? data->features : features;
  /* a model with zero weights (--l1) is scored over its other features only; the sums are the
   * same (adding 0.0 changes no double) */
  size_t *used = malloc((columns > 0 ? columns : 1) * sizeof *used), count = 0;
  for (size_t f = 0; used != NULL && f < columns; ++f) {
    if (weights[f] != 0.0f) used[count++] = f;
  }
  for (size_t d = 0; d < data->docs; ++d) {
    const float *row = data->x + d * data->features;
    double total = 0.0;
    if (used != NULL) {
      for (size_t k = 0; k < count; ++k)
        total += (double)row[used[k]] * weights[used[k]];
    } else {
      for (size_t f = 0; f < columns; ++f)
        total += (double)row[f] * weights[f];
    }
    scores[d] = total;
  }
  free(used);
}
