/* test_mlp.c: the MLP scorer (rank/mlp.c, mlp_train.c, mlp_device.c): the first step's gradient
 * on the device against the host's, the same bytes from the same seed, host and device training to
 * the same NDCG@10, scoring, and the --hidden grammar. */
#include "rank/mlp_train.h"
#include "rank/select.h"
#include "rank_helpers.h"

static void load_synth(char *dir, char *path, size_t size, const char *options, rank_dataset *d) {
  char error[512];
  synth_file(dir, path, size, options);
  cr_assert(rank_dataset_load(path, NULL, 0, d, error, sizeof error), "%s", error);
}

static rank_mlp_trainer *trainer_on(const rank_dataset *d, const char *selector) {
  char error[1024];
  rank_mlp_trainer *t = rank_mlp_trainer_create(d, selector, 0, error, sizeof error);
  cr_assert_not_null(t, "%s", error);
  return t;
}

static void small_options(rank_options *o, rank_mlp_options *m) {
  rank_default_options(o);
  o->lr = 1e-3;
  o->batch_queries = 4;
  o->seed = 9;
  rank_mlp_default_options(m);
  m->shape.hidden[0] = 16;
  m->shape.hidden[1] = 8;
}

/* the first step's gradient of one network on the host and on the device (both ways of running
 * the layers), compared entry by entry */
static void first_gradients_agree(rank_mlp_trainer *host, rank_mlp_trainer *device,
                                  const rank_dataset *d, const rank_mlp_shape *shape,
                                  rank_mlp_layers layers) {
  char error[1024], hidden[64];
  rank_options o;
  rank_mlp_options m;
  small_options(&o, &m);
  o.batch_queries = 3; /* 69 documents: rows that do not fill the kernels' blocks of 4 */
  m.shape = *shape;
  m.layers = layers;
  cr_assert(rank_mlp_trainer_reset(host, &o, &m, error, sizeof error), "%s", error);
  cr_assert(rank_mlp_trainer_reset(device, &o, &m, error, sizeof error), "%s", error);
  m.shape.features = d->features;
  rank_mlp_hidden_text(&m.shape, hidden, sizeof hidden);
  const size_t P = rank_mlp_parameter_count(&m.shape);
  float *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
  cr_assert(rank_mlp_trainer_first_gradient(host, a, error, sizeof error), "%s", error);
  cr_assert(rank_mlp_trainer_first_gradient(device, b, error, sizeof error), "%s", error);
  double largest = 0.0, difference = 0.0;
  size_t nonzero = 0, worst = 0;
  for (size_t k = 0; k < P; ++k) {
    largest = fmax(largest, fabs(a[k]));
    if (fabs((double)a[k] - b[k]) > difference) worst = k;
    difference = fmax(difference, fabs((double)a[k] - b[k]));
    nonzero += a[k] != 0.0f;
  }
  /* Each entry is a float sum of at most (batch documents x units) products that the device adds
   * in another order than the host's loops (and, with mad, may fuse): at most n * 2^-24 of the
   * sum of the terms' magnitudes, n ~ 100 here, so 1e-4 of the largest entry bounds it with room.
   */
  cr_assert(largest > 0.0 && nonzero > P / 4, "%s: a gradient of zeros proves nothing", hidden);
  cr_assert(difference <= 1e-4 * largest,
            "%s skip %d %s: gradients differ by %g at %zu of %zu (largest %g)", hidden, shape->skip,
            rank_mlp_layers_name(layers), difference, worst, P, largest);
  if (shape->skip) { /* the linear term's gradient is there */
    size_t linear = 0;
    for (size_t k = P - d->features; k < P; ++k)
      linear += a[k] != 0.0f;
    cr_assert_gt(linear, d->features / 2);
  }
  free(a);
  free(b);
}

