/* rank_model_api.c: mrank_rank.h's models: the files mrank train and tune write, read, written and
 * scored through the ranker's own model code (src/rank/model.c), behind a handle. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mrank_rank.h"
#include "rank/model.h"
#include "rank_api.h"

static mrank_status model_error(const char *function, const char *message) {
  const mrank_status status = strstr(message, "out of memory") != NULL ? MRANK_ERROR_OUT_OF_MEMORY
                              : strstr(message, "cannot") != NULL      ? MRANK_ERROR_IO
                                                                  : MRANK_ERROR_INVALID_ARGUMENT;
  return mrank_fail(status, "%s: %s", function, message);
}

static mrank_status wrap(const char *function, rank_model *model, mrank_model **out) {
  mrank_model *handle = malloc(sizeof *handle);
  if (handle == NULL) {
    rank_model_free(model);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory", function);
  }
  handle->model = *model;
  handle->note[0] = '\0';
  *out = handle;
  return MRANK_SUCCESS;
}

mrank_status mrank_model_load(const char *path, mrank_model **out) {
  mrank_clear_error();
  const char *function = "mrank_model_load";
  if (out == NULL) return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: out is NULL", function);
  *out = NULL;
  if (path == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: path is NULL; give a model file written by mrank train or tune",
                      function);
  }
  char message[2048];
  rank_model model;
  if (!rank_model_load(path, 0, &model, message, sizeof message)) {
    return model_error(function, message);
  }
  return wrap(function, &model, out);
}

mrank_status mrank_model_from_string(const char *text, mrank_model **out) {
  mrank_clear_error();
  const char *function = "mrank_model_from_string";
  if (out == NULL) return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: out is NULL", function);
  *out = NULL;
  if (text == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: text is NULL; pass a model's text (mrank_model_to_string)", function);
  }
  char message[2048];
  rank_model model;
  if (!rank_model_parse("the model text", text, 0, &model, message, sizeof message)) {
    return model_error(function, message);
  }
  return wrap(function, &model, out);
}

mrank_status mrank_model_save(const mrank_model *model, const char *path) {
  mrank_clear_error();
  const char *function = "mrank_model_save";
  if (model == NULL || path == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function,
                      model == NULL ? "model" : "path");
  }
  char message[2048];
  if (!rank_model_save(&model->model, path, message, sizeof message)) {
    return mrank_fail(MRANK_ERROR_IO, "%s: %s", function, message);
  }
  return MRANK_SUCCESS;
}

mrank_status mrank_model_to_string(const mrank_model *model, char **text) {
  mrank_clear_error();
  const char *function = "mrank_model_to_string";
  if (model == NULL || text == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function,
                      model == NULL ? "model" : "text");
  }
  *text = NULL;
  char *buffer = NULL;
  size_t length = 0;
  FILE *stream = open_memstream(&buffer, &length);
  if (stream == NULL) return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory", function);
  const int written = rank_model_write(&model->model, stream);
  if (fclose(stream) != 0 || !written) {
    free(buffer);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "%s: the text could not be made", function);
  }
  *text = buffer;
  return MRANK_SUCCESS;
}

void mrank_string_free(char *text) {
  free(text);
}

/* scores of a dense view: a data set over the caller's values, no labels or groups needed */
static mrank_status score(const char *function, const rank_model *model, const rank_dataset *data,
                          double *scores) {
  if (data->docs > 0 && scores == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: scores is NULL; pass room for %zu scores",
                      function, data->docs);
  }
  if (data->docs > 0 && !rank_model_score(model, data, scores)) {
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory scoring %zu rows", function,
                      data->docs);
  }
  return MRANK_SUCCESS;
}

mrank_status mrank_model_score(const mrank_model *model, const mrank_dataset *data,
                               double *scores) {
  mrank_clear_error();
  if (model == NULL || data == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_model_score: %s is NULL",
                      model == NULL ? "model" : "data");
  }
  return score("mrank_model_score", &model->model, &data->data, scores);
}

mrank_status mrank_model_score_dense(const mrank_model *model, size_t rows, size_t features,
                                     const float *values, double *scores) {
  mrank_clear_error();
  const char *function = "mrank_model_score_dense";
  if (model == NULL) return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: model is NULL", function);
  if (rows > 0 && features > 0 && values == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: values is NULL; pass rows x features floats, row-major", function);
  }
  if (features > 0 && rows > SIZE_MAX / features / sizeof(float)) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: %zu rows x %zu features is more bytes than the address space holds",
                      function, rows, features);
  }
  for (size_t k = 0; k < rows * features; ++k) {
    if (!isfinite(values[k])) {
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "%s: the value at row %zu, column %zu is %g; every feature value must be "
                        "finite",
                        function, k / features, k % features, values[k]);
    }
  }
  /* read only: the scorers take the rows through a data set that is never written */
  rank_dataset view;
  memset(&view, 0, sizeof view);
  view.docs = rows;
  view.features = features;
  view.x = (float *)(uintptr_t)values;
  return score(function, &model->model, &view, scores);
}

mrank_status mrank_model_info(const mrank_model *model, mrank_model_description *out) {
  mrank_clear_error();
  if (model == NULL || out == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "mrank_model_info: %s is NULL",
                      model == NULL ? "model" : "out");
  }
  const rank_model *m = &model->model;
  memset(out, 0, sizeof *out);
  out->scorer = m->mlp.layers > 0 ? "mlp" : "linear";
  out->features = m->features;
  out->parameters = rank_model_parameters(m);
  out->format = rank_model_format(m);
  out->margin = m->options.margin;
  out->lr = m->options.lr;
  out->l2 = m->options.l2;
  out->l1 = m->options.l1;
  out->momentum = m->options.momentum;
  out->epochs = m->options.epochs;
  out->best_epoch = m->best_epoch;
  out->batch_queries = m->options.batch_queries;
  out->pairs_per_query = m->options.pairs_per_query;
  out->seed = m->options.seed;
  out->hidden_layers = m->mlp.layers;
  for (size_t k = 0; k < m->mlp.layers && k < 4; ++k)
    out->hidden[k] = m->mlp.hidden[k];
  out->path_count = m->path_count;
  for (size_t k = 0; k < m->path_count && k < 16; ++k) {
    out->path_l2[k] = m->path_l2[k];
    out->path_epochs[k] = m->path_epochs[k];
  }
  out->note = model->note;
  return MRANK_SUCCESS;
}

mrank_status mrank_model_linear_weights(const mrank_model *model, float *weights, size_t count) {
  mrank_clear_error();
  const char *function = "mrank_model_linear_weights";
  if (model == NULL || weights == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function,
                      model == NULL ? "model" : "weights");
  }
  const rank_model *m = &model->model;
  if (m->mlp.layers > 0) {
    return mrank_fail(MRANK_ERROR_UNSUPPORTED,
                      "%s: the model is an MLP; only the linear scorer has one weight per feature",
                      function);
  }
  if (count != m->features) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: count is %zu but the model has %zu features; pass room for that many",
                      function, count, m->features);
  }
  memcpy(weights, m->weights, count * sizeof *weights);
  return MRANK_SUCCESS;
}

void mrank_model_destroy(mrank_model *model) {
  if (model == NULL) return;
  rank_model_free(&model->model);
  free(model);
}
