/* bench.c: `mrank bench`, the operation's throughput against the device's own memory roofline,
 * measured side by side in one run: a streaming kernel with the same loads and stores, then the
 * operation through the buffer API (no transfers) and the host API (host arrays), at each n; launch
 * overhead against an empty kernel; the CPU reference for scale. Times are the best of repetitions
 * after two warm-ups, repeated until a time budget is spent (clpeak's method). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench.h"
#include "cli/bench_shape.h"
#include "cli/bench_split.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/roofline.h"
#include "mrank.h"
#include "rank/atomic_file.h"
#include "random.h"

const char mrank_bench_help[] =
    "usage: mrank bench [--device SEL | --all-devices] [--n N,...] [--op forward,backward,fused]\n"
    "                   [--reduction none,mean,sum] [--api buffer,host] [--budget SECONDS]\n"
    "                   [--dtype f32,f16,bf16,f64] [--labels f32,i32,i8] [--json OUT]\n"
    "                   [--csv OUT]\n"
    "\n"
    "Measures, in one run on each device:\n"
    "  roofline  a streaming kernel with the loads and stores of each operation (forward 3+1, or\n"
    "            3+0 reduced; backward 4+2, or 3+2 reduced; fused 3+3, or 3+2 reduced), plain\n"
    "            float and float4, the faster counted: the device's own bandwidth at that traffic\n"
    "  forward, backward, fused  the operation through the buffer API (cl_mem, no transfers) and\n"
    "            the host API (host arrays), as GB/s of its traffic and as the ratio to the\n"
    "            roofline at the same n (1.00 = as fast as memory allows)\n"
    "  empty     an empty kernel's enqueue and wait: the launch round trip; the host API at\n"
    "            n = 1 and 1024 is given as a ratio to it (kind 'launch')\n"
    "  reference the CPU reference, single-threaded, for scale\n"
    "Device times come from OpenCL profiling events (markers around each run), host times from\n"
    "the wall clock. An operation and its roofline run in turn (ABAB..., in rounds over every\n"
    "operation of a size, so a busy spell of a shared machine falls on all of them alike): its\n"
    "ratio is the median over at least 31 such pairs, its time the median of its runs, and the\n"
    "ratio's quartiles are printed beside it; quartiles more than 10% apart get a warning (the\n"
    "figure will not repeat). The roofline and launch rows are medians of at least 31 runs.\n"
    "Absolute GB/s are one machine's at one moment; the ratios are what carries over.\n"
    "\n"
    "  --device SEL     gpu, cpu, accelerator, P:D or a name (default: $MRANK_DEVICE or the\n"
    "                   default device); several devices (all, gpu:all, 0:0,0:1): fused and\n"
    "                   forward through the host API split across them, beside each alone and\n"
    "                   each one's roofline, as a ratio to the sum of the rooflines\n"
    "  --all-devices    every OpenCL device in turn\n"
    "  --n LIST         sizes (default 2^10,2^11,...,2^26); sizes that do not fit are skipped\n"
    "  --op, --reduction, --api   restrict what is measured (default: all)\n"
    "  --shape RxC      instead: forward of an R x C transposed x1 view (the tensor path's\n"
    "                   strided gather) beside the contiguous path and the roofline\n"
    "  --dtype, --labels  the types to measure (default f32, f32); each op row gives GB/s of the\n"
    "                   bytes its types move, against the float roofline of the same arrays\n"
    "  --budget S       seconds to spend on each figure, at least (default 0.2)\n"
    "  --json OUT       write every figure and the device description as JSON\n"
    "  --csv OUT        the same as CSV\n"
    "Start-up time (cold and warm kernel cache) is measured by bench/startup.sh; PyTorch side by\n"
    "side by bench/torch_compare.py; bench/plot draws the JSON.\n\n"
    "\n"
    "Exit status: 0 done, 2 on a usage or device error, or when no --n size fits the device.\n";

enum { max_sizes = 40, array_count = 7 };

typedef struct bench_settings {
  const char *selector;
  int all_devices;
  size_t n[max_sizes];
  int n_count;
  int ops[3], reductions[3], apis[2]; /* flags */
  mrank_dtype data[4], labels[3];
  int data_count, labels_count;
  double budget;
  const char *json_path, *csv_path;
  size_t shape_rows, shape_cols; /* --shape RxC: the strided path instead (bench_shape.c) */
} bench_settings;

static const char *const op_names[] = {"forward", "backward", "fused"};
static const char *const reduction_names[] = {"none", "mean", "sum"};
static const char *const api_names[] = {"buffer", "host"};

/* arrays read and written per element by each op and reduction (the scalar dloss not counted); the
 * first read array of backward (none) is dloss, then x1, x2 and y */
