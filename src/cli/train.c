/* train.c: `mrank train` on the library's ranking API (mrank_rank.h): the options go to
 * mrank_train_options_set, the training to mrank_train, whose progress callback prints the
 * per-epoch lines and the progress bar, writes the checkpoints and carries Ctrl-C. */
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
#include "cli/scoring.h"
#include "cli/train_options.h"
#include "mrank_rank.h"
#ifdef MRANK_HAVE_MPI
#include "cli/mpi_train.h" /* train --mpi: the MPI path's own driver of the same trainer */
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
  const char *train, *query, *valid, *valid_query, *model;
  size_t features;
  double max_label;
  int checkpoint, quiet, profile;
  int mpi, allreduce_fast, allreduce_given;
  int mlp; /* --scorer mlp */
  mrank_train_options *options;
} train_settings;

/* An option of the library's training options (--lr, --scorer, --device, ...): 1 taken, 0 not
 * one of them, -1 a bad value (said). */
static int parse_training_option(int argc, char **argv, int *i, train_settings *s) {
  const char *arg = argv[*i];
  if (strcmp(arg, "--average") == 0 || strcmp(arg, "--no-average") == 0 ||
      strcmp(arg, "--profile") == 0) {
    s->profile |= strcmp(arg, "--profile") == 0;
    const char *name = strcmp(arg, "--profile") == 0 ? "--profile" : "--average";
    return mrank_train_options_set(s->options, name,
                                   strcmp(arg, "--no-average") == 0 ? "false" : "true") ==
                   MRANK_SUCCESS
               ? 1
               : -1;
  }
  size_t count = 0;
  const char *const *names = mrank_train_option_names(&count);
  const char *name = NULL;
  for (size_t k = 0; k < count && name == NULL; ++k) {
    char dashed[64];
    snprintf(dashed, sizeof dashed, "--%s", names[k]);
    if (strcmp(names[k], "average") != 0 && strcmp(names[k], "profile") != 0 &&
        mrank_is_option(arg, dashed)) {
      name = names[k];
    }
  }
  if (name == NULL) return 0;
  char dashed[64];
  snprintf(dashed, sizeof dashed, "--%s", name);
  const char *value = mrank_option_value(argc, argv, i, dashed);
  if (value == NULL) return -1;
  if (mrank_train_options_set(s->options, dashed, value) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_last_error());
    return -1;
  }
  if (strcmp(name, "scorer") == 0) s->mlp = strcmp(value, "mlp") == 0;
  return 1;
}

/* The tool's own options (files, --features, --max-label, --checkpoint, --quiet, --mpi,
 * --allreduce): 1 taken, 0 an error (said). */
static int parse_tool_option(int argc, char **argv, int *i, train_settings *s) {
  const char *arg = argv[*i];
  int *const flags[] = {&s->checkpoint, &s->quiet, &s->mpi};
  static const char *const flag_names[] = {"--checkpoint", "--quiet", "--mpi"};
  for (int k = 0; k < 3; ++k) {
    if (strcmp(arg, flag_names[k]) == 0) return *flags[k] = 1;
  }
  if (mrank_is_option(arg, "--allreduce")) {
    const char *value = mrank_option_value(argc, argv, i, "--allreduce");
    if (value == NULL) return 0;
    if (strcmp(value, "ordered") != 0 && strcmp(value, "fast") != 0) {
      mrank_error("--allreduce is ordered or fast, not \"%s\"", value);
      return 0;
    }
    s->allreduce_fast = strcmp(value, "fast") == 0;
    return s->allreduce_given = 1;
  }
  if (mrank_is_option(arg, "--max-label"))
    return mrank_parse_max_label(argc, argv, i, &s->max_label);
  static const char *const files[] = {"--train",       "--query", "--valid",
                                      "--valid-query", "--model", "--features"};
  const char **targets[] = {&s->train, &s->query, &s->valid, &s->valid_query, &s->model, NULL};
  int which = -1;
  for (int k = 0; k < (int)(sizeof files / sizeof files[0]); ++k) {
    if (mrank_is_option(arg, files[k])) which = k;
  }
  if (which < 0) {
    mrank_error("unknown option \"%s\"; see 'mrank train --help'", arg);
    return 0;
  }
  const char *value = mrank_option_value(argc, argv, i, files[which]);
  if (value == NULL) return 0;
  if (which < 5) {
    *targets[which] = value;
    return 1;
  }
  if (!mrank_parse_size("--features", value, &s->features)) return 0;
  if (s->features == 0 || s->features > ((size_t)1 << 24)) {
    mrank_error("--features must be 1 to %zu, not %s", (size_t)1 << 24, value);
    return 0;
  }
  return 1;
}

