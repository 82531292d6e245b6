/* mpi_train.c: training across MPI ranks. Each rank reads its share of the queries by byte range
 * (cli/mpi_share.c), trains on its device, and the ranks add their partial gradients every step:
 * ordered (gathered in rank order, which is query order, added one after another on rank 0 and
 * broadcast: the bits of one process for any K) or fast (MPI_Allreduce). Every collective step
 * starts by agreeing on failure: a rank that failed takes part in that one agreement and no more,
 * the others learn which rank failed and why, and every rank exits non-zero without a model. */
#include "cli/mpi_train.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/mpi_share.h"
#include "cli/options.h"
#include "rank/config.h"
#include "rank/fit.h"
#include "rank/metrics.h"
#include "rank/pairs.h"
#include "rank/trainer.h"

enum { message_size = 1024 };

typedef struct mpi_world {
  MPI_Comm comm;
  int rank, ranks;
  int fast;
  int failure_known; /* an agreement reported a failure: no further collective call is made */
  /* MRANK_MPI_FAIL=R:S (for the tests of the failure path): rank R fails at its S-th gradient sum,
   * as a device error in the middle of a run would */
  int fail_rank;
  unsigned long fail_step, steps;
  double exchange_seconds; /* in the gradient sums, waiting included */
} mpi_world;

const char *mrank_mpi_library(void) {
  static char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  text[strcspn(text, ",\n")] = '\0';
  return text;
}

/* 1 when no rank failed. Otherwise 0 on every rank, with the lowest failed rank's message. */
static int agree(mpi_world *w, int failed_here, const char *message, char *error,
                 size_t error_size) {
  const int mine = failed_here ? w->rank : w->ranks;
  int lowest = w->ranks;
  MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, w->comm);
  if (lowest == w->ranks) return 1;
  char text[message_size] = "";
  if (w->rank == lowest) snprintf(text, sizeof text, "%s", message != NULL ? message : "");
  MPI_Bcast(text, message_size, MPI_CHAR, lowest, w->comm);
  if (strncmp(text, "rank ", 5) != 0) {
    snprintf(error, error_size, "rank %d of %d: %s", lowest, w->ranks, text);
  } else {
    snprintf(error, error_size, "%s", text);
  }
  w->failure_known = 1;
  return 0;
}

/* agree, unless a failure is known already: then no collective call is made (the failed rank has
 * made its last) and the answer is 0 */
static int settle(mpi_world *w, int ok_here, const char *message, char *error, size_t error_size) {
  if (w->failure_known) return 0;
  return agree(w, !ok_here, message, error, error_size);
}

/* ---- the trainer's collective calls ---- */

static int exchange_rows(mpi_world *w, const float *rows, size_t count, size_t features,
                         float *grad, char *error, size_t error_size);

static int sum_rows(void *user, const float *rows, size_t count, size_t features, float *grad,
                    char *error, size_t error_size) {
  mpi_world *w = user;
  const double start = MPI_Wtime();
  const int done = exchange_rows(w, rows, count, features, grad, error, error_size);
  w->exchange_seconds += MPI_Wtime() - start;
  return done;
}

static int exchange_rows(mpi_world *w, const float *rows, size_t count, size_t features,
                         float *grad, char *error, size_t error_size) {
  ++w->steps;
  if (w->rank == w->fail_rank && w->steps == w->fail_step) {
    snprintf(error, error_size, "failed at gradient sum %lu as MRANK_MPI_FAIL says", w->steps);
    return settle(w, 0, error, error, error_size);
  }
  float *local = w->fast ? malloc((features + 1) * sizeof *local) : NULL;
  if (!settle(w, !w->fast || local != NULL, "out of memory", error, error_size)) {
    free(local);
    return 0;
  }
  if (w->fast) {
    for (size_t f = 0; f < features; ++f) {
      float total = 0.0f;
      for (size_t k = 0; k < count; ++k)
        total += rows[k * features + f];
      local[f] = total;
    }
    MPI_Allreduce(local, grad, (int)features, MPI_FLOAT, MPI_SUM, w->comm);
    free(local);
    return 1;
  }
  const int mine = (int)(count * features);
  int *counts = NULL, *displacements = NULL;
  float *all = NULL;
  if (w->rank == 0) {
    counts = malloc((size_t)w->ranks * sizeof *counts);
    displacements = malloc((size_t)w->ranks * sizeof *displacements);
  }
  MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, w->comm);
  size_t total = 0;
  if (w->rank == 0) {
    for (int r = 0; r < w->ranks; ++r) {
      displacements[r] = (int)total;
      total += (size_t)counts[r];
    }
    all = malloc((total + 1) * sizeof *all);
  }
  MPI_Gatherv(rows, mine, MPI_FLOAT, all, counts, displacements, MPI_FLOAT, 0, w->comm);
  if (w->rank == 0) {
    /* rank after rank is query after query: each feature's terms added in that order */
    const size_t rows_total = total / features;
    for (size_t f = 0; f < features; ++f) {
      float sum = 0.0f;
      for (size_t k = 0; k < rows_total; ++k)
        sum += all[k * features + f];
      grad[f] = sum;
    }
  }
  MPI_Bcast(grad, (int)features, MPI_FLOAT, 0, w->comm);
  free(all);
  free(counts);
  free(displacements);
  return 1;
}

