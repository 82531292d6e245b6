/* test_defaults.c: `mrank train` with no options (the held-out choice of l2 and the epoch count,
 * recorded in the model), the options that turn its parts off, raw features, L1, tune's refit and
 * folds, and split's unchanged lines, as a user runs them. */
#include <stdio.h>
#include <unistd.h>

#include "rank_helpers.h"

/* The model file's text (the test fails when it cannot be read). */
static char *model_text(const char *path) {
  char model[160];
  snprintf(model, sizeof model, "%s.model", path);
  char *text = read_text_file(model);
  cr_assert_not_null(text, "no model at %s", model);
  return text;
}

static void run_ok(const char *arguments, char **out) {
  char command[1200];
  snprintf(command, sizeof command, "%s 2>&1", arguments);
  cr_assert_eq(run_cli("", command, out), 0, "%s: %s", arguments, *out);
}

Test(defaults, no_options_choose_l2_and_epochs_and_the_model_says_so, .timeout = 120) {
  char dir[] = "/tmp/mrank-defaults-XXXXXX", path[128], arguments[1024], *out = NULL;
  synth_file(dir, path, sizeof path, "--queries 60 --docs 20 --features 8 --noise 0.2 --seed 4");
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model", path, path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "5 fold(s) of 12 queries"), "small data: 5 folds: %s", out);
  cr_assert_not_null(strstr(out, "chosen: l2 "), "%s", out);
  cr_assert_not_null(strstr(out, "refit on all 60 queries"), "%s", out);
  free(out);
  char *model = model_text(path);
  cr_assert_not_null(strstr(model, "mrank-model 3\n"), "%s", model);
  cr_assert_not_null(strstr(model, " average=1 "), "averaged SGD by default: %s", model);
  cr_assert_not_null(strstr(model, " holdout=0.2\n"), "%s", model);
  /* the path's last step is the chosen L2, the one the options line holds */
  const char *line = strstr(model, "\npath ");
  cr_assert_not_null(line, "%s", model);
  double last_l2 = -1, l2 = -2;
  unsigned epochs = 0, steps = 0;
  for (const char *at = line + 6; sscanf(at, "%lf:%u", &last_l2, &epochs) == 2; steps++) {
    at = strchr(at, ' ');
    if (at == NULL || at > strchr(line + 1, '\n')) break;
    at++;
  }
  cr_assert_geq(steps, 1, "%s", model);
  cr_assert_eq(sscanf(strstr(model, " l2=") + 4, "%lf", &l2), 1);
  cr_assert_float_eq(l2, last_l2, 1e-9 * last_l2, "options l2 %g, path's last %g", l2, last_l2);
  free(model);
  /* the same run again: the same bytes */
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.again --quiet", path, path);
  run_ok(arguments, &out);
  free(out);
  char again[160];
  snprintf(again, sizeof again, "%s.again", path);
  char *a = model_text(path), *b = read_text_file(again);
  cr_assert_str_eq(a, b, "same data, same options: the same model");
  free(a);
  free(b);
  unlink(again);
  remove_synth_file(dir, path);
}

Test(defaults, l2_holdout_and_valid_turn_the_parts_off, .timeout = 120) {
  char dir[] = "/tmp/mrank-defaults-XXXXXX", path[128], arguments[1024], *out = NULL;
  synth_file(dir, path, sizeof path, "--queries 40 --docs 15 --features 6 --seed 7");
  /* --holdout 0: --epochs epochs as given, no path */
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model --holdout 0 --epochs 4",
           path, path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "epoch   4  loss"), "per-epoch lines: %s", out);
  cr_assert_not_null(strstr(out, "model (epoch 4)"), "%s", out);
  free(out);
  char *model = model_text(path);
  cr_assert_not_null(strstr(model, "\npath -\nbest-epoch 4\n"), "%s", model);
  cr_assert_not_null(strstr(model, " l2=0.0001 "), "the default l2 when nothing is chosen: %s",
                     model);
  free(model);
  /* --l2: one step, its epoch count chosen */
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model --l2 0.01 --epochs 6",
           path, path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "choosing the epoch count"), "%s", out);
  free(out);
  model = model_text(path);
  double step_l2 = 0;
  unsigned step_epochs = 0;
  char after = 0;
  cr_assert_eq(sscanf(strstr(model, "\npath "), "\npath %lf:%u%c", &step_l2, &step_epochs, &after),
               3, "%s", model);
  /* one step, of the l2 given (read as a float, as the trainer takes it) */
  cr_assert(after == '\n' && fabs(step_l2 - 0.01) < 1e-9 && step_epochs >= 1, "%s", model);
  free(model);
  /* --valid: chosen on the file, per-epoch lines with train and valid NDCG@10, no refit */
  snprintf(arguments, sizeof arguments,
           "train --train %s --valid %s --model %s.model --l2 0.01 --epochs 3", path, path, path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "train NDCG@10 "), "%s", out);
  cr_assert_not_null(strstr(out, "valid NDCG@10 "), "%s", out);
  cr_assert_not_null(strstr(out, "chosen on --valid"), "%s", out);
  cr_assert_null(strstr(out, "refit"), "%s", out);
  free(out);
  remove_synth_file(dir, path);
}

