/* rank_query_api.c: mrank_rank.h's look into a data set: each query's qid, size and pairs, and a
 * feature's column (what mrank eval's per-query table and best-feature baseline read). */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mrank_rank.h"
#include "rank/metrics.h"
#include "rank_api.h"

typedef struct query_counts {
  size_t *documents, *pairs;
} query_counts;

static void count_query(size_t q, const rank_metrics *m, void *user) {
  const query_counts *c = user;
  if (c->documents != NULL) c->documents[q] = m->documents;
  if (c->pairs != NULL) c->pairs[q] = m->pairs;
}

mrank_status mrank_dataset_queries(const mrank_dataset *data, uint64_t *qid, size_t *documents,
                                   size_t *pairs, size_t count) {
  mrank_clear_error();
  mrank_status status = MRANK_SUCCESS;
  const char *function = "mrank_dataset_queries";
  MRANK_CHECK(data != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: data is NULL", function);
  const rank_dataset *d = &data->data;
  MRANK_CHECK(count == d->queries, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: count is %zu but the data has %zu queries; pass arrays of that many", function,
              count, d->queries);
  for (size_t q = 0; q < d->queries && qid != NULL; ++q)
    qid[q] = (uint64_t)d->qid[q];
  if (documents == NULL && pairs == NULL) return MRANK_SUCCESS;
  query_counts counts = {documents, pairs};
  rank_metrics m;
  MRANK_CHECK(rank_evaluate_at(d, NULL, &rank_default_cutoffs, count_query, &counts, &m),
              MRANK_ERROR_OUT_OF_MEMORY, "%s: out of memory", function);
error:
  return status;
}

mrank_status mrank_dataset_column(const mrank_dataset *data, size_t feature, float *column,
                                  size_t rows) {
  mrank_clear_error();
  mrank_status status = MRANK_SUCCESS;
  const char *function = "mrank_dataset_column";
  MRANK_CHECK(data != NULL && column != NULL, MRANK_ERROR_INVALID_ARGUMENT, "%s: %s is NULL",
              function, data == NULL ? "data" : "column");
  const rank_dataset *d = &data->data;
  MRANK_CHECK(feature < d->features, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: feature %zu is beyond the data's %zu features (0-based)", function, feature,
              d->features);
  MRANK_CHECK(rows == d->docs, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: rows is %zu but the data has %zu rows; pass room for that many", function, rows,
              d->docs);
  for (size_t r = 0; r < d->docs; ++r)
    column[r] = d->x[r * d->features + feature];
error:
  return status;
}
