/* validate_data.h: the inputs of a validation problem, random with the edge cases planted, in the
 * problem's types, with exact double copies for reports and the gradient check. */
#ifndef MRANK_VALIDATE_DATA_H
#define MRANK_VALIDATE_DATA_H

#include "mrank.h"

typedef struct mrank_problem_data {
  size_t n;
  void *x1, *x2, *y, *dloss;             /* as the device sees them (dloss: n elements, or 1) */
  double *x1_value, *x2_value, *y_value; /* the same values, decoded */
  double *dloss_value;
} mrank_problem_data;

/* Allocates and fills the inputs; MRANK_ERROR_OUT_OF_MEMORY when the host lacks the memory. */
mrank_status mrank_problem_data_make(const mrank_problem *problem, mrank_problem_data *data);
void mrank_problem_data_free(mrank_problem_data *data);

#endif /* MRANK_VALIDATE_DATA_H */
