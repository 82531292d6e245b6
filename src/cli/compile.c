/* compile.c: `mrank compile`: every program mrank runs on a device (the operator's type variants,
 * the trainer's, the benchmark's roofline) built into a folder with a manifest, or their exact
 * sources and options written for a vendor's offline compiler. MRANK_BINARY_DIR then runs them on
 * a device that cannot compile (FPGAs). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "binary_dir.h"
#include "cli/bench.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/roofline.h"
#include "rank/linear_device.h"
#include "rank/mlp_device.h"

const char mrank_compile_help[] =
    "usage: mrank compile [--device SEL] (--out DIR | --emit-source DIR) [--dtype LIST]\n"
    "                     [--labels LIST]\n"
    "       mrank compile --seal DIR\n"
    "\n"
    "Builds every OpenCL program mrank runs on the device into DIR, for devices that cannot\n"
    "compile from source (FPGAs, locked-down boards): the operator's kernels for each type pair,\n"
    "the trainers' (train, tune, demo; linear and MLP) and the benchmark's roofline (bench).\n"
    "DIR/manifest.txt records the mrank version, each program's source hash and build options,\n"
    "and the platform, device and driver (names and versions) the binaries are for. Then\n"
    "    MRANK_BINARY_DIR=DIR mrank validate ...\n"
    "runs every program from DIR and never builds one from source: a program DIR lacks, or one\n"
    "made for another driver or mrank version, is an error naming the file. The MLP scorer\n"
    "trains from DIR with its own dense kernels (train's --gemm dense, chosen by itself there);\n"
    "--gemm clblast needs a compiler, as CLBlast builds its kernels at run time.\n"
    "\n"
    "  --device SEL        gpu, cpu, accelerator, P:D or a name (default: $MRANK_DEVICE, else the\n"
    "                      default device)\n"
    "  --out DIR           build here and write DIR/NAME.bin per program (the device's driver\n"
    "                      must have a compiler)\n"
    "  --emit-source DIR   write DIR/NAME.cl and DIR/NAME.options instead: the exact source and\n"
    "                      build options of each program, for the vendor's offline compiler\n"
    "                      (Intel's aoc, AMD Xilinx's v++), whose output goes to DIR/NAME.aocx,\n"
    "                      NAME.xclbin or NAME.bin (README, \"Offline-built programs\")\n"
    "  --seal DIR          after the vendor's compiler has written the binaries of an\n"
    "                      --emit-source folder: record each one's length and checksum in the\n"
    "                      manifest, so that a truncated or corrupt binary is refused with its "
    "name\n"
    "                      before the driver reads it (some drivers crash on one)\n"
    "  --dtype LIST        data types to build: f32, f16, bf16, f64 (default all; f64 only where\n"
    "                      the device has double precision)\n"
    "  --labels LIST       label types to build: f32, i32, i8 (default all)\n"
    "\n"
    "A folder holds one device's programs: adding to one made for another device, driver or\n"
    "mrank version is refused. Running compile again replaces the programs it builds.\n"
    "\n"
    "Exit status: 0 when every program was written, 1 when one failed, 2 on a usage error.\n";

typedef struct compile_settings {
  const char *device, *dir;
  int emit_source, seal;
  mrank_dtype data[4], labels[3];
  int data_count, labels_count, data_given;
} compile_settings;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int parse_compile(int argc, char **argv, compile_settings *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i], *value = NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(mrank_compile_help, stdout);
      return -1;
    } else if (mrank_is_option(arg, "--device")) {
      if ((s->device = mrank_option_value(argc, argv, &i, "--device")) == NULL) return 0;
    } else if (mrank_is_option(arg, "--out") || mrank_is_option(arg, "--emit-source") ||
               mrank_is_option(arg, "--seal")) {
      const int source = mrank_is_option(arg, "--emit-source"),
                seal = mrank_is_option(arg, "--seal");
      const char *name = source ? "--emit-source" : seal ? "--seal" : "--out";
      if (s->dir != NULL) {
        mrank_error("give one of --out, --emit-source and --seal, once");
        return 0;
      }
      if ((value = mrank_option_value(argc, argv, &i, name)) == NULL) return 0;
      if (value[0] == '\0') {
        mrank_error("%s: the folder name is empty", name);
        return 0;
      }
      s->dir = value;
      s->emit_source = source;
      s->seal = seal;
    } else if (mrank_is_option(arg, "--dtype")) {
      if ((value = mrank_option_value(argc, argv, &i, "--dtype")) == NULL ||
          !mrank_parse_data_types("--dtype", value, s->data, &s->data_count)) {
        return 0;
      }
      s->data_given = 1;
    } else if (mrank_is_option(arg, "--labels")) {
      if ((value = mrank_option_value(argc, argv, &i, "--labels")) == NULL ||
          !mrank_parse_label_types("--labels", value, s->labels, &s->labels_count)) {
        return 0;
      }
    } else {
      mrank_error("unknown option \"%s\" (see mrank compile --help)", arg);
      return 0;
    }
  }
  if (s->dir == NULL) {
    mrank_error(
        "say where the programs go: --out DIR (binaries) or --emit-source DIR (sources "
        "for a vendor's compiler); see mrank compile --help");
    return 0;
  }
  if (s->data_count == 0) {
    const mrank_dtype all[] = {MRANK_DTYPE_F32, MRANK_DTYPE_F16, MRANK_DTYPE_BF16, MRANK_DTYPE_F64};
    memcpy(s->data, all, sizeof all);
    s->data_count = 4;
  }
  if (s->labels_count == 0) {
    const mrank_dtype all[] = {MRANK_DTYPE_F32, MRANK_DTYPE_I32, MRANK_DTYPE_I8};
    memcpy(s->labels, all, sizeof all);
    s->labels_count = 3;
  }
  return 1;
}

/* One tool program (the trainer's or the roofline's) into the folder; 0 after a message. */
static int export_tool_program(const compile_settings *s, cl_context context, cl_device_id device,
                               const char *file, const char *options, const char *what,
                               int *count) {
  const mrank_program_request request = {.context = context,
                                         .device = device,
                                         .file_name = file,
                                         .embedded = mrank_tool_kernels,
                                         .embedded_count = mrank_tool_kernels_count,
                                         .options = options};
  char written[256], message[16384];
  const double start = now();
  if (mrank_binary_dir_export(&request, s->dir, s->emit_source, written, sizeof written, message,
                              sizeof message) != MRANK_SUCCESS) {
    mrank_error("%s: %s", what, message);
    return 0;
  }
  printf("  %-34s %-24s %6.2f s\n", written, what, now() - start);
  fflush(stdout);
  ++*count;
  return 1;
}