Test(mlp, the_first_gradient_on_the_device_matches_the_host, .timeout = 120) {
  char dir[] = "/tmp/mrank-mlp-XXXXXX", path[128];
  rank_dataset d;
  load_synth(dir, path, sizeof path, "--queries 30 --docs 23 --features 10 --seed 4", &d);
  rank_mlp_trainer *host = trainer_on(&d, "host"), *device = trainer_on(&d, NULL);
  /* sizes below, at and across the kernels' vector widths (8 or 16 units) and 1 to 4 layers */
  const rank_mlp_shape shapes[] = {
      {0, 2, {16, 8}, 0}, {0, 2, {16, 8}, 1},     {0, 2, {20, 3}, 1},       {0, 1, {5}, 0},
      {0, 1, {33}, 1},    {0, 3, {17, 9, 40}, 0}, {0, 4, {8, 16, 24, 7}, 1}};
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; ++k) {
    first_gradients_agree(host, device, &d, &shapes[k], RANK_MLP_LAYERS_DENSE);
    first_gradients_agree(host, device, &d, &shapes[k], RANK_MLP_LAYERS_CLBLAST);
  }
  /* the dense kernels at the other vector width than this device's (8 and 16 both ship: a GPU or
   * an AVX2 CPU builds 8, an AVX-512 CPU 16) */
  const char *was = getenv("MRANK_MLP_VW");
  char saved[8] = "";
  if (was != NULL) snprintf(saved, sizeof saved, "%s", was);
  rank_mlp_trainer *other = NULL;
  for (int width = 8; width <= 16; width += 8) {
    setenv("MRANK_MLP_VW", width == 8 ? "8" : "16", 1);
    other = trainer_on(&d, NULL);
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; ++k)
      first_gradients_agree(host, other, &d, &shapes[k], RANK_MLP_LAYERS_DENSE);
    rank_mlp_trainer_destroy(other);
  }
  if (was != NULL) {
    setenv("MRANK_MLP_VW", saved, 1);
  } else {
    unsetenv("MRANK_MLP_VW");
  }
  rank_mlp_trainer_destroy(host);
  rank_mlp_trainer_destroy(device);
  rank_dataset_free(&d);
  remove_synth_file(dir, path);
}

static double train_ndcg(const rank_dataset *d, const char *selector, float *parameters,
                         unsigned epochs, int average, rank_mlp_layers layers) {
  char error[1024];
  rank_options o;
  rank_mlp_options m;
  small_options(&o, &m);
  o.average = (unsigned)average;
  m.layers = layers;
  rank_mlp_trainer *t = trainer_on(d, selector);
  cr_assert(rank_mlp_trainer_reset(t, &o, &m, error, sizeof error), "%s", error);
  for (unsigned e = 1; e <= epochs; ++e) {
    rank_epoch_report report;
    cr_assert(rank_mlp_trainer_epoch(t, e, &report, NULL, NULL, error, sizeof error), "%s", error);
    cr_assert(isfinite(report.train_loss));
  }
  cr_assert(rank_mlp_trainer_parameters(t, parameters, error, sizeof error), "%s", error);
  m.shape.features = d->features;
  double *scores = malloc(d->docs * sizeof *scores);
  cr_assert(rank_mlp_score(&m.shape, parameters, rank_mlp_trainer_mean(t),
                           rank_mlp_trainer_deviation(t), d, scores));
  rank_metrics metrics;
  cr_assert(rank_evaluate(d, scores, &metrics));
  free(scores);
  rank_mlp_trainer_destroy(t);
  return metrics.ndcg10;
}

Test(mlp, device_and_host_train_alike_and_a_seed_repeats_itself, .timeout = 120) {
  char dir[] = "/tmp/mrank-mlp-XXXXXX", path[128];
  rank_dataset d;
  load_synth(dir, path, sizeof path, "--queries 40 --docs 20 --features 10 --seed 6", &d);
  rank_mlp_shape shape = {d.features, 2, {16, 8}, 1}; /* small_options: the defaults */
  const size_t P = rank_mlp_parameter_count(&shape);
  float *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b), *h = malloc(P * sizeof *h);
  const double host = train_ndcg(&d, "host", h, 5, 0, RANK_MLP_LAYERS_AUTO);
  for (int layers = RANK_MLP_LAYERS_DENSE; layers <= RANK_MLP_LAYERS_CLBLAST; ++layers) {
    const double device = train_ndcg(&d, NULL, a, 5, 0, (rank_mlp_layers)layers),
                 again = train_ndcg(&d, NULL, b, 5, 0, (rank_mlp_layers)layers);
    cr_assert_eq(memcmp(a, b, P * sizeof *a), 0, "the same seed gives the same parameters");
    cr_assert_eq(device, again);
    /* the dense path sums in the host's order (explicit products and sums, no mad): its bits */
    if (layers == RANK_MLP_LAYERS_DENSE) {
      cr_assert_eq(memcmp(a, h, P * sizeof *a), 0, "the dense kernels give the host's bits");
    }
    /* the bound: the same network from the same seed on the host */
    cr_assert(fabs(device - host) <= 0.005, "%s: device %.4f, host %.4f",
              rank_mlp_layers_name((rank_mlp_layers)layers), device, host);
  }
  train_ndcg(&d, NULL, a, 5, 0, RANK_MLP_LAYERS_AUTO);
  /* averaged parameters (--average): not the last step's, and host and device alike again */
  const double averaged = train_ndcg(&d, NULL, b, 5, 1, RANK_MLP_LAYERS_AUTO),
               averaged_host = train_ndcg(&d, "host", h, 5, 1, RANK_MLP_LAYERS_AUTO);
  cr_assert_neq(memcmp(a, b, P * sizeof *a), 0, "the average is not the last iterate");
  cr_assert(fabs(averaged - averaged_host) <= 0.005, "device %.4f, host %.4f", averaged,
            averaged_host);
  free(a);
  free(b);
  free(h);
  rank_dataset_free(&d);
  remove_synth_file(dir, path);
}

