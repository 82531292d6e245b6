/* test_cli.c: the learning-to-rank commands as a user runs them: train, tune, eval, predict,
 * synth, the demo, bad data and an interrupted training. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rank_helpers.h"

Test(cli, a_diverging_setting_is_reported_and_does_not_spoil_the_next, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path, "--queries 20 --docs 10 --features 6 --seed 2");
  char *out = NULL;
  /* lr 1e30 overflows float in the first epoch */
  snprintf(arguments, sizeof arguments,
           "train --train %s --model %s.model --lr 1e30 --epochs 2 2>&1", path, path);
  cr_assert_eq(run_cli("", arguments, &out), 1, "%s", out);
  cr_assert_not_null(strstr(out, "epoch 1: the loss or the weights are no longer finite"), "%s",
                     out);
  cr_assert_not_null(strstr(out, "no model written"), "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "%s.model", path);
  cr_assert_neq(access(arguments, F_OK), 0, "a diverged model must not be written");
  /* tune: the diverged setting is marked, and the next setting trains as it does alone */
  char *both = NULL, *alone = NULL;
  snprintf(arguments, sizeof arguments,
           "tune --train %s --valid %s --model %s.model --grid lr=1e30,0.05 --epochs 2 --json",
           path, path, path);
  cr_assert_eq(run_cli("", arguments, &both), 0, "%s", both);
  snprintf(arguments, sizeof arguments,
           "tune --train %s --valid %s --model %s.model --grid lr=0.05 --epochs 2 --json", path,
           path, path);
  cr_assert_eq(run_cli("", arguments, &alone), 0, "%s", alone);
  cr_assert_not_null(strstr(both, "\"diverged_at_epoch\": 1"), "%s", both);
  const char *a = strstr(both, "\"ndcg@10\""), *b = strstr(alone, "\"ndcg@10\"");
  cr_assert(a != NULL && b != NULL);
  cr_assert_eq(strncmp(a, b, 24), 0, "with a diverged setting first: %.24s; alone: %.24s", a, b);
  free(both);
  free(alone);
  remove_synth_file(dir, path);
}

Test(cli, tune_sorts_its_table_writes_the_best_model_and_names_bad_grids, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path, "--queries 30 --docs 10 --features 5 --noise 0.5 --seed 8");
  char *out = NULL;
  snprintf(arguments, sizeof arguments,
           "tune --train %s --valid %s --model %s.model --grid lr=0.01,0.2 --grid l2=0,0.5 "
           "--epochs 4 --json",
           path, path, path);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  /* four settings, by validation NDCG@10, highest first */
  double ndcg[5];
  int rows = 0;
  for (const char *at = strstr(out, "\"ndcg@10\": "); at != NULL && rows < 5;
       at = strstr(at + 1, "\"ndcg@10\": ")) {
    ndcg[rows++] = strtod(at + strlen("\"ndcg@10\": "), NULL);
  }
  cr_assert_eq(rows, 4, "%s", out);
  for (int r = 1; r < rows; ++r)
    cr_assert(ndcg[r - 1] >= ndcg[r], "row %d: %f before %f", r, ndcg[r - 1], ndcg[r]);
  free(out);
  /* the model written is the first row's: eval on the same data gives its NDCG@10 */
  snprintf(arguments, sizeof arguments, "eval --model %s.model --data %s --json", path, path);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  const char *at = strstr(out, "\"ndcg@10\": ");
  cr_assert_not_null(at, "%s", out);
  cr_assert_float_eq(strtod(at + strlen("\"ndcg@10\": "), NULL), ndcg[0], 1e-6,
                     "both print 6 decimals of one double");
  free(out);
  const char *bad[][2] = {
      {"--grid lr=0.1,fast", "--grid lr: \"fast\" is not a number"},
      {"--grid speed=1", "expected NAME=V1,V2,... with NAME one of lr"},
      {"--grid lr=0.1 --grid lr=0.2", "--grid lr is given twice"},
      {"--grid batch-queries=2.5", "\"2.5\" is not a whole number"},
      {"--grid average=0,2", "--grid average: \"2\" is not 0 or 1"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
    snprintf(arguments, sizeof arguments, "tune --train %s --valid %s --model %s.model %s 2>&1",
             path, path, path, bad[k][0]);
    cr_assert_eq(run_cli("", arguments, &out), 2, "%s: %s", bad[k][0], out);
    cr_assert_not_null(strstr(out, bad[k][1]), "%s: %s", bad[k][0], out);
    free(out);
  }
  remove_synth_file(dir, path);
}

Test(cli, profile_splits_the_device_time_by_stage, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path, "--queries 40 --docs 20 --features 8 --seed 6");
  char *out = NULL;
  snprintf(arguments, sizeof arguments,
           "train --train %s --model %s.model --epochs 2 --profile --quiet 2>&1", path, path);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  const char *names[] = {"GEMV (scores, X^T g)", "gather", "loss (fused)", "scatter", "update"};
  double percent_total = 0.0;
  for (int k = 0; k < 5; ++k) {
    const char *line = strstr(out, names[k]);
    cr_assert_not_null(line, "%s missing in:\n%s", names[k], out);
    double ms = -1.0, percent = -1.0;
    cr_assert_eq(sscanf(line + strlen(names[k]), " %lf ms %lf%%", &ms, &percent), 2, "%s", line);
    /* every stage runs in every step: none can take no time at all, the loss included (it once
     * timed only the last of mrank's kernels) */
    cr_assert(ms > 0.0, "%s: %f ms", names[k], ms);
    percent_total += percent;
  }
  /* five shares printed with one decimal each */
  cr_assert(fabs(percent_total - 100.0) <= 0.3, "shares add up to %f", percent_total);
  free(out);
  remove_synth_file(dir, path);
}

