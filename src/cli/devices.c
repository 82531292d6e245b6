/* devices.c: `mrank devices`, the listing of OpenCL devices in the manner of `clinfo -l`, as a
 * table or JSON, and `--check`, which builds and runs the kernels on each device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/outcome.h"
#include "cli/commands.h"
#include "cli/json.h"
#include "cli/options.h"
#include "device_traits.h"
#include "pocl_hint.h"
#include "mrank.h"
#include "random.h"

const char mrank_devices_help[] =
    "usage: mrank devices [--json] [--verbose] [--check] [--select SEL]\n"
    "\n"
    "Lists every OpenCL device, grouped by platform, one line each: the selector that picks it\n"
    "(P:D, for --device or MRANK_DEVICE), type, name, vendor, driver version, OpenCL C version,\n"
    "compute units, global memory, largest single allocation, fp64 and fp16 support. '*' marks "
    "the\n"
    "device the default policy picks (first GPU, else accelerator, else CPU), 'E' the one\n"
    "MRANK_DEVICE picks when set.\n"
    "\n"
    "  --json     the same as a JSON array of platforms with their devices\n"
    "  --verbose  add extensions, local memory, work-group size, preferred float vector width,\n"
    "             and the float, double and half configurations (whether subnormals are kept)\n"
    "  --check    build the kernels on each device and run a small forward/backward against the\n"
    "             CPU reference; prints OK or the failure; exit status 1 if any device failed\n"
    "  --select SEL\n"
    "             print only the devices selector SEL picks, in the order a context uses them\n"
    "             (with --json: an array of {selector, type, name}); SEL is any --device value:\n"
    "             gpu, cpu, P:D, part of a name, or several devices at once: all, gpu:all,\n"
    "             cpu:all, accelerator:all, or a comma list such as 0:0,0:1. Exit status 1 when\n"
    "             it picks none (the message says why)\n"
    "\n"
    "Exit status: 0 done, 1 when no OpenCL platform is installed (the message says how to get\n"
    "one), a --check failed or --select picked no device, 2 on a usage error.\n";

static void format_bytes(unsigned long long bytes, char *out, size_t capacity) {
  const double gib = 1024.0 * 1024.0 * 1024.0;
  if (bytes >= (1ull << 30)) {
    snprintf(out, capacity, "%.1f GiB", (double)bytes / gib);
  } else {
    snprintf(out, capacity, "%.0f MiB", (double)bytes / (1024.0 * 1024.0));
  }
}

/* "OpenCL C 1.2 pocl" -> "1.2" */
static void short_c_version(const char *text, char *out, size_t capacity) {
  const char *prefix = "OpenCL C ";
  if (strncmp(text, prefix, strlen(prefix)) == 0) text += strlen(prefix);
  size_t length = strcspn(text, " ");
  snprintf(out, capacity, "%.*s", (int)length, text);
}

/* Platforms that listed no device (none, or the driver failed to answer) are reported, not fatal.
 */
static void report_silent_platforms(const mrank_device_info *infos, size_t count) {
  cl_uint platform_count = 0;
  if (clGetPlatformIDs(0, NULL, &platform_count) != CL_SUCCESS || platform_count == 0) return;
  cl_platform_id *platforms = calloc(platform_count, sizeof *platforms);
  if (platforms == NULL || clGetPlatformIDs(platform_count, platforms, NULL) != CL_SUCCESS) {
    free(platforms);
    return;
  }
  for (cl_uint p = 0; p < platform_count; ++p) {
    int listed = 0;
    for (size_t i = 0; i < count; ++i)
      listed |= infos[i].platform_index == p;
    if (listed) continue;
    char name[256] = "(no name)";
    cl_uint devices = 0;
    clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME, sizeof name, name, NULL);
    name[sizeof name - 1] = '\0';
    cl_int err = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &devices);
    fprintf(stderr, "mrank devices: platform %u (%s) has no usable device (%s); skipped\n", p, name,
            err == CL_SUCCESS            ? "none listed"
            : err == CL_DEVICE_NOT_FOUND ? "CL_DEVICE_NOT_FOUND"
                                         : "the driver did not answer");
  }
  free(platforms);
}

