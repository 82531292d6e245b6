/* dataset.h: learning-to-rank data in SVMlight / LETOR text (`label [qid:Q] index:value ... [#
 * ...]`), with query groups from qid: tokens or from a LightGBM group file (one count per line).
 * Loaded into a dense row-major float matrix; documents of a query are consecutive. */
#ifndef MRANK_RANK_DATASET_H
#define MRANK_RANK_DATASET_H

#include <stddef.h>

#include "rank/text_file.h"

/* The largest feature index (and count) accepted: a dense row of 2^24 floats is 64 MiB. */
#define RANK_MAX_FEATURES ((size_t)1 << 24)

typedef struct rank_dataset {
  size_t docs, features;   /* rows and columns of x */
  float *x;                /* docs x features, row-major; absent features are 0 */
  float *labels;           /* relevance, one per document */
  size_t queries;          /* 0 when the file had no qid: and no group file was given */
  size_t *query_start;     /* queries + 1 offsets: query q is documents [start[q], start[q+1]) */
  unsigned long long *qid; /* the qid of each query (its index when the groups came from a file) */
} rank_dataset;

/* What a reader accepts beyond the format. */
typedef struct rank_read_limits {
  size_t features;  /* 0: the largest index seen is the count; else a larger index is an error */
  double max_label; /* labels must lie in [0, max_label]; negative: any finite label */
} rank_read_limits;

/* The labels the commands that compute gains (2^label - 1) accept by default: LightGBM's gain
 * table's limit. */
#define RANK_DEFAULT_MAX_LABEL 31
/* The largest --max-label: 2^label stays far from double's overflow in a DCG sum. */
#define RANK_LARGEST_MAX_LABEL 1000

/* Reads `path` ("-": standard input; and the group file `query_path`, or NULL). `features`: 0 to
 * take the largest index seen, else the column count (a larger index is then an error). On failure
 * returns 0, leaves *out empty and writes "file:line:column: what was wrong" into error. */
int rank_dataset_load(const char *path, const char *query_path, size_t features, rank_dataset *out,
                      char *error, size_t error_size);
/* The same with limits: a label outside them is an error naming file, line and column. */
int rank_dataset_load_checked(const char *path, const char *query_path,
                              const rank_read_limits *limits, rank_dataset *out, char *error,
                              size_t error_size);
/* 1 when a load's error was a feature index beyond the `features` it was given, so that a caller
 * can say where that count came from (the model, the training data). */
int rank_error_beyond_features(const char *error);
/* The same from text in memory (`name` is used in messages); `groups` may be NULL. */
int rank_dataset_parse(const char *name, const char *text, size_t length, const char *groups_name,
                       const char *groups, size_t groups_length, size_t features, rank_dataset *out,
                       char *error, size_t error_size);
int rank_dataset_parse_checked(const char *name, const char *text, size_t length,
                               const char *groups_name, const char *groups, size_t groups_length,
                               const rank_read_limits *limits, rank_dataset *out, char *error,
                               size_t error_size);
void rank_dataset_free(rank_dataset *data);

/* Writes the data as LETOR text with qid: tokens (queries in order), atomically (temporary file and
 * rename). Only queries [first, last) of order[] are written, in that order. 0 on failure. */
int rank_dataset_write(const rank_dataset *data, const size_t *order, size_t count,
                       const char *path, char *error, size_t error_size);

/* Writes the lines of `text` (the file data was parsed from) of queries order[0 .. count), in that
 * order, each unchanged (values, comments, "#docid" tails and all); add_qid puts " qid:N" after
 * each label, for data whose groups came from a group file. Atomic. 0 on failure. */
int rank_dataset_write_lines(const rank_dataset *data, const char *text, size_t length, int add_qid,
                             const size_t *order, size_t count, const char *path, char *error,
                             size_t error_size);

/* A byte count as a person reads it: "640 bytes" below 1 MiB, then "12.5 MiB", "3.2 GiB". */
void rank_byte_size(double bytes, char *out, size_t size);

#endif /* MRANK_RANK_DATASET_H */
