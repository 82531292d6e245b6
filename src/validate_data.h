/* validate_data.h: the inputs of a validation problem, random with the edge cases planted. */
#ifndef MRANK_VALIDATE_DATA_H
#define MRANK_VALIDATE_DATA_H

#include "mrank.h"

typedef struct mrank_problem_data {
  size_t n;
  float *x1, *x2, *y;
  float *dloss; /* n elements (NONE) or 1 */
} mrank_problem_data;

/* Allocates and fills the inputs; MRANK_ERROR_OUT_OF_MEMORY when the host lacks the memory. */
mrank_status mrank_problem_data_make(const mrank_problem *problem, mrank_problem_data *data);
void mrank_problem_data_free(mrank_problem_data *data);

#endif /* MRANK_VALIDATE_DATA_H */
