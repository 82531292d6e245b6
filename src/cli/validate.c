/* validate.c: `mrank validate`, benchdnn's correctness mode for mrank: every combination of the
 * comma lists on the command line is one problem, checked against the CPU reference on each device;
 * one line per problem with a __REPRO: tail that reruns it alone, then a summary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/outcome.h"
#include "cli/validate_shape.h"
#include "mrank.h"

const char mrank_validate_help[] =
    "usage: mrank validate [--device SEL | --all-devices] [--n N,...] [--margin M,...]\n"
    "                      [--reduction none,mean,sum] [--op forward,backward,fused]\n"
    "                      [--dtype f32,f16,bf16,f64] [--labels f32,i32,i8] [--seed S]\n"
    "                      [--json] [--verbose]\n"
    "\n"
    "Checks the device against the CPU reference, problem by problem (every combination of the\n"
    "lists given). The data is random (values from 1e-3 to 1e3) with the edge cases planted at\n"
    "known positions: dist exactly 0 and one step either side, NaN in each input, +-Inf, +-0,\n"
    "subnormals, y outside {-1, 1}. Policy:\n"
    "  - elementwise outputs (loss with reduction none, every gradient) must be bit for bit those "
    "of\n"
    "    the reference (NaN equals NaN);\n"
    "  - a reduced loss must lie within the bound of the device's summation tree, printed beside\n"
    "    the error;\n"
    "  - two runs must give the same bits; nothing may be written past an output's end;\n"
    "  - the device's gradients must match central differences of the loss, computed in double at\n"
    "    points away from the kink, to 4 FLT_EPSILON (relative).\n"
    "A problem whose outputs are nearly all zero is MISTRUSTED rather than PASSED.\n"
    "\n"
    "  --device SEL    gpu, cpu, accelerator, host, P:D or a name (default: $MRANK_DEVICE, else\n"
    "                  the default device)\n"
    "  --all-devices   every OpenCL device in turn\n"
    "  --n LIST        sizes (default 7,63,65,1000,4097,65537,1048579; 2^K accepted)\n"
    "  --margin LIST   margins (default 1,0)\n"
    "  --reduction L   none, mean, sum (default all)\n"
    "  --op LIST       forward, backward, fused (default all)\n"
    "  --dtype LIST    type of x1, x2 and every output: f32 (default), f16 and bf16 (storage,\n"
    "                  computed in float), f64 (devices with fp64; SKIP elsewhere)\n"
    "  --labels LIST   type of y: f32 (default), i32, i8 (then y takes integer values)\n"
    "  --seed S        seed of the data (default 1)\n"
    "  --shape S1,S2,S3  tensor views instead of --n: the shapes of x1, x2 and y (\"4x1x7,4x5x7,\n"
    "                  1x5x1\"), broadcast by PyTorch's rules; the loss and the gradients (summed\n"
    "                  back over broadcast dimensions) against the reference's\n"
    "  --strides T1,T2,T3  their strides in elements (default: contiguous; 0 repeats)\n"
    "  --json          print a JSON report instead of lines\n"
    "  --verbose       print the figures of every output and the gradient check\n"
    "  --inject-fault  self-test: perturb one device output per problem; every problem must then\n"
    "                  FAIL and name the perturbed element\n"
    "  --inject-flush  self-test: replace the device's outputs with the flush-to-zero twin of the\n"
    "                  reference (subnormals made zero); only the flush-to-zero policy accepts "
    "them\n"
    "\n"
    "Policy: a device that reports CL_FP_DENORM must give the IEEE reference's bits; one that "
    "does\n"
    "not (OpenCL 1.2 lets it flush float subnormals) may give, element by element, those of the\n"
    "reference's flush-to-zero twin instead. MRANK_ASSUME_FTZ=1 treats any device as the latter\n"
    "(and builds with -cl-denorms-are-zero). The summary says which policy applied.\n"
    "\n"
    "Exit status: 0 when no problem failed, 1 when one did, 2 on a usage or device error.\n";

enum { max_list = 32 };

typedef struct grid {
  size_t n[max_list];
  int n_count;
  float margin[max_list];
  int margin_count;
  mrank_reduction reduction[3];
  int reduction_count;
  mrank_op op[3];
  int op_count;
  mrank_dtype data[4];
  int data_count;
  mrank_dtype labels[3];
  int labels_count;
} grid;

typedef struct settings {
  grid grid;
  const char *selector;
  const char *shape, *strides; /* --shape x1,x2,y and --strides: tensor views instead of --n */
  int all_devices, json, verbose, inject_fault;
  uint64_t seed;
} settings;