void mrank_bench_traffic(mrank_op op, mrank_reduction reduction, int *loads, int *stores) {
  static const int table[3][3][2] = {
      {{3, 1}, {3, 0}, {3, 0}}, {{4, 2}, {3, 2}, {3, 2}}, {{3, 3}, {3, 2}, {3, 2}}};
  *loads = table[op][reduction][0];
  *stores = table[op][reduction][1];
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* --- the things measured: each runs once and returns its time in seconds, or < 0 on failure --- */

typedef struct bench_state {
  mrank_context *ctx;
  roofline roof;
  cl_command_queue queue;
  size_t n;
  cl_mem buffers[array_count]; /* x1, x2, y, dloss, out0, out1, out2 */
  void *host[array_count];
  mrank_op op;
  mrank_reduction reduction;
  int loads, stores, vector;
  mrank_desc desc; /* the types of the op measured (reduction and margin set per run) */
} bench_state;

/* Bytes an op moves per element under the types: every array is of the data type but y. */
static double traffic_bytes(int loads, int stores, mrank_dtype data, mrank_dtype labels) {
  return (double)(loads + stores - 1) * (double)mrank_dtype_size(data) +
         (double)mrank_dtype_size(labels);
}

static double marker_seconds(cl_event start, cl_event stop) {
  cl_ulong begin = 0, end = 0;
  if (clGetEventProfilingInfo(start, CL_PROFILING_COMMAND_END, sizeof begin, &begin, NULL) !=
          CL_SUCCESS ||
      clGetEventProfilingInfo(stop, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL) !=
          CL_SUCCESS) {
    return -1.0;
  }
  return end > begin ? (double)(end - begin) * 1e-9 : 1e-9;
}

static int enqueue_op(bench_state *s) {
  cl_mem *b = s->buffers;
  const mrank_desc *d = &s->desc;
  mrank_status status = MRANK_SUCCESS;
  if (s->op == MRANK_OP_FORWARD) {
    status = mrank_forward_buffers_ex(s->ctx, d, s->n, b[0], 0, b[1], 0, b[2], 0, b[4], 0, NULL);
  } else if (s->op == MRANK_OP_BACKWARD) {
    status = mrank_backward_buffers_ex(s->ctx, d, s->n, b[0], 0, b[1], 0, b[2], 0, b[3], 0, b[5], 0,
                                       b[6], 0, NULL);
  } else {
    status = mrank_forward_backward_buffers_ex(s->ctx, d, s->n, b[0], 0, b[1], 0, b[2], 0, b[4], 0,
                                               b[5], 0, b[6], 0, NULL);
  }
  if (status != MRANK_SUCCESS) fprintf(stderr, "mrank bench: %s\n", mrank_last_error());
  return status == MRANK_SUCCESS;
}

/* device time of one buffer-API call or roofline pass: from a marker before it to one after it */
static double run_device(bench_state *s, int roofline_pass) {
  cl_event start = NULL, stop = NULL;
  double seconds = -1.0;
  if (clEnqueueMarkerWithWaitList(s->queue, 0, NULL, &start) != CL_SUCCESS) return -1.0;
  int ok = roofline_pass ? roofline_enqueue(&s->roof, s->vector, s->loads, s->stores, s->n,
                                            s->buffers, s->buffers + 4, NULL)
                         : enqueue_op(s);
  if (ok && clEnqueueMarkerWithWaitList(s->queue, 0, NULL, &stop) == CL_SUCCESS &&
      clWaitForEvents(1, &stop) == CL_SUCCESS) {
    seconds = marker_seconds(start, stop);
  }
  clReleaseEvent(start);
  if (stop != NULL) clReleaseEvent(stop);
  return seconds;
}

static double run_roofline(bench_state *s) {
  return run_device(s, 1);
}
static double run_buffer_op(bench_state *s) {
  return run_device(s, 0);
}

static double run_host_op(bench_state *s) {
  void **h = s->host;
  const mrank_desc *d = &s->desc;
  const double start = now();
  mrank_status status;
  if (s->op == MRANK_OP_FORWARD) {
    status = mrank_forward_ex(s->ctx, d, s->n, h[0], h[1], h[2], h[4]);
  } else if (s->op == MRANK_OP_BACKWARD) {
    status = mrank_backward_ex(s->ctx, d, s->n, h[0], h[1], h[2], h[3], h[5], h[6]);
  } else {
    status = mrank_forward_backward_ex(s->ctx, d, s->n, h[0], h[1], h[2], h[4], h[5], h[6]);
  }
  const double elapsed = now() - start;
  if (status != MRANK_SUCCESS) fprintf(stderr, "mrank bench: %s\n", mrank_last_error());
  return status == MRANK_SUCCESS ? elapsed : -1.0;
}

static double run_reference(bench_state *s) {
  float **h = (float **)s->host; /* the reference rows are measured for float data only */
  const double start = now();
  mrank_status status =
      s->op == MRANK_OP_FORWARD
          ? mrank_reference_forward(s->n, h[0], h[1], h[2], 1.0f, s->reduction, h[4])
          : mrank_reference_forward_backward(s->n, h[0], h[1], h[2], 1.0f, s->reduction, h[4], h[5],
                                             h[6]);
  const double elapsed = now() - start;
  return status == MRANK_SUCCESS ? elapsed : -1.0;
}

static double run_empty(bench_state *s) {
  const double start = now();
  if (!roofline_enqueue_empty(&s->roof) || clFinish(s->queue) != CL_SUCCESS) return -1.0;
  return now() - start;
}

enum { min_samples = 31, max_samples = 5000 };

static int by_seconds(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The value at fraction q of sorted values (linear between neighbours). */
static double quantile(const double *sorted, int count, double q) {
  const double at = q * (double)(count - 1);
  const int low = (int)at;
  const int high = low + 1 < count ? low + 1 : low;
  return sorted[low] + (sorted[high] - sorted[low]) * (at - (double)low);
}

/* The median of at least min_samples runs after 2 warm-ups, running until `budget` seconds are
 * spent: the median, not the best, because a shared machine's best is a lucky moment that does
 * not repeat. */
static double median_of(bench_state *s, double (*run)(bench_state *), double budget) {
  for (int w = 0; w < 2; ++w) {
    if (run(s) < 0) return -1.0;
  }
  static double times[max_samples];
  int count = 0;
  const double start = now();
  while (count < max_samples && (count < min_samples || now() - start < budget)) {
    const double t = run(s);
    if (t < 0) return -1.0;
    times[count++] = t;
  }
  qsort(times, (size_t)count, sizeof *times, by_seconds);
  return quantile(times, count, 0.5);
}

/* The roofline's time for one pair: float and float4, the faster (s->vector is left as it was) */
static double run_roofline_best(bench_state *s) {
  const int vector = s->vector;
  double best = -1.0;
  for (int v = 0; v < 2; ++v) {
    if (v && s->n % 4 != 0) continue;
    s->vector = v;
    const double t = run_roofline(s);
    if (t <= 0) {
      best = -1.0;
      break;
    }
    if (best < 0 || t < best) best = t;
  }
  s->vector = vector;
  return best;
}

/* --- rows --- */

typedef struct row_list {
  bench_row *rows;
  size_t count, capacity;
} row_list;

static void add_row(row_list *list, bench_row row) {
  if (list->count == list->capacity) {
    size_t capacity = list->capacity ? 2 * list->capacity : 64;
    bench_row *grown = realloc(list->rows, capacity * sizeof *grown);
    if (grown == NULL) return;
    list->rows = grown;
    list->capacity = capacity;
  }
  if (row.seconds > 0 && row.bytes > 0) row.gbps = row.bytes * (double)row.n / row.seconds / 1e9;
  list->rows[list->count++] = row;
  bench_print_row(stdout, &row);
}

/* Device and host arrays of n elements of up to 8 bytes, for any type. */
static int allocate(bench_state *s, cl_context context, size_t n) {
  s->n = n;
  for (int a = 0; a < array_count; ++a) {
    cl_int err;
    s->buffers[a] = clCreateBuffer(context, CL_MEM_READ_WRITE, n * sizeof(double), NULL, &err);
    s->host[a] = malloc(n * sizeof(double));
    if (err != CL_SUCCESS || s->host[a] == NULL) return 0;
  }
  return 1;
}

/* Pseudo-random values of the type (so no compression or zero-page trick helps), finite and normal
 * (no subnormal slow path); labels +-1. */
static void fill_array(void *array, size_t n, mrank_dtype type, int labels, mrank_random *random) {
  for (size_t i = 0; i < n; ++i) {
    const float value = labels ? mrank_random_sign(random) : mrank_random_uniform(random, -2, 2);
    const uint64_t bits = mrank_random_next(random);
    switch (type) {
      case MRANK_DTYPE_F64:
        ((double *)array)[i] = value;
        break;
      case MRANK_DTYPE_F16:
        /* sign, exponent 10..20 (about 2^-5 .. 2^5), random mantissa: a normal half */
        ((uint16_t *)array)[i] =
            (uint16_t)(((bits >> 63) << 15) | ((10 + bits % 11) << 10) | ((bits >> 8) & 0x3ff));
        if (labels) ((uint16_t *)array)[i] = value > 0 ? 0x3c00 : 0xbc00;
        break;
      case MRANK_DTYPE_BF16: {
        uint32_t word;
        memcpy(&word, &value, sizeof word);
        ((uint16_t *)array)[i] = (uint16_t)(word >> 16);
        break;
      }
      case MRANK_DTYPE_I32:
        ((int32_t *)array)[i] = value > 0 ? 1 : -1;
        break;
      case MRANK_DTYPE_I8:
        ((int8_t *)array)[i] = value > 0 ? 1 : -1;
        break;
      default:
        ((float *)array)[i] = value;
        break;
    }
  }
}

static int fill(bench_state *s, mrank_dtype data, mrank_dtype labels) {
  mrank_random random = {s->n};
  for (int a = 0; a < array_count; ++a) {
    const mrank_dtype type = a == 2 ? labels : data;
    fill_array(s->host[a], s->n, type, a == 2, &random);
    if (clEnqueueWriteBuffer(s->queue, s->buffers[a], CL_TRUE, 0, s->n * mrank_dtype_size(type),
                             s->host[a], 0, NULL, NULL) != CL_SUCCESS) {
      return 0;
    }
  }
  s->desc.data = data;
  s->desc.labels = labels;
  return 1;
}

static void release(bench_state *s) {
  for (int a = 0; a < array_count; ++a) {
    if (s->buffers[a] != NULL) clReleaseMemObject(s->buffers[a]);
    free(s->host[a]);
    s->buffers[a] = NULL;
    s->host[a] = NULL;
  }
}

static bench_row make_row(const char *op, const char *of, int reduction, const char *api,
                          const char *kind, size_t n, int loads, int stores, double seconds,
                          mrank_dtype data, mrank_dtype labels) {
  bench_row row = {op,
                   of,
                   reduction >= 0 ? reduction_names[reduction] : "",
                   api,
                   kind,
                   n,
                   loads,
                   stores,
                   seconds,
                   0,
                   0,
                   mrank_dtype_name(data),
                   mrank_dtype_name(labels),
                   traffic_bytes(loads, stores, data, labels),
                   0,
                   0,
                   0};
  if (loads + stores == 0) row.bytes = 0;
  return row;
}

/* The quartiles of a ratio more than this apart (relative to the median) mean the machine was
 * too busy for the figure to repeat: the row gets a warning. */
static const double wide_spread = 0.10;

/* One operation measured against the roofline of its traffic pattern, pair after pair. */
typedef struct bench_case {
  bench_row row, roof_row;
  mrank_op op;
  mrank_reduction reduction;
  double (*run)(bench_state *);
  double *times, *roof_times, *ratios;
  int count;
} bench_case;

/* One pair of a case: the operation and the roofline (float and float4, the faster) in turn, the
 * order alternating (AB, BA, ...) so that what one leaves in the caches favours neither; the ratio
 * of their bandwidths (bytes / time). 0 when a run failed. */
static int measure_pair(bench_state *s, bench_case *c) {
  s->op = c->op;
  s->reduction = c->reduction;
  s->desc.reduction = c->reduction;
  s->desc.margin = 1.0;
  s->loads = c->roof_row.loads;
  s->stores = c->roof_row.stores;
  double t_op, t_roof;
  if (c->count % 2 == 0) {
    t_op = c->run(s);
    t_roof = run_roofline_best(s);
  } else {
    t_roof = run_roofline_best(s);
    t_op = c->run(s);
  }
  if (t_op <= 0 || t_roof <= 0) return 0;
  c->times[c->count] = t_op;
  c->roof_times[c->count] = t_roof;
  c->ratios[c->count++] = (c->row.bytes / t_op) / (c->roof_row.bytes / t_roof);
  return 1;
}

/* Every case in rounds, one pair of each per round, until at least min_samples rounds and `budget`
 * seconds per case are spent: each case's pairs are then spread over the whole measurement, so a
 * busy spell of a shared machine lands on all of them alike instead of on the one that ran then. A
 * row's ratio is the median of its pairs, its spread their quartiles. */
static void measure_cases(bench_state *s, bench_case *cases, int count, double budget) {
  for (int c = 0; c < count; ++c) { /* warm-ups: kernels built, caches and pages touched */
    for (int w = 0; w < 2; ++w) {
      if (!measure_pair(s, &cases[c])) break;
    }
    cases[c].count = 0;
  }
  const double start = now();
  for (int round = 0; round < max_samples; ++round) {
    if (round >= min_samples && now() - start >= budget * count) break;
    for (int c = 0; c < count; ++c) {
      if (cases[c].count == round && !measure_pair(s, &cases[c])) {
        mrank_error("%s %s %s: a run failed; row skipped", cases[c].row.op, cases[c].row.reduction,
                    cases[c].row.api);
      }
    }
  }
  for (int c = 0; c < count; ++c) {
    bench_case *k = &cases[c];
    if (k->count < min_samples) continue;
    qsort(k->times, (size_t)k->count, sizeof *k->times, by_seconds);
    qsort(k->ratios, (size_t)k->count, sizeof *k->ratios, by_seconds);
    k->row.seconds = quantile(k->times, k->count, 0.5);
    k->row.ratio = quantile(k->ratios, k->count, 0.5);
    k->row.ratio_low = quantile(k->ratios, k->count, 0.25);
    k->row.ratio_high = quantile(k->ratios, k->count, 0.75);
    k->row.pairs = k->count;
  }
}

/* The roofline of a traffic pattern: the median of its runs within the pairs of every case that
 * uses it, so that its GB/s and the operations' are of the same moments. */
static double roofline_median(const bench_case *cases, int count, int loads, int stores) {
  int total = 0;
  for (int c = 0; c < count; ++c) {
    if (cases[c].roof_row.loads == loads && cases[c].roof_row.stores == stores) {
      total += cases[c].count;
    }
  }
  double *times = malloc((total > 0 ? (size_t)total : 1) * sizeof *times);
  if (times == NULL || total == 0) {
    free(times);
    return 0.0;
  }
  int used = 0;
  for (int c = 0; c < count; ++c) {
    if (cases[c].roof_row.loads != loads || cases[c].roof_row.stores != stores) continue;
    memcpy(times + used, cases[c].roof_times, (size_t)cases[c].count * sizeof *times);
    used += cases[c].count;
  }
  qsort(times, (size_t)used, sizeof *times, by_seconds);
  const double median = quantile(times, used, 0.5);
  free(times);
  return median;
}

static void warn_if_wide(const bench_row *row) {
  if (row->pairs == 0 || (row->ratio_high - row->ratio_low) / row->ratio <= wide_spread) return;
  mrank_error(
      "warning: %s %s (%s, n = %zu): the ratio's quartiles are %.2f and %.2f over %d pairs, "
      "more than %.0f%% apart: the machine is busy, so this figure will not repeat; give "
      "more --budget or a quieter machine",
      row->op, row->reduction, row->api, row->n, row->ratio_low, row->ratio_high, row->pairs,
      100.0 * wide_spread);
}

enum { max_cases = 24 };

static int add_case(bench_case *cases, int *count, bench_row row, const bench_row *roof_row,
                    mrank_op op, mrank_reduction reduction, double (*run)(bench_state *)) {
  if (*count == max_cases) return 0;
  bench_case *c = &cases[*count];
  memset(c, 0, sizeof *c);
  c->row = row;
  c->roof_row = *roof_row;
  c->op = op;
  c->reduction = reduction;
  c->run = run;
  c->times = malloc(max_samples * sizeof *c->times);
  c->roof_times = malloc(max_samples * sizeof *c->roof_times);
  c->ratios = malloc(max_samples * sizeof *c->ratios);
  if (c->times == NULL || c->roof_times == NULL || c->ratios == NULL) {
    free(c->times);
    free(c->roof_times);
    free(c->ratios);
    return 0;
  }
  (*count)++;
  return 1;
}

static void free_cases(bench_case *cases, int count) {
  for (int c = 0; c < count; ++c) {
    free(cases[c].times);
    free(cases[c].roof_times);
    free(cases[c].ratios);
  }
}

static void bench_size(const bench_settings *settings, bench_state *s, row_list *rows) {
  for (int dt = 0; dt < settings->data_count; ++dt) {
    for (int lt = 0; lt < settings->labels_count; ++lt) {
      if (!fill(s, settings->data[dt], settings->labels[lt])) {
        mrank_error("cannot fill the arrays");
        return;
      }
      bench_case cases[max_cases];
      bench_row roof_rows[9]; /* one per operation and reduction, of the first types measured */
      int count = 0, roof_count = 0;
      for (mrank_op op = MRANK_OP_FORWARD; op <= MRANK_OP_FUSED; ++op) {
        for (mrank_reduction red = MRANK_REDUCTION_NONE; red <= MRANK_REDUCTION_SUM; ++red) {
          if (!settings->ops[op] || !settings->reductions[red]) continue;
          int loads, stores;
          mrank_bench_traffic(op, red, &loads, &stores);
          /* a float streaming kernel with the operation's arrays: the device's bandwidth at that
           * traffic, whatever the op's types; an op's ratio compares bytes per second with it */
          const bench_row roof_row =
              make_row("roofline", op_names[op], red, "buffer", "throughput", s->n, loads, stores,
                       0.0, MRANK_DTYPE_F32, MRANK_DTYPE_F32);
          if (dt == 0 && lt == 0) roof_rows[roof_count++] = roof_row;
          for (int api = 0; api < 2; ++api) {
            if (!settings->apis[api]) continue;
            const bench_row row =
                make_row(op_names[op], "", red, api_names[api], "throughput", s->n, loads, stores,
                         0.0, settings->data[dt], settings->labels[lt]);
            add_case(cases, &count, row, &roof_row, op, red,
                     api == 0 ? run_buffer_op : run_host_op);
          }
        }
      }
      /* the reference, single-threaded, for scale: forward and fused as training would call
       * them, on float data */
      static const struct {
        mrank_op op;
        mrank_reduction reduction;
      } reference_ops[2] = {{MRANK_OP_FORWARD, MRANK_REDUCTION_NONE},
                            {MRANK_OP_FUSED, MRANK_REDUCTION_MEAN}};
      const int float_data =
          settings->data[dt] == MRANK_DTYPE_F32 && settings->labels[lt] == MRANK_DTYPE_F32;
      for (int k = 0; k < 2 && float_data; ++k) {
        const mrank_op op = reference_ops[k].op;
        const mrank_reduction red = reference_ops[k].reduction;
        if (!settings->ops[op] || !settings->reductions[red] || !settings->apis[1]) continue;
        int loads, stores;
        mrank_bench_traffic(op, red, &loads, &stores);
        const bench_row row = make_row("reference", op_names[op], red, "host", "throughput", s->n,
                                       loads, stores, 0.0, MRANK_DTYPE_F32, MRANK_DTYPE_F32);
        const bench_row roof_row =
            make_row("roofline", op_names[op], red, "buffer", "throughput", s->n, loads, stores,
                     0.0, MRANK_DTYPE_F32, MRANK_DTYPE_F32);
        add_case(cases, &count, row, &roof_row, op, red, run_reference);
      }
      measure_cases(s, cases, count, settings->budget);
      for (int r = 0; r < roof_count; ++r) {
        roof_rows[r].seconds =
            roofline_median(cases, count, roof_rows[r].loads, roof_rows[r].stores);
        if (roof_rows[r].seconds > 0) add_row(rows, roof_rows[r]);
      }
      for (int c = 0; c < count; ++c) {
        if (cases[c].row.pairs == 0) continue;
        add_row(rows, cases[c].row);
        warn_if_wide(&cases[c].row);
      }
      free_cases(cases, count);
    }
  }
}

/* launch overhead: the host API on tiny inputs against an empty kernel's round trip */
static void bench_launch(const bench_settings *settings, bench_state *s, cl_context context,
                         row_list *rows) {
  if (!allocate(s, context, 1024) || !fill(s, MRANK_DTYPE_F32, MRANK_DTYPE_F32)) return;
  const double empty = median_of(s, run_empty, settings->budget);
  add_row(rows, make_row("empty", "", -1, "buffer", "launch", 0, 0, 0, empty, MRANK_DTYPE_F32,
                         MRANK_DTYPE_F32));
  const size_t tiny[] = {1, 1024};
  s->op = MRANK_OP_FORWARD;
  s->reduction = MRANK_REDUCTION_NONE;
  for (int k = 0; k < 2; ++k) {
    s->n = tiny[k];
    const double t = median_of(s, run_host_op, settings->budget);
    s->desc.reduction = MRANK_REDUCTION_NONE;
    bench_row row = make_row("forward", "", 0, "host", "launch", tiny[k], 3, 1, t, MRANK_DTYPE_F32,
                             MRANK_DTYPE_F32);
    row.ratio = t > 0 && empty > 0 ? t / empty : 0;
    add_row(rows, row);
  }
  s->n = 1024;
  release(s);
}

static int fits(cl_device_id device, size_t n) {
  cl_ulong max_alloc = 0, global = 0;
  clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
  clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
  const cl_ulong bytes = (cl_ulong)n * sizeof(float);
  return bytes <= max_alloc && bytes * array_count <= global;
}

/* everything for one device; the rows go to *rows */
static int bench_device_run(const bench_settings *settings, const char *selector,
                            bench_device *described, row_list *rows) {
  mrank_context *probe = NULL;
  if (mrank_context_create(selector, &probe) != MRANK_SUCCESS) {
    fprintf(stderr, "mrank bench: %s\n", mrank_last_error());
    return 0;
  }
  cl_command_queue probe_queue = mrank_context_queue(probe);
  if (probe_queue == NULL) {
    fprintf(stderr,
            "mrank bench: the \"host\" reference has no OpenCL device to measure; pick one\n");
    mrank_context_destroy(probe);
    return 0;
  }
  /* a queue of our own with profiling, and an mrank context on it (the interop entry point) */
  cl_context context = mrank_context_cl_context(probe);
  cl_device_id device;
  cl_platform_id platform;
  clGetCommandQueueInfo(probe_queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL);
  cl_device_type type = 0;
  clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  snprintf(described->name, sizeof described->name, "%s", mrank_context_device_name(probe));
  snprintf(described->type, sizeof described->type, "%s",
           type & CL_DEVICE_TYPE_GPU           ? "GPU"
           : type & CL_DEVICE_TYPE_ACCELERATOR ? "ACCELERATOR"
           : type & CL_DEVICE_TYPE_CPU         ? "CPU"
                                               : "CUSTOM");
  clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof described->platform, described->platform,
                    NULL);
  cl_int err;
  bench_state s;
  memset(&s, 0, sizeof s);
  s.queue = clCreateCommandQueue(context, device, CL_QUEUE_PROFILING_ENABLE, &err);
  int ok = err == CL_SUCCESS &&
           mrank_context_create_from_cl(context, device, s.queue, &s.ctx) == MRANK_SUCCESS &&
           roofline_init(&s.roof, context, device, s.queue);
  if (!ok) {
    fprintf(stderr, "mrank bench: cannot set up the device: %s\n", mrank_last_error());
  } else {
    snprintf(described->variant, sizeof described->variant, "%s", mrank_context_variant(s.ctx));
    printf("device: %s (%s, %s)\nkernel shape: %s\n", described->name, described->type,
           described->platform, described->variant);
    bench_print_header(stdout);
    int measured = 0;
    for (int k = 0; k < settings->n_count; ++k) {
      if (!fits(device, settings->n[k])) {
        fprintf(stderr, "mrank bench: n = %zu does not fit this device's memory; skipped\n",
                settings->n[k]);
        continue;
      }
      if (!allocate(&s, context, settings->n[k])) {
        fprintf(stderr, "mrank bench: cannot allocate n = %zu; skipped\n", settings->n[k]);
        release(&s);
        continue;
      }
      bench_size(settings, &s, rows);
      release(&s);
      measured++;
    }
    /* sizes asked for and none measured: an empty table is not a benchmark */
    if (settings->n_count > 0 && measured == 0) {
      fprintf(stderr,
              "mrank bench: none of the --n sizes fits on \"%s\"; give sizes that fit its "
              "memory (the table has no row)\n",
              described->name);
      ok = 0;
    } else if (settings->apis[1]) {
      bench_launch(settings, &s, context, rows);
    }
  }
  roofline_release(&s.roof);
  mrank_context_destroy(s.ctx);
  if (s.queue != NULL) clReleaseCommandQueue(s.queue);
  mrank_context_destroy(probe);
  return ok;
}

/* one of a fixed set of names */
typedef struct choice_list {
  const char *const *names;
  int count;
  int *flags; /* which were given */
} choice_list;

static int choice_item(const char *option, const char *item, void *into, int at) {
  (void)at;
  choice_list *list = into;
  for (int k = 0; k < list->count; ++k) {
    if (strcmp(item, list->names[k]) != 0) continue;
    list->flags[k] = 1;
    return 1;
  }
  char names[256] = "";
  for (int k = 0; k < list->count; ++k) {
    const size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", k > 0 ? " " : "", list->names[k]);
  }
  mrank_error("%s: \"%s\" is not one of: %s", option, item, names);
  return 0;
}

static int parse_flags(const char *option, const char *text, const char *const *names, int count,
                       int *flags) {
  for (int k = 0; k < count; ++k)
    flags[k] = 0;
  choice_list list = {names, count, flags};
  int given = 0;
  return mrank_parse_list(option, text, choice_item, &list, 16, &given);
}

static int size_item(const char *option, const char *item, void *into, int at) {
  size_t *sizes = into;
  if (!mrank_parse_size(option, item, &sizes[at])) return 0;
  if (sizes[at] == 0) {
    mrank_error("%s: sizes start at 1", option);
    return 0;
  }
  return 1;
}

static int parse_sizes(const char *text, bench_settings *s) {
  return mrank_parse_list("--n", text, size_item, s->n, max_sizes, &s->n_count);
}

static int parse_bench(int argc, char **argv, bench_settings *s) {
  for (int k = 10; k <= 26; ++k)
    s->n[s->n_count++] = (size_t)1 << k;
  for (int k = 0; k < 3; ++k)
    s->ops[k] = s->reductions[k] = 1;
  s->apis[0] = s->apis[1] = 1;
  s->data[0] = s->labels[0] = MRANK_DTYPE_F32;
  s->data_count = s->labels_count = 1;
  s->budget = 0.2;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i], *value = NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    if (strcmp(arg, "--all-devices") == 0) {
      s->all_devices = 1;
      continue;
    }
    static const char *const valued[] = {"--device", "--n",      "--op",   "--reduction",
                                         "--api",    "--budget", "--json", "--csv",
                                         "--dtype",  "--labels", "--shape"};
    int which = -1;
    for (int k = 0; k < (int)(sizeof valued / sizeof valued[0]); ++k) {
      if (mrank_is_option(arg, valued[k])) which = k;
    }
    if (which < 0) {
      fprintf(stderr, "mrank bench: unknown option \"%s\"; see 'mrank bench --help'\n", arg);
      return 0;
    }
    if ((value = mrank_option_value(argc, argv, &i, valued[which])) == NULL) return 0;
    float budget = 0.0f;
    switch (which) {
      case 0:
        s->selector = value;
        break;
      case 1:
        if (!parse_sizes(value, s)) return 0;
        break;
      case 2:
        if (!parse_flags("--op", value, op_names, 3, s->ops)) return 0;
        break;
      case 3:
        if (!parse_flags("--reduction", value, reduction_names, 3, s->reductions)) return 0;
        break;
      case 4:
        if (!parse_flags("--api", value, api_names, 2, s->apis)) return 0;
        break;
      case 5:
        if (!mrank_parse_float("--budget", value, &budget)) return 0; /* it said why */
        if (budget <= 0.0f) {
          fprintf(stderr, "mrank bench: --budget must be a positive number of seconds, not %s\n",
                  value);
          return 0;
        }
        s->budget = budget;
        break;
      case 6:
        s->json_path = value;
        break;
      case 7:
        s->csv_path = value;
        break;
      case 8:
        if (!mrank_parse_data_types("--dtype", value, s->data, &s->data_count)) return 0;
        break;
      case 10: {
        char *x = strchr(value, 'x');
        char rows[32] = "";
        if (x != NULL && (size_t)(x - value) < sizeof rows) {
          memcpy(rows, value, (size_t)(x - value));
        }
        if (x == NULL || !mrank_parse_size("--shape", rows, &s->shape_rows) ||
            !mrank_parse_size("--shape", x + 1, &s->shape_cols) || s->shape_rows == 0 ||
            s->shape_cols == 0) {
          mrank_error(
              "--shape is RxC, rows and columns of at least 1 (e.g. 2048x2048), not "
              "\"%s\"",
              value);
          return 0;
        }
        break;
      }
      default:
        if (!mrank_parse_label_types("--labels", value, s->labels, &s->labels_count)) return 0;
        break;
    }
  }
  if (s->all_devices && s->selector != NULL) {
    fprintf(stderr, "mrank bench: give --device or --all-devices, not both\n");
    return 0;
  }
  return 1;
}

