/* test_encoding.c: the MLP's input encoding (rank/encoding.c) against hand-computed edges and
 * values. */
#include "rank/encoding.h"
#include "rank_helpers.h"

/* feature 1: 0 0 0 0 1 2 3 4; feature 2: 5 everywhere; feature 3: absent (0) everywhere */
static const char *const eight_docs =
    "0 qid:1 1:0 2:5\n1 qid:1 1:0 2:5\n0 qid:1 1:0 2:5\n"
    "1 qid:1 1:0 2:5\n0 qid:2 1:1 2:5\n1 qid:2 1:2 2:5\n"
    "0 qid:2 1:3 2:5\n1 qid:2 1:4 2:5 3:0\n";

Test(encoding, edges_at_the_training_quantiles) {
  rank_dataset d;
  char error[512];
  cr_assert(parse(eight_docs, NULL, 0, &d, error), "%s", error);
  rank_encoding e;
  cr_assert(rank_encoding_fit(&d, 4, &e));
  /* quantiles 0, 1/4, 1/2, 3/4, 1 of 0 0 0 0 1 2 3 4 sit at positions 0, 1.75, 3.5, 5.25, 7 of the
   * sorted values (numpy's linear interpolation): 0, 0, 0.5, 2.25, 4; the repeated 0 is one edge */
  cr_assert_eq(e.start[1] - e.start[0], 4);
  const float expected[] = {0.0f, 0.5f, 2.25f, 4.0f};
  for (int k = 0; k < 4; ++k)
    cr_assert_eq(e.edges[e.start[0] + (size_t)k], expected[k], "edge %d", k);
  /* one distinct value (5, or 0 for the absent feature): no bin */
  cr_assert_eq(e.start[2] - e.start[1], 0);
  cr_assert_eq(e.start[3] - e.start[2], 0);
  cr_assert_eq(rank_encoding_width(&e), 3 + 3);
  rank_encoding_free(&e);
  cr_assert(rank_encoding_fit(&d, 0, &e));
  cr_assert_eq(rank_encoding_width(&e), 3, "no bins: the features alone");
  rank_encoding_free(&e);
  rank_dataset_free(&d);
}

Test(encoding, values_are_the_clamped_fraction_of_each_bin) {
  rank_dataset d, probe, out;
  char error[512];
  cr_assert(parse(eight_docs, NULL, 0, &d, error), "%s", error);
  rank_encoding e;
  cr_assert(rank_encoding_fit(&d, 4, &e));
  /* a probe with one feature fewer (the third is then 0) and one more (dropped) than the encoding
   */
  cr_assert(parse("2 qid:7 1:1 2:5\n0 qid:7 1:-1\n1 qid:8 1:10 4:9\n", NULL, 0, &probe, error),
            "%s", error);
  cr_assert(rank_encoding_apply(&e, &probe, 1000, &out));
  cr_assert_eq(out.features, 6);
  cr_assert_eq(out.docs, 3);
  cr_assert_eq(out.queries, 2);
  cr_assert_eq(out.labels[0], 2.0f);
  cr_assert_eq(out.query_start[1], 2);
  /* x = 1 against edges 0, 0.5, 2.25, 4: bins (1 - 0) / 0.5 -> 1, (1 - 0.5) / 1.75, and 0 */
  const float first[] = {1.0f, 5.0f, 0.0f, 1.0f, (float)(0.5 / 1.75), 0.0f};
  for (int c = 0; c < 6; ++c)
    cr_assert_eq(out.x[c], first[c], "column %d: %g", c, out.x[c]);
  /* below the first edge every bin is 0, above the last every bin is 1 */
  const float below[] = {-1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  const float above[] = {10.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f};
  for (int c = 0; c < 6; ++c) {
    cr_assert_eq(out.x[6 + c], below[c], "column %d", c);
    cr_assert_eq(out.x[12 + c], above[c], "column %d", c);
  }
  rank_dataset_free(&out);
  /* a result past the bound is refused, and leaves nothing to free */
  cr_assert(!rank_encoding_apply(&e, &probe, 17, &out));
  cr_assert_null(out.x);
  rank_encoding_free(&e);
  rank_dataset_free(&probe);
  rank_dataset_free(&d);
}