static const char *op_name(mrank_op op) {
  return op == MRANK_OP_FORWARD ? "forward" : op == MRANK_OP_BACKWARD ? "backward" : "fused";
}

static int parse_list(const char *option, const char *text,
                      int (*parse_item)(const char *option, const char *item, void *into, int at),
                      void *into, int *count) {
  return mrank_parse_list(option, text, parse_item, into, max_list, count);
}

static int parse_n_item(const char *option, const char *item, void *into, int at) {
  return mrank_parse_size(option, item, &((size_t *)into)[at]);
}

static int parse_margin_item(const char *option, const char *item, void *into, int at) {
  return mrank_parse_float(option, item, &((float *)into)[at]);
}

static int parse_reduction_item(const char *option, const char *item, void *into, int at) {
  static const mrank_reduction all[] = {MRANK_REDUCTION_NONE, MRANK_REDUCTION_MEAN,
                                        MRANK_REDUCTION_SUM};
  for (int r = 0; r < 3 && at < 3; ++r) {
    if (strcmp(item, mrank_reduction_name(all[r])) == 0) {
      ((mrank_reduction *)into)[at] = all[r];
      return 1;
    }
  }
  fprintf(stderr, "mrank validate: %s: \"%s\" is not one of none, mean, sum\n", option, item);
  return 0;
}

static int parse_op_item(const char *option, const char *item, void *into, int at) {
  static const mrank_op all[] = {MRANK_OP_FORWARD, MRANK_OP_BACKWARD, MRANK_OP_FUSED};
  for (int o = 0; o < 3 && at < 3; ++o) {
    if (strcmp(item, op_name(all[o])) == 0) {
      ((mrank_op *)into)[at] = all[o];
      return 1;
    }
  }
  fprintf(stderr, "mrank validate: %s: \"%s\" is not one of forward, backward, fused\n", option,
          item);
  return 0;
}

static void default_grid(grid *g) {
  static const size_t sizes[] = {7, 63, 65, 1000, 4097, 65537, 1048579};
  memset(g, 0, sizeof *g);
  for (int i = 0; i < 7; ++i)
    g->n[i] = sizes[i];
  g->n_count = 7;
  g->margin[0] = 1.0f;
  g->margin[1] = 0.0f;
  g->margin_count = 2;
  for (int i = 0; i < 3; ++i) {
    g->reduction[i] = (mrank_reduction)i;
    g->op[i] = (mrank_op)i;
  }
  g->reduction_count = g->op_count = 3;
  g->data[0] = MRANK_DTYPE_F32;
  g->labels[0] = MRANK_DTYPE_F32;
  g->data_count = g->labels_count = 1;
}

/* 1 on success, 0 on a usage error (message printed), -1 for --help */
static int parse_settings(int argc, char **argv, settings *s) {
  default_grid(&s->grid);
  s->seed = 1;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i], *value = NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    if (strcmp(arg, "--all-devices") == 0) {
      s->all_devices = 1;
    } else if (strcmp(arg, "--json") == 0) {
      s->json = 1;
    } else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
      s->verbose = 1;
    } else if (strcmp(arg, "--inject-fault") == 0) {
      s->inject_fault = 1;
    } else if (strcmp(arg, "--inject-flush") == 0) {
      s->inject_fault = 2;
    } else if (mrank_is_option(arg, "--device")) {
      if ((s->selector = mrank_option_value(argc, argv, &i, "--device")) == NULL) return 0;
    } else if (mrank_is_option(arg, "--shape")) {
      if ((s->shape = mrank_option_value(argc, argv, &i, "--shape")) == NULL) return 0;
    } else if (mrank_is_option(arg, "--strides")) {
      if ((s->strides = mrank_option_value(argc, argv, &i, "--strides")) == NULL) return 0;
    } else if (mrank_is_option(arg, "--seed")) {
      if ((value = mrank_option_value(argc, argv, &i, "--seed")) == NULL ||
          !mrank_parse_u64("--seed", value, &s->seed)) {
        return 0;
      }
    } else if (mrank_is_option(arg, "--n")) {
      if ((value = mrank_option_value(argc, argv, &i, "--n")) == NULL ||
          !parse_list("--n", value, parse_n_item, s->grid.n, &s->grid.n_count)) {
        return 0;
      }
    } else if (mrank_is_option(arg, "--margin")) {
      if ((value = mrank_option_value(argc, argv, &i, "--margin")) == NULL ||
          !parse_list("--margin", value, parse_margin_item, s->grid.margin,
                      &s->grid.margin_count)) {
        return 0;
      }
    } else if (mrank_is_option(arg, "--reduction")) {
      if ((value = mrank_option_value(argc, argv, &i, "--reduction")) == NULL ||
          !parse_list("--reduction", value, parse_reduction_item, s->grid.reduction,
                      &s->grid.reduction_count)) {
        return 0;
      }
    } else if (mrank_is_option(arg, "--op")) {
      if ((value = mrank_option_value(argc, argv, &i, "--op")) == NULL ||
          !parse_list("--op", value, parse_op_item, s->grid.op, &s->grid.op_count)) {
        return 0;
      }
    } else if (mrank_is_option(arg, "--dtype")) {
      if ((value = mrank_option_value(argc, argv, &i, "--dtype")) == NULL ||
          !mrank_parse_data_types("--dtype", value, s->grid.data, &s->grid.data_count)) {
        return 0;
      }
    } else if (mrank_is_option(arg, "--labels")) {
      if ((value = mrank_option_value(argc, argv, &i, "--labels")) == NULL ||
          !mrank_parse_label_types("--labels", value, s->grid.labels, &s->grid.labels_count)) {
        return 0;
      }
    } else {
      fprintf(stderr, "mrank validate: unknown option \"%s\"; see 'mrank validate --help'\n", arg);
      return 0;
    }
  }
  if (s->all_devices && s->selector != NULL) {
    fprintf(stderr, "mrank validate: give --device or --all-devices, not both\n");
    return 0;
  }
  return 1;
}

