/* train.c: `mrank train`, a linear pairwise ranker trained on the device, with validation, early
 * stopping and checkpoints; `mrank eval` and `mrank predict` for a trained model. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/options.h"
#include "random.h"
#include "rank/dataset.h"
#include "rank/metrics.h"
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
    "  --patience E          stop after E epochs without a better validation NDCG@10 (default 5)\n"
    "  --seed S              seed of the batch order and the pair sampling (default 1)\n"
    "  --features N          feature count (default: the largest index in the training data)\n"
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
    "                        with profiling events, and print the split after training\n";

const char mrank_eval_help[] =
    "usage: mrank eval --model M --data FILE [--query FILE] [--json]\n"
    "       mrank eval --baseline random --data FILE [--query FILE] [--json]\n"
    "       mrank eval --baseline best-feature --train FILE [--train-query FILE] --data FILE ...\n"
    "\n"
    "Scores FILE with the model and prints NDCG@1,3,5,10 (gain 2^rel - 1, log2 discount; a query\n"
    "without a relevant document counts as 1), precision@1,3,5,10 and MAP (rel > 0 is relevant;\n"
    "MAP over the queries that have one), and pairwise accuracy (ties count half).\n"
    "The baselines score the same way: documents in random order (seed 1), or the single feature\n"
    "(and sign) with the best NDCG@10 on the --train data.\n";

const char mrank_predict_help[] =
    "usage: mrank predict --model M --data FILE\n"
    "\n"
    "Prints one score per document of FILE, in input order.\n";

typedef struct train_settings {
  const char *train, *query, *valid, *valid_query, *model, *selector;
  size_t features;
  int checkpoint, quiet, profile;
  rank_options options;
} train_settings;

static volatile sig_atomic_t interrupted = 0;
static void on_interrupt(int signal_number) {
  (void)signal_number;
  interrupted = 1;
}

static int parse_unsigned_option(const char *name, const char *value, unsigned *out) {
  uint64_t v;
  if (!mrank_parse_u64(name, value, &v) || v > 0xffffffffu) return 0;
  *out = (unsigned)v;
  return 1;
}

static int parse_double_option(const char *name, const char *value, double *out) {
  float v;
  if (!mrank_parse_float(name, value, &v)) return 0;
  *out = v;
  return 1;
}

/* The options shared by train and tune; 1 consumed, 0 not an option of theirs, -1 bad value. */
int rank_parse_option(int argc, char **argv, int *i, rank_options *o) {
  const char *arg = argv[*i], *value = NULL;
  static const char *const names[] = {
      "--margin",          "--lr",       "--l2",   "--momentum", "--epochs", "--batch-queries",
      "--pairs-per-query", "--patience", "--seed", "--scale"};
  int which = -1;
  for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k) {
    if (mrank_is_option(arg, names[k])) which = k;
  }
  if (which < 0) return 0;
  if ((value = mrank_option_value(argc, argv, i, names[which])) == NULL) return -1;
  uint64_t seed = 0;
  int ok = 1;
  switch (which) {
    case 0:
      ok = parse_double_option(names[0], value, &o->margin);
      break;
    case 1:
      ok = parse_double_option(names[1], value, &o->lr) && o->lr > 0;
      break;
    case 2:
      ok = parse_double_option(names[2], value, &o->l2) && o->l2 >= 0;
      break;
    case 3:
      ok =
          parse_double_option(names[3], value, &o->momentum) && o->momentum >= 0 && o->momentum < 1;
      break;
    case 4:
      ok = parse_unsigned_option(names[4], value, &o->epochs) && o->epochs > 0;
      break;
    case 5:
      ok = parse_unsigned_option(names[5], value, &o->batch_queries) && o->batch_queries > 0;
      break;
    case 6:
      ok = parse_unsigned_option(names[6], value, &o->pairs_per_query);
      break;
    case 7:
      ok = parse_unsigned_option(names[7], value, &o->patience);
      break;
    case 8:
      ok = mrank_parse_u64(names[8], value, &seed);
      o->seed = seed;
      break;
    default: {
      const int scale = rank_scale_parse(value);
      if (scale < 0) {
        fprintf(stderr, "mrank: --scale is auto, max or none, not \"%s\"\n", value);
        return -1;
      }
      o->scale = (rank_scale)scale;
      break;
    }
  }
  if (!ok) {
    fprintf(stderr, "mrank: %s %s is out of range (see --help)\n", names[which], value);
    return -1;
  }
  return 1;
}

