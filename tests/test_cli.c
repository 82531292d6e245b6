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
           "--epochs 4 --json --no-refit",
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
  /* --no-refit: the model written is the first row's, and eval on the same data gives its
   * NDCG@10 */
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
  const char *names[] = {"scores and gradient rows", "gather", "loss (fused)", "scatter", "update"};
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
  cr_assert_not_null(strstr(out, "the MLP recovers what the linear scorer cannot"), "%s", out);
  cr_assert_not_null(strstr(out, "demo: 8 passed, 0 failed"), "%s", out);
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

/* The output of a command in a shell line in `dir`: "exit N" on the last line. */
static void shell(const char *command, char *out, size_t size) {
  FILE *pipe = popen(command, "r");
  cr_assert_not_null(pipe);
  const size_t got = fread(out, 1, size - 1, pipe);
  out[got] = '\0';
  pclose(pipe);
}

static size_t lines_in(const char *text) {
  size_t lines = 0;
  for (const char *c = text; *c; ++c)
    lines += *c == '\n';
  return lines;
}

/* SIGTERM (timeout, systemd, Slurm) is handled as Ctrl-C: the best model so far is written and the
 * status is 143, where the process used to die with no model. */
Test(cli, sigterm_ends_training_like_ctrl_c, .timeout = 120) {
  char dir[] = "/tmp/mrank-sigterm-XXXXXX", command[1024], out[4096];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(command, sizeof command,
           "'%s' synth --queries 400 --docs 40 --features 30 --out %s/data >/dev/null && "
           "('%s' train --train %s/data --model %s/model --epochs 100000 --quiet 2>%s/err & "
           "pid=$!; sleep 2; kill -TERM $pid; wait $pid; echo \"exit $?\")",
           MRANK_CLI_PATH, dir, MRANK_CLI_PATH, dir, dir, dir);
  shell(command, out, sizeof out);
  cr_assert_str_eq(out, "exit 143\n", "SIGTERM: %s", out);
  char path[512], error[512];
  snprintf(path, sizeof path, "%s/model", dir);
  rank_model model;
  cr_assert(rank_model_load(path, 30, &model, error, sizeof error), "no model: %s", error);
  rank_model_free(&model);
  snprintf(command, sizeof command, "cat %s/err; rm -rf %s", dir, dir);
  shell(command, out, sizeof out);
  cr_assert_not_null(strstr(out, "mrank train: interrupted (SIGTERM)"), "%s", out);
}

/* An output that names an input, or another output, is refused before anything is read or
 * written (device and inode, so a symbolic link or a/../b is caught too); the input is intact. */
Test(cli, an_output_that_is_an_input_is_refused, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[1024], link[160];
  synth_file(dir, path, sizeof path, "--queries 10 --docs 5 --features 3");
  struct stat before, after;
  cr_assert_eq(stat(path, &before), 0);
  snprintf(link, sizeof link, "%s/link", dir);
  cr_assert_eq(symlink(path, link), 0);
  const char *cases[][2] = {
      {"split --data %s --train %s --test %s.t", "is the same file as --data"},
      {"split --data %s --train %s.x --test %s/../%s.x", "are the same file"},
      {"train --train %s --model %s", "is the same file as --train"},
      {"tune --train %s --valid %s.v --model %s --grid lr=0.1", "is the same file as --train"},
      {"predict --model %s --data %s --output %s", "is the same file as --model"},
  };
  char *out = NULL;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    const char *first = k == 2 || k == 3 ? link : path;
    snprintf(arguments, sizeof arguments, cases[k][0], first, path, path, path);
    if (k == 1) {
      snprintf(arguments, sizeof arguments, "split --data %s --train %s.x --test %s/../%s.x", path,
               path, dir, path + strlen("/tmp/"));
    }
    strncat(arguments, " 2>&1", sizeof arguments - strlen(arguments) - 1);
    cr_assert_eq(run_cli("", arguments, &out), 2, "%s: %s", arguments, out);
    cr_assert_not_null(strstr(out, cases[k][1]), "%s: %s", arguments, out);
    free(out);
  }
  cr_assert_eq(stat(path, &after), 0);
  cr_assert(after.st_size == before.st_size && after.st_mtime == before.st_mtime,
            "the input was not touched");
  unlink(link);
  remove_synth_file(dir, path);
}