typedef struct tally {
  int passed, failed, mistrusted, skipped, printed;
  int flushing; /* problems checked under the flush-to-zero policy */
} tally;

static void repro(FILE *out, const char *selector, const mrank_problem *p, int inject) {
  fprintf(out,
          "mrank validate --device %s --op %s --reduction %s --n %zu --margin %.9g --dtype %s "
          "--labels %s --seed %llu%s",
          selector, op_name(p->op), mrank_reduction_name(p->reduction), p->n, p->margin,
          mrank_dtype_name(p->data), mrank_dtype_name(p->labels), p->seed,
          inject == 2 ? " --inject-flush"
          : inject    ? " --inject-fault"
                      : "");
}

static const char *verdict_word(mrank_verdict verdict) {
  return verdict == MRANK_VERDICT_PASSED   ? "PASS"
         : verdict == MRANK_VERDICT_FAILED ? "FAIL"
                                           : "MISTRUSTED";
}

/* The kernel that writes the problem's outputs (kernels/margin_ranking.cl), for a report of one
 * written outside itself: the reductions' results also pass through the summation kernels. */
static const char *writer_of(const mrank_problem *p) {
  const int none = p->reduction == MRANK_REDUCTION_NONE;
  if (p->op == MRANK_OP_FORWARD) {
    return none ? "kernel mrank_forward_none" : "kernels mrank_forward_sum64 and the sum passes";
  }
  if (p->op == MRANK_OP_BACKWARD)
    return none ? "kernel mrank_backward_none" : "kernel mrank_backward_scalar";
  return none ? "kernel mrank_fused_none" : "kernels mrank_fused_sum64 and the sum passes";
}

static void print_output_brief(const mrank_problem *p, const mrank_output_check *c) {
  if (c->bitwise) {
    printf(" %s: %zu/%zu differ;", c->name, c->mismatches, c->compared);
  } else {
    printf(" %s: rel.err %.2e %s bound %.2e;", c->name, c->max_rel_error,
           c->mismatches ? ">" : "<=", c->bound);
  }
  if (!c->canary_intact) printf(" %s: WRITTEN OUTSIDE ITSELF (%s);", c->name, writer_of(p));
  if (!c->deterministic) printf(" %s: NOT DETERMINISTIC;", c->name);
}