const char *rank_features_hint(const char *error) {
  return rank_error_beyond_features(error)
             ? " (the count the training data gives; --features N makes room for the validation "
               "data's)"
             : "";
}

static int parse_train(int argc, char **argv, train_settings *s) {
  rank_default_options(&s->options);
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    const int shared = rank_parse_option(argc, argv, &i, &s->options);
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
    static const char *const files[] = {"--train", "--query",  "--valid",   "--valid-query",
                                        "--model", "--device", "--features"};
    const char **targets[] = {&s->train, &s->query,    &s->valid, &s->valid_query,
                              &s->model, &s->selector, NULL};
    int which = -1;
    for (int k = 0; k < (int)(sizeof files / sizeof files[0]); ++k) {
      if (mrank_is_option(arg, files[k])) which = k;
    }
    if (which < 0) {
      fprintf(stderr, "mrank train: unknown option \"%s\"; see 'mrank train --help'\n", arg);
      return 0;
    }
    const char *value = mrank_option_value(argc, argv, &i, files[which]);
    if (value == NULL) return 0;
    if (which == 6) {
      if (!mrank_parse_size("--features", value, &s->features) || s->features == 0) return 0;
    } else {
      *targets[which] = value;
    }
  }
  if (s->train == NULL || s->model == NULL) {
    fprintf(stderr, "mrank train: --train FILE and --model OUT are required; see --help\n");
    return 0;
  }
  if (s->valid_query != NULL && s->valid == NULL) {
    fprintf(stderr, "mrank train: --valid-query needs --valid\n");
    return 0;
  }
  return 1;
}

typedef struct bar {
  int enabled;
  unsigned epoch;
} bar;