/* Outputs are checked before the work, with the reason: bench does not run the benchmark, train
 * does not train, and a file in /proc says why it cannot be made. */
Test(cli, outputs_are_checked_before_the_work, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path, "--queries 10 --docs 5 --features 3");
  char *out = NULL;
  cr_assert_eq(run_cli("", "bench --json /nonexistent/b.json 2>&1", &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "/nonexistent cannot be used (No such file or directory)"), "%s",
                     out);
  cr_assert_null(strstr(out, "roofline"), "nothing was measured: %s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "train --train %s --model /nonexistent/m 2>&1", path);
  cr_assert_eq(run_cli("", arguments, &out), 2, "%s", out);
  cr_assert_null(strstr(out, "training on"), "nothing was trained: %s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "train --train %s --model /proc/version", path);
  expect_cli(arguments, 2, "cannot create a file in /proc");
  snprintf(arguments, sizeof arguments, "train --train %s --model %s", path, dir);
  expect_cli(arguments, 2, "is a directory");
  remove_synth_file(dir, path);
}

/* What a command prints must arrive: to a full disk (/dev/full) every command fails with the
 * reason and status 2, where they used to exit 0 with the output cut short. predict --output
 * writes the same bytes atomically, and "-" reads standard input. */
Test(cli, write_errors_on_standard_output_fail_the_command, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path, "--queries 30 --docs 20 --features 4");
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model --epochs 2 --quiet",
           path, path);
  char *out = NULL;
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  const char *commands[] = {"--help", "devices --json", "validate --n 7 --op forward",
                            "eval --model %s.model --data %s --json",
                            "predict --model %s.model "
                            "--data %s"};
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; ++k) {
    char command[512];
    snprintf(command, sizeof command, commands[k], path, path);
    snprintf(arguments, sizeof arguments, "%s 2>&1 >/dev/full", command);
    cr_assert_eq(run_cli("", arguments, &out), 2, "%s: %s", command, out);
    cr_assert_not_null(strstr(out, "cannot write the output: No space left on device"), "%s: %s",
                       command, out);
    free(out);
  }
  char *printed = NULL, *written = NULL, *piped = NULL;
  snprintf(arguments, sizeof arguments, "predict --model %s.model --data %s", path, path);
  cr_assert_eq(run_cli("", arguments, &printed), 0);
  snprintf(arguments, sizeof arguments,
           "predict --model %s.model --data %s --output %s.scores && cat %s.scores", path, path,
           path, path);
  cr_assert_eq(run_cli("", arguments, &written), 0);
  char prefix[256];
  snprintf(prefix, sizeof prefix, "cat %s |", path);
  snprintf(arguments, sizeof arguments, "predict --model %s.model --data -", path);
  cr_assert_eq(run_cli(prefix, arguments, &piped), 0);
  cr_assert_str_eq(written, printed);
  cr_assert_str_eq(piped, printed);
  cr_assert_eq(lines_in(printed), 30 * 20);
  free(printed);
  free(written);
  free(piped);
  snprintf(arguments, sizeof arguments, "%s.scores", path);
  unlink(arguments);
  remove_synth_file(dir, path);
}

/* Data with no pair: train refuses it with why; eval shows n/a (JSON null) for what has nothing
 * to measure, never 0. */
Test(cli, data_without_a_pair, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path, "--queries 5 --docs 1 --features 3");
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model", path, path);
  expect_cli(arguments, 2, "no pair to learn from");
  snprintf(arguments, sizeof arguments, "%s.model", path);
  cr_assert_neq(access(arguments, F_OK), 0, "no model written");
  snprintf(arguments, sizeof arguments, "eval --baseline random --data %s", path);
  expect_cli(arguments, 0, "pair accuracy    n/a");
  snprintf(arguments, sizeof arguments, "eval --baseline random --data %s --json", path);
  expect_cli(arguments, 0, "\"pair_accuracy\": null");
  remove_synth_file(dir, path);
}

