/* test_trainer.c: the trainer: the device and the host agree, a seed gives the same model bytes,
 * a broken kernel reports its build log, scaling is undone in the weights. */
#include <stdio.h>
#include <unistd.h>

#include <dirent.h>

#include "rank/pairs.h"
#include "rank/synth.h"
#include "rank_helpers.h"

Test(trainer, device_and_host_agree_and_a_seed_repeats_itself, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128], arguments[256];
  synth_file(dir, path, sizeof path, "--queries 60 --docs 30 --features 12 --noise 0.2 --seed 5");
  rank_dataset d;
  char error[512];
  cr_assert(rank_dataset_load(path, NULL, 0, &d, error, sizeof error), "%s", error);
  rank_options o;
  rank_default_options(&o);
  o.epochs = 10;
  o.batch_queries = 4;
  o.pairs_per_query = 20;
  o.patience = 0;
  o.seed = 3;
  o.average = 1;
  float device[12], again[12], host[12];
  unsetenv("MRANK_DEVICE");
  train_model(&d, NULL, &o, device);
  train_model(&d, NULL, &o, again);
  cr_assert_eq(memcmp(device, again, sizeof device), 0, "the same seed gives the same weights");
  train_model(&d, "host", &o, host);
  /* The host makes the device's additions in the device's order (rank/lane.c), in IEEE single
   * precision without contraction: the same bits wherever the device keeps subnormals (PoCL
   * does). A device that flushes them may differ in the last bits: NDCG@10 within 0.002. */
  const double a = ndcg10(&d, device), b = ndcg10(&d, host);
  mrank_device_info info;
  size_t chosen = 0, count = 0;
  cr_assert_eq(mrank_device_count(&count), MRANK_SUCCESS);
  for (size_t i = 0; i < count; ++i) {
    cr_assert_eq(mrank_device_describe(i, &info), MRANK_SUCCESS);
    if (info.is_default) chosen = i;
  }
  cr_assert_eq(mrank_device_describe(chosen, &info), MRANK_SUCCESS);
  if (info.denormals) {
    cr_assert_eq(memcmp(device, host, sizeof device), 0, "device and host weights differ");
  }
  cr_assert(fabs(a - b) <= 0.002, "device %.4f, host %.4f", a, b);
  /* the planted weights' own NDCG@10 on this data; training must come close */
  snprintf(arguments, sizeof arguments, "%s.weights", path);
  FILE *file = fopen(arguments, "r");
  float planted[12];
  for (int f = 0; f < 12; ++f)
    cr_assert_eq(fscanf(file, "%f", &planted[f]), 1);
  fclose(file);
  const double own = ndcg10(&d, planted);
  cr_assert(a >= own - 0.03, "trained %.4f, planted %.4f", a, own);
  rank_dataset_free(&d);
  remove_synth_file(dir, path);
}

static void train_weights(const rank_dataset *d, const char *selector, rank_scale scale,
                          float *weights) {
  rank_options o;
  rank_default_options(&o);
  o.epochs = 3;
  o.scale = scale;
  train_model(d, selector, &o, weights);
}

Test(trainer, a_broken_kernel_fails_with_its_build_log, .timeout = 120) {
  char dir[] = "/tmp/mrank-kernels-XXXXXX", path[160], error[4096];
  cr_assert_not_null(mkdtemp(dir));
  rank_dataset d;
  cr_assert(parse("1 qid:1 1:1\n0 qid:1 1:0\n", NULL, 0, &d, error));
  unsetenv("MRANK_DEVICE");
  setenv("MRANK_KERNEL_DIR", dir, 1);
  /* no ranker.cl in the folder: the path is named */
  cr_assert_null(rank_trainer_create(&d, NULL, 0, RANK_SCALE_AUTO, error, sizeof error));
  cr_assert_not_null(strstr(error, "ranker.cl"), "%s", error);
  snprintf(path, sizeof path, "%s/ranker.cl", dir);
  FILE *file = fopen(path, "w");
  fputs("__kernel void gather(__global float *s) { s[0] = undeclared_name; }\n", file);
  fclose(file);
  cr_assert_null(rank_trainer_create(&d, NULL, 0, RANK_SCALE_AUTO, error, sizeof error));
  cr_assert_not_null(strstr(error, "building kernels/ranker.cl failed: CL_BUILD_PROGRAM_FAILURE"),
                     "%s", error);
  cr_assert_not_null(strstr(error, "undeclared_name"), "the build log names it: %s", error);
  unsetenv("MRANK_KERNEL_DIR");
  unlink(path);
  rmdir(dir);
  rank_dataset_free(&d);
}