Test(defaults, too_few_queries_to_hold_out_train_as_given_with_a_note) {
  char dir[] = "/tmp/mrank-defaults-XXXXXX", path[128], arguments[1024], *out = NULL;
  synth_file(dir, path, sizeof path, "--queries 10 --docs 10 --features 4 --seed 1");
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model --epochs 3", path, path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "note: 10 queries are too few to hold out"), "%s", out);
  free(out);
  char *model = model_text(path);
  cr_assert_not_null(strstr(model, "\npath -\n"), "%s", model);
  free(model);
  remove_synth_file(dir, path);
}

/* Raw counts and scores up to 1e4 (MSLR-WEB, Istella) train with no options: the ranking on
 * held-out queries comes within 0.03 NDCG@10 of the planted weights' own (as for [0, 1) data). */
Test(defaults, raw_features_train_with_the_defaults, .timeout = 120) {
  char dir[] = "/tmp/mrank-raw-XXXXXX", path[128], arguments[1024], *out = NULL;
  synth_file(dir, path, sizeof path,
             "--raw --queries 150 --docs 20 --features 10 --noise 0.2 --seed 9");
  char train[160], test[160];
  snprintf(train, sizeof train, "%s.train", path);
  snprintf(test, sizeof test, "%s.test", path);
  snprintf(arguments, sizeof arguments, "split --data %s --train %s --test %s", path, train, test);
  run_ok(arguments, &out);
  free(out);
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model --quiet", train, path);
  run_ok(arguments, &out);
  free(out);
  rank_dataset held_out;
  char error[512], weights_path[160];
  cr_assert(rank_dataset_load(test, NULL, 10, &held_out, error, sizeof error), "%s", error);
  snprintf(weights_path, sizeof weights_path, "%s.model", path);
  rank_model model;
  cr_assert(rank_model_load(weights_path, 10, &model, error, sizeof error), "%s", error);
  snprintf(weights_path, sizeof weights_path, "%s.weights", path);
  FILE *file = fopen(weights_path, "r");
  float planted[10];
  for (int f = 0; f < 10; ++f)
    cr_assert_eq(fscanf(file, "%f", &planted[f]), 1);
  fclose(file);
  const double trained = ndcg10(&held_out, model.weights), ideal = ndcg10(&held_out, planted);
  cr_assert_geq(trained, ideal - 0.03, "trained %.4f, planted %.4f", trained, ideal);
  rank_model_free(&model);
  rank_dataset_free(&held_out);
  unlink(train);
  unlink(test);
  remove_synth_file(dir, path);
}

/* --l1: features with planted weight 0 end at exactly 0; the relevant ones do not. */
Test(defaults, l1_zeroes_the_irrelevant_features, .timeout = 120) {
  char dir[] = "/tmp/mrank-l1-XXXXXX", path[128], arguments[1024], *out = NULL;
  synth_file(dir, path, sizeof path,
             "--queries 200 --docs 20 --features 10 --irrelevant 5 --seed 3");
  snprintf(arguments, sizeof arguments,
           "train --train %s --model %s.model --l1 0.1 --holdout 0 --quiet", path, path);
  run_ok(arguments, &out);
  free(out);
  char model_path[160], error[512];
  snprintf(model_path, sizeof model_path, "%s.model", path);
  rank_model model;
  cr_assert(rank_model_load(model_path, 10, &model, error, sizeof error), "%s", error);
  for (int f = 0; f < 5; ++f)
    cr_assert_neq(model.weights[f], 0.0f, "relevant feature %d", f + 1);
  for (int f = 5; f < 10; ++f)
    cr_assert_eq(model.weights[f], 0.0f, "irrelevant feature %d: %g", f + 1, model.weights[f]);
  cr_assert_float_eq(model.options.l1, 0.1, 1e-9);
  rank_model_free(&model);
  /* train says how many weights are left */
  snprintf(arguments, sizeof arguments, "train --train %s --model %s.model --l1 0.1 --holdout 0",
           path, path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "5 of 10 weights are not zero (--l1 0.1)"), "%s", out);
  free(out);
  remove_synth_file(dir, path);
}

