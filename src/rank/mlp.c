/* mlp.c: the MLP scorer's shape, parameters, initialisation, standardisation and scoring. */
#include "rank/mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "random.h"

size_t rank_mlp_layer_inputs(const rank_mlp_shape *s, size_t layer) {
  return layer == 0 ? s->features : s->hidden[layer - 1];
}

size_t rank_mlp_weight_offset(const rank_mlp_shape *s, size_t layer) {
  size_t at = 0;
  for (size_t l = 0; l < layer; ++l)
    at += rank_mlp_layer_inputs(s, l) * s->hidden[l] + s->hidden[l];
  return at;
}

size_t rank_mlp_bias_offset(const rank_mlp_shape *s, size_t layer) {
  return rank_mlp_weight_offset(s, layer) + rank_mlp_layer_inputs(s, layer) * s->hidden[layer];
}

size_t rank_mlp_output_offset(const rank_mlp_shape *s) {
  return rank_mlp_weight_offset(s, s->layers);
}

size_t rank_mlp_skip_offset(const rank_mlp_shape *s) {
  return rank_mlp_output_offset(s) + s->hidden[s->layers - 1];
}

size_t rank_mlp_parameter_count(const rank_mlp_shape *s) {
  return rank_mlp_skip_offset(s) + (s->skip ? s->features : 0);
}

int rank_mlp_parse_hidden(const char *text, rank_mlp_shape *shape, char *error, size_t error_size) {
  size_t layers = 0, hidden[RANK_MLP_MAX_LAYERS];
  const char *p = text;
  while (*p != '\0') {
    char *end = NULL;
    const unsigned long long units = strtoull(p, &end, 10);
    if (end == p || (*end != ',' && *end != '\0') || units == 0 || units > RANK_MLP_MAX_UNITS ||
        layers == RANK_MLP_MAX_LAYERS || *p == '-' || *p == '+') {
      snprintf(error, error_size,
               "\"%s\": give 1 to %d layer sizes of 1 to %zu units, such as 64,32", text,
               RANK_MLP_MAX_LAYERS, RANK_MLP_MAX_UNITS);
      return 0;
    }
    hidden[layers++] = (size_t)units;
    p = *end == ',' ? end + 1 : end;
    if (*end == ',' && *p == '\0') layers = RANK_MLP_MAX_LAYERS + 1; /* a trailing comma */
  }
  if (layers == 0 || layers > RANK_MLP_MAX_LAYERS) {
    snprintf(error, error_size, "\"%s\": give 1 to %d layer sizes of 1 to %zu units, such as 64,32",
             text, RANK_MLP_MAX_LAYERS, RANK_MLP_MAX_UNITS);
    return 0;
  }
  shape->layers = layers;
  memcpy(shape->hidden, hidden, layers * sizeof *hidden);
  return 1;
}

void rank_mlp_hidden_text(const rank_mlp_shape *s, char *text, size_t size) {
  size_t used = 0;
  text[0] = '\0';
  for (size_t l = 0; l < s->layers && used < size; ++l)
    used += (size_t)snprintf(text + used, size - used, "%s%zu", l > 0 ? "," : "", s->hidden[l]);
}