Test(trainer, scaling_is_undone_in_the_weights, .timeout = 120) {
  rank_synth synth;
  rank_dataset unit, big;
  cr_assert(rank_synth_init(&synth, 10, 6, 0.2, 3));
  cr_assert(rank_synth_dataset(&synth, 20, 1, &unit));
  rank_synth_free(&synth);
  cr_assert(rank_synth_init(&synth, 10, 6, 0.2, 3));
  cr_assert(rank_synth_dataset(&synth, 20, 1, &big));
  rank_synth_free(&synth);
  /* raw counts and scores: every feature 1024 times larger (exact in float) */
  for (size_t k = 0; k < big.docs * big.features; ++k)
    big.x[k] *= 1024.0f;
  unsetenv("MRANK_DEVICE");
  const char *selectors[] = {NULL, "host"};
  for (int s = 0; s < 2; ++s) {
    float as_is[6], kept[6], by_max[6], scaled_big[6], unscaled_big[6];
    /* auto keeps features within [-1, 1] as they are: the same bits as no scaling */
    train_weights(&unit, selectors[s], RANK_SCALE_NONE, as_is);
    train_weights(&unit, selectors[s], RANK_SCALE_AUTO, kept);
    cr_assert_eq(memcmp(as_is, kept, sizeof kept), 0);
    /* auto scales the large features to exactly what max makes of the small ones (1024 m / 1024 m
     * rounds as m / m), and the weights come back in the data's units: 1024 times smaller, exactly
     * (power-of-two factors) */
    train_weights(&unit, selectors[s], RANK_SCALE_MAX, by_max);
    train_weights(&big, selectors[s], RANK_SCALE_AUTO, scaled_big);
    for (int f = 0; f < 6; ++f)
      cr_assert_eq(scaled_big[f], by_max[f] / 1024.0f, "feature %d: %g vs %g", f, scaled_big[f],
                   by_max[f] / 1024.0f);
    /* and it matters: unscaled, the default learning rate does not give that model */
    train_weights(&big, selectors[s], RANK_SCALE_NONE, unscaled_big);
    cr_assert_neq(memcmp(unscaled_big, scaled_big, sizeof scaled_big), 0);
  }
  rank_dataset_free(&unit);
  rank_dataset_free(&big);
}

/* --pairs-per-query K draws K of a query's pairs without making the others: a query of 20,000
 * documents has about 1.6e8 pairs (1.3 GB to enumerate), and K = 1000 of them are drawn at once.
 * They are distinct, each a real pair, the same for the same seed and epoch. */
