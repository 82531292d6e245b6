/* split.c: `mrank split`, a held-out part of a data set, by query. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "rank/dataset.h"
#include "rank/subset.h"

const char mrank_split_help[] =
    "usage: mrank split --data FILE [--query FILE] --train OUT --test OUT [--fraction F] [--seed "
    "S]\n"
    "\n"
    "Splits by query, never by document: a fraction F of the queries (default 0.8), drawn from "
    "the\n"
    "seed (default 1), goes to --train, the rest to --test. Each line is copied as it is (values,\n"
    "comments and #docid tails unchanged); with a group file (--query) \" qid:N\" is put after\n"
    "each label (queries numbered in file order), so the parts need no group file. Files are\n"
    "written atomically.\n\n"
    "\n"
    "Exit status: 0 done, 2 on a usage, data or file error.\n";

int mrank_cmd_split(int argc, char **argv) {
  const char *data_path = NULL, *query = NULL, *train = NULL, *test = NULL;
  float fraction = 0.8f;
  uint64_t seed = 1;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i], *value = NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(mrank_split_help, stdout);
      return 0;
    }
    const char **target = mrank_is_option(arg, "--data")    ? &data_path
                          : mrank_is_option(arg, "--query") ? &query
                          : mrank_is_option(arg, "--train") ? &train
                          : mrank_is_option(arg, "--test")  ? &test
                                                            : NULL;
    if (target != NULL) {
      if ((*target = mrank_option_value(argc, argv, &i, arg)) == NULL) return 2;
    } else if (mrank_is_option(arg, "--fraction")) {
      if ((value = mrank_option_value(argc, argv, &i, "--fraction")) == NULL ||
          !mrank_parse_float("--fraction", value, &fraction)) {
        return 2;
      }
      if (fraction <= 0 || fraction >= 1) {
        mrank_error("--fraction must lie strictly between 0 and 1, not %s", value);
        return 2;
      }
    } else if (mrank_is_option(arg, "--seed")) {
      if ((value = mrank_option_value(argc, argv, &i, "--seed")) == NULL ||
          !mrank_parse_u64("--seed", value, &seed)) {
        return 2;
      }
    } else {
      fprintf(stderr, "mrank split: unknown option \"%s\"; see 'mrank split --help'\n", arg);
      return 2;
    }
  }
  if (data_path == NULL || train == NULL || test == NULL) {
    mrank_error("--data, --train and --test are required; see 'mrank split --help'");
    return 2;
  }
  const mrank_path inputs[] = {{"--data", data_path}, {"--query", query}};
  const mrank_path outputs[] = {{"--train", train}, {"--test", test}};
  if (!mrank_check_paths(inputs, 2, outputs, 2)) return 2;
  char error[1024];
  rank_dataset data;
  /* the text is kept: each line is copied as it is (values, comments, #docid), not rewritten */
  size_t length = 0, groups_length = 0;
  char *text = rank_read_file(data_path, &length, error, sizeof error), *groups = NULL;
  if (text != NULL && query != NULL) {
    groups = rank_read_file(query, &groups_length, error, sizeof error);
    if (groups == NULL) {
      free(text);
      text = NULL;
    }
  }
  if (text == NULL || !rank_dataset_parse(data_path, text, length, query, groups, groups_length, 0,
                                          &data, error, sizeof error)) {
    fprintf(stderr, "mrank split: %s\n", error);
    free(text);
    free(groups);
    return 2;
  }
  free(groups);
  if (data.queries < 2) {
    fprintf(stderr,
            "mrank split: %s has %zu query group(s); a split needs at least 2 (give qid: "
            "tokens or --query)\n",
            data_path, data.queries);
    rank_dataset_free(&data);
    return 2;
  }
  size_t *order = malloc(data.queries * sizeof *order);
  int status = 2;
  if (order != NULL) {
    size_t cut = 0;
    rank_query_split(data.queries, fraction, seed, order, &cut);
    const int add_qid = query != NULL;
    if (rank_dataset_write_lines(&data, text, length, add_qid, order, cut, train, error,
                                 sizeof error) &&
        rank_dataset_write_lines(&data, text, length, add_qid, order + cut, data.queries - cut,
                                 test, error, sizeof error)) {
      printf("split %s: %zu queries to %s, %zu to %s\n", data_path, cut, train, data.queries - cut,
             test);
      status = 0;
    } else {
      fprintf(stderr, "mrank split: %s\n", error);
    }
  }
  free(order);
  free(text);
  rank_dataset_free(&data);
  return status;
}
