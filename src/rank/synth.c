/* synth.c: the planted-model generator behind `mrank synth` and the demo's training run. */
#include "rank/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double normal(mrank_random *random) {
  /* Box-Muller from two uniforms in (0, 1] */
  const double u = 1.0 - (double)(mrank_random_next(random) >> 11) * 0x1p-53;
  const double v = (double)(mrank_random_next(random) >> 11) * 0x1p-53;
  return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

static int by_score_descending(const void *a, const void *b) {
  const double *x = a, *y = b;
  return x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : (x[1] > y[1]) - (x[1] < y[1]);
}

int rank_synth_init(rank_synth *synth, size_t docs, size_t features, double noise, uint64_t seed) {
  memset(synth, 0, sizeof *synth);
  synth->docs = docs;
  synth->features = features;
  synth->noise = noise;
  synth->random.state = seed;
  synth->planted = malloc((features > 0 ? features : 1) * sizeof *synth->planted);
  synth->keyed = malloc((docs > 0 ? docs : 1) * 2 * sizeof *synth->keyed);
  if (synth->planted == NULL || synth->keyed == NULL) {
    rank_synth_free(synth);
    return 0;
  }
  for (size_t f = 0; f < features; ++f)
    synth->planted[f] = normal(&synth->random);
  return 1;
}

int rank_synth_configure(rank_synth *synth, int raw, size_t irrelevant) {
  for (size_t f = synth->features > irrelevant ? synth->features - irrelevant : 0;
       f < synth->features; ++f)
    synth->planted[f] = 0.0;
  if (!raw) return 1;
  synth->scale = malloc((synth->features > 0 ? synth->features : 1) * sizeof *synth->scale);
  if (synth->scale == NULL) return 0;
  /* a generator of its own: the planted weights and documents stay those of the seed */
  mrank_random scales = {synth->random.state ^ 0x7261772073636c65ull};
  for (size_t f = 0; f < synth->features; ++f)
    synth->scale[f] = pow(10.0, 4.0 * (double)(mrank_random_next(&scales) >> 11) * 0x1p-53);
  return 1;
}

double rank_synth_weight(const rank_synth *synth, size_t f) {
  return synth->scale != NULL ? synth->planted[f] / synth->scale[f] : synth->planted[f];
}

/* A [0, 1) value as the data holds it: itself (multiples of 1e-6), or raw (a count, a score). */
static float stored_value(const rank_synth *synth, size_t f, float unit) {
  if (synth->scale == NULL) return (float)(round(unit * 1e6) / 1e6);
  const double raw = synth->scale[f] * unit;
  return (float)(f % 2 == 0 ? round(raw) : round(raw * 100.0) / 100.0);
}

void rank_synth_nonlinear(rank_synth *synth, double weight) {
  synth->nonlinear = weight;
}

/* the [0, 1) value behind a stored one */
static double unit_value(const rank_synth *synth, size_t f, float value) {
  return synth->scale != NULL ? (double)value / synth->scale[f] : (double)value;
}

double rank_synth_score(const rank_synth *synth, const float *x) {
  double linear = 0.0;
  for (size_t f = 0; f < synth->features; ++f)
    linear += rank_synth_weight(synth, f) * (double)x[f];
  if (synth->nonlinear <= 0.0) return linear;
  /* the linear part's spread over uniform values: sqrt(sum of w^2 / 12) */
  double squares = 0.0;
  for (size_t f = 0; f < synth->features; ++f)
    squares += synth->planted[f] * synth->planted[f];
  const double spread = squares > 0.0 ? sqrt(squares / 12.0) : 1.0;
  const size_t pairs = synth->features / 2 < 3 ? synth->features / 2 : 3;
  double products = 0.0;
  for (size_t k = 0; k < pairs; ++k) {
    products += 12.0 * (unit_value(synth, 2 * k, x[2 * k]) - 0.5) *
                (unit_value(synth, 2 * k + 1, x[2 * k + 1]) - 0.5);
  }
  if (pairs > 0) products /= sqrt((double)pairs);
  return (1.0 - synth->nonlinear) * linear / spread + synth->nonlinear * products;
}

void rank_synth_query(rank_synth *synth, float *x, float *labels) {
  const size_t docs = synth->docs, features = synth->features;
  double *keyed = synth->keyed, mean = 0.0, spread = 0.0;
  for (size_t d = 0; d < docs; ++d) {
    for (size_t f = 0; f < features; ++f) {
      x[d * features + f] =
          stored_value(synth, f, mrank_random_uniform(&synth->random, 0.0f, 1.0f));
    }
    const double score = rank_synth_score(synth, x + d * features);
    keyed[2 * d] = score;
    keyed[2 * d + 1] = (double)d;
    mean += score;
  }
  mean /= (double)docs;
  for (size_t d = 0; d < docs; ++d)
    spread += (keyed[2 * d] - mean) * (keyed[2 * d] - mean);
  spread = sqrt(spread / (double)docs);
  for (size_t d = 0; d < docs; ++d)
    keyed[2 * d] += synth->noise * spread * normal(&synth->random);
  qsort(keyed, docs, 2 * sizeof *keyed, by_score_descending);
  /* relevance by rank: top 5% -> 4, next 10% -> 3, 20% -> 2, 25% -> 1, the rest 0 */
  for (size_t r = 0; r < docs; ++r) {
    const double at = (double)r / (double)docs;
    labels[(size_t)keyed[2 * r + 1]] = at < 0.05   ? 4.0f
                                       : at < 0.15 ? 3.0f
                                       : at < 0.35 ? 2.0f
                                       : at < 0.6  ? 1.0f
                                                   : 0.0f;
  }
}

int rank_synth_dataset(rank_synth *synth, size_t queries, unsigned long long first_qid,
                       rank_dataset *out) {
  memset(out, 0, sizeof *out);
  const size_t docs = queries * synth->docs, features = synth->features;
  if ((synth->docs > 0 && docs / synth->docs != queries) ||
      (features > 0 && docs * features / features != docs)) {
    return 0;
  }
  out->x = malloc((docs * features > 0 ? docs * features : 1) * sizeof *out->x);
  out->labels = malloc((docs > 0 ? docs : 1) * sizeof *out->labels);
  out->query_start = malloc((queries + 1) * sizeof *out->query_start);
  out->qid = malloc((queries > 0 ? queries : 1) * sizeof *out->qid);
  if (out->x == NULL || out->labels == NULL || out->query_start == NULL || out->qid == NULL) {
    rank_dataset_free(out);
    return 0;
  }
  out->docs = docs;
  out->features = features;
  out->queries = queries;
  for (size_t q = 0; q < queries; ++q) {
    out->query_start[q] = q * synth->docs;
    out->qid[q] = first_qid + q;
    rank_synth_query(synth, out->x + q * synth->docs * features, out->labels + q * synth->docs);
  }
  out->query_start[queries] = docs;
  return 1;
}

void rank_synth_free(rank_synth *synth) {
  free(synth->planted);
  free(synth->keyed);
  free(synth->scale);
  synth->planted = NULL;
  synth->keyed = NULL;
  synth->scale = NULL;
}