Test(cli, demo_checks_the_operator_and_trains_a_ranker, .timeout = 120) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "demo --n 1000 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "held-out NDCG@10"), "%s", out);
  cr_assert_not_null(strstr(out, "within 0.03"), "%s", out);
  cr_assert_not_null(strstr(out, "demo: 7 passed, 0 failed"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "demo --n 1000 --no-train 2>&1", &out), 0, "%s", out);
  cr_assert_null(strstr(out, "held-out"), "%s", out);
  cr_assert_not_null(strstr(out, "demo: 6 passed, 0 failed"), "%s", out);
  free(out);
}

Test(cli, train_eval_predict_on_the_shared_data, .timeout = 120) {
  const char *data = MRANK_SOURCE_DIR "/../shared/data/lightgbm-lambdarank";
  if (access(MRANK_SOURCE_DIR "/../shared/data/lightgbm-lambdarank/rank.train", R_OK) != 0) {
    cr_skip_test("../shared/data is not here (a user's checkout has none)");
  }
  char dir[] = "/tmp/mrank-train-XXXXXX", arguments[2048];
  cr_assert_not_null(mkdtemp(dir));
  char *out = NULL;
  snprintf(arguments, sizeof arguments,
           "split --data %s/rank.train --query %s/rank.train.query --train %s/train --test %s/test "
           "--seed 1",
           data, data, dir, dir);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments,
           "train --train %s/train --valid %s/test --model %s/model --epochs 8 --checkpoint", dir,
           dir, dir);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "valid NDCG@10"), "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "eval --model %s/model --data %s/test --json", dir, dir);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  double ndcg = 0.0;
  const char *at = strstr(out, "\"ndcg@10\": ");
  cr_assert_not_null(at, "%s", out);
  sscanf(at + 11, "%lf", &ndcg);
  free(out);
  snprintf(arguments, sizeof arguments, "eval --baseline random --data %s/test --json", dir);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  double random_ndcg = 1.0;
  sscanf(strstr(out, "\"ndcg@10\": ") + 11, "%lf", &random_ndcg);
  free(out);
  cr_assert_gt(ndcg, random_ndcg + 0.05, "model %.4f against random order %.4f", ndcg, random_ndcg);
  snprintf(arguments, sizeof arguments, "predict --model %s/model --data %s/test | wc -l", dir,
           dir);
  cr_assert_eq(run_cli("", arguments, &out), 0);
  int lines = atoi(out);
  free(out);
  snprintf(arguments, sizeof arguments, "grep -c . %s/test", dir);
  FILE *count = popen(arguments, "r");
  int documents = 0;
  cr_assert_eq(fscanf(count, "%d", &documents), 1);
  pclose(count);
  cr_assert_eq(lines, documents, "one score per document");
  snprintf(arguments, sizeof arguments, "rm -rf %s", dir);
  cr_assert_eq(system(arguments), 0);
}

Test(cli, bad_data_is_refused_with_file_line_and_column) {
  char path[] = "/tmp/mrank-bad-XXXXXX";
  const int fd = mkstemp(path);
  cr_assert(write(fd, "1 qid:1 1:0.5\n2 qid:1 1:oops\n", 29) == 29);
  close(fd);
  char arguments[256], *out = NULL;
  snprintf(arguments, sizeof arguments, "train --train %s --model /tmp/never 2>&1", path);
  cr_assert_eq(run_cli("", arguments, &out), 2);
  cr_assert_not_null(strstr(out, ":2:11: feature 1: expected a finite number"), "%s", out);
  free(out);
  unlink(path);
}

Test(cli, an_interrupted_training_leaves_a_whole_model, .timeout = 120) {
  char dir[] = "/tmp/mrank-sigint-XXXXXX", command[1024];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(command, sizeof command,
           "'%s' synth --queries 400 --docs 40 --features 30 --out %s/data >/dev/null && "
           "('%s' train --train %s/data --model %s/model --epochs 100000 --checkpoint --quiet & "
           "pid=$!; sleep 2; kill -INT $pid; wait $pid; echo \"exit $?\")",
           MRANK_CLI_PATH, dir, MRANK_CLI_PATH, dir, dir);
  FILE *pipe = popen(command, "r");
  char line[256] = "";
  cr_assert_not_null(fgets(line, sizeof line, pipe));
  pclose(pipe);
  cr_assert_str_eq(line, "exit 130\n", "Ctrl-C ends training with status 130: %s", line);
  /* the model on disk is whole: it loads, and no temporary file is left beside it */
  char path[512], error[512];
  snprintf(path, sizeof path, "%s/model", dir);
  rank_model model;
  cr_assert(rank_model_load(path, 30, &model, error, sizeof error), "%s", error);
  rank_model_free(&model);
  snprintf(command, sizeof command, "ls %s | grep -c model", dir);
  pipe = popen(command, "r");
  cr_assert_not_null(fgets(line, sizeof line, pipe));
  pclose(pipe);
  cr_assert_str_eq(line, "1\n", "only the model, no half-written temporary");
  snprintf(command, sizeof command, "rm -rf %s", dir);
  cr_assert_eq(system(command), 0);
}