static void print_line(const char *selector, const mrank_problem *p, const mrank_validation *r,
                       int verbose, int inject) {
  printf("%-10s %-8s %-4s %-4s %-3s n=%-8zu m=%-6g", verdict_word(r->verdict), op_name(p->op),
         mrank_reduction_name(p->reduction), mrank_dtype_name(p->data), mrank_dtype_name(p->labels),
         p->n, p->margin);
  for (int o = 0; o < 3; ++o) {
    if (r->outputs[o].checked) print_output_brief(p, &r->outputs[o]);
  }
  if (p->op != MRANK_OP_FORWARD) {
    printf(" grad: %zu pts, rel.err %.1e %s %.1e;", r->gradient_points, r->gradient_max_error,
           r->gradient_passed ? "<=" : ">", r->gradient_tolerance);
  }
  printf(" __REPRO: ");
  repro(stdout, selector, p, inject);
  printf("\n");
  for (int o = 0; o < 3; ++o) {
    const mrank_output_check *c = &r->outputs[o];
    if (!c->checked || (!verbose && r->verdict != MRANK_VERDICT_FAILED)) continue;
    if (c->worst_index < c->compared && (verbose || c->mismatches > 0)) {
      printf("    %s worst at [%zu]: x1=%.9g x2=%.9g y=%.9g device=%.9g reference=%.9g\n", c->name,
             c->worst_index, c->worst_x1, c->worst_x2, c->worst_y, c->worst_device,
             c->worst_reference);
    }
    if (verbose) {
      printf(
          "    %s: %zu compared, %zu mismatches, %zu non-zero, max abs.err %.3g, max rel.err "
          "%.3g\n",
          c->name, c->compared, c->mismatches, c->nonzero, c->max_abs_error, c->max_rel_error);
    }
  }
}

static void print_json_result(const char *device, const char *selector, const mrank_problem *p,
                              const mrank_validation *r, int inject, int first) {
  printf("%s\n    {\"device\": ", first ? "" : ",");
  mrank_json_string(stdout, device);
  printf(", \"selector\": ");
  mrank_json_string(stdout, selector);
  printf(
      ", \"op\": \"%s\", \"reduction\": \"%s\", \"dtype\": \"%s\", \"labels\": \"%s\", "
      "\"n\": %zu, \"margin\": ",
      op_name(p->op), mrank_reduction_name(p->reduction), mrank_dtype_name(p->data),
      mrank_dtype_name(p->labels), p->n);
  mrank_json_number(stdout, p->margin);
  printf(", \"seed\": %llu, \"verdict\": \"%s\",\n     \"outputs\": [", p->seed,
         mrank_verdict_string(r->verdict));
  int first_output = 1;
  for (int o = 0; o < 3; ++o) {
    const mrank_output_check *c = &r->outputs[o];
    if (!c->checked) continue;
    printf(
        "%s{\"name\": \"%s\", \"bitwise\": %s, \"compared\": %zu, \"mismatches\": %zu, "
        "\"nonzero\": %zu, \"worst_index\": %zu, \"max_abs_error\": ",
        first_output ? "" : ", ", c->name, c->bitwise ? "true" : "false", c->compared,
        c->mismatches, c->nonzero, c->worst_index);
    mrank_json_number(stdout, c->max_abs_error);
    printf(", \"max_rel_error\": ");
    mrank_json_number(stdout, c->max_rel_error);
    printf(", \"bound\": ");
    mrank_json_number(stdout, c->bound);
    printf(", \"canary_intact\": %s, \"deterministic\": %s}", c->canary_intact ? "true" : "false",
           c->deterministic ? "true" : "false");
    first_output = 0;
  }
  printf("],\n     \"gradient\": {\"points\": %zu, \"max_rel_error\": ", r->gradient_points);
  mrank_json_number(stdout, r->gradient_max_error);
  printf(", \"tolerance\": ");
  mrank_json_number(stdout, r->gradient_tolerance);
  printf(", \"passed\": %s},\n     \"policy\": \"%s\", \"repro\": \"",
         r->gradient_passed ? "true" : "false",
         r->flush_to_zero ? "ieee-or-flush-to-zero" : "ieee");
  repro(stdout, selector, p, inject);
  printf("\"}");
}