static int load_devices(mrank_device_info **infos, size_t *count) {
  *infos = NULL;
  if (mrank_device_count(count) != MRANK_SUCCESS) {
    fprintf(stderr, "mrank devices: %s\n", mrank_last_error());
    return 0;
  }
  char hint[4500];
  if (*count == 0 && mrank_pocl_cache_hint(hint, sizeof hint)) {
    mrank_error("%s", hint);
    return 0;
  }
  if (*count == 0) {
    fprintf(stderr,
            "mrank devices: no OpenCL platform with a device was found.\n"
            "Install an OpenCL driver: on Debian, apt-get install pocl-opencl-icd for the CPU, or\n"
            "your GPU vendor's OpenCL package (and check OCL_ICD_VENDORS if it is set). The CPU\n"
            "reference still works everywhere: --device host.\n");
    return 0;
  }
  *infos = calloc(*count, sizeof **infos);
  if (*infos == NULL) {
    fprintf(stderr, "mrank devices: out of memory\n");
    return 0;
  }
  for (size_t i = 0; i < *count; ++i) {
    if (mrank_device_describe(i, &(*infos)[i]) != MRANK_SUCCESS) {
      fprintf(stderr, "mrank devices: device %zu: %s\n", i, mrank_last_error());
      free(*infos);
      *infos = NULL;
      return 0;
    }
  }
  return 1;
}

/* A cl_device_fp_config as words: "denorm inf_nan round_to_nearest fma", "none" for 0. */
static void fp_config_words(unsigned long long config, char *out, size_t size) {
  static const struct {
    unsigned long long bit;
    const char *name;
  } bits[] = {{CL_FP_DENORM, "denorm"},
              {CL_FP_INF_NAN, "inf_nan"},
              {CL_FP_ROUND_TO_NEAREST, "round_to_nearest"},
              {CL_FP_ROUND_TO_ZERO, "round_to_zero"},
              {CL_FP_ROUND_TO_INF, "round_to_inf"},
              {CL_FP_FMA, "fma"},
              {CL_FP_SOFT_FLOAT, "soft_float"},
              {CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT, "correctly_rounded_divide_sqrt"}};
  out[0] = '\0';
  for (size_t b = 0; b < sizeof bits / sizeof bits[0]; ++b) {
    if (!(config & bits[b].bit)) continue;
    const size_t used = strlen(out);
    snprintf(out + used, size - used, "%s%s", used > 0 ? " " : "", bits[b].name);
  }
  if (out[0] == '\0') snprintf(out, size, "none");
}

