/* test_split.c: contexts over several devices (device_set.c, split.c) and the trainer over several
 * (rank/lane.c): selectors, and the same bits on 1, 2 and 3 devices. CTest runs this file with
 * POCL_DEVICES="pthread pthread basic", three PoCL devices; a test that needs them skips, saying
 * so, where fewer are present. */
#include "rank/synth.h"
#include "rank_helpers.h"

/* ---- the present PoCL devices ---- */

/* "P:D,P:D,..." of the first `want` PoCL devices; 0 when fewer are present. */
static int pocl_list(size_t want, char *list, size_t size) {
  size_t count = 0, found = 0;
  cr_assert_eq(mrank_device_count(&count), MRANK_SUCCESS);
  list[0] = '\0';
  for (size_t i = 0; i < count && found < want; ++i) {
    mrank_device_info info;
    cr_assert_eq(mrank_device_describe(i, &info), MRANK_SUCCESS);
    if (strstr(info.platform_name, "Portable Computing Language") == NULL) continue;
    const size_t used = strlen(list);
    snprintf(list + used, size - used, "%s%s", found > 0 ? "," : "", info.selector);
    found++;
  }
  return found == want;
}

static mrank_context *pocl_context(size_t devices) {
  char list[256];
  if (!pocl_list(devices, list, sizeof list)) {
    cr_skip_test("fewer than %zu PoCL devices: run with POCL_DEVICES=\"pthread pthread basic\"",
                 devices);
  }
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(list, &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_context_device_count(ctx), devices);
  return ctx;
}

static mrank_status create_status(const char *selector) {
  mrank_context *ctx = NULL;
  const mrank_status status = mrank_context_create(selector, &ctx);
  mrank_context_destroy(ctx);
  return status;
}

