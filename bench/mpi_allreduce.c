/* bench/mpi_allreduce.c: the two gradient exchanges of `mrank train --mpi` on their own, without
 * training, for the cost model in the README: fast (MPI_Allreduce of F floats) and ordered
 * (MPI_Gather of the row counts, MPI_Gatherv of B/K rows of F floats from each rank to rank 0,
 * MPI_Bcast of F floats). Prints microseconds per exchange (median of timed rounds after a
 * barrier each, so that waiting for a slow rank is not counted).
 * Build: mpicc -O2 -o mpi_allreduce bench/mpi_allreduce.c; run: mpirun -n K ./mpi_allreduce B */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int batch = argc > 1 ? atoi(argv[1]) : 8;
  static const int features[] = {46, 136, 1000, 10000, 100000, 1000000};
  enum { rounds = 201 };
  double times[2][rounds];
  if (rank == 0)
    printf("%d ranks, batch %d queries\n%10s %14s %14s\n", ranks, batch, "F", "fast us",
           "ordered us");
  for (size_t f = 0; f < sizeof features / sizeof features[0]; ++f) {
    const int F = features[f];
    const int rows = (batch + ranks - 1 - rank) / ranks; /* this rank's queries of the batch */
    float *mine = calloc((size_t)rows * F + F, sizeof *mine),
          *grad = calloc((size_t)F, sizeof *grad);
    float *all = rank == 0 ? calloc((size_t)batch * F + 1, sizeof *all) : NULL;
    int *counts = calloc((size_t)ranks, sizeof *counts), *at = calloc((size_t)ranks, sizeof *at);
    for (int r = 0; r < rounds; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      MPI_Allreduce(mine, grad, F, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      times[0][r] = MPI_Wtime() - t0;
      MPI_Barrier(MPI_COMM_WORLD);
      t0 = MPI_Wtime();
      const int count = rows * F;
      MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
      if (rank == 0) {
        int sum = 0;
        for (int k = 0; k < ranks; ++k) {
          at[k] = sum;
          sum += counts[k];
        }
      }
      MPI_Gatherv(mine, count, MPI_FLOAT, all, counts, at, MPI_FLOAT, 0, MPI_COMM_WORLD);
      MPI_Bcast(grad, F, MPI_FLOAT, 0, MPI_COMM_WORLD);
      times[1][r] = MPI_Wtime() - t0;
    }
    qsort(times[0], rounds, sizeof(double), by_value);
    qsort(times[1], rounds, sizeof(double), by_value);
    if (rank == 0)
      printf("%10d %14.1f %14.1f\n", F, 1e6 * times[0][rounds / 2], 1e6 * times[1][rounds / 2]);
    free(mine);
    free(grad);
    free(all);
    free(counts);
    free(at);
  }
  MPI_Finalize();
  return 0;
}