static int max_floats(void *user, float *values, size_t count, char *error, size_t error_size) {
  mpi_world *w = user;
  if (!settle(w, 1, NULL, error, error_size)) return 0;
  MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_FLOAT, MPI_MAX, w->comm);
  return 1;
}

static int sum_counts(void *user, unsigned long long *values, size_t count, char *error,
                      size_t error_size) {
  mpi_world *w = user;
  if (!settle(w, 1, NULL, error, error_size)) return 0;
  MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_UNSIGNED_LONG_LONG, MPI_SUM, w->comm);
  return 1;
}

static int sum_doubles(void *user, double *values, size_t count, char *error, size_t error_size) {
  mpi_world *w = user;
  if (!settle(w, 1, NULL, error, error_size)) return 0;
  MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_DOUBLE, MPI_SUM, w->comm);
  return 1;
}

/* ---- validation NDCG@10 over every rank's share ---- */

typedef struct valid_share {
  mpi_world *world;
  const rank_dataset *data;
  size_t total_queries;
  double *per_query;
  int failed;
  char error[message_size];
} valid_share;

static void keep_query(size_t query, const rank_metrics *metrics, void *user) {
  valid_share *v = user;
  v->per_query[query] = metrics->ndcg10;
}

/* The mean over every rank's queries, added in query order on rank 0 (the value one process
 * computes on the whole file); NaN after a failure. */
static double valid_ndcg(const float *weights, void *user) {
  valid_share *v = user;
  mpi_world *w = v->world;
  const rank_dataset *d = v->data;
  double *scores = malloc((d->docs + 1) * sizeof *scores);
  int ok = scores != NULL;
  if (ok) {
    rank_score(d, weights, d->features, scores);
    const rank_cutoffs cutoffs = {.k = {10}, .count = 1};
    rank_metrics total;
    ok = rank_evaluate_at(d, scores, &cutoffs, keep_query, v, &total);
  }
  free(scores);
  if (!settle(w, ok, "out of memory for the validation scores", v->error, sizeof v->error)) {
    v->failed = 1;
    return NAN;
  }
  const int mine = (int)d->queries;
  int *counts = NULL, *displacements = NULL;
  double *all = NULL;
  if (w->rank == 0) {
    counts = malloc((size_t)w->ranks * sizeof *counts);
    displacements = malloc((size_t)w->ranks * sizeof *displacements);
    all = malloc((v->total_queries + 1) * sizeof *all);
  }
  MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, w->comm);
  if (w->rank == 0) {
    int at = 0;
    for (int r = 0; r < w->ranks; ++r) {
      displacements[r] = at;
      at += counts[r];
    }
  }
  MPI_Gatherv(v->per_query, mine, MPI_DOUBLE, all, counts, displacements, MPI_DOUBLE, 0, w->comm);
  double mean = 0.0;
  if (w->rank == 0) {
    double sum = 0.0;
    for (size_t q = 0; q < v->total_queries; ++q)
      sum += all[q];
    mean = v->total_queries > 0 ? sum / (double)v->total_queries : 0.0;
  }
  MPI_Bcast(&mean, 1, MPI_DOUBLE, 0, w->comm);
  free(all);
  free(counts);
  free(displacements);
  return mean;
}

/* ---- the run ---- */

typedef struct epoch_printer {
  const mpi_world *world;
  int quiet, has_valid;
} epoch_printer;

static int print_epoch(const rank_fit_epoch *e, void *user, char *error, size_t error_size) {
  (void)error;
  (void)error_size;
  const epoch_printer *p = user;
  if (p->world->rank != 0 || p->quiet) return 1;
  printf("epoch %3u  loss %.6f  %.3g pairs/s", e->report->epoch, e->report->train_loss,
         e->report->seconds > 0 ? (double)e->report->pairs / e->report->seconds : 0.0);
  if (p->has_valid) printf("  valid NDCG@10 %.4f%s", e->valid_ndcg, e->better ? " *" : "");
  printf("\n");
  fflush(stdout);
  return 1;
}