static void print_table(const mrank_device_info *infos, size_t count, int verbose) {
  int name_width = 4;
  for (size_t i = 0; i < count; ++i) {
    if ((int)strlen(infos[i].name) > name_width) name_width = (int)strlen(infos[i].name);
  }
  printf("   %-5s %-11s %-*s %-14s %-12s %-4s %4s %10s %10s %4s %4s\n", "SEL", "TYPE", name_width,
         "NAME", "VENDOR", "DRIVER", "CL C", "CU", "GLOBAL", "MAX ALLOC", "FP64", "FP16");
  for (size_t i = 0; i < count; ++i) {
    const mrank_device_info *d = &infos[i];
    if (i == 0 || d->platform_index != infos[i - 1].platform_index) {
      printf("Platform %u: %s (%s)\n", d->platform_index, d->platform_name, d->platform_version);
    }
    char global[32], alloc[32], c_version[32];
    short_c_version(d->opencl_c_version, c_version, sizeof c_version);
    format_bytes(d->global_memory_bytes, global, sizeof global);
    format_bytes(d->max_allocation_bytes, alloc, sizeof alloc);
    printf("%c%c %-5s %-11s %-*s %-14.14s %-12.12s %-4s %4u %10s %10s %4s %4s\n",
           d->is_default ? '*' : ' ', d->is_environment_choice ? 'E' : ' ', d->selector, d->type,
           name_width, d->name, d->vendor, d->driver_version, c_version, d->compute_units, global,
           alloc, d->fp64 ? "yes" : "no", d->fp16 ? "yes" : "no");
    if (verbose) {
      char local[32];
      format_bytes(d->local_memory_bytes, local, sizeof local);
      printf(
          "          device version %s; local memory %s; max work-group %zu; preferred float "
          "vector width %u; host-unified memory %s\n",
          d->device_version, local, d->max_work_group_size, d->preferred_float_vector_width,
          d->host_unified_memory ? "yes" : "no");
      char single[256], doubles[256], halves[256];
      fp_config_words(d->single_fp_config, single, sizeof single);
      fp_config_words(d->double_fp_config, doubles, sizeof doubles);
      fp_config_words(d->half_fp_config, halves, sizeof halves);
      printf("          float: %s (%s)\n", single,
             d->denormals
                 ? "keeps subnormals: results are checked bit for bit"
                 : "may flush subnormals: the reference's flush-to-zero twin is accepted too");
      printf("          double: %s; half: %s\n", doubles, halves);
      printf("          compiler: %s\n",
             d->compiler_available ? "yes (kernels are built from source on first use)"
             : mrank_env_flag("MRANK_ASSUME_NO_COMPILER")
                 ? "no (MRANK_ASSUME_NO_COMPILER is set): programs come only from "
                   "MRANK_BINARY_DIR (mrank compile)"
                 : "no: programs come only from MRANK_BINARY_DIR (mrank compile)");
      mrank_context *ctx = NULL;
      if (mrank_context_create(d->selector, &ctx) == MRANK_SUCCESS) {
        printf("          kernel shape: %s\n", mrank_context_variant(ctx));
        mrank_context_destroy(ctx);
      }
      printf("          extensions: %s\n", d->extensions);
    }
  }
  printf("\n* default device   E chosen by MRANK_DEVICE   (select with --device P:D or a name)\n");
  /* MRANK_DEVICE set but picking nothing: every other command will fail on it, so say why here */
  const char *chosen = getenv("MRANK_DEVICE");
  int picked = 0;
  for (size_t i = 0; i < count; ++i)
    picked |= infos[i].is_environment_choice;
  if (chosen != NULL && chosen[0] != '\0' && !picked && strcmp(chosen, "host") != 0) {
    mrank_context *ctx = NULL;
    if (mrank_context_create(chosen, &ctx) != MRANK_SUCCESS) {
      fprintf(stderr, "mrank devices: warning: MRANK_DEVICE=\"%s\" picks no device: %s\n", chosen,
              mrank_last_error());
    }
    mrank_context_destroy(ctx);
  }
}

static void json_field(const char *name, const char *value, int comma) {
  printf("      \"%s\": ", name);
  mrank_json_string(stdout, value);
  printf("%s\n", comma ? "," : "");
}

