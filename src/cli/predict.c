/* predict.c: `mrank predict`, one score per document of a data set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/scoring.h"
#include "rank/dataset.h"
#include "rank/model.h"

const char mrank_predict_help[] =
    "usage: mrank predict --model M --data FILE\n"
    "\n"
    "Prints one score per document of FILE, in input order.\n";

static int parse_files(int argc, char **argv, const char *command, const char **model,
                       const char **data, const char **query, int *json) {
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return -1;
    if (json != NULL && strcmp(arg, "--json") == 0) {
      *json = 1;
      continue;
    }
    const char **target = mrank_is_option(arg, "--model")                    ? model
                          : mrank_is_option(arg, "--data")                   ? data
                          : query != NULL && mrank_is_option(arg, "--query") ? query
                                                                             : NULL;
    if (target == NULL) {
      fprintf(stderr, "mrank %s: unknown option \"%s\"; see 'mrank %s --help'\n", command, arg,
              command);
      return 0;
    }
    const char *name = target == model ? "--model" : target == data ? "--data" : "--query";
    if ((*target = mrank_option_value(argc, argv, &i, name)) == NULL) return 0;
  }
  if (*model == NULL || *data == NULL) {
    fprintf(stderr, "mrank %s: --model and --data are required\n", command);
    return 0;
  }
  return 1;
}

int mrank_cmd_predict(int argc, char **argv) {
  const char *model_path = NULL, *data_path = NULL;
  const int parsed = parse_files(argc, argv, "predict", &model_path, &data_path, NULL, NULL);
  if (parsed < 0) {
    fputs(mrank_predict_help, stdout);
    return 0;
  }
  if (parsed == 0) return 2;
  rank_model model;
  rank_dataset data;
  if (!mrank_load_model_and_data(model_path, data_path, NULL, &model, &data, "predict")) return 2;
  double *scores = malloc(data.docs * sizeof *scores);
  if (scores != NULL) {
    rank_score(&data, model.weights, model.features, scores);
    for (size_t d = 0; d < data.docs; ++d)
      printf("%.9g\n", scores[d]);
  }
  free(scores);
  rank_model_free(&model);
  rank_dataset_free(&data);
  return scores != NULL ? 0 : 2;
}
