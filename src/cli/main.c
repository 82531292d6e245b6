/* main.c: the mrank command: global options and dispatch to the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "mrank.h"
#ifdef MRANK_HAVE_MPI
#include "cli/mpi_train.h"
#endif

typedef struct command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
  const char *help;
  const char *help_more; /* printed after help (one literal must stay under 4095 bytes), or NULL */
} command;

static const command commands[] = {
    {"devices", "list the OpenCL devices (--json, --verbose), or check each one (--check)",
     mrank_cmd_devices, mrank_devices_help, NULL},
    {"validate", "check a device against the CPU reference over a grid of problems",
     mrank_cmd_validate, mrank_validate_help, NULL},
    {"bench", "measure throughput against the device's memory roofline, and launch overhead",
     mrank_cmd_bench, mrank_bench_help, NULL},
    {"train", "train a pairwise ranker (linear or MLP) on the device, choosing its settings itself",
     mrank_cmd_train, mrank_train_help, mrank_train_help_more},
    {"eval",
     "NDCG, precision, recall, F1, MAP and pair accuracy of a model (or scores) on a data set",
     mrank_cmd_eval, mrank_eval_help, NULL},
    {"tune", "grid search (lr, margin, l2, l1, ...) on a validation set or K folds, then a refit",
     mrank_cmd_tune, mrank_tune_help, NULL},
    {"predict", "one score per document of a data set", mrank_cmd_predict, mrank_predict_help,
     NULL},
    {"split", "split a data set by query into train and test files", mrank_cmd_split,
     mrank_split_help, NULL},
    {"synth", "write a LETOR file from a planted linear model", mrank_cmd_synth, mrank_synth_help,
     NULL},
    {"autotune", "time every kernel shape on a device and keep the fastest (same bits)",
     mrank_cmd_autotune, mrank_autotune_help, NULL},
    {"compile",
     "build every program for a device into a folder (FPGAs, devices without a compiler)",
     mrank_cmd_compile, mrank_compile_help, NULL},
    {"demo", "check forward and backward against the CPU reference, then train a small ranker",
     mrank_cmd_demo, mrank_demo_help, NULL},
};
enum { command_count = sizeof commands / sizeof commands[0] };

static void print_usage(FILE *out) {
  fprintf(
      out,
      "usage: mrank [--version] [--help] <command> [options]\n"
      "\n"
      "mrank runs the margin ranking loss (Caffe2's MarginRankingCriterion, PyTorch's\n"
      "MarginRankingLoss) and its gradient on any OpenCL device, checked against a CPU reference.\n"
      "\n"
      "commands:\n");
  for (int c = 0; c < command_count; ++c) {
    fprintf(out, "  %-10s %s\n", commands[c].name, commands[c].summary);
  }
  fprintf(
      out,
      "\n"
      "'mrank <command> --help' explains a command.\n"
      "\n"
      "environment:\n"
      "  MRANK_DEVICE          device selector used when --device is not given: gpu, cpu,\n"
      "                        accelerator, host (CPU reference), P:D, or part of a device name\n"
      "  MRANK_CACHE_DIR       where compiled kernels are kept (default $XDG_CACHE_HOME/mrank,\n"
      "                        else ~/.cache/mrank); MRANK_NO_CACHE=1 keeps none on disk\n"
      "  MRANK_KERNEL_DIR      read kernels/*.cl from this folder instead of the embedded copies\n"
      "  MRANK_VARIANT         the kernels' shape, epw=E,vw=V,wg=G,sum=direct|local (instead of\n"
      "                        what mrank autotune stored, or the device type's default)\n"
      "  MRANK_BINARY_DIR      run only the programs in this folder, made by `mrank compile`\n"
      "                        (FPGAs, devices without a compiler); never build from source\n"
      "  MRANK_NO_ZERO_COPY=1  copy host arrays to the device even where it shares host memory\n"
      "  MRANK_MAX_ALLOC       cap, in bytes, on one device buffer (host arrays are then "
      "processed\n"
      "                        in chunks)\n"
      "  MRANK_MAX_DENSE_BYTES largest dense feature matrix a data file may ask for (16 GiB)\n"
      "  MRANK_DISABLE_FP64=1  behave as if the device had no double precision (for tests)\n"
      "  MRANK_ASSUME_FTZ=1    behave as if the device flushed float subnormals (validate accepts\n"
      "                        the reference's flush-to-zero twin; kernels get "
      "-cl-denorms-are-zero)\n"
      "  MRANK_ASSUME_NO_COMPILER=1  behave as if the device could not compile (as an FPGA;\n"
      "                        for tests of MRANK_BINARY_DIR)\n"
      "  MRANK_ASSUME_DEVICE_TYPE=gpu|cpu|accelerator  make the choices that follow the device\n"
      "                        type (default kernel shape, fixed work-groups, --gemm auto) as\n"
      "                        for that type (for tests: Oclgrind reports every type at once)\n"
      "  MRANK_REQD_WORK_GROUP=1  build every kernel with its work-group size fixed, as for\n"
      "                        accelerators (for tests)\n"
      "  MRANK_MLP_VW=8|16     the MLP's dense kernels' vector width (default: the device's\n"
      "                        preferred; both give the same bits, and the tests run both)\n"
      "  MRANK_LIBRARY         Python: load this libmrank.so instead of the package's own\n"
      "  MRANK_FAIL_ENQUEUE=N  debug builds: make the N-th enqueue fail (for tests)\n"
      "  MRANK_MPI_FAIL=R:S    train --mpi: rank R fails at gradient sum S (for tests)\n"
      "PoCL's own: POCL_CACHE_DIR (its kernel cache), POCL_DEVICES (\"pthread pthread\" gives two\n"
      "CPU devices). This is the one list of mrank's variables; the man page mrank(1) has it "
      "too.\n");
}

/* What a command printed must have reached its destination: a full disk or a closed pipe turns
 * success into an I/O error (exit 2) with the reason, as GNU tools do. */
static int finish_output(int status) {
  errno = 0;
  const int earlier = ferror(stdout);
  const int flushed = fflush(stdout) == 0;
  const int saved = errno;
  const int closed = fclose(stdout) == 0;
  if (!earlier && flushed && closed) return status;
  const int reason = mrank_output_error() != 0 ? mrank_output_error() : saved != 0 ? saved : errno;
  mrank_error("cannot write the output: %s", reason != 0 ? strerror(reason) : "write error");
  return 2;
}

static int run(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
    printf("mrank %s\n", mrank_version());
#ifdef MRANK_HAVE_MPI
    printf("MPI: yes (%s): mpirun -n K mrank train --mpi ...\n", mrank_mpi_library());
#else
    printf("MPI: no (built without it: train --mpi is not available)\n");
#endif
    return 0;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    if (argc > 2 && strcmp(argv[1], "help") == 0) {
      for (int c = 0; c < command_count; ++c) {
        if (strcmp(argv[2], commands[c].name) == 0) {
          fputs(commands[c].help, stdout);
          if (commands[c].help_more != NULL) fputs(commands[c].help_more, stdout);
          return 0;
        }
      }
    }
    print_usage(stdout);
    return 0;
  }
  for (int c = 0; c < command_count; ++c) {
    if (strcmp(argv[1], commands[c].name) == 0) {
      mrank_set_command(commands[c].name);
      return commands[c].run(argc - 2, argv + 2);
    }
  }
  fprintf(stderr, "mrank: unknown command \"%s\"; run 'mrank --help' for the list\n", argv[1]);
  return 2;
}

int main(int argc, char **argv) {
  return finish_output(run(argc, argv));
}