/* The options taken together; 1 when they can train. */
static int check_settings(const train_settings *s) {
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
  if (mrank_train_options_check(s->options) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_last_error());
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

/* -1 help, 0 an error (said), 1 parsed. */
static int parse_train(int argc, char **argv, train_settings *s) {
  s->max_label = 31; /* LightGBM's limit */
  if (mrank_train_options_create(&s->options) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 0;
  }
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return -1;
    const int training = parse_training_option(argc, argv, &i, s);
    if (training < 0) return 0;
    if (training == 0 && !parse_tool_option(argc, argv, &i, s)) return 0;
  }
  return check_settings(s);
}

/* What the progress callback needs and found. */
typedef struct train_view {
  const train_settings *settings;
  int bar;               /* stderr is a terminal */
  int checkpoint_failed; /* a checkpoint could not be written: training stops, exit 2 */
  char error[1024];
} train_view;

static void draw_bar(unsigned epoch, double done) {
  const int width = 40, filled = (int)(done * width + 0.5);
  fprintf(stderr, "\repoch %u [", epoch);
  for (int k = 0; k < width; ++k)
    fputc(k < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %3.0f%%", done * 100.0);
  if (done >= 1.0) fprintf(stderr, "\r%*s\r", width + 20, "");
  fflush(stderr);
}

static void print_epoch(const mrank_train_progress *p) {
  if (p->epoch == 0) {
    printf("epoch   0  (the linear base alone)  valid NDCG@10 %.4f *\n", p->valid_ndcg);
    fflush(stdout);
    return;
  }
  printf("epoch %3u  loss %.6f", p->epoch, p->train_loss);
  if (!isnan(p->valid_ndcg)) {
    if (!isnan(p->train_ndcg)) printf("  train NDCG@10 %.4f", p->train_ndcg);
    printf("  valid NDCG@10 %.4f%s", p->valid_ndcg, p->best ? " *" : "  ");
  }
  printf("  %.3g pairs/s  %.2f s\n", p->seconds > 0 ? p->pairs / p->seconds : 0.0, p->seconds);
  fflush(stdout);
}

static int on_progress(const mrank_train_progress *p, void *user) {
  train_view *view = user;
  const train_settings *s = view->settings;
  if (p->kind == MRANK_PROGRESS_NOTE && (!s->quiet || strcmp(p->stage, "profile") == 0)) {
    printf("%s\n", p->text);
    fflush(stdout);
  } else if (p->kind == MRANK_PROGRESS_WARNING) {
    mrank_error("%s", p->text);
  } else if (p->kind == MRANK_PROGRESS_BATCH && view->bar) {
    draw_bar(p->epoch, p->fraction);
  } else if (p->kind == MRANK_PROGRESS_EPOCH) {
    if (!s->quiet && p->final) print_epoch(p);
    if (s->checkpoint && p->model != NULL && !view->checkpoint_failed &&
        mrank_model_save(p->model, s->model) != MRANK_SUCCESS) {
      snprintf(view->error, sizeof view->error, "%s", mrank_api_error());
      view->checkpoint_failed = 1;
    }
  }
  return mrank_interrupted != 0 || view->checkpoint_failed;
}

static int train_mpi(int argc, char **argv, const train_settings *s) {
#ifdef MRANK_HAVE_MPI
  mpi_train_request request;
  memset(&request, 0, sizeof request);
  request.train = s->train;
  request.query = s->query;
  request.valid = s->valid;
  request.valid_query = s->valid_query;
  request.model = s->model;
  request.features = s->features;
  request.max_label = s->max_label;
  request.fast = s->allreduce_fast;
  request.quiet = s->quiet;
  return mrank_mpi_train_command(argc, argv, &request);
#else
  (void)argc, (void)argv, (void)s;
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

/* The closing line: what the model is and where it went. */
static void print_written(const train_settings *s, const mrank_model *model) {
  mrank_model_description d;
  mrank_model_info(model, &d);
  if (d.hidden_layers > 0) {
    char hidden[64] = "";
    for (size_t k = 0; k < d.hidden_layers; ++k) {
      snprintf(hidden + strlen(hidden), sizeof hidden - strlen(hidden), "%s%zu", k ? "," : "",
               d.hidden[k]);
    }
    printf("model (MLP %s, %zu parameters, epoch %u%s%s) written to %s\n", hidden, d.parameters,
           d.best_epoch, s->valid != NULL ? ", best validation NDCG@10" : "",
           d.best_epoch == 0 ? ": the linear scorer alone, the network's output 0" : "", s->model);
    return;
  }
  if (d.l1 > 0) {
    float *weights = malloc((d.features + 1) * sizeof *weights);
    size_t nonzero = 0;
    if (weights != NULL &&
        mrank_model_linear_weights(model, weights, d.features) == MRANK_SUCCESS) {
      for (size_t f = 0; f < d.features; ++f)
        nonzero += weights[f] != 0.0f;
      printf("%zu of %zu weights are not zero (--l1 %g)\n", nonzero, d.features, d.l1);
    }
    free(weights);
  }
  if (d.path_count == 0) {
    printf("model (epoch %u%s%s%s) written to %s\n", d.best_epoch,
           s->valid != NULL ? ", best validation NDCG@10" : "", d.note[0] ? "; " : "", d.note,
           s->model);
    return;
  }
  printf("model (l2 %g, path", d.l2);
  for (size_t k = 0; k < d.path_count; ++k)
    printf(" %g:%u", d.path_l2[k], d.path_epochs[k]);
  if (d.note[0] != '\0') {
    printf("; %s) written to %s\n", d.note, s->model);
  } else {
    printf("%s) written to %s\n", s->valid != NULL ? ", chosen on --valid" : ", refit on all",
           s->model);
  }
}

/* The exit status of a training that returned `status` (the model, when any, in model). */
static int finish(const train_settings *s, const train_view *view, mrank_status status,
                  mrank_model *model) {
  const int interrupted = mrank_interrupted;
  const char *name = interrupted == SIGTERM ? "SIGTERM" : "SIGINT";
  if (view->checkpoint_failed) {
    mrank_error("%s", view->error);
    return 2;
  }
  if (status == MRANK_ERROR_DIVERGED) {
    mrank_error("%s", mrank_api_error());
    mrank_model_description d;
    if (model != NULL && mrank_model_info(model, &d) == MRANK_SUCCESS &&
        mrank_model_save(model, s->model) == MRANK_SUCCESS) {
      mrank_error("the best model before that (epoch %u) is written to %s", d.best_epoch, s->model);
    } else {
      mrank_error("no model written");
    }
    return 1;
  }
  if (status == MRANK_ERROR_STOPPED) {
    mrank_error("interrupted (%s) %s; no model written", name,
                s->mlp ? "while choosing the epoch count" : "before an epoch ended");
    return 128 + (interrupted ? interrupted : SIGINT);
  }
  if (status != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 2;
  }
  if (interrupted) {
    mrank_model_description d;
    mrank_model_info(model, &d);
    if (s->mlp) {
      mrank_error("interrupted (%s) %s", name, d.note);
    } else {
      mrank_error("interrupted (%s); writing the best model so far", name);
    }
  }
  if (mrank_model_save(model, s->model) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    return 2;
  }
  if (!s->quiet) print_written(s, model);
  return interrupted ? 128 + interrupted : 0;
}

int mrank_cmd_train(int argc, char **argv) {
  train_settings s;
  memset(&s, 0, sizeof s);
  const int saved_stderr = quiet_other_ranks(argc, argv);
  const int parsed = parse_train(argc, argv, &s);
  restore_stderr(saved_stderr);
  int status = 2;
  mrank_dataset *train = NULL, *valid = NULL;
  if (parsed < 0) {
    fputs(mrank_train_help, stdout);
    fputs(mrank_train_help_more, stdout);
    status = 0;
  } else if (parsed > 0 && s.mpi) {
    status = train_mpi(argc, argv, &s);
  } else if (parsed > 0 && mrank_load_train_valid(s.train, s.query, s.valid, s.valid_query,
                                                  s.features, s.max_label, &train, &valid)) {
    /* SIGINT and SIGTERM end the run after the epoch under way; the best model so far is written */
    mrank_catch_interrupts();
    train_view view = {&s, isatty(2), 0, ""};
    mrank_model *model = NULL;
    const mrank_status trained = mrank_train(train, valid, s.options, on_progress, &view, &model);
    status = finish(&s, &view, trained, model);
    mrank_model_destroy(model);
  }
  mrank_dataset_destroy(train);
  mrank_dataset_destroy(valid);
  mrank_train_options_destroy(s.options);
  return status;
}
