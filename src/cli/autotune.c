/* autotune.c: `mrank autotune`, CLBlast's tuners' method for mrank's kernels: every shape (elements
 * and vector width per work-item, work-group size, the reduction's first pass) timed on every
 * operation on the device, beside the streaming roofline of the same traffic; the best shape that
 * is at least as fast as today's on every operation is stored for the device in the cache folder.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/roofline.h"
#include "random.h"
#include "shape.h"

const char mrank_autotune_help[] =
    "usage: mrank autotune [--device SEL] [--n N] [--budget S] [--dry-run]\n"
    "\n"
    "Times every kernel shape of the operator on the device (as CLBlast's tuners do): elements "
    "per\n"
    "work-item (1, 4, 16), vector width (1, 4, 16), work-group size, and the reduction's first\n"
    "pass (direct: each work-item loads its own 64 elements; local: a work-group loads its block\n"
    "coalesced into local memory). Every shape gives the same bits. Each operation (forward,\n"
    "backward and fused with reduction none; forward and fused with mean) is timed on float data,\n"
    "interleaved with the other shapes, beside a streaming kernel with the same loads and stores\n"
    "(the roofline). Prints a table (shape, GB/s and the ratio to the roofline per operation),\n"
    "then stores the best shape that is at least as fast as today's (epw=16,vw=16,wg=256,\n"
    "sum=direct) on every operation, for this device, driver and mrank version, in the kernel\n"
    "cache folder: contexts on the device then use it (MRANK_VARIANT or mrank_context_options\n"
    "override it; `mrank devices --verbose` shows it).\n"
    "\n"
    "  --device SEL  gpu, cpu, accelerator, P:D or a name (default: $MRANK_DEVICE, else the\n"
    "                default device)\n"
    "  --n N         elements (default 2^24; 2^K accepted)\n"
    "  --budget S    seconds of measuring, all shapes together (default 30)\n"
    "  --dry-run     print the table and the choice, store nothing\n\n"
    "\n"
    "Exit status: 0 done (the choice stored, or printed with --dry-run), 2 on a usage or device\n"
    "error.\n";

enum { op_count = 5, array_count = 7 };

static const struct {
  const char *name;
  mrank_op op;
  mrank_reduction reduction;
} ops[op_count] = {{"forward", MRANK_OP_FORWARD, MRANK_REDUCTION_NONE},
                   {"backward", MRANK_OP_BACKWARD, MRANK_REDUCTION_NONE},
                   {"fused", MRANK_OP_FUSED, MRANK_REDUCTION_NONE},
                   {"forward mean", MRANK_OP_FORWARD, MRANK_REDUCTION_MEAN},
                   {"fused mean", MRANK_OP_FUSED, MRANK_REDUCTION_MEAN}};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The device's arrays (x1, x2, y, dloss, three outputs), made once in one OpenCL context, and a
 * context per shape on it (mrank_context_create_from_cl_ex), so that memory holds one set of
 * arrays whatever the number of shapes. */
typedef struct device_arrays {
  mrank_context *base; /* the context whose OpenCL objects every shape shares */
  cl_context context;
  cl_device_id device;
  cl_command_queue queue;
  cl_mem arrays[array_count];
} device_arrays;

typedef struct trial {
  mrank_context *ctx;
  cl_command_queue queue;
  cl_mem *arrays;
} trial;

static void arrays_free(device_arrays *d) {
  for (int a = 0; a < array_count; ++a) {
    if (d->arrays[a] != NULL) clReleaseMemObject(d->arrays[a]);
  }
  mrank_context_destroy(d->base);
  memset(d, 0, sizeof *d);
}

