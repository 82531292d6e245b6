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
  expect_error("1 16777216:1\n0 1:1\n", NULL, 0,
               "128.0 MiB as a dense matrix, more than the limit of 64.0 MiB");
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

/* A NUL byte would cut a line short without a word ("\0\1\2" read as label 0, "0.3\0garbage" as
 * 0.3): it is refused with its place. */
Test(reader, a_nul_byte_is_refused_with_its_place) {
  rank_dataset d;
  char error[512];
  const char one[] = "\0\1\2 qid:1 1:0.5\n";
  const char two[] = "1 qid:1 1:0.3\0garbage 7:1\n";
  cr_assert(!rank_dataset_parse("t.txt", one, sizeof one - 1, NULL, NULL, 0, 0, &d, error, 512));
  cr_assert_not_null(strstr(error, "t.txt:1:1: a NUL byte"), "%s", error);
  cr_assert(!rank_dataset_parse("t.txt", two, sizeof two - 1, NULL, NULL, 0, 0, &d, error, 512));
  cr_assert_not_null(strstr(error, "t.txt:1:14: a NUL byte"), "%s", error);
}

/* Gains are 2^label - 1: a label of 1025 or 1e30 overflows them and a negative one gives a negative
 * gain. With a limit (train, tune, eval: 31 by default) they are refused with file, line and
 * column; without one (split, predict) they read as before. */
Test(reader, labels_outside_the_limit_are_refused) {
  rank_dataset d;
  char error[512];
  const rank_read_limits limits = {0, RANK_DEFAULT_MAX_LABEL};
  const char *bad[] = {"0 qid:1 1:1\n1025 qid:1 1:2\n", "0 qid:1 1:1\n  1e30 qid:1 1:2\n",
                       "-1 qid:1 1:1\n"};
  const char *where[] = {"t.txt:2:1: the relevance label 1025 is outside 0..31",
                         "t.txt:2:3: the relevance label 1e30 is outside 0..31",
                         "t.txt:1:1: the relevance label -1 is outside 0..31"};
  for (int k = 0; k < 3; ++k) {
    cr_assert(!rank_dataset_parse_checked("t.txt", bad[k], strlen(bad[k]), NULL, NULL, 0, &limits,
                                          &d, error, sizeof error));
    cr_assert_not_null(strstr(error, where[k]), "%s", error);
    cr_assert(parse(bad[k], NULL, 0, &d, error), "no limit: %s", error);
    rank_dataset_free(&d);
  }
  const rank_read_limits wide = {0, 1025};
  cr_assert(rank_dataset_parse_checked("t.txt", bad[0], strlen(bad[0]), NULL, NULL, 0, &wide, &d,
                                       error, sizeof error),
            "%s", error);
  rank_dataset_free(&d);
}

/* A directory is named as one; standard input is read for "-"; a junk or negative
 * MRANK_MAX_DENSE_BYTES is refused instead of becoming 0 or no limit. */
Test(reader, directories_standard_input_and_the_dense_limit) {
  rank_dataset d;
  char error[512];
  cr_assert(!rank_dataset_load("/tmp", NULL, 0, &d, error, sizeof error));
  cr_assert_not_null(strstr(error, "/tmp: is a directory"), "%s", error);
  char *out = NULL;
  cr_assert_eq(run_cli("", "eval --baseline random --data /tmp 2>&1", &out), 2);
  cr_assert_not_null(strstr(out, "is a directory"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("printf '1 qid:1 1:1\\n0 qid:1 1:0\\n' |",
                       "eval --baseline random --data - --json", &out),
               0, "%s", out);
  cr_assert_not_null(strstr(out, "\"queries\": 1, \"pairs\": 1"), "%s", out);
  free(out);
  const char *junk[] = {"junk", "-1", "0"};
  for (int k = 0; k < 3; ++k) {
    setenv("MRANK_MAX_DENSE_BYTES", junk[k], 1);
    cr_assert(!parse("1 qid:1 1:1\n", NULL, 0, &d, error), "%s accepted", junk[k]);
    cr_assert_not_null(strstr(error, "is not a byte count"), "%s", error);
  }
  setenv("MRANK_MAX_DENSE_BYTES", "1000", 1);
  cr_assert(parse("1 qid:1 1:1\n", NULL, 0, &d, error), "%s", error);
  rank_dataset_free(&d);
  unsetenv("MRANK_MAX_DENSE_BYTES");
}
