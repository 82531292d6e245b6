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
/* The same with mrank train's --features and --max-label: features 0 takes the largest index in
 * the file as the count, else the count is `features` (a larger index is an error naming it);
 * labels must lie in 0 .. max_label (0 to 1000; negative: any finite label, as mrank predict
 * reads data whose labels it does not use). */
MRANK_API mrank_status mrank_dataset_load_ex(const char *path, const char *group_path,
                                             size_t features, double max_label,
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
/* Each query's qid (the file's qid:, or the query's number from 0 when the groups came from a
 * group file or sizes), its documents and its ordered pairs; any of the arrays may be NULL, each
 * of `count` entries, which must be the data's query count. */
MRANK_API mrank_status mrank_dataset_queries(const mrank_dataset *data, uint64_t *qid,
                                             size_t *documents, size_t *pairs, size_t count);
/* Feature `feature` (0-based) of every row into column (rows entries: the data's row count). */
MRANK_API mrank_status mrank_dataset_column(const mrank_dataset *data, size_t feature,
                                            float *column, size_t rows);
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
  /* the L2 path of the automatic choice: path_count steps, each warm-started from the one before
   * (0: one run with l2 for best_epoch epochs) */
  size_t path_count;
  double path_l2[16];
  unsigned path_epochs[16];
  /* a model mrank_train returned early (stopped by its callback, or the best before a
   * divergence): what it is, in words ("the best point of fold 2's walk, ..."); "" otherwise.
   * Not saved: a loaded model has "". */
  const char *note;
} mrank_model_description;

MRANK_API mrank_status mrank_model_info(const mrank_model *model, mrank_model_description *out);
/* The linear scorer's weights, in the data's units (score = w . x): `count` must be the model's
 * feature count. An MLP has no such weights: MRANK_ERROR_UNSUPPORTED. */
MRANK_API mrank_status mrank_model_linear_weights(const mrank_model *model, float *weights,
                                                  size_t count);
MRANK_API void mrank_model_destroy(mrank_model *model);

/* ---- training: mrank train's options by name, and the training itself ---- */
typedef struct mrank_train_options mrank_train_options;

/* mrank train's defaults: the linear scorer, l2 and the epoch count chosen on held-out queries,
 * the default device. */
MRANK_API mrank_status mrank_train_options_create(mrank_train_options **out);
/* Sets one option by its mrank train name without the dashes ("lr", "l2", "epochs", "scorer",
 * "hidden", "pairs-per-query", "device", ...: mrank_train_option_names lists them; "--lr" is
 * taken too, and messages then name options that way), from its text as on the command line
 * ("0.01", "64,32", "true"). The same parser, ranges and messages as mrank train: a bad value is
 * MRANK_ERROR_INVALID_ARGUMENT (the message says the range), an unknown name too (the message
 * names the closest known one). The options keep their other values either way. */
MRANK_API mrank_status mrank_train_options_set(mrank_train_options *options, const char *name,
                                               const char *value);
/* The options taken together (an MLP option such as "hidden" needs "scorer" "mlp"): what
 * mrank_train checks first, for a caller that wants to know before it loads data. */
MRANK_API mrank_status mrank_train_options_check(const mrank_train_options *options);
/* The names mrank_train_options_set takes (static strings; *count of them). */
MRANK_API const char *const *mrank_train_option_names(size_t *count);
MRANK_API void mrank_train_options_destroy(mrank_train_options *options);

typedef enum mrank_progress_kind {
  MRANK_PROGRESS_NOTE,    /* text: one line on what training does or found (set-up, the choice) */
  MRANK_PROGRESS_WARNING, /* text: something the caller should know (an epoch diverged, ...) */
  MRANK_PROGRESS_EPOCH,   /* an epoch of a stage ended */
  MRANK_PROGRESS_BATCH    /* within an epoch: fraction done (for a progress bar) */
} mrank_progress_kind;

typedef struct mrank_train_progress {
  mrank_progress_kind kind;
  const char *stage; /* "training", "fold 2 of 5", "refit", ... */
  const char *text;  /* NOTE, WARNING: the line (no newline); NULL otherwise */
  unsigned epoch;    /* EPOCH, BATCH: within the stage (0: an MLP's linear base alone) */
  double fraction;   /* BATCH: of the epoch done, 0 to 1 */
  double train_loss; /* EPOCH: mean hinge over the epoch's pairs (NaN for epoch 0) */
  double train_ndcg; /* EPOCH: NDCG@10 on the training data where computed, else NaN */
  double valid_ndcg; /* EPOCH: NDCG@10 on the validation data or held-out queries, else NaN */
  int best;          /* EPOCH: this epoch's model is now the stage's best */
  /* EPOCH: the stage is the one whose epochs make the model (no choice after it: training with
   * "holdout" 0, or early stopping on validation data), the epochs mrank train prints */
  int final;
  size_t pairs;   /* EPOCH: pairs trained on in the epoch */
  double seconds; /* EPOCH: wall time of the epoch's steps */
  /* EPOCH (linear scorer): the best model so far as mrank_train would return it if stopped now
   * (a checkpoint), or NULL; valid during the call only */
  const mrank_model *model;
} mrank_train_progress;