static int arrays_make(device_arrays *d, const char *selector, const float *host, size_t n) {
  memset(d, 0, sizeof *d);
  if (mrank_context_create(selector, &d->base) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_last_error());
    return 0;
  }
  d->context = mrank_context_cl_context(d->base);
  d->queue = mrank_context_queue(d->base);
  if (d->context == NULL) {
    mrank_error("the \"host\" reference has no kernels to tune; pick an OpenCL device");
    arrays_free(d);
    return 0;
  }
  clGetCommandQueueInfo(d->queue, CL_QUEUE_DEVICE, sizeof d->device, &d->device, NULL);
  for (int a = 0; a < array_count; ++a) {
    cl_int err = CL_SUCCESS;
    d->arrays[a] =
        clCreateBuffer(d->context, CL_MEM_READ_WRITE | (a < 4 ? CL_MEM_COPY_HOST_PTR : 0),
                       n * sizeof(float), a < 4 ? (void *)(host + a * n) : NULL, &err);
    if (err != CL_SUCCESS) {
      mrank_error("cannot allocate %zu floats on the device: %s; use a smaller --n", n,
                  mrank_cl_error_name(err));
      arrays_free(d);
      return 0;
    }
  }
  return 1;
}

static void trial_free(trial *t) {
  mrank_context_destroy(t->ctx);
  memset(t, 0, sizeof *t);
}

static int trial_make(trial *t, device_arrays *d, const char *shape) {
  memset(t, 0, sizeof *t);
  mrank_context_options options = {.size = sizeof options, .variant = shape};
  if (mrank_context_create_from_cl_ex(d->context, d->device, d->queue, &options, &t->ctx) !=
      MRANK_SUCCESS) {
    mrank_error("%s", mrank_last_error());
    return 0;
  }
  t->queue = d->queue;
  t->arrays = d->arrays;
  return 1;
}

static int run_op(trial *t, int op, size_t n) {
  cl_mem *a = t->arrays;
  mrank_status status;
  switch (ops[op].op) {
    case MRANK_OP_FORWARD:
      status = mrank_forward_buffers(t->ctx, n, a[0], 0, a[1], 0, a[2], 0, 1.0f, ops[op].reduction,
                                     a[4], 0, NULL);
      break;
    case MRANK_OP_BACKWARD:
      status = mrank_backward_buffers(t->ctx, n, a[0], 0, a[1], 0, a[2], 0, 1.0f, ops[op].reduction,
                                      a[3], 0, a[5], 0, a[6], 0, NULL);
      break;
    default:
      status = mrank_forward_backward_buffers(t->ctx, n, a[0], 0, a[1], 0, a[2], 0, 1.0f,
                                              ops[op].reduction, a[4], 0, a[5], 0, a[6], 0, NULL);
  }
  return status == MRANK_SUCCESS && clFinish(t->queue) == CL_SUCCESS;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *values, int count) {
  qsort(values, (size_t)count, sizeof *values, by_value);
  return count % 2 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

/* The streaming roofline of each operation's traffic on the first shape's context: the faster of
 * float and float4, median seconds. */
static int roofline_times(trial *t, size_t n, int repeats, double *seconds) {
  cl_device_id device = NULL;
  clGetCommandQueueInfo(t->queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  roofline roof;
  if (!roofline_init(&roof, mrank_context_cl_context(t->ctx), device, t->queue)) return 0;
  cl_mem inputs[4] = {t->arrays[0], t->arrays[1], t->arrays[2], t->arrays[3]};
  cl_mem outputs[3] = {t->arrays[4], t->arrays[5], t->arrays[6]};
  int ok = 1;
  double *times = malloc((size_t)repeats * sizeof *times);
  for (int op = 0; op < op_count && ok && times != NULL; ++op) {
    int loads = 0, stores = 0;
    mrank_bench_traffic(ops[op].op, ops[op].reduction, &loads, &stores);
    seconds[op] = -1.0;
    for (int vector = 0; vector < 2 && ok; ++vector) {
      if (vector && n % 4 != 0) continue;
      ok = roofline_enqueue(&roof, vector, loads, stores, n, inputs, outputs, NULL) &&
           clFinish(t->queue) == CL_SUCCESS; /* the first run builds the kernel */
      for (int r = 0; r < repeats && ok; ++r) {
        const double start = now();
        ok = roofline_enqueue(&roof, vector, loads, stores, n, inputs, outputs, NULL) &&
             clFinish(t->queue) == CL_SUCCESS;
        times[r] = now() - start;
      }
      const double m = ok ? median(times, repeats) : -1.0;
      if (ok && (seconds[op] < 0 || m < seconds[op])) seconds[op] = m;
    }
  }
  free(times);
  roofline_release(&roof);
  return ok && times != NULL;
}

static int parse_autotune(int argc, char **argv, const char **device, size_t *n, double *budget,
                          int *dry_run) {
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i], *value = NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(mrank_autotune_help, stdout);
      return -1;
    } else if (strcmp(arg, "--dry-run") == 0) {
      *dry_run = 1;
    } else if (mrank_is_option(arg, "--device")) {
      if ((*device = mrank_option_value(argc, argv, &i, "--device")) == NULL) return 0;
    } else if (mrank_is_option(arg, "--n")) {
      if ((value = mrank_option_value(argc, argv, &i, "--n")) == NULL ||
          !mrank_parse_size("--n", value, n)) {
        return 0;
      }
      if (*n < 64 || *n > ((size_t)1 << 30)) {
        mrank_error("--n is from 64 to 2^30, not %s", value);
        return 0;
      }
    } else if (mrank_is_option(arg, "--budget")) {
      float seconds = 0;
      if ((value = mrank_option_value(argc, argv, &i, "--budget")) == NULL ||
          !mrank_parse_float("--budget", value, &seconds)) {
        return 0;
      }
      if (!(seconds > 0) || seconds > 86400) {
        mrank_error("--budget is a number of seconds above 0 (at most 86400), not %s", value);
        return 0;
      }
      *budget = seconds;
    } else {
      mrank_error("unknown option \"%s\" (see mrank autotune --help)", arg);
      return 0;
    }
  }
  return 1;
}

