/* test_dataset.c: the SVMlight/LETOR and group-file readers (and every error they must name), and
 * the synthetic data that `mrank synth` writes. */
#include <stdio.h>
#include <unistd.h>

#include "rank/synth.h"
#include "rank_helpers.h"

Test(reader, letor_with_comments_blank_lines_and_qids) {
  const char *text =
      "# a comment line\n"
      "2 qid:7 1:0.5 3:1.5 # docid = a\n"
      "\n"
      "0 qid:7 2:-1\n"
      "1 qid:9 3:2e-1\r\n";
  rank_dataset d;
  char error[512] = "";
  cr_assert(parse(text, NULL, 0, &d, error), "%s", error);
  cr_assert_eq(d.docs, 3);
  cr_assert_eq(d.features, 3);
  cr_assert_eq(d.queries, 2);
  cr_assert(d.query_start[0] == 0 && d.query_start[1] == 2 && d.query_start[2] == 3);
  cr_assert(d.qid[0] == 7 && d.qid[1] == 9);
  cr_assert(d.labels[0] == 2.0f && d.labels[1] == 0.0f && d.labels[2] == 1.0f);
  cr_assert(d.x[0] == 0.5f && d.x[1] == 0.0f && d.x[2] == 1.5f && d.x[4] == -1.0f);
  cr_assert_eq(d.x[8], 0.2f);
  rank_dataset_free(&d);
}

Test(reader, an_underflowing_value_is_a_number) {
  rank_dataset d;
  char error[512];
  cr_assert(parse("1 qid:4 1:1e-400 2:-2.5e-320\n", NULL, 0, &d, error), "%s", error);
  cr_assert_eq(d.x[0], 0.0f); /* below the smallest float: 0 */
  cr_assert_eq(d.x[1], -0.0f);
  cr_assert_eq(d.qid[0], 4);
  rank_dataset_free(&d);
}

Test(reader, group_file_and_feature_count) {
  rank_dataset d;
  char error[512] = "";
  cr_assert(parse("1 1:1\n0 2:1\n0 1:1\n", "2\n# comment\n1\n", 5, &d, error), "%s", error);
  cr_assert(d.queries == 2 && d.query_start[1] == 2 && d.features == 5);
  rank_dataset_free(&d);
}

static void expect_error(const char *text, const char *groups, size_t features, const char *want) {
  rank_dataset d;
  char error[512] = "";
  cr_assert(!parse(text, groups, features, &d, error), "accepted: %s", text);
  cr_assert_not_null(strstr(error, want), "for %s\nwant \"%s\" in \"%s\"", text, want, error);
  cr_assert_null(d.x, "nothing half-loaded");
}

Test(reader, errors_name_file_line_column_and_what_was_expected) {
  expect_error("1 1:1\nhigh 1:2\n", NULL, 0, "t.txt:2:1: expected a relevance label");
  expect_error("1 0:1\n", NULL, 0, "t.txt:1:3: expected a feature index of 1 or more");
  expect_error("1 3:1 2:1\n", NULL, 0, "t.txt:1:7: feature index 2 does not increase");
  expect_error("1 3:\n", NULL, 0, "t.txt:1:5: feature 3 has no value");
  expect_error("1 3:x\n", NULL, 0, "feature 3: expected a finite number");
  expect_error("1 qid:a 1:1\n", NULL, 0, "t.txt:1:3: expected qid:");
  expect_error("1 1:1 7:1\n", NULL, 5, "feature index 7 is beyond --features 5");
  expect_error("1 qid:1 1:1\n0 1:1\n", NULL, 0, "1 lines have qid: and 1 do not");
  expect_error("1 1:1\n0 1:1\n", "1\n", 0, "add up to 1 documents, but the data has 2");
  expect_error("1 1:1\n0 1:1\n", "1\n2\n", 0, "t.query:2: the group counts reach 3");
  expect_error("1 1:1\n", "one\n", 0, "t.query:1:1: expected a document count");
  expect_error("1 qid:1 1:1\n0 qid:2 1:1\n", "2\n", 0, "disagree");
  expect_error("# nothing\n\n", NULL, 0, "no documents");
  /* a query split by another one would silently become two queries */
  expect_error("1 qid:3 1:1\n\n# c\n0 qid:2 1:1\n2 qid:3 1:1\n0 qid:2 1:1\n", NULL, 0,
               "t.txt:5: qid 3 comes back after other queries (its lines began at line 1)");
  /* values are held in float: 1e39 would become infinity */
  expect_error("1 1:1e39\n", NULL, 0, "t.txt:1:5: feature 1: 1e39 is beyond the range of float");
  expect_error("-1e39 1:1\n", NULL, 0, "t.txt:1:1: the label -1e39 is beyond the range of float");
  /* a dense-matrix bomb: two lines asking for 16 million columns each (128 MiB) */
  setenv("MRANK_MAX_DENSE_BYTES", "67108864", 1);
  expect_error("1 16777216:1\n0 1:1\n", NULL, 0, "more than the limit of 0.1 GiB");
  unsetenv("MRANK_MAX_DENSE_BYTES");
}

Test(synth, the_file_reads_back_to_the_data_in_memory, .timeout = 120) {
  char dir[] = "/tmp/mrank-synth-XXXXXX", path[128];
  synth_file(dir, path, sizeof path, "--queries 7 --docs 13 --features 5 --noise 0.3 --seed 11");
  rank_dataset file, memory;
  char error[512];
  cr_assert(rank_dataset_load(path, NULL, 0, &file, error, sizeof error), "%s", error);
  rank_synth synth;
  cr_assert(rank_synth_init(&synth, 13, 5, 0.3, 11));
  cr_assert(rank_synth_dataset(&synth, 7, 1, &memory));
  cr_assert_eq(file.docs, 7 * 13);
  cr_assert_eq(file.features, 5);
  cr_assert_eq(file.queries, 7);
  /* 6 decimals written, floats read back: the same bits, so the same planted order */
  cr_assert_eq(memcmp(file.x, memory.x, file.docs * file.features * sizeof(float)), 0);
  cr_assert_eq(memcmp(file.labels, memory.labels, file.docs * sizeof(float)), 0);
  for (size_t q = 0; q <= file.queries; ++q)
    cr_assert_eq(file.query_start[q], memory.query_start[q]);
  /* every query gets labels 4 (top 5%) down to 0 (bottom 40%): 13 documents give 1, 1, 3, 3, 5 */
  size_t count[5] = {0};
  for (size_t d = 0; d < 13; ++d)
    count[(int)memory.labels[d]]++;
  cr_assert(count[4] == 1 && count[3] == 1 && count[2] == 3 && count[1] == 3 && count[0] == 5,
            "%zu %zu %zu %zu %zu", count[4], count[3], count[2], count[1], count[0]);
  rank_synth_free(&synth);
  rank_dataset_free(&file);
  rank_dataset_free(&memory);
  remove_synth_file(dir, path);
}