static int export_operator(const compile_settings *s, mrank_context *ctx, int *count) {
  for (int d = 0; d < s->data_count; ++d) {
    for (int l = 0; l < s->labels_count; ++l) {
      char written[256], what[64];
      snprintf(what, sizeof what, "operator %s, labels %s", mrank_dtype_name(s->data[d]),
               mrank_dtype_name(s->labels[l]));
      const double start = now();
      const mrank_status status = mrank_export_program(
          ctx, s->data[d], s->labels[l], s->dir,
          s->emit_source ? MRANK_EXPORT_SOURCES : MRANK_EXPORT_BINARIES, written, sizeof written);
      if (status == MRANK_ERROR_UNSUPPORTED && s->data[d] == MRANK_DTYPE_F64 && !s->data_given) {
        if (l == 0) printf("  (f64 left out: the device has no double precision)\n");
        continue;
      }
      if (status != MRANK_SUCCESS) {
        mrank_error("%s: %s", what, mrank_last_error());
        return 0;
      }
      printf("  %-34s %-24s %6.2f s\n", written, what, now() - start);
      fflush(stdout);
      ++*count;
    }
  }
  return 1;
}

/* The roofline programs `mrank bench` may ask for: each op's loads and stores, float and float4,
 * and the empty kernel's build (float, one load, one store). */