Test(mlp, hidden_layer_sizes) {
  rank_mlp_shape s = {5, 0, {0}, 0};
  char error[256], text[64];
  cr_assert(rank_mlp_parse_hidden("64,32", &s, error, sizeof error));
  cr_assert(s.layers == 2 && s.hidden[0] == 64 && s.hidden[1] == 32);
  rank_mlp_hidden_text(&s, text, sizeof text);
  cr_assert_str_eq(text, "64,32");
  cr_assert(rank_mlp_parse_hidden("7", &s, error, sizeof error) && s.layers == 1);
  const char *bad[] = {"", "0", "64,", ",64", "1,2,3,4,5", "-3", "64,x", "99999"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k)
    cr_assert(!rank_mlp_parse_hidden(bad[k], &s, error, sizeof error), "%s", bad[k]);
  /* layout: W1 5x7, b1 7, then the output's 7 */
  s.features = 5;
  cr_assert_eq(rank_mlp_parameter_count(&s), 5 * 7 + 7 + 7);
  cr_assert_eq(rank_mlp_bias_offset(&s, 0), 35);
  cr_assert_eq(rank_mlp_output_offset(&s), 42);
}

Test(mlp, train_eval_and_predict_as_a_user_runs_them, .timeout = 120) {
  char dir[] = "/tmp/mrank-mlp-cli-XXXXXX", path[128], arguments[1024], model_path_of_run[160];
  synth_file(dir, path, sizeof path,
             "--queries 60 --docs 15 --features 8 --nonlinear 0.7 --seed 2");
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --hidden 16,8 --holdout 0 --epochs 3 --train %s --model %s.model",
           path, path);
  /* 72 inputs: the 8 features and 64 bins (up to 8 a feature at its training quantiles) */
  expect_cli(arguments, 0, "model (MLP 16,8, 1384 parameters, epoch 3) written to");
  snprintf(arguments, sizeof arguments, "eval --model %s.model --data %s", path, path);
  expect_cli(arguments, 0, "NDCG");
  snprintf(arguments, sizeof arguments, "predict --model %s.model --data %s", path, path);
  char command[1200], *out = NULL;
  snprintf(command, sizeof command, "%s 2>&1", arguments);
  cr_assert_eq(run_cli("", command, &out), 0, "%s", out);
  size_t lines = 0;
  for (const char *c = out; *c; ++c)
    lines += *c == '\n';
  cr_assert_eq(lines, 60 * 15, "one score per document: %s", out);
  free(out);
  /* the choice of the epoch count on held-out folds, then the refit */
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --hidden 8 --epochs 4 --train %s --model %s.model", path, path);
  expect_cli(arguments, 0, "chosen: ");
  /* built with a fixed work-group size (an FPGA's discipline) and at either vector width: the same
   * model bytes as the default build, as every sum of the dense path runs in one order at both
   * widths (64 units and 8 features: vector loops, not only their tails) */
  char *first = NULL;
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --hidden 20,64 --holdout 0 --epochs 2 --train %s --model %s.model "
           "2>&1",
           path, path);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  snprintf(model_path_of_run, sizeof model_path_of_run, "%s.model", path);
  first = read_text_file(model_path_of_run);
  cr_assert_not_null(first);
  const char *builds[] = {"MRANK_REQD_WORK_GROUP=1", "MRANK_MLP_VW=8", "MRANK_MLP_VW=16"};
  for (size_t k = 0; k < sizeof builds / sizeof builds[0]; ++k) {
    cr_assert_eq(run_cli(builds[k], arguments, &out), 0, "%s: %s", builds[k], out);
    free(out);
    char *again = read_text_file(model_path_of_run);
    cr_assert(again != NULL && strcmp(first, again) == 0, "%s: other model bytes", builds[k]);
    free(again);
  }
  free(first);
  /* --scorer linear, said out loud, is the linear scorer (it once counted as an MLP option) */
  snprintf(arguments, sizeof arguments,
           "train --scorer linear --holdout 0 --epochs 2 --train %s --model %s.model", path, path);
  expect_cli(arguments, 0, "written to");
  char model_path[160];
  snprintf(model_path, sizeof model_path, "%s.model", path);
  char *text = read_text_file(model_path);
  cr_assert(text != NULL && strstr(text, "scorer mlp") == NULL, "%s", text ? text : "");
  free(text);
  /* the layers' kernels by name; a name that is not one is refused */
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --gemm clblast --hidden 8 --holdout 0 --epochs 2 --train %s "
           "--model %s.model",
           path, path);
  expect_cli(arguments, 0, "written to");
  /* options that are not an MLP's, or not valid */
  const struct {
    const char *options, *said;
  } refused[] = {
      {"--hidden 16", "go with --scorer mlp"},
      {"--scorer mlp --hidden 0", "--hidden \"0\""},
      {"--scorer mlp --hidden 1,2,3,4,5", "1 to 4 layer sizes"},
      {"--scorer mlp --dropout 1", "--dropout must be a probability in [0, 1)"},
      {"--scorer mlp --optimizer rmsprop", "--optimizer is sgd, momentum or adam"},
      {"--scorer mlp --weight-decay -1", "--weight-decay must be a number >= 0"},
      {"--scorer tree", "--scorer is linear or mlp"},
      {"--scorer mlp --gemm blas", "--gemm is auto, dense or clblast"},
      {"--scorer mlp --bins 65", "--bins is a whole number from 0 to 64, not \"65\""},
      {"--scorer mlp --bins -1", "--bins is a whole number from 0 to 64"},
      {"--scorer mlp --skip tree", "--skip is base, linear or none, not \"tree\""},
      {"--bins 4", "go with --scorer mlp"},
      {"--scorer linear --gemm dense", "go with --scorer mlp"},
      {"--scorer mlp --checkpoint", "--scorer mlp trains on one device, without --checkpoint"},
  };
  for (size_t k = 0; k < sizeof refused / sizeof refused[0]; ++k) {
    snprintf(arguments, sizeof arguments, "train %s --train %s --model %s.other",
             refused[k].options, path, path);
    expect_cli(arguments, 2, refused[k].said);
  }
  remove_synth_file(dir, path);
}

