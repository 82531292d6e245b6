/* mpi_share.h: each MPI rank's share of a learning-to-rank file, read by byte range: rank r of K
 * takes the whole queries whose first line starts in bytes [size r / K, size (r + 1) / K), reading
 * only those queries' lines (and a few bytes around them to find their edges), never the whole
 * file. Queries come from qid: tokens, or from a LightGBM group file (which every rank reads: one
 * count per query). */
#ifndef MRANK_CLI_MPI_SHARE_H
#define MRANK_CLI_MPI_SHARE_H

#include <mpi.h>
#include <stddef.h>

#include "rank/dataset.h"

typedef struct mpi_share {
  size_t first_query, total_queries; /* this rank's queries in the whole file */
  size_t first_line; /* the file's line number (1-based) of the share's first line */
} mpi_share;

/* Reads the share (collective). 0 with "file: what was wrong" in error when this rank's part fails;
 * the caller agrees on failure with the other ranks. */
int mpi_read_share(MPI_Comm comm, const char *path, const char *query_path,
                   const rank_read_limits *limits, rank_dataset *out, mpi_share *share, char *error,
                   size_t error_size);

#endif /* MRANK_CLI_MPI_SHARE_H */