/* Runs the whole grid on one device; 0 when the device could not be used. */
/* One problem: its line (or JSON object) and its count; 0 when the device failed to run it. */
static int validate_problem(const settings *s, mrank_context *ctx, const char *device,
                            const char *shown, const mrank_problem *problem, tally *t) {
  mrank_validation report;
  const mrank_status status = mrank_validate(ctx, problem, &report);
  if (status == MRANK_ERROR_UNSUPPORTED) {
    /* a type the device cannot run (f64 without fp64) is skipped, and said so, not failed */
    if (!s->json) {
      printf("%-10s %-8s %-4s %-4s %-3s n=%-8zu m=%-6g %s\n", "SKIP", op_name(problem->op),
             mrank_reduction_name(problem->reduction), mrank_dtype_name(problem->data),
             mrank_dtype_name(problem->labels), problem->n, problem->margin, mrank_last_error());
    }
    t->skipped++;
    return 1;
  }
  if (status != MRANK_SUCCESS) {
    fprintf(stderr, "mrank validate: %s on %s failed to run: %s\n", op_name(problem->op), device,
            mrank_last_error());
    return 0;
  }
  if (s->json) {
    print_json_result(device, shown, problem, &report, s->inject_fault, t->printed == 0);
  } else {
    print_line(shown, problem, &report, s->verbose, s->inject_fault);
  }
  t->printed++;
  t->passed += report.verdict == MRANK_VERDICT_PASSED;
  t->failed += report.verdict == MRANK_VERDICT_FAILED;
  t->mistrusted += report.verdict == MRANK_VERDICT_MISTRUSTED;
  t->flushing += report.flush_to_zero;
  return 1;
}

/* One --shape problem's result: a line with its __REPRO tail, or (--json) an object in the same
 * array as the other problems'. */
typedef struct shape_case {
  mrank_op op;
  mrank_reduction reduction;
  double margin;
  mrank_dtype data, labels;
  int passed;
} shape_case;

static void print_shape_result(const settings *s, const char *shown, const shape_case *c,
                               const char *detail, int first) {
  if (s->json) {
    printf("%s\n    {\"selector\": ", first ? "" : ",");
    mrank_json_string(stdout, shown);
    printf(
        ", \"op\": \"%s\", \"reduction\": \"%s\", \"dtype\": \"%s\", \"labels\": \"%s\", "
        "\"shape\": ",
        op_name(c->op), mrank_reduction_name(c->reduction), mrank_dtype_name(c->data),
        mrank_dtype_name(c->labels));
    mrank_json_string(stdout, s->shape);
    printf(", \"strides\": ");
    if (s->strides != NULL) {
      mrank_json_string(stdout, s->strides);
    } else {
      printf("null");
    }
    printf(", \"margin\": ");
    mrank_json_number(stdout, c->margin);
    printf(", \"seed\": %llu, \"verdict\": \"%s\", \"detail\": ", (unsigned long long)s->seed,
           c->passed ? "PASSED" : "FAILED");
    mrank_json_string(stdout, detail);
    printf("}");
    return;
  }
  printf(
      "%-6s %-8s %-4s %-4s %-4s margin %-6g %s: %s\n  __REPRO: mrank validate "
      "--device %s --shape %s%s%s --op %s --reduction %s --dtype %s --labels %s "
      "--margin %.9g --seed %llu\n",
      c->passed ? "PASSED" : "FAILED", op_name(c->op), mrank_reduction_name(c->reduction),
      mrank_dtype_name(c->data), mrank_dtype_name(c->labels), c->margin, s->shape, detail, shown,
      s->shape, s->strides != NULL ? " --strides " : "", s->strides != NULL ? s->strides : "",
      op_name(c->op), mrank_reduction_name(c->reduction), mrank_dtype_name(c->data),
      mrank_dtype_name(c->labels), c->margin, (unsigned long long)s->seed);
}

/* --shape: every combination of the lists on the tensor views, against the reference's */
static int validate_shapes(const settings *s, mrank_context *ctx, const char *shown, tally *t) {
  mrank_tensor shapes[3];
  if (!mrank_parse_shapes(s->shape, s->strides, shapes)) return 0;
  const grid *g = &s->grid;
  for (int dt = 0; dt < g->data_count; ++dt) {
    for (int lt = 0; lt < g->labels_count; ++lt) {
      for (int o = 0; o < g->op_count; ++o) {
        for (int r = 0; r < g->reduction_count; ++r) {
          for (int m = 0; m < g->margin_count; ++m) {
            char line[4096];
            const int result = mrank_validate_shape_problem(
                ctx, shapes, g->op[o], g->reduction[r], g->margin[m], g->data[dt], g->labels[lt],
                s->seed, line, sizeof line);
            if (result < 0) {
              fprintf(stderr, "mrank validate: %s\n", line);
              return 0;
            }
            const shape_case c = {g->op[o],    g->reduction[r], g->margin[m],
                                  g->data[dt], g->labels[lt],   result == 0};
            print_shape_result(s, shown, &c, line, t->printed == 0);
            result == 0 ? t->passed++ : t->failed++;
            t->printed++;
          }
        }
      }
    }
  }
  return 1;
}