Test(mlp, tune_grids_over_the_networks_settings, .timeout = 120) {
  char dir[] = "/tmp/mrank-mlp-tune-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path,
             "--queries 40 --docs 12 --features 6 --nonlinear 0.5 --seed 3");
  snprintf(arguments, sizeof arguments,
           "tune --scorer mlp --train %s --folds 2 --grid hidden=8x4,8 --grid dropout=0,0.2 "
           "--epochs 3 --model %s.model",
           path, path);
  expect_cli(arguments, 0, "best model written to");
  /* the linear term's kind and the bins by name and number (0 and 1: none and linear, as before) */
  snprintf(arguments, sizeof arguments,
           "tune --scorer mlp --train %s --folds 2 --grid hidden=8 --grid skip=0,base "
           "--grid bins=0,4 --epochs 2 --model %s.model",
           path, path);
  expect_cli(arguments, 0, "skip=base bins=4");
  snprintf(arguments, sizeof arguments,
           "tune --scorer mlp --train %s --folds 2 --grid skip=tree --model %s.model", path, path);
  expect_cli(arguments, 2, "--grid skip: \"tree\" is not none, linear or base");
  snprintf(arguments, sizeof arguments,
           "tune --scorer mlp --train %s --folds 2 --grid bins=2.5 --model %s.model", path, path);
  expect_cli(arguments, 2, "--grid bins: \"2.5\" is not a whole number of bins, 0 to 64");
  char model_path[160];
  snprintf(model_path, sizeof model_path, "%s.model", path);
  char *text = read_text_file(model_path);
  cr_assert_not_null(text);
  cr_assert_not_null(strstr(text, "scorer mlp hidden="), "%s", text);
  free(text);
  snprintf(arguments, sizeof arguments,
           "tune --scorer mlp --train %s --folds 2 --grid l2=0.1 --model %s.model", path, path);
  expect_cli(arguments, 2, "with --scorer mlp the names are hidden");
  snprintf(arguments, sizeof arguments,
           "tune --scorer mlp --train %s --folds 2 --grid hidden=8x0 --model %s.model", path, path);
  expect_cli(arguments, 2, "--grid hidden");
  remove_synth_file(dir, path);
}