/* Rounds of every shape and op, interleaved, until the budget is spent (at least 3): one trial
 * of each op costs about the same as the others at this n. seconds[c * op_count + op]: the
 * median; *rounds: how many. 0 after a message. */
static int measure(trial *trials, size_t count, size_t n, double budget, double *seconds,
                   int *rounds_out) {
  const double start = now();
  int rounds = 0, capacity = 64;
  double *samples = malloc((size_t)capacity * count * op_count * sizeof *samples);
  while (samples != NULL && (rounds < 3 || now() - start < budget) && rounds < 1000) {
    if (rounds == capacity) {
      capacity *= 2;
      double *grown = realloc(samples, (size_t)capacity * count * op_count * sizeof *samples);
      if (grown == NULL) break;
      samples = grown;
    }
    for (size_t c = 0; c < count; ++c) {
      for (int op = 0; op < op_count; ++op) {
        const double t0 = now();
        if (!run_op(&trials[c], op, n)) {
          mrank_error("%s", mrank_last_error());
          free(samples);
          return 0;
        }
        samples[((size_t)rounds * count + c) * op_count + (size_t)op] = now() - t0;
      }
    }
    rounds++;
  }
  if (samples == NULL) {
    mrank_error("out of memory");
    return 0;
  }
  double *column = malloc((size_t)rounds * sizeof *column);
  for (size_t c = 0; c < count && column != NULL; ++c) {
    for (int op = 0; op < op_count; ++op) {
      for (int r = 0; r < rounds; ++r)
        column[r] = samples[((size_t)r * count + c) * op_count + (size_t)op];
      seconds[c * op_count + (size_t)op] = median(column, rounds);
    }
  }
  free(column);
  free(samples);
  *rounds_out = rounds;
  return 1;
}

/* The table: GB/s of the bytes each op moves (float data and labels), and the ratio to the
 * roofline; the best shape at least as fast as today's (shape 0) on every op, its score in
 * *best_score. */
