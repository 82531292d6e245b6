/* fit.c: the epoch loop of a training run: epochs, the finiteness check, validation NDCG@10, the
 * best weights and patience. */
#include "rank/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/metrics.h"

typedef struct batch_relay {
  const rank_fit_hooks *hooks;
  unsigned epoch;
} batch_relay;

static void relay_batch(double done, void *user) {
  const batch_relay *relay = user;
  relay->hooks->batch(relay->epoch, done, relay->hooks->user);
}

static void add_stages(rank_stage_times *total, const rank_stage_times *epoch) {
  total->gemv += epoch->gemv;
  total->gather += epoch->gather;
  total->loss += epoch->loss;
  total->scatter += epoch->scatter;
  total->update += epoch->update;
  total->activation += epoch->activation;
}

int rank_fit(rank_trainer *trainer, size_t features, const rank_dataset *valid,
             const rank_options *options, const rank_fit_hooks *hooks, rank_fit_result *result,
             char *error, size_t error_size) {
  float *const best = result->best_weights;
  memset(result, 0, sizeof *result);
  result->best_weights = best;
  result->best_ndcg = -1.0;
  if (!rank_trainer_reset(trainer, options, error, error_size)) return 0;
  return rank_fit_more(trainer, features, valid, options, 0, hooks, result, error, error_size);
}

int rank_fit_more(rank_trainer *trainer, size_t features, const rank_dataset *valid,
                  const rank_options *options, unsigned epochs_before, const rank_fit_hooks *hooks,
                  rank_fit_result *result, char *error, size_t error_size) {
  float *const best = result->best_weights;
  memset(result, 0, sizeof *result);
  result->best_weights = best;
  result->best_ndcg = -1.0;
  float *current = malloc((features > 0 ? features : 1) * sizeof *current);
  if (current == NULL) {
    snprintf(error, error_size, "out of memory");
    return 0;
  }
  unsigned since_best = 0;
  for (unsigned count = 1; count <= options->epochs; ++count) {
    /* the trainer numbers epochs over the whole run: each draws its own batch order and pairs */
    const unsigned epoch = epochs_before + count;
    if (hooks != NULL && hooks->stop != NULL && *hooks->stop) {
      result->interrupted = 1;
      break;
    }
    batch_relay relay = {hooks, epoch};
    const int relayed = hooks != NULL && hooks->batch != NULL;
    rank_epoch_report report;
    if (!rank_trainer_epoch(trainer, epoch, &report, relayed ? relay_batch : NULL, &relay, error,
                            error_size) ||
        !rank_trainer_weights(trainer, current, error, error_size)) {
      result->failed_at = epoch;
      break;
    }
    result->seconds += report.seconds;
    result->setup_seconds += report.setup_seconds;
    if (!rank_weights_finite(current, features, report.train_loss)) {
      result->diverged_at = epoch; /* the best epoch before it, if any, stands */
      break;
    }
    result->pairs += report.pairs;
    add_stages(&result->stages, &report.stages);
    const int shared = hooks != NULL && hooks->valid_ndcg != NULL;
    const double ndcg = valid == NULL ? NAN
                        : shared      ? hooks->valid_ndcg(current, hooks->valid_user)
                                      : rank_ndcg10(valid, current, features);
    const int better = valid == NULL || ndcg > result->best_ndcg;
    result->epochs_run = count;
    if (better) {
      result->best_ndcg = ndcg;
      result->best_epoch = count;
      memcpy(best, current, features * sizeof *current);
      since_best = 0;
    } else {
      since_best++;
    }
    const rank_fit_epoch seen = {&report, current, ndcg, better, result->seconds};
    if (hooks != NULL && hooks->epoch != NULL &&
        !hooks->epoch(&seen, hooks->user, error, error_size)) {
      result->failed_at = epoch;
      break;
    }
    if (valid != NULL && options->patience > 0 && since_best >= options->patience) {
      result->stale_epochs = since_best;
      break;
    }
  }
  free(current);
  return result->failed_at == 0;
}