/* Reads a share and agrees on the outcome; a rank without a query is a failure too. */
static int read_share(mpi_world *w, const char *path, const char *query,
                      const rank_read_limits *limits, int validation, rank_dataset *data,
                      mpi_share *share, char *error, size_t error_size) {
  int ok = mpi_read_share(w->comm, path, query, limits, data, share, error, error_size);
  if (ok && validation && share->total_queries == 0) {
    snprintf(error, error_size, "%s: no query groups (give qid: tokens or --valid-query)", path);
    ok = 0;
  }
  /* a rank may hold no validation query (it then adds nothing to the NDCG), never no training */
  if (ok && !validation && data->queries == 0) {
    snprintf(error, error_size,
             "%s: no query starts in this rank's part of the file (%zu queries for %d ranks); "
             "run fewer ranks",
             path, share->total_queries, w->ranks);
    ok = 0;
  }
  return settle(w, ok, error, error, error_size);
}

/* The data's rows widened to F features (absent ones 0); 0 when out of memory. */
static int widen(rank_dataset *data, size_t F) {
  if (data->features >= F) return 1;
  const size_t D = data->docs;
  float *x = calloc(D * F + 1, sizeof *x);
  if (x == NULL) return 0;
  for (size_t i = 0; i < D; ++i)
    memcpy(x + i * F, data->x + i * data->features, data->features * sizeof *x);
  free(data->x);
  data->x = x;
  data->features = F;
  return 1;
}

/* Every rank's training data widened to the largest feature count of any rank. */
static int agree_features(mpi_world *w, rank_dataset *data, char *error, size_t error_size) {
  unsigned long long mine = data->features, widest = 0;
  MPI_Allreduce(&mine, &widest, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, w->comm);
  return settle(w, widen(data, (size_t)widest), "out of memory widening the features", error,
                error_size);
}

static int run(mpi_world *w, const mpi_train_request *r, char *error, size_t error_size) {
  rank_dataset train, valid;
  memset(&train, 0, sizeof train);
  memset(&valid, 0, sizeof valid);
  mpi_share train_share, valid_share_info;
  const rank_read_limits limits = {r->features, r->max_label};
  int ok = read_share(w, r->train, r->query, &limits, 0, &train, &train_share, error, error_size) &&
           agree_features(w, &train, error, error_size);
  if (ok && r->valid != NULL) {
    const rank_read_limits valid_limits = {train.features, r->max_label};
    ok = read_share(w, r->valid, r->valid_query, &valid_limits, 1, &valid, &valid_share_info, error,
                    error_size) &&
         settle(w, widen(&valid, train.features), "out of memory widening the features", error,
                error_size);
  }
  if (ok) {
    /* no pair anywhere is refused, as train refuses it on one process */
    unsigned long long pairs = rank_pairs_planned(&train, 0), all_pairs = 0;
    MPI_Allreduce(&pairs, &all_pairs, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, w->comm);
    if (all_pairs == 0) {
      snprintf(error, error_size,
               "the training data has no pair to learn from: in every query all documents have "
               "one label");
      ok = 0;
    }
  }
  if (ok && w->rank == 0 && !r->quiet) {
    printf("%d rank%s, %zu training queries (%zu on rank 0)%s, allreduce %s\n", w->ranks,
           w->ranks > 1 ? "s" : "", train_share.total_queries, train.queries,
           r->valid != NULL ? ", validation shared by the ranks" : "",
           w->fast ? "fast (MPI_Allreduce)" : "ordered (the same bits for any rank count)");
  }
  const rank_collective collective = {train_share.first_query,
                                      train_share.total_queries,
                                      sum_rows,
                                      max_floats,
                                      sum_counts,
                                      sum_doubles,
                                      w};
  rank_trainer *trainer = NULL;
  if (ok) {
    trainer = rank_trainer_create_shared(&train, r->selector, 0, r->options.scale, &collective,
                                         error, error_size);
    ok = settle(w, trainer != NULL, error, error, error_size);
  }
  rank_model model = {.features = train.features, .options = r->options};
  valid_share validation = {w, &valid, valid_share_info.total_queries, NULL, 0, ""};
  if (ok) {
    model.weights = calloc(train.features + 1, sizeof(float));
    validation.per_query = calloc(valid.queries + 1, sizeof(double));
    ok = settle(w, model.weights != NULL && validation.per_query != NULL, "out of memory", error,
                error_size);
  }
  rank_fit_result result;
  memset(&result, 0, sizeof result);
  if (ok) {
    epoch_printer printer = {w, r->quiet, r->valid != NULL};
    rank_fit_hooks hooks = {NULL, print_epoch, &printer, NULL, NULL, NULL};
    if (r->valid != NULL) {
      hooks.valid_ndcg = valid_ndcg;
      hooks.valid_user = &validation;
    }
    result.best_weights = model.weights;
    ok = rank_fit(trainer, train.features, r->valid != NULL ? &valid : NULL, &r->options, &hooks,
                  &result, error, error_size);
    if (validation.failed) {
      snprintf(error, error_size, "%s", validation.error);
      ok = 0;
    }
    /* a failure here told no one yet: the others are waiting in their next collective call */
    ok = settle(w, ok, error, error, error_size);
  }
  if (ok && result.diverged_at > 0) {
    snprintf(error, error_size,
             "epoch %u: the loss or the weights are no longer finite numbers (the training "
             "diverged); lower --lr (%g now)",
             result.diverged_at, r->options.lr);
    ok = 0;
  }
  if (ok && w->rank == 0) {
    model.best_epoch = result.best_epoch;
    ok = rank_model_save(&model, r->model, error, error_size);
    if (ok && !r->quiet) {
      printf("model (epoch %u%s) written to %s\n", result.best_epoch,
             r->valid != NULL ? ", best validation NDCG@10" : "", r->model);
    }
    if (ok) {
      /* rank 0's own figures: the pace of the whole, and the part of a step spent exchanging */
      const double steps = w->steps > 0 ? (double)w->steps : 1.0;
      printf(
          "%zu pairs in %.3f s: %.3g pairs/s; %lu steps, %.1f us a step, of which %.1f us "
          "(%.0f%%) in the gradient exchange\n",
          result.pairs, result.seconds,
          result.seconds > 0 ? (double)result.pairs / result.seconds : 0.0, w->steps,
          1e6 * result.seconds / steps, 1e6 * w->exchange_seconds / steps,
          result.seconds > 0 ? 100.0 * w->exchange_seconds / result.seconds : 0.0);
    }
  }
  ok = settle(w, ok, error, error, error_size) && ok;
  rank_trainer_destroy(trainer);
  free(model.weights);
  free(validation.per_query);
  rank_dataset_free(&train);
  rank_dataset_free(&valid);
  return ok;
}

