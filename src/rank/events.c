/* events.c: see events.h. */
#include "rank/events.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

mrank_train_progress rank_progress_blank(mrank_progress_kind kind, const char *stage) {
  mrank_train_progress p;
  memset(&p, 0, sizeof p);
  p.kind = kind;
  p.stage = stage != NULL ? stage : "training";
  p.train_loss = p.train_ndcg = p.valid_ndcg = NAN;
  return p;
}

void rank_event_send(const rank_events *events, const mrank_train_progress *progress) {
  if (events == NULL || events->callback == NULL) return;
  if (events->callback(progress, events->user) != 0 && events->stop != NULL) *events->stop = 1;
}

void rank_event_note(const rank_events *events, const char *stage, int warning, const char *format,
                     ...) {
  if (events == NULL || events->callback == NULL) return;
  char text[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(text, sizeof text, format, args);
  va_end(args);
  mrank_train_progress p =
      rank_progress_blank(warning ? MRANK_PROGRESS_WARNING : MRANK_PROGRESS_NOTE, stage);
  p.text = text;
  rank_event_send(events, &p);
}

void rank_event_epoch(const rank_events *events, const char *stage, unsigned epoch,
                      double train_loss, double valid_ndcg, int best, int final, size_t pairs,
                      double seconds) {
  if (events == NULL || events->callback == NULL) return;
  mrank_train_progress p = rank_progress_blank(MRANK_PROGRESS_EPOCH, stage);
  p.epoch = epoch;
  p.train_loss = train_loss;
  p.valid_ndcg = valid_ndcg;
  p.best = best;
  p.final = final;
  p.pairs = pairs;
  p.seconds = seconds;
  rank_event_send(events, &p);
}

int rank_events_stopped(const rank_events *events) {
  return events != NULL && events->stop != NULL && *events->stop != 0;
}

const volatile sig_atomic_t *rank_events_stop_flag(const rank_events *events) {
  return events != NULL ? events->stop : NULL;
}

mrank_status rank_error_status(const char *message) {
  if (strstr(message, "out of memory") != NULL) return MRANK_ERROR_OUT_OF_MEMORY;
  if (strstr(message, "device selector") != NULL) return MRANK_ERROR_DEVICE_NOT_FOUND;
  if (strstr(message, "build") != NULL && strstr(message, "log") != NULL) {
    return MRANK_ERROR_BUILD_FAILED;
  }
  if (strstr(message, "CL_") != NULL) return MRANK_ERROR_OPENCL;
  return MRANK_ERROR_INVALID_ARGUMENT;
}