Test(split, selectors_of_several_devices) {
  char three[256];
  if (!pocl_list(3, three, sizeof three)) {
    cr_skip_test("fewer than 3 PoCL devices: run with POCL_DEVICES=\"pthread pthread basic\"");
  }
  size_t count = 0;
  cr_assert_eq(mrank_device_count(&count), MRANK_SUCCESS);
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create("all", &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_context_device_count(ctx), count);
  mrank_context_destroy(ctx);
  cr_assert_eq(mrank_context_create("CPU:all", &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_geq(mrank_context_device_count(ctx), 3);
  mrank_context_destroy(ctx);
  /* a list keeps its order: the third PoCL device first */
  char reversed[256], first[32], last[32];
  snprintf(first, sizeof first, "%.*s", (int)strcspn(three, ","), three);
  snprintf(last, sizeof last, "%s", strrchr(three, ',') + 1);
  snprintf(reversed, sizeof reversed, "%s,%s", last, first);
  cr_assert_eq(mrank_context_create(reversed, &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_context_device_count(ctx), 2);
  mrank_context *alone = NULL, *device = NULL;
  cr_assert_eq(mrank_context_create(last, &alone), MRANK_SUCCESS);
  cr_assert_eq(mrank_context_device(ctx, 0, &device), MRANK_SUCCESS);
  cl_device_id want = NULL, got = NULL;
  clGetCommandQueueInfo(mrank_context_queue(alone), CL_QUEUE_DEVICE, sizeof want, &want, NULL);
  clGetCommandQueueInfo(mrank_context_queue(device), CL_QUEUE_DEVICE, sizeof got, &got, NULL);
  cr_assert_eq(got, want, "the list's first device leads the set");
  mrank_context_destroy(alone);
  mrank_context_destroy(ctx);
  /* MRANK_DEVICE takes a set too */
  setenv("MRANK_DEVICE", three, 1);
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_context_device_count(ctx), 3);
  mrank_context_destroy(ctx);
  unsetenv("MRANK_DEVICE");
  char twice[80];
  snprintf(twice, sizeof twice, "%s,%s", first, first);
  cr_assert_eq(create_status(twice), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "twice"), "%s", mrank_last_error());
  cr_assert_eq(create_status("host,0:0"), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "cannot be part of a list"), "%s",
                     mrank_last_error());
  cr_assert_eq(create_status("0:0,,0:1"), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(create_status("0:0,all"), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(create_status("0:0,77:77"), MRANK_ERROR_DEVICE_NOT_FOUND);
  cr_assert_eq(create_status("accelerator:all"), MRANK_ERROR_DEVICE_NOT_FOUND);
}

typedef struct results {
  float *loss_none, *dx1, *dx2, *fdx1, *fdx2, *bdx1, *bdx2;
  float sum, mean, fused_mean;
} results;

static results run_all(mrank_context *ctx, const test_inputs *in) {
  const size_t n = in->n;
  results r = {test_alloc(n),
               test_alloc(n),
               test_alloc(n),
               test_alloc(n),
               test_alloc(n),
               test_alloc(n),
               test_alloc(n),
               0,
               0,
               0};
  cr_assert_eq(
      mrank_forward(ctx, n, in->x1, in->x2, in->y, 0.5f, MRANK_REDUCTION_NONE, r.loss_none),
      MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_forward(ctx, n, in->x1, in->x2, in->y, 0.5f, MRANK_REDUCTION_SUM, &r.sum),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_forward(ctx, n, in->x1, in->x2, in->y, 0.5f, MRANK_REDUCTION_MEAN, &r.mean),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_backward(ctx, n, in->x1, in->x2, in->y, 0.5f, MRANK_REDUCTION_NONE, in->dloss,
                              r.dx1, r.dx2),
               MRANK_SUCCESS, "%s", mrank_last_error());
  const float upstream = 0.75f;
  cr_assert_eq(mrank_backward(ctx, n, in->x1, in->x2, in->y, 0.5f, MRANK_REDUCTION_MEAN, &upstream,
                              r.bdx1, r.bdx2),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_forward_backward(ctx, n, in->x1, in->x2, in->y, 0.5f, MRANK_REDUCTION_MEAN,
                                      &r.fused_mean, r.fdx1, r.fdx2),
               MRANK_SUCCESS, "%s", mrank_last_error());
  return r;
}

static void free_results(results *r) {
  float *arrays[] = {r->loss_none, r->dx1, r->dx2, r->fdx1, r->fdx2, r->bdx1, r->bdx2};
  for (size_t k = 0; k < 7; ++k)
    free(arrays[k]);
}

static void same_bits(const results *a, const results *b, size_t n, const char *what) {
  const size_t bytes = n * sizeof(float);
  cr_assert_eq(memcmp(a->loss_none, b->loss_none, bytes), 0, "%s: forward", what);
  cr_assert_eq(memcmp(a->dx1, b->dx1, bytes), 0, "%s: backward dx1", what);
  cr_assert_eq(memcmp(a->dx2, b->dx2, bytes), 0, "%s: backward dx2", what);
  cr_assert_eq(memcmp(a->bdx1, b->bdx1, bytes), 0, "%s: backward (mean) dx1", what);
  cr_assert_eq(memcmp(a->bdx2, b->bdx2, bytes), 0, "%s: backward (mean) dx2", what);
  cr_assert_eq(memcmp(a->fdx1, b->fdx1, bytes), 0, "%s: fused dx1", what);
  cr_assert_eq(memcmp(a->fdx2, b->fdx2, bytes), 0, "%s: fused dx2", what);
  cr_assert_eq(memcmp(&a->sum, &b->sum, sizeof a->sum), 0, "%s: sum %.9g vs %.9g", what, a->sum,
               b->sum);
  cr_assert_eq(memcmp(&a->mean, &b->mean, sizeof a->mean), 0, "%s: mean", what);
  cr_assert_eq(memcmp(&a->fused_mean, &b->fused_mean, sizeof a->fused_mean), 0, "%s: fused mean",
               what);
}

Test(split, one_two_and_three_devices_give_the_same_bits, .timeout = 240) {
  mrank_context *ctx[3];
  for (size_t d = 0; d < 3; ++d)
    ctx[d] = pocl_context(d + 1);
  /* 1,000,003: shares end inside a 64-block's run and the last share is ragged; 5,000: the
   * smallest call that splits over three; 1,000: too small to split */
  const size_t sizes[] = {1000003, 12289, 1000};
  for (size_t s = 0; s < 3; ++s) {
    test_inputs in = make_inputs(sizes[s], 40 + s, 0);
    results one = run_all(ctx[0], &in);
    /* twice on each set: the second call's split follows the speeds the first one measured */
    for (int round = 0; round < 2; ++round) {
      for (size_t d = 1; d < 3; ++d) {
        results many = run_all(ctx[d], &in);
        char what[64];
        snprintf(what, sizeof what, "n=%zu on %zu devices, round %d", sizes[s], d + 1, round);
        same_bits(&one, &many, sizes[s], what);
        free_results(&many);
      }
    }
    free_results(&one);
    free_inputs(&in);
  }
  for (size_t d = 0; d < 3; ++d)
    mrank_context_destroy(ctx[d]);
}

Test(split, edge_values_and_aliased_outputs_split_too, .timeout = 240) {
  mrank_context *one = pocl_context(1), *three = pocl_context(3);
  const size_t n = 70001;
  test_inputs in = make_inputs(n, 9, 1); /* NaN, infinities and subnormals planted */
  results a = run_all(one, &in), b = run_all(three, &in);
  same_bits(&a, &b, n, "edge values");
  /* the gradients written over the inputs they come from, as in-place callers do */
  float *x1 = test_alloc(n), *x2 = test_alloc(n);
  memcpy(x1, in.x1, n * sizeof *x1);
  memcpy(x2, in.x2, n * sizeof *x2);
  float loss = 0.0f;
  cr_assert_eq(
      mrank_forward_backward(three, n, x1, x2, in.y, 0.5f, MRANK_REDUCTION_MEAN, &loss, x1, x2),
      MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(memcmp(x1, a.fdx1, n * sizeof *x1), 0);
  cr_assert_eq(memcmp(x2, a.fdx2, n * sizeof *x2), 0);
  free(x1);
  free(x2);
  free_results(&a);
  free_results(&b);
  free_inputs(&in);
  mrank_context_destroy(one);
  mrank_context_destroy(three);
}

Test(split, the_devices_of_a_set_are_contexts_of_their_own) {
  mrank_context *three = pocl_context(3), *device = NULL;
  cr_assert_eq(mrank_context_device(three, 0, &device), MRANK_SUCCESS);
  cr_assert_neq(device, three, "device 0 alone is a context of its own, not the set");
  cr_assert_eq(mrank_context_device_count(device), 1);
  mrank_context *single = pocl_context(1), *itself = NULL;
  cr_assert_eq(mrank_context_device(single, 0, &itself), MRANK_SUCCESS);
  cr_assert_eq(itself, single);
  mrank_context_destroy(single);
  cr_assert_eq(mrank_context_device(three, 2, &device), MRANK_SUCCESS);
  cr_assert_eq(mrank_context_device_count(device), 1);
  cr_assert_not_null(mrank_context_queue(device));
  cr_assert_neq(mrank_context_queue(device), mrank_context_queue(three));
  cr_assert_not_null(strstr(mrank_context_device_name(three), " + "), "%s",
                     mrank_context_device_name(three));
  /* a device of the set runs on its own, and destroying it is a no-op: the set owns it */
  test_inputs in = make_inputs(5000, 2, 0);
  float sum = 0.0f;
  cr_assert_eq(mrank_forward(device, in.n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_SUM, &sum),
               MRANK_SUCCESS, "%s", mrank_last_error());
  mrank_context_destroy(device);
  cr_assert_eq(mrank_forward(device, in.n, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_SUM, &sum),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_eq(mrank_context_device(three, 3, &device), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_not_null(strstr(mrank_last_error(), "3 devices"), "%s", mrank_last_error());
  cr_assert_eq(mrank_context_device(three, 0, NULL), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_context_device(NULL, 0, &device), MRANK_ERROR_INVALID_ARGUMENT);
  cr_assert_eq(mrank_context_device_count(NULL), 0);
  free_inputs(&in);
  mrank_context_destroy(three);
}

/* ---- the trainer ---- */

Test(split, training_on_the_host_one_device_or_three_gives_the_same_model_bits, .timeout = 240) {
  char three[256];
  if (!pocl_list(3, three, sizeof three)) {
    cr_skip_test("fewer than 3 PoCL devices: run with POCL_DEVICES=\"pthread pthread basic\"");
  }
  char one[32];
  snprintf(one, sizeof one, "%.*s", (int)strcspn(three, ","), three);
  char dir[] = "/tmp/mrank-split-XXXXXX", path[128];
  synth_file(dir, path, sizeof path, "--queries 50 --docs 25 --features 9 --noise 0.3 --seed 8");
  rank_dataset d;
  char error[512];
  cr_assert(rank_dataset_load(path, NULL, 0, &d, error, sizeof error), "%s", error);
  rank_options o;
  rank_default_options(&o);
  o.epochs = 4;
  o.batch_queries = 6;
  o.pairs_per_query = 15; /* sampled pairs: drawn per query from its number, on every lane */
  o.l1 = 1e-4;
  float host[9], device[9], devices[9];
  train_model(&d, "host", &o, host);
  train_model(&d, one, &o, device);
  train_model(&d, three, &o, devices);
  /* The same additions in the same order on each (per document, per query, then the batch's
   * queries in query order), in IEEE single precision without contraction: equal bits. */
  cr_assert_eq(memcmp(host, device, sizeof host), 0, "host and one device");
  cr_assert_eq(memcmp(device, devices, sizeof device), 0, "one device and three");
  /* more devices than queries: every lane gets one, the rest stay idle */
  rank_options small = o;
  small.batch_queries = 1;
  rank_dataset few;
  cr_assert(parse("1 qid:1 1:1 2:0\n0 qid:1 1:0 2:1\n2 qid:2 1:2 2:1\n0 qid:2 1:0 2:0\n", NULL, 0,
                  &few, error));
  float a[2], b[2];
  train_model(&few, "host", &small, a);
  train_model(&few, three, &small, b);
  cr_assert_eq(memcmp(a, b, sizeof a), 0);
  rank_dataset_free(&few);
  rank_dataset_free(&d);
  remove_synth_file(dir, path);
}

Test(split, devices_select_lists_what_a_selector_picks, .timeout = 240) {
  char three[256];
  if (!pocl_list(3, three, sizeof three)) {
    cr_skip_test("fewer than 3 PoCL devices: run with POCL_DEVICES=\"pthread pthread basic\"");
  }
  char arguments[400];
  snprintf(arguments, sizeof arguments, "devices --select %s", three);
  expect_cli(arguments, 0, "basic");
  snprintf(arguments, sizeof arguments, "devices --select %s --json", three);
  expect_cli(arguments, 0, "\"selector\"");
  expect_cli("devices --select 0:0,0:0", 1, "twice");
  expect_cli("devices --select", 2, "needs a selector");
}
