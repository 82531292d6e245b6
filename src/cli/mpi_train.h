/* mpi_train.h: `mpirun -n K mrank train --mpi ...`: data-parallel training over MPI ranks (built
 * when MPI is found: MRANK_HAVE_MPI). */
#ifndef MRANK_CLI_MPI_TRAIN_H
#define MRANK_CLI_MPI_TRAIN_H

#include <stddef.h>

#include "rank/model.h"

typedef struct mpi_train_request {
  const char *train, *query, *valid, *valid_query, *model, *selector;
  size_t features;
  double max_label;
  rank_options options; /* l2 given (the path is not walked under MPI) */
  int fast;             /* --allreduce fast: MPI_Allreduce; else ordered */
  int quiet;
} mpi_train_request;

/* The whole run on this rank: MPI_Init to MPI_Finalize. The exit status: 0, or 2 on every rank
 * when any rank failed (its message printed by rank 0). */
int mrank_mpi_train(const mpi_train_request *request);

/* train --mpi: request's files, sizes, allreduce and quiet as mrank train parsed them; the training
 * options read from argv by the library's parser (rank/config.h), as mrank train reads them. */
int mrank_mpi_train_command(int argc, char **argv, mpi_train_request *request);

/* "Open MPI v4.1.4" or the like, for --version. */
const char *mrank_mpi_library(void);

#endif /* MRANK_CLI_MPI_TRAIN_H */