static int write_file(const char *option, const char *path, const bench_device *devices,
                      const row_list *lists, size_t device_count, int json) {
  rank_atomic_file file;
  if (!rank_atomic_open(&file, path)) {
    mrank_error("%s %s: cannot write: %s", option, path, strerror(errno));
    return 0;
  }
  size_t counts[64];
  const bench_row *rows[64];
  for (size_t d = 0; d < device_count; ++d) {
    counts[d] = lists[d].count;
    rows[d] = lists[d].rows;
  }
  if (json) {
    bench_write_json(file.file, devices, counts, rows, device_count);
  } else {
    bench_write_csv(file.file, devices, counts, rows, device_count);
  }
  if (!rank_atomic_commit(&file)) {
    mrank_error("%s %s: cannot write: %s", option, path, strerror(errno));
    return 0;
  }
  return 1;
}

int mrank_cmd_bench(int argc, char **argv) {
  bench_settings settings;
  memset(&settings, 0, sizeof settings);
  const int parsed = parse_bench(argc, argv, &settings);
  if (parsed < 0) {
    fputs(mrank_bench_help, stdout);
    return 0;
  }
  if (parsed == 0) return 2;
  if (settings.shape_rows > 0) {
    return mrank_bench_shape(settings.selector, settings.shape_rows, settings.shape_cols,
                             settings.budget);
  }
  if (!settings.all_devices && settings.selector != NULL) {
    /* a selector of several devices: the split against the sum of their rooflines */
    mrank_context *several = NULL;
    if (mrank_context_create(settings.selector, &several) == MRANK_SUCCESS &&
        mrank_context_device_count(several) > 1) {
      if (settings.json_path != NULL || settings.csv_path != NULL) {
        mrank_context_destroy(several);
        mrank_error(
            "--json and --csv are for one device at a time; leave them out with --device "
            "%s",
            settings.selector);
        return 2;
      }
      return mrank_bench_split(several, settings.n, settings.n_count, settings.budget);
    }
    mrank_context_destroy(several);
  }
  /* the files are checked before the benchmark runs, not after */
  const mrank_path outputs[] = {{"--json", settings.json_path}, {"--csv", settings.csv_path}};
  if (!mrank_check_paths(NULL, 0, outputs, 2)) return 2;
  bench_device devices[64];
  row_list lists[64];
  memset(lists, 0, sizeof lists);
  size_t device_count = 0;
  int failures = 0;
  if (settings.all_devices) {
    size_t count = 0;
    if (mrank_device_count(&count) != MRANK_SUCCESS || count == 0) {
      fprintf(stderr,
              "mrank bench: no OpenCL device (install one: apt-get install pocl-opencl-icd)\n");
      return 2;
    }
    for (size_t i = 0; i < count && device_count < 64; ++i) {
      mrank_device_info info;
      if (mrank_device_describe(i, &info) != MRANK_SUCCESS) continue;
      failures +=
          !bench_device_run(&settings, info.selector, &devices[device_count], &lists[device_count]);
      device_count++;
    }
  } else {
    failures += !bench_device_run(&settings, settings.selector, &devices[0], &lists[0]);
    device_count = 1;
  }
  int ok = failures == 0;
  if (ok && settings.json_path != NULL)
    ok = write_file("--json", settings.json_path, devices, lists, device_count, 1);
  if (ok && settings.csv_path != NULL)
    ok = write_file("--csv", settings.csv_path, devices, lists, device_count, 0);
  for (size_t d = 0; d < device_count; ++d)
    free(lists[d].rows);
  return ok ? 0 : 2;
}
