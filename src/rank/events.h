/* events.h: how a training run tells its caller what it does (mrank_train's callback): notes,
 * warnings, epochs and batches, and the stop the callback asks for. Every function takes NULL
 * events (nothing told, never stopped). */
#ifndef MRANK_RANK_EVENTS_H
#define MRANK_RANK_EVENTS_H

#include <signal.h>

#include "mrank_rank.h"

typedef struct rank_events {
  mrank_train_callback callback; /* NULL: nothing told */
  void *user;
  /* set to 1 when the callback returns non-zero; a caller may point it at its own flag (a
   * signal handler's) instead. NULL: never stopped */
  volatile sig_atomic_t *stop;
} rank_events;

/* A progress event of `kind` and `stage` ("training" for NULL), every number NaN or 0. */
mrank_train_progress rank_progress_blank(mrank_progress_kind kind, const char *stage);
/* Sends progress (kind and fields set by the caller); a non-zero return from the callback sets
 * the stop flag. */
void rank_event_send(const rank_events *events, const mrank_train_progress *progress);
/* A NOTE (warning 0) or WARNING line of `stage`, formatted. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
void rank_event_note(const rank_events *events, const char *stage, int warning,
                     const char *format, ...);
/* An EPOCH event with the fields of one (the rest NaN or 0). */
void rank_event_epoch(const rank_events *events, const char *stage, unsigned epoch,
                      double train_loss, double valid_ndcg, int best, int final, size_t pairs,
                      double seconds);
/* Whether the stop flag is set. */
int rank_events_stopped(const rank_events *events);
/* The stop flag as the trainers' hooks take it (NULL: none). */
const volatile sig_atomic_t *rank_events_stop_flag(const rank_events *events);

/* The status of a training failure from its message (the trainers say what failed in words):
 * memory, a device selector that matches nothing, an OpenCL error, a kernel build, else the data
 * or the options (MRANK_ERROR_INVALID_ARGUMENT). */
mrank_status rank_error_status(const char *message);

#endif /* MRANK_RANK_EVENTS_H */
