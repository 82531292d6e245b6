/* train.c: `mrank train`, a linear pairwise ranker trained on the device, with validation, early
 * stopping and checkpoints. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/train_options.h"
#include "rank/dataset.h"
#include "rank/fit.h"
#include "rank/model.h"
#include "random.h"
#include "rank/select.h"
#include "rank/subset.h"
#include "rank/trainer.h"
#include "cli/train_mlp.h"
#ifdef MRANK_HAVE_MPI
#include "cli/mpi_train.h"
#endif

const char mrank_train_help[] =
    "usage: mrank train --train FILE [--query FILE] --model OUT [options]\n"
    "\n"
    "Trains a pairwise ranker with the margin ranking loss of mrank: by default the linear\n"
    "scorer (RankSVM's model: score = w . x, a hinge on score differences) by averaged minibatch\n"
    "SGD on an OpenCL device (or several: --device all); --scorer mlp trains a neural scorer\n"
    "instead (its options below). Pairs: within each query, every (i, j) with\n"
    "label_i > label_j. The gradient is added up per query, then over a batch's queries in the\n"
    "order of their numbers: a seed gives the same model bits on the host, one device, several\n"
    "devices and any number of MPI ranks.\n"
    "\n"
    "With no options it holds out a seeded 20% of the training queries, walks an L2 path (1,\n"
    "0.1, ... 1e-6, each step warm-started from the last, early-stopped on held-out NDCG@10),\n"
    "takes the step and epoch of best held-out NDCG@10 and replays that walk on all the queries;\n"
    "the choice is printed and stored in the model. --l2 fixes the L2 (the epoch count is still\n"
    "chosen); --valid FILE chooses on FILE (no queries held out, no replay); --holdout 0 trains\n"
    "--epochs epochs as given, choosing nothing.\n"
    "\n"
    "  --train FILE          SVMlight / LETOR text: label [qid:Q] index:value ... [# comment]\n"
    "  --query FILE          LightGBM group file (one document count per line), if FILE has no\n"
    "                        qid:\n"
    "  --valid FILE          validation data (--valid-query FILE for its groups): the choices are\n"
    "                        made on it; the per-epoch lines show train and valid NDCG@10\n"
    "  --holdout F           fraction of the training queries held out for the choices (default\n"
    "                        0.2; 0: none)\n"
    "  --model OUT           where the model goes (written atomically)\n"
    "  --margin M            hinge margin (default 1)\n"
    "  --lr R                learning rate (default 0.05)\n"
    "  --l2 L                L2 penalty on w (default: chosen; 0.0001 with --holdout 0)\n"
    "  --l1 L                L1 penalty on w (default 0): a soft-threshold step after each "
    "update,\n"
    "                        so weights reach exactly zero; the count of non-zero weights is\n"
    "                        printed\n"
    "  --momentum B          momentum (default 0.9)\n"
    "  --epochs E            most epochs of a run, or of each L2 step (default 30)\n"
    "  --batch-queries Q     queries per minibatch (default 8)\n"
    "  --pairs-per-query K   sample at most K pairs per query per epoch (default 0: all)\n"
    "  --patience E          stop a run (an L2 step) after E epochs without a better validation\n"
    "                        NDCG@10 (default 5; 0 never stops early)\n"
    "  --seed S              seed of the held-out queries, the batch order and the pair sampling\n"
    "                        (default 1)\n"
    "  --features N          feature count (default: the largest index in the training data)\n"
    "  --max-label N         relevance labels must lie in 0..N (default 31, LightGBM's limit;\n"
    "                        gains are 2^label - 1); at most 1000\n"
    "  --scale MODE          auto (default): a feature whose largest |value| in the training data\n"
    "                        is above 1 is divided by it, so raw counts and scores train with the\n"
    "                        default --lr, and features within [-1, 1] are left as they are;\n"
    "                        max: every feature divided by its largest |value|; none. The model's\n"
    "                        weights are in the data's own units either way\n"
    "  --no-average          the model is the last SGD iterate, not the average of w over the\n"
    "                        run's steps (--average, the default: less variance between seeds)\n"
    "  --checkpoint          write the model after every epoch (while choosing: the best weights\n"
    "                        of the walk so far); an interrupted run keeps the last\n"
    "  --device SEL          gpu, cpu, accelerator, host (the CPU reference), P:D or a name;\n"
    "                        several at once (data parallel, each a share of the queries): all,\n"
    "                        gpu:all, cpu:all or a list such as 0:0,0:1 (mrank devices --select\n"
    "                        SEL shows which)\n";

const char mrank_train_help_more[] =
    "  --mpi                 run as one rank of `mpirun -n K mrank train --mpi ...`: each rank\n"
    "                        reads its share of the queries (whole queries, by byte range of the\n"
    "                        file), trains on its --device, and the ranks add their gradients\n"
    "                        every step. Trains the options as given (as --holdout 0: --l2\n"
    "                        default 0.0001), choosing the epoch on --valid FILE (also read in\n"
    "                        shares) when given. Rank 0 writes the model; when any rank fails\n"
    "                        every rank exits 2, rank 0 prints that rank's message, and no model\n"
    "                        is written. (Needs an mrank built with MPI: see mrank --version.)\n"
    "  --allreduce MODE      with --mpi: ordered (default: the gradients gathered in rank order,\n"
    "                        added on rank 0 one after another and broadcast, so any K gives the\n"
    "                        model bits of one process), or fast (MPI_Allreduce: fewer bytes\n"
    "                        through rank 0, equal to ordered within float rounding)\n"
    "  --scorer linear|mlp   the scorer (default linear). mlp: a multilayer perceptron (ReLU) on\n"
    "                        the features and their bins, standardised with the training data's\n"
    "                        mean and deviation (kept in the model); its options, with their\n"
    "                        defaults:\n"
    "    --hidden 64,32      1 to 4 hidden layer sizes\n"
    "    --bins 8            each feature also enters as up to N bins at its training quantiles\n"
    "                        (a piecewise-linear encoding: where in the training data a value\n"
    "                        lies); 0: the features alone\n"
    "    --dropout 0.3       after each hidden layer\n"
    "    --optimizer adam    sgd, momentum (--momentum) or adam; --lr default 1e-3 for adam,\n"
    "                        0.01 otherwise; --epochs default 60\n"
    "    --weight-decay 1e-4 added to the gradient (PyTorch's weight_decay)\n"
    "    --skip base         the score is a linear term of the features plus the network's.\n"
    "                        base: the linear term is the linear scorer, trained first as with\n"
    "                        no options and held while the network learns what it misses (the\n"
    "                        epoch count may then be 0: the linear scorer alone); linear: a\n"
    "                        linear term trained with the network; none: the network alone\n"
    "    --average           the model is the running average of the parameters (off for mlp)\n"
    "    --gemm auto         the device's kernels for the layers: dense (mrank's own: one launch\n"
    "                        a layer, built offline by mrank compile too), clblast (CLBlast's\n"
    "                        GEMM), or auto (clblast on GPUs, dense elsewhere). Same network,\n"
    "                        same maths; the sums' order, so the last bits, differ\n"
    "                        The epoch count is chosen as for linear (held-out folds, then a\n"
    "                        refit); with --skip base, as the fewest epochs within one\n"
    "                        standard error of the folds' best, so that the network is kept\n"
    "                        only where it ranks held-out queries clearly better. One device,\n"
    "                        no --mpi.\n"
    "  --quiet               no per-epoch or per-step lines\n"
    "  --profile             time each stage on the device (scores and gradient rows, gather,\n"
    "                        loss, scatter, update; the MLP: GEMMs, activation, ...)\n"
    "                        with profiling events, and print the split after training\n"
    "\n"
    "SIGINT (Ctrl-C) or SIGTERM ends the run after the epoch under way and writes the best model\n"
    "so far, said for what it is: while train is still choosing, the best point of the walk so\n"
    "far under the l2 and path that trained it, and the closing line says on which fold's "
    "queries;\n"
    "before any epoch ended, nothing. Data with no pair to learn from (every query's documents\n"
    "share one label) is refused.\n"
    "\n"
    "Exit status: 0 done, 1 training failed or diverged, 2 usage, data, device or file error,\n"
    "130 or 143 interrupted (SIGINT, SIGTERM).\n";

typedef struct train_settings {
  const char *train, *query, *valid, *valid_query, *model, *selector;
  size_t features;
  int checkpoint, quiet, profile;
  int mpi, allreduce_fast, allreduce_given;
  int mlp, mlp_given, lr_given, epochs_given; /* --scorer mlp; an MLP option; --lr, --epochs */
  int average_given;                          /* --average: the MLP averages only when asked */
  rank_mlp_options mlp_options;
  double max_label;
  rank_options options;
} train_settings;

