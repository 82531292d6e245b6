/* rank_api.c: mrank_rank.h's data sets and metrics: the readers and metrics of the mrank command
 * (src/rank/), behind handles and checked arguments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "host_memory.h"
#include "mrank_rank.h"
#include "rank/dataset.h"
#include "rank/metrics.h"
#include "rank_api.h"

/* ---- groups: qid runs or group sizes into query_start ---- */

typedef struct qid_run {
  int64_t qid;
  size_t first_row;
} qid_run;

static int by_qid_then_row(const void *a, const void *b) {
  const qid_run *x = a, *y = b;
  if (x->qid != y->qid) return x->qid < y->qid ? -1 : 1;
  return (x->first_row > y->first_row) - (x->first_row < y->first_row);
}

/* The queries of one qid per row: each run of equal qids is a query, and a qid that comes back
 * after others is refused (it would silently become two queries), naming both rows. */
static mrank_status groups_from_qid(const char *function, size_t rows, const int64_t *qid,
                                    rank_dataset *out) {
  mrank_status status = MRANK_SUCCESS;
  size_t runs = 0;
  for (size_t r = 0; r < rows; ++r)
    runs += r == 0 || qid[r] != qid[r - 1];
  qid_run *order = malloc((runs + 1) * sizeof *order);
  out->query_start = malloc((runs + 1) * sizeof *out->query_start);
  out->qid = malloc((runs + 1) * sizeof *out->qid);
  MRANK_CHECK(order != NULL && out->query_start != NULL && out->qid != NULL,
              MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory for %zu queries", function, runs);
  size_t q = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (r > 0 && qid[r] == qid[r - 1]) continue;
    order[q] = (qid_run){qid[r], r};
    out->query_start[q] = r;
    out->qid[q] = (unsigned long long)qid[r];
    q++;
  }
  out->query_start[runs] = rows;
  out->queries = runs;
  qsort(order, runs, sizeof *order, by_qid_then_row);
  for (size_t k = 1; k < runs; ++k) {
    MRANK_CHECK(order[k].qid != order[k - 1].qid, MRANK_ERROR_INVALID_ARGUMENT,
                "%s: qid %lld comes back at row %zu after other queries (its rows began at row "
                "%zu); the rows of a query must be contiguous: sort the rows by qid, keeping each "
                "query's rows in order",
                function, (long long)order[k].qid, order[k].first_row, order[k - 1].first_row);
  }
error:
  free(order);
  return status;
}

static mrank_status groups_from_sizes(const char *function, size_t rows, const size_t *sizes,
                                      size_t groups, rank_dataset *out) {
  mrank_status status = MRANK_SUCCESS;
  out->query_start = malloc((groups + 1) * sizeof *out->query_start);
  out->qid = malloc((groups + 1) * sizeof *out->qid);
  MRANK_CHECK(out->query_start != NULL && out->qid != NULL, MRANK_ERROR_OUT_OF_MEMORY,
              "%s: out of memory for %zu queries", function, groups);
  size_t total = 0;
  for (size_t g = 0; g < groups; ++g) {
    MRANK_CHECK(sizes[g] > 0, MRANK_ERROR_INVALID_ARGUMENT,
                "%s: group_sizes[%zu] is 0; every query holds at least one row", function, g);
    MRANK_CHECK(sizes[g] <= rows - total, MRANK_ERROR_INVALID_ARGUMENT,
                "%s: group_sizes add up to more than the %zu rows (at group %zu)", function, rows,
                g);
    out->query_start[g] = total;
    out->qid[g] = g;
    total += sizes[g];
  }
  MRANK_CHECK(total == rows, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: group_sizes add up to %zu rows, but there are %zu; give one count per query, "
              "adding up to rows",
              function, total, rows);
  out->query_start[groups] = rows;
  out->queries = groups;
error:
  return status;
}