/* a standard normal value (Box-Muller) */
static double normal(mrank_random *random) {
  double u = 0.0;
  while (u <= 0.0)
    u = (double)(mrank_random_next(random) >> 11) * 0x1p-53;
  const double v = (double)(mrank_random_next(random) >> 11) * 0x1p-53;
  return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

void rank_mlp_init(const rank_mlp_shape *s, unsigned long long seed, float *parameters) {
  mrank_random random = {seed * 0x2545f4914f6cdd1dull + 12345};
  memset(parameters, 0, rank_mlp_parameter_count(s) * sizeof *parameters);
  for (size_t l = 0; l <= s->layers; ++l) {
    const size_t inputs = l < s->layers ? rank_mlp_layer_inputs(s, l) : s->hidden[s->layers - 1];
    const size_t outputs = l < s->layers ? s->hidden[l] : 1;
    float *w =
        parameters + (l < s->layers ? rank_mlp_weight_offset(s, l) : rank_mlp_output_offset(s));
    const double deviation = sqrt(2.0 / (double)inputs);
    for (size_t k = 0; k < inputs * outputs; ++k)
      w[k] = (float)(deviation * normal(&random));
  }
}

uint32_t rank_mlp_dropout_threshold(double p) {
  if (!(p > 0.0)) return 0;
  const double t = p * 4294967296.0;
  return t >= 4294967295.0 ? 4294967295u : (uint32_t)t;
}

int rank_mlp_standardisation(const rank_dataset *d, float *mean, float *deviation) {
  const size_t F = d->features;
  double *sum = calloc(F + 1, sizeof *sum), *squares = calloc(F + 1, sizeof *squares);
  if (sum == NULL || squares == NULL) {
    free(sum);
    free(squares);
    return 0;
  }
  for (size_t i = 0; i < d->docs; ++i) {
    for (size_t f = 0; f < F; ++f) {
      const double x = d->x[i * F + f];
      sum[f] += x;
      squares[f] += x * x;
    }
  }
  const double n = d->docs > 0 ? (double)d->docs : 1.0;
  for (size_t f = 0; f < F; ++f) {
    const double m = sum[f] / n, variance = squares[f] / n - m * m;
    mean[f] = (float)m;
    const double s = variance > 0.0 ? sqrt(variance) : 0.0;
    deviation[f] = s > 1e-12 ? (float)s : 1.0f;
  }
  free(sum);
  free(squares);
  return 1;
}

int rank_mlp_score(const rank_mlp_shape *s, const float *p, const float *mean,
                   const float *deviation, const rank_dataset *data, double *scores) {
  size_t widest = s->features;
  for (size_t l = 0; l < s->layers; ++l)
    if (s->hidden[l] > widest) widest = s->hidden[l];
  double *in = malloc(widest * sizeof *in), *out = malloc(widest * sizeof *out);
  if (in == NULL || out == NULL) {
    free(in);
    free(out);
    return 0;
  }
  const size_t F = s->features, columns = data->features < F ? data->features : F;
  for (size_t d = 0; d < data->docs; ++d) {
    const float *row = data->x + d * data->features;
    for (size_t f = 0; f < F; ++f) {
      const double x = f < columns ? row[f] : 0.0;
      in[f] = (x - mean[f]) / deviation[f];
    }
    size_t width = F;
    for (size_t l = 0; l < s->layers; ++l) {
      const float *w = p + rank_mlp_weight_offset(s, l), *b = p + rank_mlp_bias_offset(s, l);
      const size_t units = s->hidden[l];
      for (size_t u = 0; u < units; ++u)
        out[u] = b[u];
      for (size_t i = 0; i < width; ++i) {
        const double a = in[i];
        if (a == 0.0) continue;
        for (size_t u = 0; u < units; ++u)
          out[u] += a * w[i * units + u];
      }
      for (size_t u = 0; u < units; ++u)
        in[u] = out[u] > 0.0 ? out[u] : 0.0;
      width = units;
    }
    const float *w = p + rank_mlp_output_offset(s);
    double total = 0.0;
    for (size_t i = 0; i < width; ++i)
      total += in[i] * w[i];
    if (s->skip) {
      const float *v = p + rank_mlp_skip_offset(s);
      for (size_t f = 0; f < F; ++f) {
        const double x = f < columns ? row[f] : 0.0;
        total += (x - mean[f]) / deviation[f] * v[f];
      }
    }
    scores[d] = total;
  }
  free(in);
  free(out);
  return 1;
}

static const char *const layers_names[] = {"auto", "dense", "clblast"};

const char *rank_mlp_layers_name(rank_mlp_layers layers) {
  return (unsigned)layers < 3u ? layers_names[layers] : "?";
}

int rank_mlp_layers_parse(const char *name) {
  for (int k = 0; k < 3; ++k)
    if (strcmp(name, layers_names[k]) == 0) return k;
  return -1;
}
