/* synth.h: learning-to-rank data from a planted linear model (features uniform in [0, 1), hidden
 * weights w, per query w.x plus noise cut into labels 0-4 by rank), one query at a time so that a
 * large set can be streamed to a file. `mrank synth` writes it; `mrank demo` trains on it. */
#ifndef MRANK_RANK_SYNTH_H
#define MRANK_RANK_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "random.h"
#include "rank/dataset.h"

typedef struct rank_synth {
  size_t docs, features;
  double noise;    /* standard deviation of the noise, in units of the query's score spread */
  double *planted; /* the hidden weights, features of them (on the [0, 1) values) */
  /* raw mode: feature f holds scale[f] times its [0, 1) value (scales log-uniform in 1 ... 1e4),
   * a whole count for even f, a score with 2 decimals for odd f; NULL: not raw */
  double *scale;
  double *keyed; /* scratch: (score, document) per document */
  /* the weight of a planted non-linear part in the score (0: none); see rank_synth_nonlinear */
  double nonlinear;
  mrank_random random;
} rank_synth;

/* Draws the planted weights from the seed. 0 when out of memory. */
int rank_synth_init(rank_synth *synth, size_t docs, size_t features, double noise, uint64_t seed);
/* Raw features (as MSLR-WEB's and Istella's counts and BM25 scores) and/or the last `irrelevant`
 * features given planted weight 0 (drawn from the seed too). 0 when out of memory. */
int rank_synth_configure(rank_synth *synth, int raw, size_t irrelevant);
/* A planted non-linear part: the score becomes (1 - weight) times the linear score over its
 * spread plus weight times the sum over the first pairs of features (1 and 2, 3 and 4, 5 and 6;
 * as many as there are) of 12 (u_a - 1/2)(u_b - 1/2), over the square root of their count, u being
 * the [0, 1) values: products of features, which no linear model can hold. weight in [0, 1]. */
void rank_synth_nonlinear(rank_synth *synth, double weight);
/* The planted score of one document of the data (x in the data's units): what the labels come
 * from, before the noise. */
double rank_synth_score(const rank_synth *synth, const float *x);
/* The planted weight of feature f in the data's own units (what a model of the data would hold). */
double rank_synth_weight(const rank_synth *synth, size_t f);
/* The next query: x (docs x features, row-major) and labels (docs). Feature values are multiples
 * of 1e-6 held in float and the planted scores are computed from those floats, so a file written
 * with 6 decimals reads back to the same data and the same planted order. */
void rank_synth_query(rank_synth *synth, float *x, float *labels);
/* `queries` more queries as a data set (qids first_qid, first_qid + 1, ...). 0 when out of memory
 * or too large to address (out is left empty). */
int rank_synth_dataset(rank_synth *synth, size_t queries, unsigned long long first_qid,
                       rank_dataset *out);
void rank_synth_free(rank_synth *synth);

#endif /* MRANK_RANK_SYNTH_H */