Test(trainer, sampling_does_not_enumerate_a_query_s_pairs, .timeout = 120) {
  enum { docs = 20000, limit = 1000 };
  rank_dataset d;
  memset(&d, 0, sizeof d);
  d.docs = docs;
  d.features = 1;
  d.queries = 1;
  d.x = calloc(docs, sizeof *d.x);
  d.labels = malloc(docs * sizeof *d.labels);
  d.query_start = malloc(2 * sizeof *d.query_start);
  d.qid = calloc(1, sizeof *d.qid);
  cr_assert(d.x && d.labels && d.query_start && d.qid);
  for (size_t i = 0; i < docs; ++i)
    d.labels[i] = (float)(i % 5);
  d.query_start[0] = 0;
  d.query_start[1] = docs;
  const size_t all = rank_pairs_planned(&d, 0);
  /* 4000 documents of each label 0..4: each pairs with the 4000 of every smaller label */
  cr_assert_eq(all, 4000ull * 4000 * (0 + 1 + 2 + 3 + 4), "every ordered pair: %zu", all);
  cr_assert_eq(rank_pairs_planned(&d, limit), limit);
  rank_pairs a, b;
  cr_assert(rank_pairs_init(&a, &d) && rank_pairs_init(&b, &d));
  cr_assert_eq(rank_pairs_make(&a, &d, limit, 7, 1), 1);
  cr_assert_eq(rank_pairs_make(&b, &d, limit, 7, 1), 1);
  cr_assert_eq(a.count, limit);
  cr_assert_eq(memcmp(a.a, b.a, limit * sizeof *a.a), 0, "the same draw for the same seed");
  cr_assert_eq(memcmp(a.b, b.b, limit * sizeof *a.b), 0);
  for (size_t p = 0; p < a.count; ++p) {
    cr_assert_gt(d.labels[a.a[p]], d.labels[a.b[p]], "pair %zu is not ordered", p);
    if (p > 0) {
      const int distinct = a.a[p] != a.a[p - 1] || a.b[p] != a.b[p - 1];
      cr_assert(distinct, "pair %zu repeats the one before", p);
    }
  }
  cr_assert_eq(rank_pairs_make(&b, &d, limit, 7, 2), 1);
  cr_assert_neq(memcmp(a.a, b.a, limit * sizeof *a.a), 0, "another epoch, another draw");
  rank_pairs_free(&a);
  rank_pairs_free(&b);
  rank_dataset_free(&d);
}

/* Data with no pair to learn from (every query has one label) is refused with why, instead of 30
 * epochs of "loss 0" and an all-zero model. */
Test(trainer, data_without_a_pair_is_refused, .timeout = 120) {
  rank_dataset d;
  char error[512];
  cr_assert(parse("1 qid:1 1:1\n1 qid:1 1:0\n0 qid:2 1:1\n", NULL, 0, &d, error), "%s", error);
  cr_assert_null(rank_trainer_create(&d, "host", 0, RANK_SCALE_AUTO, error, sizeof error));
  cr_assert_not_null(strstr(error, "no pair to learn from"), "%s", error);
  rank_dataset_free(&d);
}

/* Every program the tool builds goes through the disk cache: after one training in a fresh cache
 * folder, the operator's program and the trainer's are both there. */
Test(trainer, the_trainer_s_program_is_in_the_disk_cache, .timeout = 120) {
  char dir[] = "/tmp/mrank-cache-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  setenv("MRANK_CACHE_DIR", dir, 1);
  unsetenv("MRANK_DEVICE");
  rank_dataset d;
  char error[512];
  cr_assert(parse("1 qid:1 1:1\n0 qid:1 1:0\n", NULL, 0, &d, error), "%s", error);
  rank_options o;
  rank_default_options(&o);
  o.epochs = 1;
  float w[1];
  train_model(&d, NULL, &o, w);
  rank_dataset_free(&d);
  DIR *folder = opendir(dir);
  cr_assert_not_null(folder);
  int entries = 0;
  char path[512];
  for (struct dirent *item; (item = readdir(folder)) != NULL;) {
    if (strstr(item->d_name, ".clbin") == NULL) continue;
    entries++;
    snprintf(path, sizeof path, "%s/%s", dir, item->d_name);
    remove(path);
  }
  closedir(folder);
  rmdir(dir);
  unsetenv("MRANK_CACHE_DIR");
  cr_assert_eq(entries, 2, "margin_ranking.cl and ranker.cl: %d entries", entries);
}