static void print_json(const mrank_device_info *infos, size_t count, int verbose) {
  printf("[\n");
  for (size_t i = 0; i < count; ++i) {
    const mrank_device_info *d = &infos[i];
    const int first_of_platform = i == 0 || d->platform_index != infos[i - 1].platform_index;
    const int last_of_platform = i + 1 == count || infos[i + 1].platform_index != d->platform_index;
    if (first_of_platform) {
      printf("  {\"index\": %u, \"name\": ", d->platform_index);
      mrank_json_string(stdout, d->platform_name);
      printf(", \"version\": ");
      mrank_json_string(stdout, d->platform_version);
      printf(",\n   \"devices\": [\n");
    }
    printf("    {\n");
    json_field("selector", d->selector, 1);
    json_field("type", d->type, 1);
    json_field("name", d->name, 1);
    json_field("vendor", d->vendor, 1);
    json_field("driver_version", d->driver_version, 1);
    json_field("device_version", d->device_version, 1);
    json_field("opencl_c_version", d->opencl_c_version, 1);
    printf("      \"compute_units\": %u,\n", d->compute_units);
    printf("      \"global_memory_bytes\": %llu,\n", d->global_memory_bytes);
    printf("      \"max_allocation_bytes\": %llu,\n", d->max_allocation_bytes);
    char single[256], doubles[256], halves[256];
    fp_config_words(d->single_fp_config, single, sizeof single);
    fp_config_words(d->double_fp_config, doubles, sizeof doubles);
    fp_config_words(d->half_fp_config, halves, sizeof halves);
    json_field("single_fp_config", single, 1);
    json_field("double_fp_config", doubles, 1);
    json_field("half_fp_config", halves, 1);
    printf("      \"denormals\": %s,\n", d->denormals ? "true" : "false");
    printf("      \"compiler_available\": %s,\n", d->compiler_available ? "true" : "false");
    printf("      \"fp64\": %s,\n      \"fp16\": %s,\n", d->fp64 ? "true" : "false",
           d->fp16 ? "true" : "false");
    if (verbose) {
      printf("      \"local_memory_bytes\": %llu,\n", d->local_memory_bytes);
      printf("      \"max_work_group_size\": %zu,\n", d->max_work_group_size);
      printf("      \"preferred_float_vector_width\": %u,\n", d->preferred_float_vector_width);
      printf("      \"host_unified_memory\": %s,\n", d->host_unified_memory ? "true" : "false");
      json_field("extensions", d->extensions, 1);
    }
    printf("      \"default\": %s,\n      \"mrank_device\": %s\n    }%s\n",
           d->is_default ? "true" : "false", d->is_environment_choice ? "true" : "false",
           last_of_platform ? "" : ",");
    if (last_of_platform) printf("   ]}%s\n", i + 1 == count ? "" : ",");
  }
  printf("]\n");
}

/* Builds the kernels on one device and checks forward, backward and a sum with mrank_validate. */
static int check_device(const mrank_device_info *d) {
  enum { n = 4099 };
  static const struct {
    mrank_op op;
    mrank_reduction reduction;
    const char *name;
  } checks[] = {{MRANK_OP_FORWARD, MRANK_REDUCTION_NONE, "forward"},
                {MRANK_OP_BACKWARD, MRANK_REDUCTION_NONE, "backward"},
                {MRANK_OP_FORWARD, MRANK_REDUCTION_SUM, "forward (sum)"}};
  mrank_context *ctx = NULL;
  printf("%-5s %-44s ", d->selector, d->name);
  fflush(stdout);
  const char *failed_step = NULL;
  char failure[1200] = "";
  if (mrank_context_create(d->selector, &ctx) != MRANK_SUCCESS) failed_step = "context";
  for (size_t c = 0; c < sizeof checks / sizeof checks[0] && failed_step == NULL; ++c) {
    mrank_problem problem;
    memset(&problem, 0, sizeof problem);
    problem.op = checks[c].op;
    problem.reduction = checks[c].reduction;
    problem.n = n;
    problem.margin = 1.0f;
    problem.seed = 42;
    mrank_validation report;
    if (mrank_validate(ctx, &problem, &report) != MRANK_SUCCESS) {
      failed_step = checks[c].name;
    } else if (report.verdict == MRANK_VERDICT_FAILED && failure[0] == '\0') {
      char phrase[1024];
      mrank_outcome_phrase(&report, phrase, sizeof phrase);
      snprintf(failure, sizeof failure, "%s %s", checks[c].name, phrase);
    }
  }
  if (failed_step != NULL) {
    /* the message with, for a build failure, the first lines of the log */
    const char *message = mrank_last_error();
    int lines = 0;
    printf("FAIL (%s): ", failed_step);
    for (const char *c = message; *c && lines < 8; ++c) {
      putchar(*c);
      if (*c == '\n') lines++;
    }
    printf("\n");
    mrank_context_destroy(ctx);
    return 0;
  }
  mrank_context_destroy(ctx);
  if (failure[0] == '\0') {
    printf("OK (forward, backward bitwise equal to the reference; sum within its bound)\n");
    return 1;
  }
  printf("%s\n", failure);
  return 0;
}