/* synth leaves no temporary file behind: not when the disk fills (a file size limit stands in for
 * it), not on Ctrl-C. */
Test(cli, synth_cleans_up_after_a_failed_write_or_ctrl_c, .timeout = 120) {
  char dir[] = "/tmp/mrank-full-XXXXXX", command[1024], out[4096];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(command, sizeof command,
           "(ulimit -f 64; trap '' XFSZ; '%s' synth --queries 2000 --out %s/s.txt 2>&1; "
           "echo \"exit $?\"); ls -A %s | wc -l",
           MRANK_CLI_PATH, dir, dir);
  shell(command, out, sizeof out);
  cr_assert_not_null(strstr(out, "cannot write"), "%s", out);
  cr_assert_not_null(strstr(out, "exit 2\n0\n"), "no file left: %s", out);
  snprintf(command, sizeof command,
           "('%s' synth --queries 200000 --docs 100 --out %s/s.txt 2>&1 & pid=$!; sleep 1; "
           "kill -INT $pid; wait $pid; echo \"exit $?\"); ls -A %s | wc -l",
           MRANK_CLI_PATH, dir, dir);
  shell(command, out, sizeof out);
  cr_assert_not_null(strstr(out, "exit 130\n0\n"), "no file left: %s", out);
  rmdir(dir);
}

/* One convention: one message, "mrank CMD:", naming the value and its range; tune's grids are
 * checked before the data is read; empty list items are refused. */