Test(defaults, tune_refits_on_all_the_data_and_folds_choose_by_the_mean, .timeout = 120) {
  char dir[] = "/tmp/mrank-tune-XXXXXX", path[128], arguments[1024], *out = NULL;
  synth_file(dir, path, sizeof path, "--queries 40 --docs 12 --features 5 --seed 5");
  snprintf(arguments, sizeof arguments,
           "tune --train %s --valid %s --model %s.model --grid lr=0.02,0.1 --epochs 3", path, path,
           path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "refit: the best setting on all 80 queries"),
                     "train and valid together: %s", out);
  free(out);
  snprintf(arguments, sizeof arguments,
           "tune --train %s --folds 4 --model %s.model --grid l1=0,0.01 --epochs 3", path, path);
  run_ok(arguments, &out);
  cr_assert_not_null(strstr(out, "fold 4 of 4"), "%s", out);
  cr_assert_not_null(strstr(out, "mean NDCG@10"), "%s", out);
  cr_assert_not_null(strstr(out, "refit: the best setting on all 40 queries"), "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "tune --train %s --folds 4 --no-refit --model %s.model",
           path, path);
  expect_cli(arguments, 2, "leave out --no-refit");
  snprintf(arguments, sizeof arguments, "tune --train %s --folds 1 --model %s.model", path, path);
  expect_cli(arguments, 2, "from 2 to 20");
  remove_synth_file(dir, path);
}

/* split copies each line as it is: 0.89 stays 0.89, comments and #docid tails stay */
Test(defaults, split_copies_lines_unchanged) {
  char dir[] = "/tmp/mrank-split-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char data[160], train[160], test[160], arguments[1024], *out = NULL;
  snprintf(data, sizeof data, "%s/data", dir);
  snprintf(train, sizeof train, "%s/train", dir);
  snprintf(test, sizeof test, "%s/test", dir);
  const char *lines[] = {"2 qid:7 1:0.89 3:1e-3 #docid = A-1 inc = 1",
                         "0 qid:7 2:0.10000 # plain comment", "1 qid:9 1:0.5\t2:0.25",
                         "0 qid:9 3:7 #docid = B-2", "1 qid:11 1:1"};
  FILE *file = fopen(data, "w");
  fputs("# a header comment\n", file);
  for (int k = 0; k < 5; ++k)
    fprintf(file, "%s\n", lines[k]);
  fclose(file);
  snprintf(arguments, sizeof arguments, "split --data %s --train %s --test %s --fraction 0.5", data,
           train, test);
  run_ok(arguments, &out);
  free(out);
  char *a = read_text_file(train), *b = read_text_file(test);
  cr_assert(a != NULL && b != NULL);
  for (int k = 0; k < 5; ++k) {
    char want[128];
    snprintf(want, sizeof want, "%s\n", lines[k]);
    cr_assert(strstr(a, want) != NULL || strstr(b, want) != NULL, "line %d changed: %s | %s", k, a,
              b);
  }
  char *whole = read_text_file(data);
  cr_assert_eq(strlen(a) + strlen(b), strlen(whole) - strlen("# a header comment\n"),
               "only the documents' lines, each once");
  free(whole);
  free(a);
  free(b);
  /* a group file's data gets " qid:N" after the label and nothing else changes */
  char groups[160];
  snprintf(groups, sizeof groups, "%s/groups", dir);
  file = fopen(data, "w");
  fputs("2 1:0.89 #docid = A-1\n0 2:0.10000\n1 1:0.5\n", file);
  fclose(file);
  file = fopen(groups, "w");
  fputs("2\n1\n", file);
  fclose(file);
  snprintf(arguments, sizeof arguments,
           "split --data %s --query %s --train %s --test %s --fraction 0.5", data, groups, train,
           test);
  run_ok(arguments, &out);
  free(out);
  a = read_text_file(train);
  b = read_text_file(test);
  cr_assert(a != NULL && b != NULL);
  const int first_in_train = strstr(a, "qid:0") != NULL;
  const char *zero = first_in_train ? a : b, *one = first_in_train ? b : a;
  cr_assert_str_eq(zero, "2 qid:0 1:0.89 #docid = A-1\n0 qid:0 2:0.10000\n");
  cr_assert_str_eq(one, "1 qid:1 1:0.5\n");
  free(a);
  free(b);
  snprintf(arguments, sizeof arguments, "rm -rf %s", dir);
  cr_assert_eq(system(arguments), 0);
}
