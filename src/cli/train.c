/* train.c: `mrank train`, a linear pairwise ranker trained on the device, with validation, early
 * stopping and checkpoints. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/train_options.h"
#include "rank/dataset.h"
#include "rank/fit.h"
#include "rank/model.h"
#include "rank/trainer.h"

const char mrank_train_help[] =
    "usage: mrank train --train FILE [--query FILE] --model OUT [options]\n"
    "\n"
    "Trains a linear pairwise ranker (RankSVM's model: score = w . x, a hinge on score "
    "differences)\n"
    "by minibatch SGD on an OpenCL device, with the margin ranking loss of mrank and CLBlast for "
    "the\n"
    "matrix-vector work. Pairs: within each query, every (i, j) with label_i > label_j.\n"
    "\n"
    "  --train FILE          SVMlight / LETOR text: label [qid:Q] index:value ... [# comment]\n"
    "  --query FILE          LightGBM group file (one document count per line), if FILE has no "
    "qid:\n"
    "  --valid FILE          validation data: NDCG@10 each epoch, early stopping, the best "
    "epoch's\n"
    "                        model is the one written (--valid-query FILE for its groups)\n"
    "  --model OUT           where the model goes (written atomically)\n"
    "  --margin M            hinge margin (default 1)\n"
    "  --lr R                learning rate (default 0.05)\n"
    "  --l2 L                L2 penalty on w (default 0.0001)\n"
    "  --momentum B          momentum (default 0.9)\n"
    "  --epochs E            epochs (default 30)\n"
    "  --batch-queries Q     queries per minibatch (default 8)\n"
    "  --pairs-per-query K   sample at most K pairs per query per epoch (default 0: all)\n"
    "  --patience E          stop after E epochs without a better validation NDCG@10 (default 5;\n"
    "                        0 never stops early)\n"
    "  --seed S              seed of the batch order and the pair sampling (default 1)\n"
    "  --features N          feature count (default: the largest index in the training data)\n"
    "  --max-label N         relevance labels must lie in 0..N (default 31, LightGBM's limit;\n"
    "                        gains are 2^label - 1); at most 1000\n"
    "  --scale MODE          auto (default): a feature whose largest |value| in the training data\n"
    "                        is above 1 is divided by it, so raw counts and scores train with the\n"
    "                        default --lr, and features within [-1, 1] are left as they are;\n"
    "                        max: every feature divided by its largest |value|; none. The model's\n"
    "                        weights are in the data's own units either way\n"
    "  --average             the model is the average of w over every step (averaged SGD: less\n"
    "                        variance, often better on small data)\n"
    "  --checkpoint          write the model after every epoch (an interrupted run keeps the "
    "last)\n"
    "  --device SEL          gpu, cpu, accelerator, host (the CPU reference), P:D or a name\n"
    "  --quiet               no per-epoch lines\n"
    "  --profile             time each stage on the device (GEMV, gather, loss, scatter, update)\n"
    "                        with profiling events, and print the split after training\n"
    "\n"
    "SIGINT (Ctrl-C) or SIGTERM ends the run after the epoch under way and writes the best model\n"
    "so far (exit status 130 or 143). Data with no pair to learn from (every query's documents\n"
    "share one label) is refused. Exit status: 0 done, 1 training failed or diverged, 2 usage,\n"
    "data, device or file error.\n";

typedef struct train_settings {
  const char *train, *query, *valid, *valid_query, *model, *selector;
  size_t features;
  int checkpoint, quiet, profile;
  double max_label;
  rank_options options;
} train_settings;

static int parse_train(int argc, char **argv, train_settings *s) {
  rank_default_options(&s->options);
  s->max_label = RANK_DEFAULT_MAX_LABEL;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    const int shared = mrank_parse_training_option(argc, argv, &i, &s->options);
    if (shared < 0) return 0;
    if (shared > 0) continue;
    if (strcmp(arg, "--checkpoint") == 0) {
      s->checkpoint = 1;
      continue;
    }
    if (strcmp(arg, "--quiet") == 0) {
      s->quiet = 1;
      continue;
    }
    if (strcmp(arg, "--average") == 0) {
      s->options.average = 1;
      continue;
    }
    if (strcmp(arg, "--profile") == 0) {
      s->profile = 1;
      continue;
    }
    if (mrank_is_option(arg, "--max-label")) {
      if (!mrank_parse_max_label(argc, argv, &i, &s->max_label)) return 0;
      continue;
    }
    static const char *const files[] = {"--train", "--query",  "--valid",   "--valid-query",
                                        "--model", "--device", "--features"};
    const char **targets[] = {&s->train, &s->query,    &s->valid, &s->valid_query,
                              &s->model, &s->selector, NULL};
    int which = -1;
    for (int k = 0; k < (int)(sizeof files / sizeof files[0]); ++k) {
      if (mrank_is_option(arg, files[k])) which = k;
    }
    if (which < 0) {
      mrank_error("unknown option \"%s\"; see 'mrank train --help'", arg);
      return 0;
    }
    const char *value = mrank_option_value(argc, argv, &i, files[which]);
    if (value == NULL) return 0;
    if (which == 6) {
      if (!mrank_parse_size("--features", value, &s->features)) return 0;
      if (s->features == 0 || s->features > RANK_MAX_FEATURES) {
        mrank_error("--features must be 1 to %zu, not %s", RANK_MAX_FEATURES, value);
        return 0;
      }
    } else {
      *targets[which] = value;
    }
  }
  if (s->train == NULL || s->model == NULL) {
    mrank_error("--train FILE and --model OUT are required; see 'mrank train --help'");
    return 0;
  }
  if (s->valid_query != NULL && s->valid == NULL) {
    mrank_error("--valid-query needs --valid");
    return 0;
  }
  const mrank_path inputs[] = {{"--train", s->train},
                               {"--query", s->query},
                               {"--valid", s->valid},
                               {"--valid-query", s->valid_query}};
  const mrank_path outputs[] = {{"--model", s->model}};
  return mrank_check_paths(inputs, 4, outputs, 1);
}

/* The per-epoch printing, the checkpoint and the progress bar of a run. */
typedef struct train_run {
  const train_settings *settings;
  rank_model *best;
  int bar; /* stderr is a terminal */
  int has_valid;
  int checkpoint_failed;
} train_run;