/* --skip base's trainer side: the linear term starts where it is told and the optimiser leaves it
 * there (its running average too), on the host and on the device; the network's output weights
 * start at 0, so the first scores are the linear term's */
Test(mlp, a_frozen_linear_term_stays_where_it_started, .timeout = 120) {
  char dir[] = "/tmp/mrank-mlp-frozen-XXXXXX", path[128], error[1024];
  rank_dataset d;
  load_synth(dir, path, sizeof path, "--queries 24 --docs 10 --features 7 --seed 4", &d);
  rank_options o;
  rank_mlp_options m;
  small_options(&o, &m);
  o.average = 1;
  m.shape.features = d.features;
  const float start[7] = {0.5f, -0.25f, 1.0f, 0.0f, 2.0f, -1.5f, 0.125f};
  m.skip_start = start;
  m.skip_frozen = 1;
  const size_t P = rank_mlp_parameter_count(&m.shape), skip = rank_mlp_skip_offset(&m.shape);
  float *p = malloc(P * sizeof *p);
  const char *selectors[] = {"host", NULL};
  for (int k = 0; k < 2; ++k) {
    rank_mlp_trainer *t = trainer_on(&d, selectors[k]);
    cr_assert(rank_mlp_trainer_reset(t, &o, &m, error, sizeof error), "%s", error);
    cr_assert(rank_mlp_trainer_parameters(t, p, error, sizeof error), "%s", error);
    for (size_t u = 0; u < m.shape.hidden[1]; ++u)
      cr_assert_eq(p[rank_mlp_output_offset(&m.shape) + u], 0.0f, "output weight %zu", u);
    const float first = p[0];
    for (unsigned e = 1; e <= 2; ++e) {
      rank_epoch_report report;
      cr_assert(rank_mlp_trainer_epoch(t, e, &report, NULL, NULL, error, sizeof error), "%s",
                error);
    }
    cr_assert(rank_mlp_trainer_parameters(t, p, error, sizeof error), "%s", error);
    cr_assert_neq(p[0], first, "%s: the network trained", selectors[k] ? "host" : "device");
    cr_assert_eq(memcmp(p + skip, start, sizeof start), 0, "%s: the linear term moved",
                 selectors[k] ? "host" : "device");
    rank_mlp_trainer_destroy(t);
  }
  free(p);
  rank_dataset_free(&d);
  remove_synth_file(dir, path);
}

/* The epoch count from the folds' curves: the best mean, or with the rule, the fewest epochs
 * within one standard error of the best (the error of the fold-by-fold difference) */
Test(mlp, the_one_standard_error_rule_keeps_the_base_unless_the_network_is_clearly_better) {
  /* 3 folds, epochs 0 .. 3 */
  const double clear[] = {0.70, 0.75, 0.78, 0.77,  /* every fold gains about 0.08 */
                          0.60, 0.66, 0.69, 0.68,  /* */
                          0.80, 0.84, 0.88, 0.87}; /* */
  const double noisy[] = {0.70, 0.80, 0.72, 0.70,  /* one fold gains 0.1, the others lose */
                          0.60, 0.55, 0.56, 0.59,  /* */
                          0.80, 0.78, 0.79, 0.80}; /* */
  double mean = 0.0;
  cr_assert_eq(rank_choose_epoch(clear, 3, 3, 0, 4, 0, &mean), 2);
  cr_assert_float_eq(mean, (0.78 + 0.69 + 0.88) / 3.0, 1e-12);
  /* epoch 1 is 0.0333 below epoch 2 in every fold (differences 0.03, 0.03, 0.04: error 0.0033):
   * beyond one error, so the rule keeps epoch 2 */
  cr_assert_eq(rank_choose_epoch(clear, 3, 3, 0, 4, 1, &mean), 2);
  /* the best mean is epoch 1 (0.7100 against 0.7000 at 0), but the differences 0.10, -0.05,
   * -0.02 have a mean of 0.0100 and an error of 0.0458: the base (epoch 0) stands */
  cr_assert_eq(rank_choose_epoch(noisy, 3, 3, 0, 4, 0, &mean), 1);
  cr_assert_eq(rank_choose_epoch(noisy, 3, 3, 0, 4, 1, &mean), 0);
  cr_assert_float_eq(mean, 0.70, 1e-12);
  /* only the epochs every fold reached count; without a base the first is epoch 1 */
  cr_assert_eq(rank_choose_epoch(clear, 3, 3, 1, 2, 0, &mean), 1);
}