int mrank_mpi_train(const mpi_train_request *r) {
  int provided = 0;
  MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  mpi_world w = {MPI_COMM_WORLD, 0, 1, r->fast, 0, -1, 0, 0, 0.0};
  MPI_Comm_rank(w.comm, &w.rank);
  MPI_Comm_size(w.comm, &w.ranks);
  const char *inject = getenv("MRANK_MPI_FAIL");
  if (inject != NULL && sscanf(inject, "%d:%lu", &w.fail_rank, &w.fail_step) != 2) {
    w.fail_rank = -1;
  }
  char error[message_size] = "";
  const int ok = run(&w, r, error, sizeof error);
  if (!ok && w.rank == 0) {
    fprintf(stderr, "mrank train: %s; no model written\n", error);
  }
  MPI_Finalize();
  return ok ? 0 : 2;
}

int mrank_mpi_train_command(int argc, char **argv, mpi_train_request *request) {
  rank_train_config config;
  rank_config_init(&config);
  char error[512];
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0) continue;
    char name[64];
    const char *equals = strchr(arg, '=');
    const size_t length = equals != NULL ? (size_t)(equals - arg) : strlen(arg);
    if (length >= sizeof name) continue;
    memcpy(name, arg, length);
    name[length] = '\0';
    const int flag = rank_config_is_flag(name);
    if (flag < 0 || strcmp(name, "--profile") == 0) continue;
    const char *value = flag             ? (strcmp(name, "--no-average") == 0 ? "false" : "true")
                        : equals != NULL ? equals + 1
                        : i + 1 < argc   ? argv[++i]
                                         : NULL;
    if (rank_config_set(&config, flag ? "--average" : name, value, error, sizeof error) != 1) {
      mrank_error("%s", error); /* parsed once already: not reached */
      rank_config_free(&config);
      return 2;
    }
  }
  request->options = config.options;
  if (isnan(request->options.l2)) request->options.l2 = 1e-4;
  request->options.holdout = 0.0;
  request->selector = config.device;
  const int status = mrank_mpi_train(request);
  rank_config_free(&config);
  return status;
}
