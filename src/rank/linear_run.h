/* linear_run.h: training the linear scorer as mrank train does: with no options, l2 and the
 * epoch count chosen on held-out folds of the training queries (a warm-started L2 path, then a
 * replay on all of them), or on validation data; with holdout 0, the options as given. What it
 * does is told through rank_events (notes, epochs, batches, checkpoints), nothing printed. */
#ifndef MRANK_RANK_LINEAR_RUN_H
#define MRANK_RANK_LINEAR_RUN_H

#include <stddef.h>

#include "mrank_rank.h"
#include "rank/dataset.h"
#include "rank/events.h"
#include "rank/model.h"

typedef struct linear_request {
  const rank_dataset *train, *valid; /* valid may be NULL; of train's feature count */
  const char *selector;              /* NULL: the default device */
  rank_options options;              /* options.l2 NaN: chosen */
  int profile;                       /* the device time by stage, as notes at the end */
  int dashed;                        /* messages name options as on the command line (--lr) */
  const rank_events *events;
} linear_request;

/* *model gets the model (owned). MRANK_SUCCESS (a stop by the events gives the best so far, *note
 * saying what it is when that is not what was asked); MRANK_ERROR_DIVERGED (*model the best
 * before it where validation data chose one, else empty); MRANK_ERROR_STOPPED before any epoch
 * ended; another status for the data, the device or memory; each with the message in error. */
mrank_status rank_train_linear(const linear_request *request, rank_model *model, char *note,
                               size_t note_size, char *error, size_t error_size);

#endif /* MRANK_RANK_LINEAR_RUN_H */
