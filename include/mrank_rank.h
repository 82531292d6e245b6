/* mrank_rank.h: the ranker as a library: learning-to-rank data sets, the models mrank train and
 * mrank tune write (linear and MLP scorers), scoring with them, and the ranking metrics of mrank
 * eval, in libmrank beside the operator (mrank.h). The mrank command's eval and predict compute
 * what these functions compute; training through this API is the next step (the CLI's train and
 * tune for now).
 *
 * Conventions, as in mrank.h: opaque handles made by a *_load / *_from_* function and freed by
 * their *_destroy (NULL is a no-op); every function that can fail returns an mrank_status, and
 * mrank_last_error() says what was wrong (naming the argument and the value, or the file, line and
 * column) and what to do; a failed call writes no output and leaves *out NULL. Nothing is printed
 * and there is no global state.
 *
 * Threads: a model may score from several threads at once (scoring only reads it). Every other
 * handle is for one thread at a time.
 */
#ifndef MRANK_RANK_H
#define MRANK_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "mrank.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- data sets: documents (rows of features), relevance labels, query groups ---- */
typedef struct mrank_dataset mrank_dataset;

/* SVMlight / LETOR text ("label qid:Q index:value ... # comment"; path "-": standard input), with
 * the groups from its qid: tokens (group_path NULL) or from a LightGBM group file (one document
 * count per line). Labels from 0 to 31 (LightGBM's limit; gains are 2^label - 1). Errors name
 * file:line:column and what was expected. */
MRANK_API mrank_status mrank_dataset_load(const char *path, const char *group_path,
                                          mrank_dataset **out);

/* rows x features values, row-major, copied. Exactly one of qid (one per row; the rows of a query
 * contiguous) and group_sizes (groups counts, adding up to rows) is given. Labels from 0 to 31,
 * every value finite (a NaN or infinity is refused with its row and column). */
MRANK_API mrank_status mrank_dataset_from_dense(size_t rows, size_t features, const float *values,
                                                const float *labels, const int64_t *qid,
                                                const size_t *group_sizes, size_t groups,
                                                mrank_dataset **out);

/* Compressed sparse rows: row r's values are values[indptr[r] .. indptr[r + 1]) at the 0-based
 * column indices[...], increasing within a row and below `features`; indptr[0] is 0 and indptr
 * never decreases. Groups and labels as for mrank_dataset_from_dense. */
MRANK_API mrank_status mrank_dataset_from_csr(size_t rows, size_t features, const int64_t *indptr,
                                              const int32_t *indices, const float *values,
                                              const float *labels, const int64_t *qid,
                                              const size_t *group_sizes, size_t groups,
                                              mrank_dataset **out);

/* Any of the outputs may be NULL. pairs: the ordered pairs (label_i > label_j within a query),
 * those pairwise training learns from and pair accuracy counts. */
MRANK_API mrank_status mrank_dataset_info(const mrank_dataset *data, size_t *rows, size_t *features,
                                          size_t *queries, size_t *pairs);
MRANK_API void mrank_dataset_destroy(mrank_dataset *data);

/* ---- models: the files mrank train and tune write ---- */
typedef struct mrank_model mrank_model;

/* A model file (path "-": standard input) of any format version mrank reads (1 to 4). */
MRANK_API mrank_status mrank_model_load(const char *path, mrank_model **out);
/* The same text in memory (NUL-terminated), as mrank_model_to_string gives it: for bindings that
 * pickle. */
MRANK_API mrank_status mrank_model_from_string(const char *text, mrank_model **out);
/* The file mrank train would write for this model, written atomically (a temporary file beside it,
 * then a rename: a whole file or none). */
MRANK_API mrank_status mrank_model_save(const mrank_model *model, const char *path);
/* The same text, malloc'd, into *text; free it with mrank_string_free. */
MRANK_API mrank_status mrank_model_to_string(const mrank_model *model, char **text);
MRANK_API void mrank_string_free(char *text);

/* One score per row of data (either scorer), in double. Features beyond the model's count
 * contribute nothing (as LightGBM and XGBoost do); fewer are taken as 0. */
MRANK_API mrank_status mrank_model_score(const mrank_model *model, const mrank_dataset *data,
                                         double *scores);
/* The same on rows x features values (row-major), without a data set: no labels or groups. */
MRANK_API mrank_status mrank_model_score_dense(const mrank_model *model, size_t rows,
                                               size_t features, const float *values,
                                               double *scores);

typedef struct mrank_model_description {
  const char *scorer; /* "linear" or "mlp" */
  size_t features;    /* the feature count it was trained on */
  size_t parameters;  /* the weights of the linear scorer, or every parameter of the network */
  int format;         /* the file format version the model is written in (3 or 4) */
  /* how it was trained (the options line and the choice of mrank train) */
  double margin, lr, l2, l1, momentum;
  unsigned epochs, best_epoch, batch_queries, pairs_per_query;
  unsigned long long seed;
  size_t hidden_layers, hidden[4]; /* the MLP's layer sizes; 0 layers for the linear scorer */
} mrank_model_description;

MRANK_API mrank_status mrank_model_info(const mrank_model *model, mrank_model_description *out);
/* The linear scorer's weights, in the data's units (score = w . x): `count` must be the model's
 * feature count. An MLP has no such weights: MRANK_ERROR_UNSUPPORTED. */
MRANK_API mrank_status mrank_model_linear_weights(const mrank_model *model, float *weights,
                                                  size_t count);
MRANK_API void mrank_model_destroy(mrank_model *model);

/* ---- metrics: those of mrank eval, one implementation ---- */
enum { MRANK_MAX_CUTOFFS = 16 };

typedef struct mrank_metrics {
  size_t cutoff_count;
  unsigned cutoffs[MRANK_MAX_CUTOFFS];
  /* at each cutoff k: NDCG@k (gain 2^rel - 1, log2 discount; a query without a relevant document
   * counts as 1), precision@k, recall@k and F1@k (rel > 0 is relevant) */
  double ndcg[MRANK_MAX_CUTOFFS], precision[MRANK_MAX_CUTOFFS], recall[MRANK_MAX_CUTOFFS],
      f1[MRANK_MAX_CUTOFFS];
  double map;           /* over the queries with a relevant document; NaN without one */
  double pair_accuracy; /* over all ordered pairs, ties counting half; NaN without a pair */
  size_t queries, documents, pairs;
} mrank_metrics;

/* The metrics of scores (one per row of data, finite) on data's queries, at the cutoffs (ascending,
 * each from 1 to 100000; NULL and 0: 1, 3, 5, 10). per_query (NULL, or queries x (4 cutoff_count +
 * 2) doubles): each query's row, as `mrank eval --per-query` prints it after qid, documents and
 * pairs: NDCG at each cutoff, then precision, recall, F1, then AP and pair accuracy (NaN where a
 * query has nothing to measure). */
MRANK_API mrank_status mrank_evaluate(const double *scores, const mrank_dataset *data,
                                      const unsigned *cutoffs, size_t cutoff_count,
                                      mrank_metrics *out, double *per_query);

#ifdef __cplusplus
}
#endif

#endif /* MRANK_RANK_H */