Test(cli, messages_name_the_command_and_the_value) {
  const char *cases[][2] = {
      {"train --train x --model y --lr abc",
       "mrank train: --lr expects a number (greater than 0), not \"abc\""},
      {"tune --train /nonexistent --valid x --model y --grid lr=-1",
       "mrank tune: --grid lr: \"-1\" is not greater than 0"},
      {"validate --n 7,,", "mrank validate: --n \"7,,\": an empty item"},
      {"bench --n ,7", "mrank bench: --n \",7\": an empty item"},
      {"split --data x --train y --test z --fraction 2",
       "mrank split: --fraction must lie strictly between 0 and 1"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    char arguments[512], *out = NULL;
    snprintf(arguments, sizeof arguments, "%s 2>&1", cases[k][0]);
    cr_assert_eq(run_cli("", arguments, &out), 2, "%s: %s", cases[k][0], out);
    cr_assert_not_null(strstr(out, cases[k][1]), "%s: %s", cases[k][0], out);
    cr_assert_eq(lines_in(out), 1, "one message: %s", out);
    free(out);
  }
}

/* Interrupted at any moment of the default run (the folds' walks, the choice, the refit), train
 * writes a model only with true options and a true description: never l2=nan, never "refit on
 * all" when the refit was cut short; the status is 130. Several moments, as the stage a signal
 * lands in depends on the machine's speed. */
Test(cli, an_interrupted_choice_is_described_truly, .timeout = 240) {
  char dir[] = "/tmp/mrank-choice-XXXXXX", command[2048], out[8192];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(command, sizeof command,
           "'%s' synth --queries 600 --docs 30 --features 40 --out %s/data >/dev/null",
           MRANK_CLI_PATH, dir);
  cr_assert_eq(system(command), 0);
  /* The last moment waits for the refit's first line (train flushes each line), so the refit is
   * interrupted on a machine of any speed; it must be described as such. */
  const char *moments[] = {"sleep 0.3",
                           "sleep 0.8",
                           "sleep 1.5",
                           "sleep 2.5",
                           "sleep 4",
                           "until grep -q 'refit on \"' log || ! kill -0 $pid 2>/dev/null; do "
                           "sleep 0.02; done"};
  const size_t count = sizeof moments / sizeof moments[0];
  for (size_t m = 0; m < count; ++m) {
    snprintf(command, sizeof command,
             "cd %s && rm -f model && ('%s' train --train data --model model --epochs 60 "
             "> log 2>&1 & pid=$!; %s; kill -INT $pid 2>/dev/null; wait $pid; "
             "echo \"exit $?\"; cat log; test -e model && sed -n 3,4p model)",
             dir, MRANK_CLI_PATH, moments[m]);
    shell(command, out, sizeof out);
    if (m + 1 == count && strncmp(out, "exit 130", 8) == 0)
      cr_assert_not_null(strstr(out, "; interrupted during the refit on all) written to model"),
                         "interrupted in the refit: %s", out);
    cr_assert_null(strstr(out, "nan"), "after %s: %s", moments[m], out);
    if (strncmp(out, "exit 130", 8) == 0 && strstr(out, "written to") != NULL) {
      cr_assert_null(strstr(out, ", refit on all) written"), "after %s: %s", moments[m], out);
      const int described = strstr(out, "interrupted before the choice") != NULL ||
                            strstr(out, "interrupted during the refit on all") != NULL;
      cr_assert(described, "the closing line says what the weights are, after %s: %s", moments[m],
                out);
    } else if (strncmp(out, "exit 0", 6) != 0) {
      cr_assert_not_null(strstr(out, "no model written"), "after %s: %s", moments[m], out);
    }
  }
  snprintf(command, sizeof command, "rm -rf %s", dir);
  cr_assert_eq(system(command), 0);
}

/* tune on SIGTERM stops after the epoch under way, says that nothing was chosen, and writes no
 * model (status 143), where it used to die at once without a word. */
Test(cli, sigterm_ends_tune_with_a_message_and_no_model, .timeout = 120) {
  char dir[] = "/tmp/mrank-tune-term-XXXXXX", command[2048], out[4096];
  cr_assert_not_null(mkdtemp(dir));
  const char *modes[] = {"--folds 3", "--folds 2 --scorer mlp"};
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; ++m) {
    snprintf(command, sizeof command,
             "cd %s && '%s' synth --queries 400 --docs 30 --features 30 --out data >/dev/null && "
             "('%s' tune --train data %s --model model --grid "
             "lr=0.1,0.05,0.01,0.005 --epochs 100000 --patience 0 2>err >/dev/null & pid=$!; "
             "sleep 2; kill -TERM $pid; wait $pid; echo \"exit $?\"; cat err; ls)",
             dir, MRANK_CLI_PATH, MRANK_CLI_PATH, modes[m]);
    shell(command, out, sizeof out);
    cr_assert_eq(strncmp(out, "exit 143\n", 9), 0, "%s: %s", modes[m], out);
    cr_assert_not_null(strstr(out, "mrank tune: interrupted (SIGTERM) before the search ended"),
                       "%s: %s", modes[m], out);
    cr_assert_null(strstr(out, "model\n"), "no model was written: %s", out);
  }
  snprintf(command, sizeof command, "rm -rf %s", dir);
  cr_assert_eq(system(command), 0);
}

/* Each misleading message the second trial found, by kind: the message names what was wrong
 * (float's range, not a number, a cutoff, a doubled key, a small byte count, an invisible byte)
 * and never what was not (no "must be greater than 0" for 1e300, no "no device:", no "chmod" of a
 * shared folder). */