/* The checks every constructor shares, then labels and groups into out (x is the caller's). */
static mrank_status labels_and_groups(const char *function, size_t rows, const float *labels,
                                      const int64_t *qid, const size_t *group_sizes, size_t groups,
                                      rank_dataset *out) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_CHECK(rows == 0 || labels != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: labels is NULL; pass one relevance label per row", function);
  MRANK_CHECK((qid != NULL) != (group_sizes != NULL), MRANK_ERROR_INVALID_ARGUMENT,
              "%s: give exactly one of qid (one per row) and group_sizes (one per query); %s",
              function, qid != NULL ? "both were given" : "neither was given");
  MRANK_CHECK(qid != NULL || groups > 0 || rows == 0, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: group_sizes is given with groups = 0; pass the number of counts", function);
  for (size_t r = 0; r < rows; ++r) {
    MRANK_CHECK(labels[r] >= 0.0f && labels[r] <= (float)RANK_DEFAULT_MAX_LABEL,
                MRANK_ERROR_INVALID_ARGUMENT,
                "%s: labels[%zu] is %g; relevance labels are finite numbers from 0 to %d (gains "
                "are 2^label - 1)",
                function, r, labels[r], RANK_DEFAULT_MAX_LABEL);
  }
  out->labels = malloc((rows + 1) * sizeof *out->labels);
  MRANK_CHECK(out->labels != NULL, MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory for %zu labels",
              function, rows);
  if (rows > 0) memcpy(out->labels, labels, rows * sizeof *labels);
  MRANK_TRY(qid != NULL ? groups_from_qid(function, rows, qid, out)
                        : groups_from_sizes(function, rows, group_sizes, groups, out));
error:
  return status;
}

/* room for rows x features floats, or a message that says how much that would be */
static mrank_status dense_room(const char *function, size_t rows, size_t features, float **x) {
  const size_t count = features > 0 ? mrank_size_mul_add(rows, features, 0) : 0;
  if (count == SIZE_MAX || count > SIZE_MAX / sizeof(float)) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: %zu rows x %zu features is more values than the address space holds",
                      function, rows, features);
  }
  *x = calloc(count + 1, sizeof **x);
  if (*x == NULL) {
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory for %zu x %zu features",
                      function, rows, features);
  }
  return MRANK_SUCCESS;
}

static mrank_status wrap(const char *function, rank_dataset *data, mrank_dataset **out) {
  mrank_dataset *handle = calloc(1, sizeof *handle);
  if (handle == NULL) {
    rank_dataset_free(data);
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory", function);
  }
  handle->data = *data;
  *out = handle;
  return MRANK_SUCCESS;
}

