/* test_docs.c: what the documentation says is true of the code: the one list of environment
 * variables (mrank --help, and its man page) against every getenv("MRANK_...") of the sources,
 * every subcommand's --help ending with its exit statuses, and the README naming no file that a
 * user's clone lacks or that its commands never make. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "rank_helpers.h"

enum { max_names = 128 };
static char names[max_names][64];
static int name_count;

static void remember(const char *name, size_t length) {
  if (length >= sizeof names[0]) return;
  for (int k = 0; k < name_count; ++k)
    if (strlen(names[k]) == length && strncmp(names[k], name, length) == 0) return;
  if (name_count < max_names) {
    memcpy(names[name_count], name, length);
    names[name_count++][length] = '\0';
  }
}

/* every MRANK_ variable a source file reads: getenv("MRANK_X"), mrank_env_flag("MRANK_X") in C,
 * os.environ.get("MRANK_X") and os.environ["MRANK_X"] in Python */
static int scan(const char *path, const struct stat *info, int kind, struct FTW *ftw) {
  (void)info;
  (void)ftw;
  const size_t length = strlen(path);
  const int c =
      length > 2 && (strcmp(path + length - 2, ".c") == 0 || strcmp(path + length - 2, ".h") == 0);
  const int py = length > 3 && strcmp(path + length - 3, ".py") == 0;
  if (kind != FTW_F || (!c && !py)) return 0;
  char *text = read_text_file(path);
  if (text == NULL) return 0;
  static const char *const readers[] = {"getenv(\"", "env_flag(\"", "environ.get(\"", "environ[\""};
  for (size_t r = 0; r < sizeof readers / sizeof readers[0]; ++r) {
    for (const char *p = strstr(text, readers[r]); p != NULL; p = strstr(p + 1, readers[r])) {
      const char *name = p + strlen(readers[r]);
      if (strncmp(name, "MRANK_", 6) != 0) continue;
      remember(name, strcspn(name, "\""));
    }
  }
  free(text);
  return 0;
}

Test(docs, the_environment_list_is_every_variable_the_code_reads) {
  char root[1024];
  name_count = 0;
  snprintf(root, sizeof root, "%s/src", MRANK_SOURCE_DIR);
  cr_assert_eq(nftw(root, scan, 16, FTW_PHYS), 0);
  snprintf(root, sizeof root, "%s/python/mrank", MRANK_SOURCE_DIR);
  cr_assert_eq(nftw(root, scan, 16, FTW_PHYS), 0);
  cr_assert_geq(name_count, 15, "found %d variables: the scan works", name_count);
  char *help = NULL;
  cr_assert_eq(run_cli("", "--help", &help), 0);
  const char *list = strstr(help, "environment:\n");
  cr_assert_not_null(list, "mrank --help has its environment list: %s", help);
  for (int k = 0; k < name_count; ++k) {
    cr_assert_not_null(strstr(list, names[k]), "%s is read by the code but not in mrank --help",
                       names[k]);
  }
  /* and the list names nothing the code does not read */
  for (const char *p = strstr(list, "\n  MRANK_"); p != NULL; p = strstr(p + 1, "\n  MRANK_")) {
    const char *name = p + 3;
    const size_t length = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    int read = 0;
    for (int k = 0; k < name_count; ++k)
      read |= strlen(names[k]) == length && strncmp(names[k], name, length) == 0;
    cr_assert(read, "mrank --help lists %.*s, which no source reads", (int)length, name);
  }
  free(help);
  /* the README keeps no second list that could disagree */
  char path[1024];
  snprintf(path, sizeof path, "%s/README.md", MRANK_SOURCE_DIR);
  char *readme = read_text_file(path);
  cr_assert_not_null(readme);
  cr_assert_not_null(strstr(readme, "listed once, with what it does, by `mrank --help`"));
  free(readme);
}

/* every subcommand's --help ends with a paragraph that begins "Exit status:" */
Test(docs, every_help_ends_with_its_exit_statuses) {
  const char *commands[] = {"devices", "validate", "bench", "train", "tune",    "eval",
                            "predict", "split",    "synth", "demo",  "compile", "autotune"};
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; ++c) {
    char arguments[64], *help = NULL;
    snprintf(arguments, sizeof arguments, "%s --help", commands[c]);
    cr_assert_eq(run_cli("", arguments, &help), 0, "%s", arguments);
    const char *last = strstr(help, "\n\nExit status: ");
    cr_assert_not_null(last, "mrank %s --help has no \"Exit status:\" paragraph", commands[c]);
    cr_assert_null(strstr(last + 2, "\n\n"), "mrank %s --help: the exit statuses come last",
                   commands[c]);
    free(help);
  }
}

/* A user's clone has no ../shared, and every file a README command validates on is made by an
 * earlier command (--valid vali.txt used to come from nowhere). */
Test(docs, the_readme_names_only_files_a_user_has_or_makes) {
  char path[1024];
  snprintf(path, sizeof path, "%s/README.md", MRANK_SOURCE_DIR);
  char *readme = read_text_file(path);
  cr_assert_not_null(readme);
  cr_assert_null(strstr(readme, "../shared"), "the README points at ../shared");
  for (const char *p = strstr(readme, "--valid "); p != NULL; p = strstr(p + 1, "--valid ")) {
    const char *file = p + strlen("--valid ");
    const size_t length = strcspn(file, " \n`]");
    if (length == 0 || strncmp(file, "FILE", 4) == 0) continue;
    char made[3][128];
    snprintf(made[0], sizeof made[0], "--test %.*s", (int)length, file);
    snprintf(made[1], sizeof made[1], "--out %.*s", (int)length, file);
    snprintf(made[2], sizeof made[2], "> %.*s", (int)length, file);
    int before = 0;
    for (int m = 0; m < 3; ++m) {
      const char *at = strstr(readme, made[m]);
      before |= at != NULL && at < p;
    }
    cr_assert(before, "the README validates on %.*s before any command makes it", (int)length,
              file);
  }
  free(readme);
}