/* Called by mrank_train; a non-zero return stops training after the epoch under way (as Ctrl-C
 * stops mrank train): the best model so far comes back, its mrank_model_description note saying
 * what it is. */
typedef int (*mrank_train_callback)(const mrank_train_progress *progress, void *user);

/* Trains what mrank train trains with these options, the automatic choice included (valid NULL:
 * on held-out queries of train; else on valid). *out gets the model. Statuses beyond the usual:
 * MRANK_ERROR_DIVERGED: the loss or the weights stopped being finite numbers (the message says
 * when and what to lower); *out is then the best model before it where validation data had
 * chosen one, else NULL. MRANK_ERROR_STOPPED: the callback stopped training before any model
 * existed (*out NULL). Data with no pair to learn from is MRANK_ERROR_INVALID_ARGUMENT. */
MRANK_API mrank_status mrank_train(const mrank_dataset *train, const mrank_dataset *valid,
                                   const mrank_train_options *options,
                                   mrank_train_callback callback, void *user, mrank_model **out);

/* ---- tuning: mrank tune's grid search ---- */

/* One setting of a search, as mrank tune's table and --json give it. */
typedef struct mrank_tune_setting {
  char setting[256];   /* "lr=0.1 margin=1 l2=0.01 ..." as mrank tune prints it */
  int found;           /* the setting gave a model (else it diverged before any epoch ended) */
  unsigned best_epoch; /* its chosen epoch count (an MLP with skip base: 0 is the base alone) */
  unsigned diverged_at_epoch; /* the first epoch whose loss or weights were not finite; 0: none */
  double ndcg10;        /* at best_epoch: on valid, or the mean over the folds; NaN if !found */
  double pair_accuracy; /* the same for pair accuracy; NaN where not measured (the MLP) */
  double seconds;       /* wall time of its epochs */
  /* its values: the linear scorer's options, and the MLP's ("" hidden and skip for linear) */
  double lr, margin, l2, l1, momentum;
  unsigned batch_queries, pairs_per_query, average;
  char hidden[64]; /* "64,32" */
  double dropout, weight_decay;
  char skip[8]; /* "none", "linear" or "base" */
  size_t bins;
} mrank_tune_setting;

typedef struct mrank_tune_result mrank_tune_result;

/* mrank tune: every combination of the grids (grid_count texts as on the command line,
 * "lr=0.1,0.01"; the names of mrank tune --help, the MLP's with "scorer" "mlp" in options) from
 * options, each scored on valid (early-stopped, folds 0) or by the mean NDCG@10 over `folds`
 * folds (2 to 20) of train and valid together; ranked by NDCG@10; the best trained again for its
 * epoch count on all the data (refit) or on train (refit 0, valid only). The callback sees notes
 * (each setting's score) and may stop the search (MRANK_ERROR_STOPPED: nothing was chosen, no
 * model). *result gets the table, best first (also with MRANK_ERROR_DIVERGED: every setting
 * diverged, or the refit did; *model is then NULL); *model the best setting's model. */
MRANK_API mrank_status mrank_tune(const mrank_dataset *train, const mrank_dataset *valid,
                                  size_t folds, const char *const *grids, size_t grid_count,
                                  int refit, const mrank_train_options *options,
                                  mrank_train_callback callback, void *user,
                                  mrank_tune_result **result, mrank_model **model);
/* The grids checked against the options' scorer (names, values, ranges, the settings' count):
 * what mrank_tune checks first, for a caller that wants to know before it loads data. */
MRANK_API mrank_status mrank_tune_check(const char *const *grids, size_t grid_count,
                                        const mrank_train_options *options);
/* The settings in the table; each one (index 0: the best); the device of a linear search. */
MRANK_API size_t mrank_tune_result_count(const mrank_tune_result *result);
MRANK_API mrank_status mrank_tune_result_setting(const mrank_tune_result *result, size_t index,
                                                 mrank_tune_setting *out);
MRANK_API const char *mrank_tune_result_device(const mrank_tune_result *result);
MRANK_API void mrank_tune_result_destroy(mrank_tune_result *result);

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

/* The metrics of scores (one per row of data, finite; NULL: the exact expected value over every
 * order of each query's documents, mrank eval --baseline random) on data's queries, at the cutoffs
 * (ascending, each from 1 to 100000; NULL and 0: 1, 3, 5, 10). per_query (NULL, or queries x (4
 * cutoff_count + 2) doubles): each query's row, as `mrank eval --per-query` prints it after qid,
 * documents and pairs: NDCG at each cutoff, then precision, recall, F1, then AP and pair accuracy
 * (NaN where a query has nothing to measure). */
MRANK_API mrank_status mrank_evaluate(const double *scores, const mrank_dataset *data,
                                      const unsigned *cutoffs, size_t cutoff_count,
                                      mrank_metrics *out, double *per_query);

#ifdef __cplusplus
}
#endif

#endif /* MRANK_RANK_H */