/* --skip base on the command line: the model's linear term is `mrank train`'s linear model with
 * no options, to the bit, in the network's standardised units, and the bins' columns are 0 */
Test(mlp, the_base_is_the_linear_scorer_as_train_makes_it, .timeout = 120) {
  char dir[] = "/tmp/mrank-mlp-base-XXXXXX", path[128], arguments[1024], error[512];
  char model_path[160], linear_path[160];
  synth_file(dir, path, sizeof path,
             "--queries 50 --docs 12 --features 6 --nonlinear 0.5 --seed 8");
  snprintf(model_path, sizeof model_path, "%s.model", path);
  snprintf(linear_path, sizeof linear_path, "%s.linear", path);
  snprintf(arguments, sizeof arguments, "train --train %s --model %s --quiet", path, linear_path);
  expect_cli(arguments, 0, "");
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --hidden 8 --holdout 0 --epochs 3 --train %s --model %s", path,
           model_path);
  expect_cli(arguments, 0, "+ the linear scorer");
  rank_model linear, mlp;
  cr_assert(rank_model_load(linear_path, 0, &linear, error, sizeof error), "%s", error);
  cr_assert(rank_model_load(model_path, 0, &mlp, error, sizeof error), "%s", error);
  cr_assert(mlp.base && mlp.mlp.skip && mlp.encoding.bins == 8);
  cr_assert_gt(mlp.mlp.features, mlp.features, "the bins are inputs too");
  const float *v = mlp.weights + rank_mlp_skip_offset(&mlp.mlp);
  for (size_t f = 0; f < mlp.mlp.features; ++f) {
    const float want = f < linear.features ? linear.weights[f] * mlp.deviation[f] : 0.0f;
    cr_assert_eq(v[f], want, "input %zu: %.9g, the linear model's %.9g", f, v[f], want);
  }
  rank_model_free(&linear);
  rank_model_free(&mlp);
  unlink(linear_path);
  remove_synth_file(dir, path);
}

/* the whole default pipeline (bins, the linear base, the epoch count chosen on folds) on the host
 * and on the device: the bound of 0.005 NDCG@10 on held-out queries */
Test(mlp, the_default_pipeline_on_the_host_and_the_device_rank_alike, .timeout = 300) {
  char dir[] = "/tmp/mrank-mlp-pipe-XXXXXX", path[128], arguments[1024];
  synth_file(dir, path, sizeof path,
             "--queries 60 --docs 10 --features 6 --nonlinear 0.7 --seed 5");
  char train[160], test[160], model[2][160];
  snprintf(train, sizeof train, "%s.train", path);
  snprintf(test, sizeof test, "%s.test", path);
  snprintf(arguments, sizeof arguments, "split --data %s --train %s --test %s --seed 3", path,
           train, test);
  expect_cli(arguments, 0, "");
  double ndcg[2];
  const char *devices[] = {"", "--device host"};
  for (int k = 0; k < 2; ++k) {
    snprintf(model[k], sizeof model[k], "%s.model%d", path, k);
    snprintf(arguments, sizeof arguments,
             "train --scorer mlp --hidden 16,8 --epochs 20 %s --train %s --model %s --quiet",
             devices[k], train, model[k]);
    expect_cli(arguments, 0, "");
    snprintf(arguments, sizeof arguments, "eval --model %s --data %s --json 2>&1", model[k], test);
    char *out = NULL;
    cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
    const char *at = strstr(out, "\"ndcg@10\": ");
    cr_assert_not_null(at, "%s", out);
    ndcg[k] = strtod(at + 11, NULL);
    free(out);
  }
  /* the whole default pipeline (bins, the linear base, dropout, Adam, folds, refit) on a CPU
   * device runs the dense kernels, whose sums are the host's: the same model, byte for byte */
  snprintf(arguments, sizeof arguments, "cmp -s '%s' '%s'", model[0], model[1]);
  cr_assert_eq(system(arguments), 0, "the device's and the host's model files differ");
  unlink(model[0]);
  unlink(model[1]);
  cr_assert(fabs(ndcg[0] - ndcg[1]) <= 0.005, "device %.4f, host %.4f", ndcg[0], ndcg[1]);
  unlink(train);
  unlink(test);
  remove_synth_file(dir, path);
}