static void draw_bar(unsigned epoch, double done, void *user) {
  const train_run *run = user;
  if (!run->bar) return;
  const int width = 40, filled = (int)(done * width + 0.5);
  fprintf(stderr, "\repoch %u [", epoch);
  for (int k = 0; k < width; ++k)
    fputc(k < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %3.0f%%", done * 100.0);
  if (done >= 1.0) fprintf(stderr, "\r%*s\r", width + 20, "");
  fflush(stderr);
}

static int after_epoch(const rank_fit_epoch *e, void *user, char *error, size_t error_size) {
  train_run *run = user;
  const train_settings *s = run->settings;
  if (e->better) run->best->best_epoch = e->report->epoch;
  if (!s->quiet) {
    printf("epoch %3u  loss %.6f", e->report->epoch, e->report->train_loss);
    if (run->has_valid) printf("  valid NDCG@10 %.4f%s", e->valid_ndcg, e->better ? " *" : "  ");
    printf("  %.3g pairs/s  %.2f s\n",
           e->report->seconds > 0 ? e->report->pairs / e->report->seconds : 0.0, e->seconds);
    fflush(stdout);
  }
  if (s->checkpoint && !rank_model_save(run->best, s->model, error, error_size)) {
    run->checkpoint_failed = 1;
    return 0;
  }
  return 1;
}

static void print_profile(const rank_fit_result *r) {
  const rank_stage_times *t = &r->stages;
  const double device = t->gemv + t->gather + t->loss + t->scatter + t->update;
  printf("%zu pairs in %.3f s: %.3g pairs/s; device time by stage (profiling events):\n", r->pairs,
         r->seconds, r->seconds > 0 ? (double)r->pairs / r->seconds : 0.0);
  const char *names[] = {"GEMV (scores, X^T g)", "gather", "loss (fused)", "scatter", "update"};
  const double times[] = {t->gemv, t->gather, t->loss, t->scatter, t->update};
  for (int k = 0; k < 5; ++k) {
    printf("  %-22s %9.3f ms  %5.1f%%\n", names[k], times[k] * 1e3,
           device > 0 ? 100.0 * times[k] / device : 0.0);
  }
  printf("  %-22s %9.3f ms of %.3f ms wall\n", "device total", device * 1e3, r->seconds * 1e3);
}

int mrank_cmd_train(int argc, char **argv) {
  train_settings s;
  memset(&s, 0, sizeof s);
  const int parsed = parse_train(argc, argv, &s);
  if (parsed < 0) {
    fputs(mrank_train_help, stdout);
    return 0;
  }
  if (parsed == 0) return 2;
  char error[1024];
  rank_dataset train, valid;
  memset(&valid, 0, sizeof valid);
  const rank_read_limits limits = {s.features, s.max_label};
  if (!rank_dataset_load_checked(s.train, s.query, &limits, &train, error, sizeof error)) {
    mrank_error("%s", error);
    return 2;
  }
  const rank_read_limits valid_limits = {train.features, s.max_label};
  if (s.valid != NULL && !rank_dataset_load_checked(s.valid, s.valid_query, &valid_limits, &valid,
                                                    error, sizeof error)) {
    fprintf(stderr, "mrank train: %s%s\n", error,
            s.features == 0 ? mrank_features_hint(error) : "");
    rank_dataset_free(&train);
    return 2;
  }
  if (s.valid != NULL && valid.queries == 0) {
    fprintf(stderr, "mrank train: %s has no query groups (give qid: or --valid-query)\n", s.valid);
    rank_dataset_free(&train);
    rank_dataset_free(&valid);
    return 2;
  }
  int status = 1;
  rank_model best = {train.features, calloc(train.features, sizeof(float)), s.options, 0};
  rank_trainer *trainer =
      rank_trainer_create(&train, s.selector, s.profile, s.options.scale, error, sizeof error);
  if (trainer == NULL || best.weights == NULL) {
    fprintf(stderr, "mrank train: %s\n", trainer != NULL ? "out of memory" : error);
    status = 2; /* the data (no query groups) or the device: as a usage error */
    goto done;
  }
  if (!s.quiet) {
    printf("training on \"%s\": %zu documents, %zu queries, %zu features",
           rank_trainer_device(trainer), train.docs, train.queries, train.features);
    const size_t scaled = rank_trainer_scaled_features(trainer);
    if (scaled > 0)
      printf(" (%zu scaled to [-1, 1], --scale %s)", scaled, rank_scale_name(s.options.scale));
    printf("\n");
  }
  /* SIGINT and SIGTERM end the run after the epoch under way; the best model so far is written */
  mrank_catch_interrupts();
  train_run run = {&s, &best, isatty(2), s.valid != NULL, 0};
  const rank_fit_hooks hooks = {draw_bar, after_epoch, &run, &mrank_interrupted};
  rank_fit_result result = {.best_weights = best.weights};
  if (!rank_fit(trainer, train.features, s.valid != NULL ? &valid : NULL, &s.options, &hooks,
                &result, error, sizeof error)) {
    /* a checkpoint that cannot be written, the device, memory: errors, not a failed training */
    if (run.checkpoint_failed || result.failed_at == 0) {
      mrank_error("%s", error);
    } else {
      mrank_error("epoch %u: %s", result.failed_at, error);
    }
    status = 2;
    goto done;
  }
  best.best_epoch = result.best_epoch;
  if (result.diverged_at > 0) {
    fprintf(stderr,
            "mrank train: epoch %u: the loss or the weights are no longer finite numbers (the "
            "training diverged); lower --lr (%g now)%s\n",
            result.diverged_at, s.options.lr,
            s.options.scale == RANK_SCALE_MAX ? "" : " or scale every feature (--scale max)");
    if (s.valid != NULL && best.best_epoch > 0 &&
        rank_model_save(&best, s.model, error, sizeof error)) {
      fprintf(stderr, "mrank train: the best model before that (epoch %u) is written to %s\n",
              best.best_epoch, s.model);
    } else {
      fprintf(stderr, "mrank train: no model written\n");
    }
    goto done;
  }
  if (result.stale_epochs > 0 && !s.quiet) {
    printf("early stop: no better validation NDCG@10 for %u epochs\n", result.stale_epochs);
  }
  const int interrupted = mrank_interrupted;
  if (interrupted) {
    const char *name = interrupted == SIGTERM ? "SIGTERM" : "SIGINT";
    if (best.best_epoch == 0) {
      mrank_error("interrupted (%s) before an epoch ended; no model written", name);
      status = 128 + interrupted;
      goto done;
    }
    mrank_error("interrupted (%s); writing the best model so far", name);
  }
  if (!rank_model_save(&best, s.model, error, sizeof error)) {
    mrank_error("%s", error);
    status = 2;
    goto done;
  }
  if (!s.quiet) {
    printf("model (epoch %u%s) written to %s\n", best.best_epoch,
           s.valid != NULL ? ", best validation NDCG@10" : "", s.model);
  }
  if (s.profile) print_profile(&result);
  status = interrupted ? 128 + interrupted : 0;
done:
  rank_trainer_destroy(trainer);
  rank_model_free(&best);
  rank_dataset_free(&train);
  rank_dataset_free(&valid);
  return status;
}