static void draw_bar(double done, void *user) {
  const bar *b = user;
  if (!b->enabled) return;
  const int width = 40, filled = (int)(done * width + 0.5);
  fprintf(stderr, "\repoch %u [", b->epoch);
  for (int k = 0; k < width; ++k)
    fputc(k < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %3.0f%%", done * 100.0);
  if (done >= 1.0) fprintf(stderr, "\r%*s\r", width + 20, "");
  fflush(stderr);
}

/* NDCG@10 of weights on a data set */
double rank_ndcg10(const rank_dataset *data, const float *weights, size_t features) {
  double *scores = malloc(data->docs * sizeof *scores);
  rank_metrics m;
  if (scores == NULL) return NAN;
  rank_score(data, weights, features, scores);
  const int ok = rank_evaluate(data, scores, &m);
  free(scores);
  return ok ? m.ndcg[3] : NAN;
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
  if (!rank_dataset_load(s.train, s.query, s.features, &train, error, sizeof error)) {
    fprintf(stderr, "mrank train: %s\n", error);
    return 2;
  }
  if (s.valid != NULL &&
      !rank_dataset_load(s.valid, s.valid_query, train.features, &valid, error, sizeof error)) {
    fprintf(stderr, "mrank train: %s%s\n", error, s.features == 0 ? rank_features_hint(error) : "");
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
  float *current = calloc(train.features, sizeof(float));
  rank_trainer *trainer =
      rank_trainer_create(&train, s.selector, s.profile, s.options.scale, error, sizeof error);
  if (trainer == NULL || best.weights == NULL || current == NULL ||
      !rank_trainer_reset(trainer, &s.options, error, sizeof error)) {
    fprintf(stderr, "mrank train: %s\n",
            trainer != NULL && (best.weights == NULL || current == NULL) ? "out of memory" : error);
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
  signal(SIGINT, on_interrupt);
  bar progress = {isatty(2), 0};
  double best_ndcg = -1.0, elapsed = 0.0;
  size_t pairs_trained = 0;
  rank_stage_times stages = {0, 0, 0, 0, 0};
  unsigned since_best = 0;
  for (unsigned epoch = 1; epoch <= s.options.epochs && !interrupted; ++epoch) {
    rank_epoch_report report;
    progress.epoch = epoch;
    if (!rank_trainer_epoch(trainer, epoch, &report, draw_bar, &progress, error, sizeof error) ||
        !rank_trainer_weights(trainer, current, error, sizeof error)) {
      fprintf(stderr, "mrank train: epoch %u: %s\n", epoch, error);
      goto done;
    }
    if (!rank_weights_finite(current, train.features, report.train_loss)) {
      fprintf(stderr,
              "mrank train: epoch %u: the loss or the weights are no longer finite numbers (the "
              "training diverged); lower --lr (%g now)%s\n",
              epoch, s.options.lr,
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
    elapsed += report.seconds;
    pairs_trained += report.pairs;
    stages.gemv += report.stages.gemv;
    stages.gather += report.stages.gather;
    stages.loss += report.stages.loss;
    stages.scatter += report.stages.scatter;
    stages.update += report.stages.update;
    double ndcg = NAN;
    int better = 1;
    if (s.valid != NULL) {
      ndcg = rank_ndcg10(&valid, current, train.features);
      better = ndcg > best_ndcg;
    }
    if (better) {
      best_ndcg = ndcg;
      memcpy(best.weights, current, train.features * sizeof(float));
      best.best_epoch = epoch;
      since_best = 0;
    } else {
      since_best++;
    }
    if (!s.quiet) {
      printf("epoch %3u  loss %.6f", epoch, report.train_loss);
      if (s.valid != NULL) printf("  valid NDCG@10 %.4f%s", ndcg, better ? " *" : "  ");
      printf("  %.3g pairs/s  %.2f s\n", report.seconds > 0 ? report.pairs / report.seconds : 0.0,
             elapsed);
      fflush(stdout);
    }
    if (s.checkpoint && !rank_model_save(&best, s.model, error, sizeof error)) {
      fprintf(stderr, "mrank train: %s\n", error);
      goto done;
    }
    if (s.valid != NULL && s.options.patience > 0 && since_best >= s.options.patience) {
      if (!s.quiet) printf("early stop: no better validation NDCG@10 for %u epochs\n", since_best);
      break;
    }
  }
  if (interrupted) fprintf(stderr, "mrank train: interrupted; writing the best model so far\n");
  if (!rank_model_save(&best, s.model, error, sizeof error)) {
    fprintf(stderr, "mrank train: %s\n", error);
    goto done;
  }
  if (!s.quiet) {
    printf("model (epoch %u%s) written to %s\n", best.best_epoch,
           s.valid != NULL ? ", best validation NDCG@10" : "", s.model);
  }
  if (s.profile) {
    const double device =
        stages.gemv + stages.gather + stages.loss + stages.scatter + stages.update;
    printf("%zu pairs in %.3f s: %.3g pairs/s; device time by stage (profiling events):\n",
           pairs_trained, elapsed, elapsed > 0 ? (double)pairs_trained / elapsed : 0.0);
    const char *names[] = {"GEMV (scores, X^T g)", "gather", "loss (fused)", "scatter", "update"};
    const double times[] = {stages.gemv, stages.gather, stages.loss, stages.scatter, stages.update};
    for (int k = 0; k < 5; ++k) {
      printf("  %-22s %9.3f ms  %5.1f%%\n", names[k], times[k] * 1e3,
             device > 0 ? 100.0 * times[k] / device : 0.0);
    }
    printf("  %-22s %9.3f ms of %.3f ms wall\n", "device total", device * 1e3, elapsed * 1e3);
  }
  status = interrupted ? 130 : 0;
done:
  rank_trainer_destroy(trainer);
  rank_model_free(&best);
  free(current);
  rank_dataset_free(&train);
  rank_dataset_free(&valid);
  return status;
}

/* --- eval and predict --- */

static int load_for_model(const char *model_path, const char *data_path, const char *query_path,
                          rank_model *model, rank_dataset *data, const char *command) {
  char error[1024];
  if (!rank_model_load(model_path, 0, model, error, sizeof error)) {
    fprintf(stderr, "mrank %s: %s\n", command, error);
    return 0;
  }
  /* the data is read with the model's feature count: an index beyond it is refused */
  if (!rank_dataset_load(data_path, query_path, model->features, data, error, sizeof error)) {
    if (rank_error_beyond_features(error)) {
      fprintf(stderr, "mrank %s: %s (the model %s has %zu features)\n", command, error, model_path,
              model->features);
    } else {
      fprintf(stderr, "mrank %s: %s\n", command, error);
    }
    rank_model_free(model);
    return 0;
  }
  return 1;
}

static int parse_files(int argc, char **argv, const char *command, const char **model,
                       const char **data, const char **query, int *json) {
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    if (json != NULL && strcmp(arg, "--json") == 0) {
      *json = 1;
      continue;
    }
    const char **target = mrank_is_option(arg, "--model")                    ? model
                          : mrank_is_option(arg, "--data")                   ? data
                          : query != NULL && mrank_is_option(arg, "--query") ? query
                                                                             : NULL;
    if (target == NULL) {
      fprintf(stderr, "mrank %s: unknown option \"%s\"; see 'mrank %s --help'\n", command, arg,
              command);
      return 0;
    }
    const char *name = target == model ? "--model" : target == data ? "--data" : "--query";
    if ((*target = mrank_option_value(argc, argv, &i, name)) == NULL) return 0;
  }
  if (*model == NULL || *data == NULL) {
    fprintf(stderr, "mrank %s: --model and --data are required\n", command);
    return 0;
  }
  return 1;
}

static void print_metrics(const rank_metrics *m, int json, const char *what) {
  if (json) {
    printf("{\"scored_by\": ");
    mrank_json_string(stdout, what);
    printf(", \"queries\": %zu, \"pairs\": %zu", m->queries, m->pairs);
    for (int c = 0; c < 4; ++c)
      printf(", \"ndcg@%d\": %.6f", rank_metric_cutoffs[c], m->ndcg[c]);
    for (int c = 0; c < 4; ++c) {
      printf(", \"precision@%d\": %.6f", rank_metric_cutoffs[c], m->precision[c]);
    }
    printf(", \"map\": %.6f, \"pair_accuracy\": %.6f}\n", m->map, m->pair_accuracy);
    return;
  }
  printf("%s: %zu queries, %zu ordered pairs\n", what, m->queries, m->pairs);
  printf("NDCG       @1 %.4f  @3 %.4f  @5 %.4f  @10 %.4f\n", m->ndcg[0], m->ndcg[1], m->ndcg[2],
         m->ndcg[3]);
  printf("precision  @1 %.4f  @3 %.4f  @5 %.4f  @10 %.4f\n", m->precision[0], m->precision[1],
         m->precision[2], m->precision[3]);
  printf("MAP        %.4f\npair accuracy %.4f\n", m->map, m->pair_accuracy);
}

/* The feature (and sign) with the best NDCG@10 on `train`, used alone as the score. */
static int best_feature(const rank_dataset *train, size_t *feature, double *sign) {
  double *scores = malloc(train->docs * sizeof *scores), best = -1.0;
  rank_metrics m;
  if (scores == NULL) return 0;
  for (size_t f = 0; f < train->features; ++f) {
    for (int direction = 0; direction < 2; ++direction) {
      const double s = direction ? -1.0 : 1.0;
      for (size_t d = 0; d < train->docs; ++d)
        scores[d] = s * train->x[d * train->features + f];
      if (rank_evaluate(train, scores, &m) && m.ndcg[3] > best) {
        best = m.ndcg[3];
        *feature = f;
        *sign = s;
      }
    }
  }
  free(scores);
  return best >= 0.0;
}

int mrank_cmd_eval(int argc, char **argv) {
  const char *model_path = NULL, *data_path = NULL, *query_path = NULL, *baseline = NULL;
  const char *train_path = NULL, *train_query = NULL;
  int json = 0;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(mrank_eval_help, stdout);
      return 0;
    }
    if (strcmp(arg, "--json") == 0) {
      json = 1;
      continue;
    }
    static const char *const names[] = {"--model",    "--data",  "--query",
                                        "--baseline", "--train", "--train-query"};
    const char **targets[] = {&model_path, &data_path,  &query_path,
                              &baseline,   &train_path, &train_query};
    int which = -1;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k) {
      if (mrank_is_option(arg, names[k])) which = k;
    }
    if (which < 0) {
      fprintf(stderr, "mrank eval: unknown option \"%s\"; see 'mrank eval --help'\n", arg);
      return 2;
    }
    if ((*targets[which] = mrank_option_value(argc, argv, &i, names[which])) == NULL) return 2;
  }
  if (data_path == NULL || (model_path == NULL) == (baseline == NULL)) {
    fprintf(stderr, "mrank eval: give --data, and --model or --baseline (not both)\n");
    return 2;
  }
  if (baseline != NULL && strcmp(baseline, "random") != 0 &&
      strcmp(baseline, "best-feature") != 0) {
    fprintf(stderr, "mrank eval: --baseline is random or best-feature, not \"%s\"\n", baseline);
    return 2;
  }
  if (baseline != NULL && strcmp(baseline, "best-feature") == 0 && train_path == NULL) {
    fprintf(stderr, "mrank eval: --baseline best-feature chooses the feature on --train FILE\n");
    return 2;
  }
  char error[1024], what[512];
  rank_model model;
  rank_dataset data, train;
  memset(&model, 0, sizeof model);
  memset(&train, 0, sizeof train);
  if (model_path != NULL) {
    if (!load_for_model(model_path, data_path, query_path, &model, &data, "eval")) return 2;
    snprintf(what, sizeof what, "model %s", model_path);
  } else if (!rank_dataset_load(data_path, query_path, 0, &data, error, sizeof error)) {
    fprintf(stderr, "mrank eval: %s\n", error);
    return 2;
  }
  int status = 2;
  double *scores = malloc(data.docs * sizeof *scores);
  rank_metrics m;
  if (data.queries == 0) {
    fprintf(stderr, "mrank eval: %s has no query groups (give qid: tokens or --query FILE)\n",
            data_path);
  } else if (scores == NULL) {
    fprintf(stderr, "mrank eval: out of memory\n");
  } else if (model_path != NULL) {
    rank_score(&data, model.weights, model.features, scores);
    status = rank_evaluate(&data, scores, &m) ? 0 : 2;
  } else if (strcmp(baseline, "random") == 0) {
    mrank_random random = {1};
    for (size_t d = 0; d < data.docs; ++d)
      scores[d] = (double)mrank_random_next(&random);
    snprintf(what, sizeof what, "random order (seed 1)");
    status = rank_evaluate(&data, scores, &m) ? 0 : 2;
  } else if (!rank_dataset_load(train_path, train_query, data.features, &train, error,
                                sizeof error)) {
    fprintf(stderr, "mrank eval: %s\n", error);
  } else {
    size_t feature = 0;
    double sign = 1.0;
    if (train.queries > 0 && best_feature(&train, &feature, &sign)) {
      for (size_t d = 0; d < data.docs; ++d)
        scores[d] = sign * data.x[d * data.features + feature];
      snprintf(what, sizeof what, "best single feature on %s: %s%zu", train_path,
               sign < 0 ? "-" : "", feature + 1);
      status = rank_evaluate(&data, scores, &m) ? 0 : 2;
    } else {
      fprintf(stderr, "mrank eval: %s has no query groups\n", train_path);
    }
  }
  if (status == 0) print_metrics(&m, json, what);
  free(scores);
  rank_model_free(&model);
  rank_dataset_free(&data);
  rank_dataset_free(&train);
  return status;
}

int mrank_cmd_predict(int argc, char **argv) {
  const char *model_path = NULL, *data_path = NULL;
  const int parsed = parse_files(argc, argv, "predict", &model_path, &data_path, NULL, NULL);
  if (parsed < 0) {
    fputs(mrank_predict_help, stdout);
    return 0;
  }
  if (parsed == 0) return 2;
  rank_model model;
  rank_dataset data;
  if (!load_for_model(model_path, data_path, NULL, &model, &data, "predict")) return 2;
  double *scores = malloc(data.docs * sizeof *scores);
  if (scores != NULL) {
    rank_score(&data, model.weights, model.features, scores);
    for (size_t d = 0; d < data.docs; ++d)
      printf("%.9g\n", scores[d]);
  }
  free(scores);
  rank_model_free(&model);
  rank_dataset_free(&data);
  return scores != NULL ? 0 : 2;
}