mrank_status mrank_dataset_load_ex(const char *path, const char *group_path, size_t features,
                                   double max_label, mrank_dataset **out) {
  mrank_clear_error();
  mrank_status status = MRANK_SUCCESS;
  const char *function = "mrank_dataset_load";
  MRANK_CHECK(out != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: out is NULL", function);
  *out = NULL;
  MRANK_CHECK(path != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: path is NULL; give an SVMlight / LETOR file (\"-\": standard input)", function);
  MRANK_CHECK(features <= RANK_MAX_FEATURES, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: features is %zu; the most is %zu (0: the largest index in the file)", function,
              features, RANK_MAX_FEATURES);
  MRANK_CHECK(max_label <= RANK_LARGEST_MAX_LABEL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: max_label is %g; give 0 to %d (%d: LightGBM's limit; negative: any label)",
              function, max_label, RANK_LARGEST_MAX_LABEL, RANK_DEFAULT_MAX_LABEL);
  char message[2048];
  rank_dataset data;
  const rank_read_limits limits = {features, max_label};
  MRANK_CHECK(rank_dataset_load_checked(path, group_path, &limits, &data, message, sizeof message),
              strstr(message, "out of memory") != NULL ? MRANK_ERROR_OUT_OF_MEMORY : MRANK_ERROR_IO,
              "%s: %s", function, message);
  return wrap(function, &data, out);
error:
  return status;
}

mrank_status mrank_dataset_load(const char *path, const char *group_path, mrank_dataset **out) {
  return mrank_dataset_load_ex(path, group_path, 0, RANK_DEFAULT_MAX_LABEL, out);
}

mrank_status mrank_dataset_from_dense(size_t rows, size_t features, const float *values,
                                      const float *labels, const int64_t *qid,
                                      const size_t *group_sizes, size_t groups,
                                      mrank_dataset **out) {
  mrank_clear_error();
  mrank_status status = MRANK_SUCCESS;
  const char *function = "mrank_dataset_from_dense";
  rank_dataset data;
  memset(&data, 0, sizeof data);
  MRANK_CHECK(out != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: out is NULL", function);
  *out = NULL;
  MRANK_CHECK(rows == 0 || features == 0 || values != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: values is NULL; pass rows x features floats, row-major", function);
  for (size_t r = 0; r < rows && features > 0; ++r) {
    for (size_t f = 0; f < features; ++f) {
      MRANK_CHECK(isfinite(values[r * features + f]), MRANK_ERROR_INVALID_ARGUMENT,
                  "%s: the value at row %zu, column %zu is %g; every feature value must be "
                  "finite",
                  function, r, f, values[r * features + f]);
    }
  }
  MRANK_TRY(dense_room(function, rows, features, &data.x));
  if (rows > 0 && features > 0) memcpy(data.x, values, rows * features * sizeof *values);
  data.docs = rows;
  data.features = features;
  MRANK_TRY(labels_and_groups(function, rows, labels, qid, group_sizes, groups, &data));
  return wrap(function, &data, out);
error:
  rank_dataset_free(&data);
  return status;
}

mrank_status mrank_dataset_from_csr(size_t rows, size_t features, const int64_t *indptr,
                                    const int32_t *indices, const float *values,
                                    const float *labels, const int64_t *qid,
                                    const size_t *group_sizes, size_t groups, mrank_dataset **out) {
  mrank_clear_error();
  mrank_status status = MRANK_SUCCESS;
  const char *function = "mrank_dataset_from_csr";
  rank_dataset data;
  memset(&data, 0, sizeof data);
  MRANK_CHECK(out != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: out is NULL", function);
  *out = NULL;
  MRANK_CHECK(indptr != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: indptr is NULL; pass rows + 1 offsets", function);
  MRANK_CHECK(indptr[0] == 0, MRANK_ERROR_INVALID_ARGUMENT, "%s: indptr[0] is %lld; it must be 0",
              function, (long long)indptr[0]);
  for (size_t r = 0; r < rows; ++r) {
    MRANK_CHECK(indptr[r + 1] >= indptr[r], MRANK_ERROR_INVALID_ARGUMENT,
                "%s: indptr[%zu] = %lld is below indptr[%zu] = %lld; offsets never decrease",
                function, r + 1, (long long)indptr[r + 1], r, (long long)indptr[r]);
  }
  MRANK_CHECK(indptr[rows] == 0 || (indices != NULL && values != NULL),
              MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL with %lld stored values", function,
              indices == NULL ? "indices" : "values", (long long)indptr[rows]);
  for (size_t r = 0; r < rows; ++r) {
    for (int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
      MRANK_CHECK(
          indices[k] >= 0 &&
                  (size_t)indices[k]<
                      features, MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: row %zu has column index %d (indices[%lld]); columns are 0 to %zu",
                      function, r, (int)indices[k], (long long)k, features> 0
              ? features - 1
              : 0);
      MRANK_CHECK(k == indptr[r] || indices[k] > indices[k - 1], MRANK_ERROR_INVALID_ARGUMENT,
                  "%s: row %zu's column indices do not increase (%d after %d at indices[%lld]); "
                  "sort each row's entries by column, once each",
                  function, r, (int)indices[k], (int)indices[k - 1], (long long)k);
      MRANK_CHECK(isfinite(values[k]), MRANK_ERROR_INVALID_ARGUMENT,
                  "%s: the value at row %zu, column %d is %g; every feature value must be finite",
                  function, r, (int)indices[k], values[k]);
    }
  }
  MRANK_TRY(dense_room(function, rows, features, &data.x));
  for (size_t r = 0; r < rows; ++r)
    for (int64_t k = indptr[r]; k < indptr[r + 1]; ++k)
      data.x[r * features + (size_t)indices[k]] = values[k];
  data.docs = rows;
  data.features = features;
  MRANK_TRY(labels_and_groups(function, rows, labels, qid, group_sizes, groups, &data));
  return wrap(function, &data, out);
error:
  rank_dataset_free(&data);
  return status;
}

/* the ordered pairs (label_i > label_j) of every query, counted through the metrics' own count */
static mrank_status count_pairs(const mrank_dataset *data, size_t *pairs) {
  rank_metrics m;
  if (!rank_evaluate(&data->data, NULL, &m)) {
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "mrank_dataset_info: out of memory");
  }
  *pairs = m.pairs;
  return MRANK_SUCCESS;
}

mrank_status mrank_dataset_info(const mrank_dataset *data, size_t *rows, size_t *features,
                                size_t *queries, size_t *pairs) {
  mrank_clear_error();
  mrank_status status = MRANK_SUCCESS;
  MRANK_CHECK(data != NULL, MRANK_ERROR_INVALID_ARGUMENT,
              "mrank_dataset_info: data is NULL; pass a data set from mrank_dataset_load or "
              "mrank_dataset_from_*");
  if (pairs != NULL) {
    size_t counted = 0;
    MRANK_TRY(count_pairs(data, &counted));
    *pairs = counted;
  }
  if (rows != NULL) *rows = data->data.docs;
  if (features != NULL) *features = data->data.features;
  if (queries != NULL) *queries = data->data.queries;
error:
  return status;
}

void mrank_dataset_destroy(mrank_dataset *data) {
  if (data == NULL) return;
  rank_dataset_free(&data->data);
  free(data);
}

/* ---- metrics ---- */

static void copy_metrics(const rank_metrics *m, mrank_metrics *out) {
  memset(out, 0, sizeof *out);
  out->cutoff_count = (size_t)m->cutoffs.count;
  for (int c = 0; c < m->cutoffs.count; ++c) {
    out->cutoffs[c] = (unsigned)m->cutoffs.k[c];
    out->ndcg[c] = m->ndcg[c];
    out->precision[c] = m->precision[c];
    out->recall[c] = m->recall[c];
    out->f1[c] = m->f1[c];
  }
  out->map = m->map;
  out->pair_accuracy = m->pair_accuracy;
  out->queries = m->queries;
  out->documents = m->documents;
  out->pairs = m->pairs;
}

typedef struct query_rows {
  double *rows;
  size_t width;
} query_rows;

/* each query's metrics into its row of per_query, in mrank eval --per-query's column order */
static void per_query_row(size_t q, const rank_metrics *m, void *user) {
  const query_rows *r = user;
  double *row = r->rows + q * r->width;
  const int count = m->cutoffs.count;
  for (int c = 0; c < count; ++c) {
    row[c] = m->ndcg[c];
    row[count + c] = m->precision[c];
    row[2 * count + c] = m->recall[c];
    row[3 * count + c] = m->f1[c];
  }
  row[4 * count] = m->map;
  row[4 * count + 1] = m->pair_accuracy;
}

mrank_status mrank_evaluate(const double *scores, const mrank_dataset *data,
                            const unsigned *cutoffs, size_t cutoff_count, mrank_metrics *out,
                            double *per_query) {
  mrank_clear_error();
  mrank_status status = MRANK_SUCCESS;
  const char *function = "mrank_evaluate";
  MRANK_CHECK(data != NULL && out != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function,
              data == NULL ? "data" : "out");
  MRANK_CHECK(data->data.queries > 0 || data->data.docs == 0, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: the data has no query groups", function);
  for (size_t d = 0; scores != NULL && d < data->data.docs; ++d) {
    MRANK_CHECK(isfinite(scores[d]), MRANK_ERROR_INVALID_ARGUMENT,
                "%s: scores[%zu] is %g; scores must be finite", function, d, scores[d]);
  }
  rank_cutoffs chosen = rank_default_cutoffs;
  if (cutoffs != NULL || cutoff_count > 0) {
    MRANK_CHECK(cutoffs != NULL && cutoff_count >= 1 && cutoff_count <= MRANK_MAX_CUTOFFS,
                MRANK_ERROR_INVALID_ARGUMENT,
                "%s: give 1 to %d cutoffs (or NULL and 0 for 1, 3, 5, 10), not %zu%s", function,
                MRANK_MAX_CUTOFFS, cutoff_count, cutoffs == NULL ? " with a NULL array" : "");
    for (size_t c = 0; c < cutoff_count; ++c) {
      MRANK_CHECK(
          cutoffs[c] >= 1 && cutoffs[c] <= 100000 && (c == 0 || cutoffs[c] > cutoffs[c - 1]),
          MRANK_ERROR_INVALID_ARGUMENT,
          "%s: cutoffs[%zu] is %u; cutoffs are whole numbers from 1 to 100000, each once, "
          "in increasing order",
          function, c, cutoffs[c]);
      chosen.k[c] = (int)cutoffs[c];
    }
    chosen.count = (int)cutoff_count;
  }
  query_rows rows = {per_query, 4 * (size_t)chosen.count + 2};
  rank_metrics m;
  MRANK_CHECK(rank_evaluate_at(&data->data, scores, &chosen,
                               per_query != NULL ? per_query_row : NULL, &rows, &m),
              MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory", function);
  copy_metrics(&m, out);
error:
  return status;
}