static size_t print_table(const mrank_shape *shapes, size_t count, size_t n, const double *seconds,
                          const double *roof, double *best_score) {
  char text[96];
  *best_score = 1.0;
  printf("%-32s", "shape");
  for (int op = 0; op < op_count; ++op)
    printf(" %19s", ops[op].name);
  printf("\n%-32s", "roofline (GB/s)");
  for (int op = 0; op < op_count; ++op) {
    int loads = 0, stores = 0;
    mrank_bench_traffic(ops[op].op, ops[op].reduction, &loads, &stores);
    printf(" %19.2f", (double)(loads + stores) * 4.0 * (double)n / roof[op] / 1e9);
  }
  printf("\n");
  size_t best = 0;
  for (size_t c = 0; c < count; ++c) {
    mrank_shape_format(&shapes[c], text, sizeof text);
    printf("%-32s", text);
    int at_least_today = 1;
    double log_gain = 0.0;
    for (int op = 0; op < op_count; ++op) {
      int loads = 0, stores = 0;
      mrank_bench_traffic(ops[op].op, ops[op].reduction, &loads, &stores);
      const double t = seconds[c * op_count + (size_t)op];
      const double gbps = (double)(loads + stores) * 4.0 * (double)n / t / 1e9;
      printf(" %9.2f (%6.3f)", gbps, roof[op] / t);
      at_least_today &= t <= seconds[op]; /* shape 0 is today's */
      log_gain += log(seconds[op] / t);
    }
    const double score = exp(log_gain / op_count);
    printf("  x%.3f%s\n", score, c == 0 ? " (today's)" : at_least_today ? "" : " (slower on one)");
    if (at_least_today && score > *best_score) {
      best = c;
      *best_score = score;
    }
  }
  return best;
}

int mrank_cmd_autotune(int argc, char **argv) {
  mrank_set_command("autotune");
  const char *selector = NULL;
  size_t n = (size_t)1 << 24;
  double budget = 30.0;
  int dry_run = 0;
  const int parsed = parse_autotune(argc, argv, &selector, &n, &budget, &dry_run);
  if (parsed <= 0) return parsed < 0 ? 0 : 2;
  size_t count = 0;
  const mrank_shape *shapes = mrank_shape_candidates(&count);
  /* the data: x1, x2 in [0, 1), y of +-1, dloss; the same for every shape */
  float *host = malloc(4 * n * sizeof *host);
  trial *trials = calloc(count, sizeof *trials);
  device_arrays device;
  memset(&device, 0, sizeof device);
  double *seconds = calloc(count * op_count, sizeof *seconds);
  double roof[op_count];
  if (host == NULL || trials == NULL || seconds == NULL) {
    mrank_error("out of memory for %zu elements", n);
    free(host);
    free(trials);
    free(seconds);
    return 2;
  }
  mrank_random random = {1};
  for (size_t i = 0; i < 4 * n; ++i) {
    host[i] = i / n == 2 ? mrank_random_sign(&random) : mrank_random_uniform(&random, 0, 1);
  }
  int status = 2;
  char text[96];
  double best_score = 1.0;
  if (!arrays_make(&device, selector, host, n)) goto done;
  for (size_t c = 0; c < count; ++c) {
    mrank_shape_format(&shapes[c], text, sizeof text);
    if (!trial_make(&trials[c], &device, text)) goto done;
    for (int op = 0; op < op_count; ++op) { /* builds the kernels */
      if (!run_op(&trials[c], op, n)) {
        mrank_error("shape %s, %s: %s", text, ops[op].name, mrank_last_error());
        goto done;
      }
    }
  }
  printf("device: %s, n = %zu floats, %zu shapes, %g s\n", mrank_context_device_name(trials[0].ctx),
         n, count, budget);
  fflush(stdout);
  int rounds = 0;
  if (!measure(trials, count, n, budget, seconds, &rounds)) goto done;
  if (!roofline_times(&trials[0], n, rounds < 5 ? 5 : rounds, roof)) {
    mrank_error("the roofline kernels did not run");
    goto done;
  }
  const size_t best = print_table(shapes, count, n, seconds, roof, &best_score);
  mrank_shape_format(&shapes[best], text, sizeof text);
  printf(
      "(GB/s, and the ratio to the roofline of the same traffic; x: the geometric mean of the "
      "speed-ups over today's shape; medians of %d interleaved rounds)\n",
      rounds);
  printf("best at least as fast as today's on every operation: %s (x%.3f)\n", text, best_score);
  if (!dry_run) {
    char why[4400], path[4200];
    if (!mrank_shape_save(device.device, &shapes[best], why, sizeof why)) {
      mrank_error("%s", why);
      goto done;
    }
    mrank_shape_store_path(device.device, path, sizeof path);
    printf("stored in %s: contexts on this device use it (MRANK_VARIANT overrides it)\n", path);
  }
  status = 0;
done:
  for (size_t c = 0; c < count && trials != NULL; ++c)
    trial_free(&trials[c]);
  arrays_free(&device);
  free(trials);
  free(seconds);
  free(host);
  return status;
}