static int validate_device(const settings *s, const char *selector, tally *t) {
  mrank_context *ctx = NULL;
  if (mrank_context_create(selector, &ctx) != MRANK_SUCCESS) {
    fprintf(stderr, "mrank validate: device \"%s\": %s\n", selector ? selector : "(default)",
            mrank_last_error());
    return 0;
  }
  const char *device = mrank_context_device_name(ctx);
  /* the __REPRO line names the device explicitly, whatever picked it */
  char shown[64];
  const char *from_env = getenv("MRANK_DEVICE");
  snprintf(shown, sizeof shown, "%s",
           selector != NULL                  ? selector
           : from_env != NULL && from_env[0] ? from_env
                                             : "");
  size_t count = 0;
  mrank_device_info info;
  for (size_t i = 0; shown[0] == '\0' && mrank_device_count(&count) == MRANK_SUCCESS && i < count;
       ++i) {
    if (mrank_device_describe(i, &info) == MRANK_SUCCESS && info.is_default) {
      snprintf(shown, sizeof shown, "%s", info.selector);
    }
  }
  if (!s->json) printf("device %s: %s\n", shown, device);
  const grid *g = &s->grid;
  int ok = 1;
  if (s->shape != NULL) {
    ok = validate_shapes(s, ctx, shown, t);
    mrank_context_destroy(ctx);
    return ok;
  }
  for (int dt = 0; dt < g->data_count && ok; ++dt) {
    for (int lt = 0; lt < g->labels_count && ok; ++lt) {
      for (int o = 0; o < g->op_count && ok; ++o) {
        for (int r = 0; r < g->reduction_count && ok; ++r) {
          for (int m = 0; m < g->margin_count && ok; ++m) {
            for (int k = 0; k < g->n_count && ok; ++k) {
              const mrank_problem problem = {g->op[o], g->reduction[r], g->n[k],     g->margin[m],
                                             s->seed,  s->inject_fault, g->data[dt], g->labels[lt]};
              ok = validate_problem(s, ctx, device, shown, &problem, t);
            }
          }
        }
      }
    }
  }
  mrank_context_destroy(ctx);
  return ok;
}

int mrank_cmd_validate(int argc, char **argv) {
  settings s;
  memset(&s, 0, sizeof s);
  int parsed = parse_settings(argc, argv, &s);
  if (parsed < 0) {
    fputs(mrank_validate_help, stdout);
    return 0;
  }
  if (parsed == 0) return 2;
  tally t = {0, 0, 0, 0, 0, 0};
  int device_errors = 0;
  if (s.json) printf("{\n  \"results\": [");
  if (s.all_devices) {
    size_t count = 0;
    if (mrank_device_count(&count) != MRANK_SUCCESS || count == 0) {
      fprintf(stderr,
              "mrank validate: no OpenCL device to validate (install one, e.g. apt-get install "
              "pocl-opencl-icd, or use --device host)\n");
      return 2;
    }
    for (size_t i = 0; i < count; ++i) {
      mrank_device_info info;
      if (mrank_device_describe(i, &info) != MRANK_SUCCESS) {
        device_errors++;
        continue;
      }
      device_errors += !validate_device(&s, info.selector, &t);
    }
  } else {
    device_errors += !validate_device(&s, s.selector, &t);
  }
  if (s.json) {
    printf("\n  ],\n  \"passed\": %d, \"failed\": %d, \"mistrusted\": %d, \"skipped\": %d\n}\n",
           t.passed, t.failed, t.mistrusted, t.skipped);
  } else if (t.printed > 0 || t.skipped > 0 || device_errors == 0) {
    /* a device that could not run anything has its error, not a tally of nothing */
    if (t.mistrusted > 0) {
      printf("%d problem(s) MISTRUSTED: their outputs are nearly all zero (try another margin)\n",
             t.mistrusted);
    }
    if (t.printed > 0) {
      printf("policy: %s\n",
             t.flushing == 0 ? "IEEE (the device keeps subnormals: the reference's bits exactly)"
             : t.flushing == t.printed
                 ? "IEEE or flush-to-zero, element by element (the device does not report "
                   "CL_FP_DENORM, or MRANK_ASSUME_FTZ=1)"
                 : "IEEE on some devices, IEEE or flush-to-zero on the others");
    }
    if (t.skipped > 0) {
      printf("validate: %d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
    } else {
      printf("validate: %d passed, %d failed\n", t.passed, t.failed);
    }
  }
  return device_errors > 0 ? 2 : t.failed > 0 ? 1 : 0;
}