static int export_roofline(const compile_settings *s, cl_context context, cl_device_id device,
                           int *count) {
  char done[32][128];
  int done_count = 0;
  for (int op = -1; op < 3; ++op) {
    for (int reduction = 0; reduction < 3; ++reduction) {
      int loads = 1, stores = 1;
      if (op >= 0) mrank_bench_traffic((mrank_op)op, (mrank_reduction)reduction, &loads, &stores);
      for (int vector = 0; vector < 2; ++vector) {
        if (op < 0 && (vector || reduction > 0)) continue;
        char options[128];
        roofline_program_options(device, vector, loads, stores, options, sizeof options);
        int seen = 0;
        for (int k = 0; k < done_count && !seen; ++k)
          seen = strcmp(done[k], options) == 0;
        if (seen || done_count == 32) continue;
        snprintf(done[done_count++], sizeof done[0], "%s", options);
        char what[64];
        snprintf(what, sizeof what, "bench roofline %d+%d%s", loads, stores, vector ? " x4" : "");
        if (!export_tool_program(s, context, device, "roofline.cl", options, what, count)) {
          return 0;
        }
      }
    }
  }
  return 1;
}

int mrank_cmd_compile(int argc, char **argv) {
  mrank_set_command("compile");
  compile_settings s;
  const int parsed = parse_compile(argc, argv, &s);
  if (parsed <= 0) return parsed < 0 ? 0 : 2;
  if (s.seal) {
    char message[8192];
    size_t sealed = 0;
    if (mrank_binary_dir_seal(s.dir, &sealed, message, sizeof message) != MRANK_SUCCESS) {
      mrank_error("%s", message);
      return 1;
    }
    printf(
        "%zu vendor-built program(s) in %s now have their length and checksum in the "
        "manifest\n",
        sealed, s.dir);
    return 0;
  }
  /* the folder is checked before anything is built: a file or an unwritable place is a usage
   * error, found in a moment rather than after every program */
  if (!mrank_check_folder(s.emit_source ? "--emit-source" : "--out", s.dir)) return 2;
  /* built from source here whatever MRANK_BINARY_DIR says: this is what makes such folders */
  mrank_context_options options = {.size = sizeof options, .binary_dir = ""};
  mrank_context *ctx = NULL;
  if (mrank_context_create_ex(s.device, &options, &ctx) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_last_error());
    return 2;
  }
  cl_context context = mrank_context_cl_context(ctx);
  if (context == NULL) {
    mrank_error("the host device runs no OpenCL program; choose an OpenCL device with --device");
    mrank_context_destroy(ctx);
    return 2;
  }
  cl_device_id device = NULL;
  clGetCommandQueueInfo(mrank_context_queue(ctx), CL_QUEUE_DEVICE, sizeof device, &device, NULL);
  printf("%s the programs for \"%s\" into %s:\n",
         s.emit_source ? "writing the sources of" : "building", mrank_context_device_name(ctx),
         s.dir);
  fflush(stdout);
  int count = 0;
  char ranker_options[64], mlp_options[128], mlp_extra[32];
  rank_linear_program_options(device, ranker_options, sizeof ranker_options);
  rank_mlp_program_options(device, mlp_extra, sizeof mlp_extra);
  snprintf(mlp_options, sizeof mlp_options, "%s%s%s", ranker_options,
           ranker_options[0] != '\0' ? " " : "", mlp_extra);
  const int ok =
      export_operator(&s, ctx, &count) &&
      export_tool_program(&s, context, device, "ranker.cl", ranker_options, "trainer", &count) &&
      export_tool_program(&s, context, device, "mlp.cl", mlp_options, "MLP trainer", &count) &&
      export_roofline(&s, context, device, &count);
  if (ok && s.emit_source) {
    printf(
        "%d programs' sources and options, and manifest.txt, are in %s. Build each NAME.cl with\n"
        "its NAME.options into NAME.aocx (aoc), NAME.xclbin (v++) or NAME.bin in that folder,\n"
        "then run with MRANK_BINARY_DIR=%s\n",
        count, s.dir, s.dir);
  } else if (ok) {
    printf("%d programs and manifest.txt are in %s; run with MRANK_BINARY_DIR=%s\n", count, s.dir,
           s.dir);
  }
  mrank_context_destroy(ctx);
  return ok ? 0 : 1;
}