Test(cli, messages_say_what_was_wrong, .timeout = 120) {
  char dir[] = "/tmp/mrank-messages-XXXXXX", data[128], files[6][200];
  synth_file(dir, data, sizeof data, "--queries 10 --docs 5 --features 3");
  const char *contents[] = {
      "\xEF\xBB\xBF"
      "1 qid:1 1:1\n0 qid:1 1:0\n",
      "1 qid:1 1:1\r0 qid:1 1:0\r",
      "1 qid:1 99999999999999999999:1\n",
      "",
      "1 qid:1 1:0.1111111111111111111111111111111111111111111111111111111"
      "111111111111111111\n0 qid:1 1:0\n",
      NULL};
  for (int k = 0; contents[k] != NULL; ++k) {
    snprintf(files[k], sizeof files[k], "%s/f%d", dir, k);
    FILE *f = fopen(files[k], "wb");
    cr_assert_not_null(f);
    fputs(contents[k], f);
    fclose(f);
  }
  char model[200], line[1024];
  snprintf(model, sizeof model, "%s.model", data);
  snprintf(line, sizeof line, "train --train %s --model %s --epochs 1 --quiet", data, model);
  expect_cli(line, 0, "");
  const struct {
    const char *prefix, *format, *expected, *unexpected;
    int status;
  } cases[] = {
      {"", "train --train %s --model /tmp/x --lr 1e300", "is beyond the range of float", "must be",
       2},
      {"", "train --train %s --model /tmp/x --lr 0.05abc", "expects a number", NULL, 2},
      {"", "train --train %s --model /tmp/x --margin 1e39", "is beyond the range of float",
       "finite", 2},
      {"", "train --train %s --model /tmp/x --lr 1e-50", "too small for float", NULL, 2},
      {"", "eval --model M --data %s --eval-at -1", "a cutoff is a whole number from 1", "elements",
       2},
      {"", "validate --margin inf%.0s", "expects a finite number", NULL, 2},
      {"", "eval --model M --data F0", "starts with a UTF-8 byte-order mark", NULL, 2},
      {"", "eval --model M --data F1", "a carriage return (\\r) in the middle of a line", NULL, 2},
      {"", "eval --model M --data F2", "feature index 99999999999999999999 is too large",
       "1 or more", 2},
      {"", "eval --model M --data F4", "pairs", "expected", 0},
      {"", "eval --model F3 --data %s", "\"mrank-model N\", N from 1 to", NULL, 2},
      {"", "eval --model /tmp --data %s", "is a directory", "data file", 2},
      {"MRANK_CACHE_DIR=/tmp", "validate --n 7 --op forward --reduction none%.0s",
       "a shared folder", "chmod", 0},
      {"MRANK_VARIANT=epw=1,epw=1", "train --train %s --model /tmp/x", "epw is given twice",
       "no device:", 2},
      {"MRANK_MAX_DENSE_BYTES=10", "eval --model M --data %s", "limit of 10 bytes", "0.0 GiB", 2},
      {"MRANK_DEVICE=garbage", "devices%.0s", "MRANK_DEVICE=\"garbage\" picks no device", NULL, 0},
      {"", "bench --n 2^40%.0s", "none of the --n sizes fits", NULL, 2},
      {"", "eval --model M --data %s --json --per-query -", "would both print to standard output",
       NULL, 2},
      {"", "demo --margin -1e30 --n 1000%.0s", "MISTRUSTED", "6 passed", 0},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    char arguments[1024], *out = NULL;
    snprintf(line, sizeof line, cases[k].format, data);
    /* M and Fk stand for the model and the files above */
    size_t used = 0;
    for (const char *p = line; *p != '\0' && used + 1 < sizeof arguments;) {
      if (p[0] == 'M' && (p[1] == ' ' || p[1] == '\0') && p > line && p[-1] == ' ') {
        used += (size_t)snprintf(arguments + used, sizeof arguments - used, "%s", model);
        p++;
      } else if (p[0] == 'F' && p[1] >= '0' && p[1] <= '5' && p[-1] == ' ') {
        used +=
            (size_t)snprintf(arguments + used, sizeof arguments - used, "%s", files[p[1] - '0']);
        p += 2;
      } else {
        arguments[used++] = *p++;
      }
    }
    arguments[used] = '\0';
    strncat(arguments, " 2>&1", sizeof arguments - strlen(arguments) - 1);
    cr_assert_eq(run_cli(cases[k].prefix, arguments, &out), cases[k].status, "%s %s: %s",
                 cases[k].prefix, arguments, out);
    cr_assert_not_null(strstr(out, cases[k].expected), "%s %s: %s", cases[k].prefix, arguments,
                       out);
    if (cases[k].unexpected != NULL) {
      cr_assert_null(strstr(out, cases[k].unexpected), "%s %s: %s", cases[k].prefix, arguments,
                     out);
    }
    free(out);
  }
  for (int k = 0; contents[k] != NULL; ++k)
    unlink(files[k]);
  remove_synth_file(dir, data);
}