/* --scorer, --hidden, --dropout, --optimizer, --weight-decay, --skip, --gemm, --bins: 1 taken, 0
 * not one of them, -1 a bad value (said) */
static int parse_scorer_option(int argc, char **argv, int *i, train_settings *s) {
  const char *arg = argv[*i];
  static const char *const names[] = {"--scorer",       "--hidden", "--dropout", "--optimizer",
                                      "--weight-decay", "--skip",   "--gemm",    "--bins"};
  int which = -1;
  for (int k = 0; k < 8; ++k) {
    if (mrank_is_option(arg, names[k])) which = k;
  }
  if (which < 0) return 0;
  const char *value = mrank_option_value(argc, argv, i, names[which]);
  if (value == NULL) return -1;
  char error[256];
  rank_mlp_options *m = &s->mlp_options;
  if (which == 0) {
    if (strcmp(value, "linear") != 0 && strcmp(value, "mlp") != 0) {
      mrank_error("--scorer is linear or mlp, not \"%s\"", value);
      return -1;
    }
    s->mlp = strcmp(value, "mlp") == 0;
  } else if (which == 1) {
    if (!rank_mlp_parse_hidden(value, &m->shape, error, sizeof error)) {
      mrank_error("--hidden %s", error);
      return -1;
    }
  } else if (which == 5) {
    if (!mrank_mlp_skip_parse(value, m)) {
      mrank_error("--skip is base, linear or none, not \"%s\"", value);
      return -1;
    }
  } else if (which == 7) {
    char *end = NULL;
    const unsigned long bins = strtoul(value, &end, 10);
    if (end == value || *end != '\0' || value[0] == '-' || bins > RANK_ENCODING_MAX_BINS) {
      mrank_error("--bins is a whole number from 0 to %zu, not \"%s\"", RANK_ENCODING_MAX_BINS,
                  value);
      return -1;
    }
    m->bins = bins;
  } else if (which == 6) {
    const int layers = rank_mlp_layers_parse(value);
    if (layers < 0) {
      mrank_error("--gemm is auto, dense or clblast, not \"%s\"", value);
      return -1;
    }
    m->layers = (rank_mlp_layers)layers;
  } else if (which == 3) {
    const int optimizer = rank_optimizer_parse(value);
    if (optimizer < 0) {
      mrank_error("--optimizer is sgd, momentum or adam, not \"%s\"", value);
      return -1;
    }
    m->optimizer = (rank_optimizer)optimizer;
  } else {
    char *end = NULL;
    const double number = strtod(value, &end);
    const int ok = end != value && *end == '\0' && number >= 0.0 &&
                   (which == 4 ? isfinite(number) : number < 1.0);
    if (!ok) {
      mrank_error("%s must be %s, not \"%s\"", names[which],
                  which == 2 ? "a probability in [0, 1)" : "a number >= 0", value);
      return -1;
    }
    if (which == 2) m->dropout = number;
    if (which == 4) m->weight_decay = number;
  }
  s->mlp_given |= which != 0; /* --scorer itself is no MLP option: --scorer linear is fine */
  return 1;
}