static cl_device_id device_of(mrank_context *ctx) {
  cl_device_id device = NULL;
  cl_command_queue queue = mrank_context_queue(ctx);
  if (queue == NULL ||
      clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL) != CL_SUCCESS) {
    return NULL;
  }
  return device;
}

/* The list entry of one device of a context: matched by cl_device_id against a context made for
 * each P:D in turn, so that two devices with one name are told apart. */
static const mrank_device_info *entry_of(cl_device_id device, const mrank_device_info *infos,
                                         size_t count) {
  for (size_t i = 0; i < count; ++i) {
    mrank_context *one = NULL;
    if (mrank_context_create(infos[i].selector, &one) != MRANK_SUCCESS) continue;
    const int same = device_of(one) == device;
    mrank_context_destroy(one);
    if (same) return &infos[i];
  }
  return NULL;
}

static int print_selection(const char *selector, const mrank_device_info *infos, size_t count,
                           int json) {
  mrank_context *ctx = NULL;
  if (mrank_context_create(selector, &ctx) != MRANK_SUCCESS) {
    fprintf(stderr, "mrank devices: %s\n", mrank_last_error());
    return 1;
  }
  const size_t devices = mrank_context_device_count(ctx);
  if (json) printf("[");
  for (size_t k = 0; k < devices; ++k) {
    mrank_context *one = NULL;
    mrank_context_device(ctx, k, &one);
    const cl_device_id device = device_of(one);
    const mrank_device_info *info = device == NULL ? NULL : entry_of(device, infos, count);
    const char *sel = info != NULL ? info->selector : device == NULL ? "host" : "?";
    const char *type = info != NULL ? info->type : device == NULL ? "HOST" : "?";
    /* the first device's own context is the whole set's: its name is the set's */
    const char *name = info != NULL ? info->name : mrank_context_device_name(one);
    if (json) {
      printf("%s\n  {\"selector\": ", k > 0 ? "," : "");
      mrank_json_string(stdout, sel);
      printf(", \"type\": ");
      mrank_json_string(stdout, type);
      printf(", \"name\": ");
      mrank_json_string(stdout, name);
      printf("}");
    } else {
      printf("%-6s %-11s %s\n", sel, type, name);
    }
  }
  if (json) printf("\n]\n");
  mrank_context_destroy(ctx);
  return 0;
}

int mrank_cmd_devices(int argc, char **argv) {
  int json = 0, verbose = 0, check = 0;
  const char *select = NULL;
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(mrank_devices_help, stdout);
      return 0;
    } else if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[i], "--check") == 0) {
      check = 1;
    } else if (strcmp(argv[i], "--select") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "mrank devices: --select needs a selector (all, gpu:all, 0:0,0:1, ...)\n");
        return 2;
      }
      select = argv[++i];
    } else {
      fprintf(stderr, "mrank devices: unknown option \"%s\"; see 'mrank devices --help'\n",
              argv[i]);
      return 2;
    }
  }
  if (json && check) {
    fprintf(stderr, "mrank devices: --check prints a report, not JSON; use one or the other\n");
    return 2;
  }
  mrank_device_info *infos = NULL;
  size_t count = 0;
  if (!load_devices(&infos, &count)) {
    if (json && count == 0) printf("[]\n"); /* still a JSON document: no platform, no device */
    return 1;
  }
  report_silent_platforms(infos, count);
  int status = 0;
  if (select != NULL) {
    status = print_selection(select, infos, count, json);
  } else if (json) {
    print_json(infos, count, verbose);
  } else if (check) {
    int failed = 0;
    for (size_t i = 0; i < count; ++i)
      failed += !check_device(&infos[i]);
    printf("devices: %zu passed, %d failed\n", count - (size_t)failed, failed);
    status = failed > 0;
  } else {
    print_table(infos, count, verbose);
  }
  free(infos);
  return status;
}
