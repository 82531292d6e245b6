/* outcome.h: the outcome of one mrank_validate problem in a phrase, for the commands that check a
 * device with it on the way (demo, devices --check); `mrank validate` prints its own full lines. */
#ifndef MRANK_CLI_OUTCOME_H
#define MRANK_CLI_OUTCOME_H

#include <stddef.h>

#include "mrank.h"

/* "bitwise equal to the reference (2 x 1000 elements)", "loss = ... reference ..., relative error
 * ... <= bound ...", or, for a FAILED verdict, what failed. A MISTRUSTED verdict says so. */
void mrank_outcome_phrase(const mrank_validation *report, char *out, size_t size);

/* The reduction's name: "none", "mean", "sum". */
const char *mrank_reduction_name(mrank_reduction reduction);

#endif /* MRANK_CLI_OUTCOME_H */