static int parse_train(int argc, char **argv, train_settings *s) {
  rank_default_options(&s->options);
  s->options.l2 = NAN; /* not given: chosen */
  s->max_label = RANK_DEFAULT_MAX_LABEL;
  rank_mlp_default_options(&s->mlp_options);
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    if (mrank_is_option(arg, "--lr")) s->lr_given = 1;
    if (mrank_is_option(arg, "--epochs")) s->epochs_given = 1;
    if (strcmp(arg, "--average") == 0) s->average_given = 1;
    const int scorer = parse_scorer_option(argc, argv, &i, s);
    if (scorer < 0) return 0;
    if (scorer > 0) continue;
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
    if (strcmp(arg, "--profile") == 0) {
      s->profile = 1;
      continue;
    }
    if (strcmp(arg, "--mpi") == 0) {
      s->mpi = 1;
      continue;
    }
    if (mrank_is_option(arg, "--allreduce")) {
      const char *value = mrank_option_value(argc, argv, &i, "--allreduce");
      if (value == NULL) return 0;
      if (strcmp(value, "ordered") != 0 && strcmp(value, "fast") != 0) {
        mrank_error("--allreduce is ordered or fast, not \"%s\"", value);
        return 0;
      }
      s->allreduce_fast = strcmp(value, "fast") == 0;
      s->allreduce_given = 1;
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
  if (s->allreduce_given && !s->mpi) {
    mrank_error("--allreduce goes with --mpi (under mpirun)");
    return 0;
  }
  if (s->mlp_given && !s->mlp) {
    mrank_error(
        "--hidden, --bins, --dropout, --optimizer, --weight-decay, --skip and --gemm go with "
        "--scorer mlp");
    return 0;
  }
  if (s->mlp && (s->mpi || s->checkpoint)) {
    mrank_error("--scorer mlp trains on one device, without %s", s->mpi ? "--mpi" : "--checkpoint");
    return 0;
  }
  if (s->mpi && (s->checkpoint || s->profile)) {
    mrank_error("--mpi trains without %s; leave it out",
                s->checkpoint ? "--checkpoint" : "--profile");
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
  const rank_dataset *train; /* for the train NDCG@10 of the per-epoch line (with --valid) */
  rank_model *best;
  int bar;       /* stderr is a terminal */
  int has_valid; /* the run is scored on validation data */
  int per_epoch; /* print a line per epoch (a run of one L2) */
  int checkpoint_failed;
  char error[1024]; /* a checkpoint failure seen by the step callback */
  /* while choosing: the walk's curves, whose best point says how run->best's weights were
   * trained; how many queries trained them (the fold's), of how many */
  const rank_path_curves *curves;
  size_t trained_queries, kept_queries, all_queries;
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

/* The path and the choice written into the model. */
static void record_choice(rank_model *model, const rank_selection *selection) {
  model->path_count = selection->count;
  for (size_t k = 0; k < selection->count; ++k) {
    model->path_l2[k] = selection->l2[k];
    model->path_epochs[k] = selection->epochs[k];
  }
  model->options.l2 = selection->l2[selection->count - 1];
  model->best_epoch = selection->epochs[selection->count - 1];
}

/* run->best takes the description of the walk's best point (its l2 and the path that leads to it),
 * the weights being those the walk kept; 0 when it kept none yet. */
static int describe_walk_point(train_run *run) {
  rank_selection point;
  if (run->curves == NULL || !rank_path_best_point(run->curves, &point)) return 0;
  record_choice(run->best, &point);
  return 1;
}

static int after_epoch(const rank_fit_epoch *e, void *user, char *error, size_t error_size) {
  train_run *run = user;
  const train_settings *s = run->settings;
  /* the walk under way has just kept these weights: they are trained on its queries */
  if (run->curves != NULL && run->curves->best_found &&
      run->curves->best_walk == run->curves->folds) {
    run->kept_queries = run->trained_queries;
  }
  if (run->per_epoch && e->better) {
    memcpy(run->best->weights, e->weights, run->best->features * sizeof(float));
    run->best->best_epoch = e->report->epoch;
  }
  if (!s->quiet && run->per_epoch) {
    printf("epoch %3u  loss %.6f", e->report->epoch, e->report->train_loss);
    if (run->has_valid) {
      printf("  train NDCG@10 %.4f  valid NDCG@10 %.4f%s",
             rank_ndcg10(run->train, e->weights, run->best->features), e->valid_ndcg,
             e->better ? " *" : "  ");
    }
    printf("  %.3g pairs/s  %.2f s\n",
           e->report->seconds > 0 ? e->report->pairs / e->report->seconds : 0.0,
           e->report->seconds);
    fflush(stdout);
  }
  if (!s->checkpoint) return 1;
  /* while choosing, the walk has put its best weights so far in run->best before this call: the
   * checkpoint holds them under the l2 and path that trained them, never an unchosen l2 */
  if (!run->per_epoch && !describe_walk_point(run)) return 1;
  if (!rank_model_save(run->best, s->model, error, error_size)) {
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
  const char *names[] = {"scores and gradient rows", "gather", "loss (fused)", "scatter", "update"};
  const double times[] = {t->gemv, t->gather, t->loss, t->scatter, t->update};
  for (int k = 0; k < 5; ++k) {
    printf("  %-22s %9.3f ms  %5.1f%%\n", names[k], times[k] * 1e3,
           device > 0 ? 100.0 * times[k] / device : 0.0);
  }
  printf("  %-22s %9.3f ms of %.3f ms wall\n", "device total", device * 1e3, r->seconds * 1e3);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A trainer on data, with the set-up line (device, sizes, scaling, seconds) unless quiet. */
static rank_trainer *make_trainer(const train_settings *s, const rank_dataset *data,
                                  const char *what, char *error, size_t error_size) {
  const double start = now();
  rank_trainer *trainer =
      rank_trainer_create(data, s->selector, s->profile, s->options.scale, error, error_size);
  if (trainer == NULL || s->quiet) return trainer;
  printf("%s on \"%s\": %zu documents, %zu queries, %zu features", what,
         rank_trainer_device(trainer), data->docs, data->queries, data->features);
  const size_t scaled = rank_trainer_scaled_features(trainer);
  if (scaled > 0)
    printf(" (%zu scaled to [-1, 1], --scale %s)", scaled, rank_scale_name(s->options.scale));
  printf("; set-up %.2f s\n", now() - start);
  fflush(stdout);
  return trainer;
}

/* What a training run did, for the exit status and the closing lines. */
typedef struct train_outcome {
  unsigned diverged_at, stale_epochs;
  int interrupted;
  rank_fit_result fit; /* the run whose profile is printed */
  /* an interruption while choosing: what the written weights are (empty: what was chosen) */
  char written[256];
} train_outcome;

/* --holdout 0 (or too few queries to hold any out): --epochs epochs with the options as given. */
static int train_plain(const train_settings *s, const rank_dataset *train,
                       const rank_dataset *valid, train_run *run, train_outcome *outcome,
                       char *error, size_t error_size) {
  rank_trainer *trainer = make_trainer(s, train, "training", error, error_size);
  if (trainer == NULL) return 0;
  run->per_epoch = 1;
  const rank_fit_hooks hooks = {draw_bar, after_epoch, run, &mrank_interrupted, NULL, NULL};
  outcome->fit.best_weights = run->best->weights;
  const int ok = rank_fit(trainer, train->features, valid, &s->options, &hooks, &outcome->fit,
                          error, error_size);
  if (!ok && outcome->fit.failed_at > 0 && !run->checkpoint_failed) {
    char prefix[32];
    const int length = snprintf(prefix, sizeof prefix, "epoch %u: ", outcome->fit.failed_at);
    const size_t used = strlen(error);
    if (length > 0 && used + (size_t)length < error_size) {
      memmove(error + length, error, used + 1);
      memcpy(error, prefix, (size_t)length);
    }
  }
  run->best->best_epoch = outcome->fit.best_epoch;
  outcome->diverged_at = outcome->fit.diverged_at;
  outcome->stale_epochs = outcome->fit.stale_epochs;
  outcome->interrupted = outcome->fit.interrupted;
  if (outcome->fit.setup_seconds > 0 && !s->quiet) {
    printf("(pairs made and put on the device: %.2f s, not in the epochs' times)\n",
           outcome->fit.setup_seconds);
  }
  rank_trainer_destroy(trainer);
  return ok;
}

static void print_curves(const rank_path_curves *curves) {
  for (size_t k = 0; k < curves->steps; ++k) {
    unsigned epoch = 0;
    double ndcg = 0.0;
    if (!rank_path_step_best(curves, k, &epoch, &ndcg)) {
      printf("  l2 %-8.3g (not reached: an earlier step diverged)\n", curves->l2[k]);
      continue;
    }
    printf("  l2 %-8.3g valid NDCG@10 %.4f at epoch %2u of %2u\n", curves->l2[k], ndcg, epoch,
           curves->epochs[k]);
  }
}

/* The walk on every fold (or on --valid FILE), averaged into the curves. */
static int walk_folds(const train_settings *s, const rank_dataset *train, const rank_dataset *valid,
                      train_run *run, rank_path_curves *curves, int *interrupted, char *error,
                      size_t error_size) {
  rank_folds folds = {NULL, 1, 0};
  if (valid == NULL && !rank_make_folds(train, s->options.holdout, &folds)) {
    snprintf(error, error_size, "out of memory for the held-out queries");
    return 0;
  }
  if (!s->quiet) {
    if (valid == NULL) {
      printf("choosing %s on held-out queries: %zu fold(s) of %zu queries each\n",
             curves->steps > 1 ? "l2 (1 ... 1e-06, warm-started) and the epoch count"
                               : "the epoch count",
             folds.count, folds.held_out);
    } else {
      printf("choosing %s on %zu validation queries\n",
             curves->steps > 1 ? "l2 (1 ... 1e-06, warm-started) and the epoch count"
                               : "the epoch count",
             valid->queries);
    }
  }
  int ok = 1;
  const rank_fit_hooks hooks = {draw_bar, after_epoch, run, &mrank_interrupted, NULL, NULL};
  for (size_t k = 0; k < folds.count && ok && !*interrupted; ++k) {
    rank_dataset inner, held_out;
    memset(&inner, 0, sizeof inner);
    memset(&held_out, 0, sizeof held_out);
    if (valid == NULL && !rank_fold_parts(train, &folds, k, &inner, &held_out)) {
      snprintf(error, error_size, "out of memory for the held-out queries");
      ok = 0;
      break;
    }
    char what[64];
    snprintf(what, sizeof what, "fold %zu of %zu", k + 1, folds.count);
    run->trained_queries = valid == NULL ? inner.queries : train->queries;
    rank_trainer *trainer = make_trainer(s, valid == NULL ? &inner : train,
                                         valid == NULL ? what : "training", error, error_size);
    ok = trainer != NULL &&
         rank_path_walk(trainer, train->features, valid == NULL ? &held_out : valid, &s->options,
                        &hooks, curves, run->best->weights, interrupted, error, error_size);
    rank_trainer_destroy(trainer);
    rank_dataset_free(&inner);
    rank_dataset_free(&held_out);
  }
  free(folds.order);
  return ok;
}

/* What an interrupted choice writes, for the closing line: the walk's best point, on which
 * queries it was trained, and when the run stopped. */
static void describe_interrupted(train_outcome *outcome, int on_valid, unsigned walk,
                                 const train_run *run, const char *when) {
  if (on_valid) {
    snprintf(outcome->written, sizeof outcome->written,
             "the best point on --valid so far; interrupted %s", when);
  } else {
    snprintf(outcome->written, sizeof outcome->written,
             "the best point of fold %u's walk, trained on %zu of the %zu queries; interrupted "
             "%s",
             walk, run->kept_queries, run->all_queries, when);
  }
}

/* The choice of l2 and the epoch count, on --valid FILE or on held-out folds, then (with held-out
 * folds) the replay on all the queries. */
static int train_choosing(const train_settings *s, const rank_dataset *train,
                          const rank_dataset *valid, train_run *run, train_outcome *outcome,
                          char *error, size_t error_size) {
  const int l2_given = !isnan(s->options.l2);
  const double *path = l2_given ? &s->options.l2 : rank_default_l2_path;
  const size_t path_count = l2_given ? 1 : sizeof rank_default_l2_path / sizeof(double);
  /* later steps start from the step before: a third of the epochs carries them */
  const unsigned later = s->options.epochs / 3 > 0 ? s->options.epochs / 3 : 1;
  rank_path_curves curves;
  if (!rank_path_curves_init(&curves, path, path_count, s->options.epochs, later)) {
    snprintf(error, error_size, "out of memory");
    return 0;
  }
  run->per_epoch = valid != NULL && path_count == 1;
  run->has_valid = valid != NULL;
  run->curves = run->per_epoch ? NULL : &curves;
  run->all_queries = train->queries;
  int ok = walk_folds(s, train, valid, run, &curves, &outcome->interrupted, error, error_size);
  rank_selection selection, walk_point;
  const int chosen = ok && !outcome->interrupted && rank_path_choose(&curves, &selection);
  const int kept = rank_path_best_point(&curves, &walk_point);
  const unsigned kept_walk = curves.best_walk;
  if (ok && !s->quiet && path_count > 1 && !outcome->interrupted) print_curves(&curves);
  rank_path_curves_free(&curves);
  run->curves = NULL;
  if (!ok) return 0;
  if (outcome->interrupted) {
    /* nothing was chosen: the weights written are the walk's best point, described as such */
    if (run->per_epoch) {
      snprintf(outcome->written, sizeof outcome->written,
               "the best epoch on --valid so far; interrupted before the last epoch");
    } else {
      run->best->best_epoch = 0;
      if (kept) {
        record_choice(run->best, &walk_point);
        describe_interrupted(outcome, valid != NULL, kept_walk, run, "before the choice");
      }
    }
    return 1;
  }
  if (!chosen) {
    outcome->diverged_at = 1;
    return 1;
  }
  record_choice(run->best, &selection);
  if (!s->quiet) {
    printf("chosen: l2 %g, %u epochs of its step (mean valid NDCG@10 %.4f)\n",
           selection.l2[selection.count - 1], selection.epochs[selection.count - 1],
           selection.valid_ndcg);
  }
  if (valid != NULL || outcome->interrupted) return 1; /* --valid: the chosen weights stand */

  /* the same walk on all the queries up to the choice */
  rank_trainer *trainer = make_trainer(s, train, "refit", error, error_size);
  if (trainer == NULL) return 0;
  run->per_epoch = 0;
  const rank_fit_hooks hooks = {draw_bar, NULL, run, &mrank_interrupted, NULL, NULL};
  float *chosen_so_far = malloc(train->features * sizeof *chosen_so_far);
  if (chosen_so_far != NULL) {
    memcpy(chosen_so_far, run->best->weights, train->features * sizeof *chosen_so_far);
  }
  const rank_fit_result *total = &outcome->fit;
  ok = chosen_so_far != NULL &&
       rank_replay(trainer, train->features, &s->options, &selection, &hooks, run->best->weights,
                   &outcome->fit, error, error_size);
  if (ok && !s->quiet) {
    printf("refit on all %zu queries: %u epochs over %zu step(s), %.3g pairs/s, %.2f s\n",
           train->queries, total->epochs_run, selection.count,
           total->seconds > 0 ? (double)total->pairs / total->seconds : 0.0, total->seconds);
  }
  if (!ok && mrank_interrupted && chosen_so_far != NULL) {
    /* the refit's weights are partial: the walk's best point is written, as what it is */
    memcpy(run->best->weights, chosen_so_far, train->features * sizeof *chosen_so_far);
    record_choice(run->best, &walk_point);
    describe_interrupted(outcome, valid != NULL, kept_walk, run, "during the refit on all");
    outcome->interrupted = 1;
    ok = 1;
  }
  free(chosen_so_far);
  rank_trainer_destroy(trainer);
  return ok;
}

static size_t nonzero_weights(const rank_model *model) {
  size_t count = 0;
  for (size_t f = 0; f < model->features; ++f)
    count += model->weights[f] != 0.0f;
  return count;
}

static int train_mpi(const train_settings *s) {
#ifdef MRANK_HAVE_MPI
  mpi_train_request request = {s->train,   s->query,          s->valid,    s->valid_query,
                               s->model,   s->selector,       s->features, s->max_label,
                               s->options, s->allreduce_fast, s->quiet};
  if (isnan(request.options.l2)) request.options.l2 = 1e-4;
  request.options.holdout = 0.0;
  return mrank_mpi_train(&request);
#else
  (void)s;
  mrank_error(
      "this mrank was built without MPI (mrank --version says so): install Open MPI "
      "(apt-get install openmpi-bin libopenmpi-dev) and rebuild (-DMRANK_MPI=ON)");
  return 2;
#endif
}

/* Under mpirun every rank parses the same command line, so one usage message is enough: while it
 * is parsed, the standard error of a rank after the first goes nowhere. Returns the saved
 * descriptor to restore, or -1 when nothing was redirected. */
static int quiet_other_ranks(int argc, char **argv) {
  int mpi = 0;
  for (int i = 0; i < argc; ++i)
    mpi |= strcmp(argv[i], "--mpi") == 0;
  const char *rank = getenv("OMPI_COMM_WORLD_RANK");
  if (rank == NULL) rank = getenv("PMIX_RANK");
  if (rank == NULL) rank = getenv("PMI_RANK");
  if (!mpi || rank == NULL || strcmp(rank, "0") == 0) return -1;
  fflush(stderr);
  const int saved = dup(STDERR_FILENO), nowhere = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (saved >= 0 && nowhere >= 0) dup2(nowhere, STDERR_FILENO);
  if (nowhere >= 0) close(nowhere);
  return saved;
}

static void restore_stderr(int saved) {
  if (saved < 0) return;
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
}

int mrank_cmd_train(int argc, char **argv) {
  train_settings s;
  memset(&s, 0, sizeof s);
  const int saved_stderr = quiet_other_ranks(argc, argv);
  const int parsed = parse_train(argc, argv, &s);
  restore_stderr(saved_stderr);
  if (parsed < 0) {
    fputs(mrank_train_help, stdout);
    fputs(mrank_train_help_more, stdout);
    return 0;
  }
  if (parsed == 0) return 2;
  if (s.mpi) return train_mpi(&s);
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
  if (s.mlp) {
    mlp_request request = {&train,     s.valid != NULL ? &valid : NULL,
                           s.selector, s.model,
                           s.options,  s.mlp_options,
                           s.quiet,    s.profile};
    /* the MLP's own defaults where not given: Adam's 1e-3, and room for early stopping */
    if (!s.lr_given) request.options.lr = s.mlp_options.optimizer == RANK_ADAM ? 1e-3 : 0.01;
    if (!s.epochs_given) request.options.epochs = 60;
    if (isnan(request.options.l2)) request.options.l2 = 0.0;
    /* averaging the network's parameters over the steps helped on one shared collection's
     * selection splits and hurt on the other's (+0.008, -0.009): off unless asked */
    request.options.average = s.average_given;
    const int status = mrank_train_mlp(&request);
    rank_dataset_free(&train);
    rank_dataset_free(&valid);
    return status;
  }
  /* holding out needs queries enough on both sides to mean something */
  enum { least_held_out = 5 };
  int choosing = s.valid != NULL || s.options.holdout > 0;
  if (choosing && s.valid == NULL &&
      (double)train.queries * s.options.holdout < (double)least_held_out) {
    if (!s.quiet && train.queries > 0) {
      printf(
          "note: %zu queries are too few to hold out %g of them (at least %d) for the choice "
          "of l2 and the epoch count: training %u epochs with l2 %g (--holdout 0 says so "
          "without this note)\n",
          train.queries, s.options.holdout, least_held_out, s.options.epochs,
          isnan(s.options.l2) ? 1e-4 : s.options.l2);
    }
    choosing = 0;
  }
  if (!choosing) {
    if (isnan(s.options.l2)) s.options.l2 = 1e-4;
    s.options.holdout = 0.0;
  } else if (s.valid != NULL) {
    s.options.holdout = 0.0;
  }
  int status = 1;
  rank_model best = {.features = train.features,
                     .weights = calloc(train.features, sizeof(float)),
                     .options = s.options};
  if (best.weights == NULL) {
    mrank_error("out of memory");
    status = 2;
    goto done;
  }
  /* SIGINT and SIGTERM end the run after the epoch under way; the best model so far is written */
  mrank_catch_interrupts();
  train_run run = {.settings = &s,
                   .train = &train,
                   .best = &best,
                   .bar = isatty(2),
                   .has_valid = s.valid != NULL,
                   .per_epoch = 1};
  train_outcome outcome;
  memset(&outcome, 0, sizeof outcome);
  const int ok = choosing ? train_choosing(&s, &train, s.valid != NULL ? &valid : NULL, &run,
                                           &outcome, error, sizeof error)
                          : train_plain(&s, &train, s.valid != NULL ? &valid : NULL, &run, &outcome,
                                        error, sizeof error);
  if (!ok) {
    /* the data (no query groups, no pair), the device, memory, a checkpoint: errors, not a failed
     * training */
    mrank_error("%s", error);
    status = 2;
    goto done;
  }
  if (outcome.diverged_at > 0) {
    fprintf(stderr,
            "mrank train: epoch %u: the loss or the weights are no longer finite numbers (the "
            "training diverged); lower --lr (%g now)%s\n",
            outcome.diverged_at, s.options.lr,
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
  if (outcome.stale_epochs > 0 && !s.quiet) {
    printf("early stop: no better validation NDCG@10 for %u epochs\n", outcome.stale_epochs);
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
    if (s.options.l1 > 0) {
      printf("%zu of %zu weights are not zero (--l1 %g)\n", nonzero_weights(&best), best.features,
             s.options.l1);
    }
    if (choosing) {
      printf("model (l2 %g, path", best.options.l2);
      for (size_t k = 0; k < best.path_count; ++k)
        printf(" %g:%u", best.path_l2[k], best.path_epochs[k]);
      if (outcome.written[0] != '\0') {
        printf("; %s) written to %s\n", outcome.written, s.model);
      } else {
        printf("%s) written to %s\n", s.valid != NULL ? ", chosen on --valid" : ", refit on all",
               s.model);
      }
    } else {
      printf("model (epoch %u%s) written to %s\n", best.best_epoch,
             s.valid != NULL ? ", best validation NDCG@10" : "", s.model);
    }
  }
  if (s.profile) print_profile(&outcome.fit);
  status = interrupted ? 128 + interrupted : 0;
done:
  rank_model_free(&best);
  rank_dataset_free(&train);
  rank_dataset_free(&valid);
  return status;
}
