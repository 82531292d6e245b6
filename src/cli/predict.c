/* predict.c: `mrank predict`, one score per document of a data set, to standard output or to a file
 * written atomically. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/scoring.h"
#include "rank/atomic_file.h"
#include "rank/dataset.h"
#include "rank/model.h"

const char mrank_predict_help[] =
    "usage: mrank predict --model M --data FILE [--query FILE] [--output OUT]\n"
    "\n"
    "Prints one score per document of FILE (\"-\": standard input), in input order, with 9\n"
    "significant digits. Features beyond the model's count score 0 (a warning says so).\n"
    "\n"
    "  --model M      a model written by mrank train or mrank tune\n"
    "  --data FILE    SVMlight / LETOR text; - reads standard input\n"
    "  --query FILE   a LightGBM group file: read and checked against the data (the counts must\n"
    "                 add up), though a score does not depend on its group, so that the line\n"
    "                 that runs eval runs predict too\n"
    "  --output OUT   write the scores to OUT (atomically: a whole file or none) instead of\n"
    "                 standard output\n\n"
    "\n"
    "Exit status: 0 done, 2 on a usage, data, model or file error.\n";

int mrank_cmd_predict(int argc, char **argv) {
  const char *model_path = NULL, *data_path = NULL, *query_path = NULL, *output = NULL;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(mrank_predict_help, stdout);
      return 0;
    }
    static const char *const names[] = {"--model", "--data", "--query", "--output"};
    const char **targets[] = {&model_path, &data_path, &query_path, &output};
    int which = -1;
    for (int k = 0; k < 4; ++k) {
      if (mrank_is_option(arg, names[k])) which = k;
    }
    if (which < 0) {
      mrank_error("unknown option \"%s\"; see 'mrank predict --help'", arg);
      return 2;
    }
    if ((*targets[which] = mrank_option_value(argc, argv, &i, names[which])) == NULL) return 2;
  }
  if (model_path == NULL || data_path == NULL) {
    mrank_error("--model and --data are required; see 'mrank predict --help'");
    return 2;
  }
  const mrank_path inputs[] = {
      {"--model", model_path}, {"--data", data_path}, {"--query", query_path}};
  const mrank_path outputs[] = {{"--output", output}};
  if (!mrank_check_paths(inputs, 3, outputs, 1)) return 2;
  rank_model model;
  rank_dataset data;
  /* a group file given is read and checked against the data, though scores do not need it */
  if (!mrank_load_model_and_data(model_path, data_path, query_path, -1.0, &model, &data)) return 2;
  int status = 2;
  double *scores = malloc((data.docs > 0 ? data.docs : 1) * sizeof *scores);
  rank_atomic_file file;
  FILE *out = stdout;
  if (scores == NULL) {
    mrank_error("out of memory for %zu scores", data.docs);
  } else if (output != NULL && !rank_atomic_open(&file, output)) {
    mrank_error("--output %s: cannot write: %s", output, strerror(errno));
  } else {
    if (output != NULL) out = file.file;
    if (!rank_model_score(&model, &data, scores)) {
      mrank_error("out of memory scoring with the model");
      free(scores);
      if (output != NULL) rank_atomic_abort(&file);
      rank_model_free(&model);
      rank_dataset_free(&data);
      return 2;
    }
    for (size_t d = 0; d < data.docs && !ferror(out); ++d) {
      if (fprintf(out, "%.9g\n", scores[d]) < 0 && out == stdout) mrank_note_output_error(errno);
    }
    if (output == NULL) {
      status = 0; /* a failed write to standard output is caught, and said, at exit */
    } else if (ferror(out)) {
      const int error = errno;
      rank_atomic_abort(&file);
      mrank_error("--output %s: cannot write: %s", output, strerror(error));
    } else if (!rank_atomic_commit(&file)) {
      mrank_error("--output %s: cannot write: %s", output, strerror(errno));
    } else {
      status = 0;
    }
  }
  free(scores);
  rank_model_free(&model);
  rank_dataset_free(&data);
  return status;
}
