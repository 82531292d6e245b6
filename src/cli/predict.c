/* predict.c: `mrank predict`, one score per document of a data set, to standard output or to a file
 * written atomically; on the public ranking API (mrank_rank.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/scoring.h"
#include "mrank_rank.h"
#include "rank/atomic_file.h" /* the tool's atomic writer (a temporary file, then rename) */

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

/* The scores, to standard output or to the file `output` (atomically); the exit status. */
static int write_scores(const mrank_model *model, const mrank_dataset *data, const char *output) {
  size_t docs = 0;
  mrank_dataset_info(data, &docs, NULL, NULL, NULL);
  double *scores = malloc((docs > 0 ? docs : 1) * sizeof *scores);
  if (scores == NULL) {
    mrank_error("out of memory for %zu scores", docs);
    return 2;
  }
  if (mrank_model_score(model, data, scores) != MRANK_SUCCESS) {
    mrank_error("%s", mrank_api_error());
    free(scores);
    return 2;
  }
  rank_atomic_file file;
  if (output != NULL && !rank_atomic_open(&file, output)) {
    mrank_error("--output %s: cannot write: %s", output, strerror(errno));
    free(scores);
    return 2;
  }
  FILE *out = output != NULL ? file.file : stdout;
  for (size_t d = 0; d < docs && !ferror(out); ++d) {
    if (fprintf(out, "%.9g\n", scores[d]) < 0 && out == stdout) mrank_note_output_error(errno);
  }
  free(scores);
  if (output == NULL) return 0; /* a failed write to standard output is caught, and said, at exit */
  if (ferror(out)) {
    const int error = errno;
    rank_atomic_abort(&file);
    mrank_error("--output %s: cannot write: %s", output, strerror(error));
    return 2;
  }
  if (!rank_atomic_commit(&file)) {
    mrank_error("--output %s: cannot write: %s", output, strerror(errno));
    return 2;
  }
  return 0;
}

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
  mrank_model *model = NULL;
  mrank_dataset *data = NULL;
  /* a group file given is read and checked against the data, though scores do not need it */
  if (!mrank_load_model_and_data(model_path, data_path, query_path, -1.0, &model, &data)) return 2;
  const int status = write_scores(model, data, output);
  mrank_model_destroy(model);
  mrank_dataset_destroy(data);
  return status;
}
