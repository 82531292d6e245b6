/* test_cli_files.c: what the commands do with the files they are given: every output checked
 * before any work (found from each command's --help, so a new output option cannot be missed),
 * special files refused by their kind without blocking, standard input read once. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rank_helpers.h"

/* A command line per output option: {D} the data (an input), {M} a model (an input), {T} a second
 * output of the same command, {O} the output under attack. */
typedef struct output_case {
  const char *command, *option, *line;
} output_case;

static const output_case output_cases[] = {
    {"train", "--model", "train --train {D} --model {O}"},
    {"tune", "--model", "tune --train {D} --folds 2 --grid lr=0.1 --model {O}"},
    {"eval", "--per-query", "eval --model {M} --data {D} --per-query {O}"},
    {"predict", "--output", "predict --model {M} --data {D} --output {O}"},
    {"split", "--train", "split --data {D} --train {O} --test {T}"},
    {"split", "--test", "split --data {D} --train {T} --test {O}"},
    {"synth", "--out", "synth --queries 3 --docs 3 --out {O}"},
    {"bench", "--json", "bench --n 1024 --json {O}"},
    {"bench", "--csv", "bench --n 1024 --csv {O}"},
};
#define OUTPUT_CASES (sizeof output_cases / sizeof output_cases[0])

static const char *const commands[] = {"devices", "validate", "bench",   "train",
                                       "tune",    "eval",     "predict", "split",
                                       "synth",   "demo",     "compile", "autotune"};

/* line with each {X} replaced by its value */
static void fill(const char *line, const char *data, const char *model, const char *other,
                 const char *output, char *into, size_t size) {
  size_t used = 0;
  into[0] = '\0';
  for (const char *p = line; *p != '\0' && used + 1 < size;) {
    const char *value = NULL;
    if (strncmp(p, "{D}", 3) == 0) value = data;
    if (strncmp(p, "{M}", 3) == 0) value = model;
    if (strncmp(p, "{T}", 3) == 0) value = other;
    if (strncmp(p, "{O}", 3) == 0) value = output;
    if (value != NULL) {
      used += (size_t)snprintf(into + used, size - used, "%s", value);
      p += 3;
    } else {
      into[used++] = *p++;
      into[used] = '\0';
    }
  }
}

static int has_case(const char *command, const char *option) {
  for (size_t k = 0; k < OUTPUT_CASES; ++k) {
    if (strcmp(output_cases[k].command, command) == 0 &&
        strcmp(output_cases[k].option, option) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Every "--name OUT" in every command's --help has a case above, and every case is in a --help:
 * the list cannot fall behind the commands. */
Test(cli_files, every_output_option_of_every_command_has_a_case) {
  size_t found = 0;
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; ++c) {
    char arguments[64], *help = NULL;
    snprintf(arguments, sizeof arguments, "%s --help", commands[c]);
    cr_assert_eq(run_cli("", arguments, &help), 0, "%s", arguments);
    for (const char *p = strstr(help, " OUT"); p != NULL; p = strstr(p + 1, " OUT")) {
      const char after = p[4];
      if ((after >= 'A' && after <= 'Z') || (after >= 'a' && after <= 'z')) continue;
      const char *start = p;
      while (start > help && start[-1] != ' ' && start[-1] != '[' && start[-1] != '(')
        --start;
      char option[64];
      snprintf(option, sizeof option, "%.*s", (int)(p - start), start);
      if (strncmp(option, "--", 2) != 0) continue;
      cr_assert(has_case(commands[c], option), "%s %s OUT has no case in output_cases", commands[c],
                option);
      found++;
    }
    free(help);
  }
  /* each case's option appears in its help's usage line and in its list of options */
  cr_assert_geq(found, OUTPUT_CASES, "found %zu mentions for %zu cases", found, OUTPUT_CASES);
}

/* The attacks on an output; in each, the command exits 2 with the reason before any work, and
 * the inputs are as they were. */
Test(cli_files, every_output_is_checked_before_the_work, .timeout = 240) {
  char dir[] = "/tmp/mrank-outputs-XXXXXX", data[128], model[160], other[160], bad[160];
  synth_file(dir, data, sizeof data, "--queries 10 --docs 5 --features 3");
  snprintf(model, sizeof model, "%s.model", data);
  snprintf(other, sizeof other, "%s/other.txt", dir);
  snprintf(bad, sizeof bad, "%s/bad.txt", dir);
  char arguments[2048], hard[160], soft[160];
  snprintf(arguments, sizeof arguments, "train --train %s --model %s --epochs 2 --quiet", data,
           model);
  expect_cli(arguments, 0, "");
  FILE *f = fopen(bad, "w");
  cr_assert_not_null(f);
  fputs("x qid:1 1:1\n", f);
  fclose(f);
  snprintf(hard, sizeof hard, "%s/hard", dir);
  snprintf(soft, sizeof soft, "%s/soft", dir);
  cr_assert_eq(link(data, hard), 0);
  cr_assert_eq(symlink(model, soft), 0);
  char *before_data = read_text_file(data), *before_model = read_text_file(model);
  for (size_t k = 0; k < OUTPUT_CASES; ++k) {
    const output_case *c = &output_cases[k];
    const int reads_data = strstr(c->line, "{D}") != NULL;
    const int reads_model = strstr(c->line, "{M}") != NULL;
    const struct {
      const char *output, *data, *expected;
      int applies;
    } attacks[] = {
        {data, data, "is the same file as --", reads_data},
        {hard, data, "is the same file as --", reads_data},
        {soft, data, "is the same file as --model", reads_model},
        {"/dev/null", data, "is a character device, not a regular file", 1},
        {dir, data, "is a directory", 1},
        {"/proc/mrank-out", data, "cannot create a file in /proc", 1},
        /* malformed data: the output's refusal comes first, so nothing was read */
        {"/proc/mrank-out", bad, "cannot create a file in /proc", 1},
    };
    for (size_t a = 0; a < sizeof attacks / sizeof attacks[0]; ++a) {
      if (!attacks[a].applies) continue;
      fill(c->line, attacks[a].data, model, other, attacks[a].output, arguments, sizeof arguments);
      char *out = NULL;
      strncat(arguments, " 2>&1", sizeof arguments - strlen(arguments) - 1);
      cr_assert_eq(run_cli("timeout 60", arguments, &out), 2, "%s: %s", arguments, out);
      cr_assert_not_null(strstr(out, attacks[a].expected), "%s: %s", arguments, out);
      cr_assert_not_null(strstr(out, c->option), "the message names %s: %s", c->option, out);
      cr_assert_null(strstr(out, "roofline"), "nothing was measured: %s", out);
      free(out);
      struct stat info;
      cr_assert_eq(stat("/dev/null", &info), 0);
      cr_assert(S_ISCHR(info.st_mode), "/dev/null is still a device");
      cr_assert_eq(access(other, F_OK), -1, "%s: the other output was not written", arguments);
    }
  }
  char *after_data = read_text_file(data), *after_model = read_text_file(model);
  cr_assert_str_eq(after_data, before_data, "the data is untouched");
  cr_assert_str_eq(after_model, before_model, "the model is untouched");
  free(before_data);
  free(before_model);
  free(after_data);
  free(after_model);
  /* compile's folder: a file in its place, or an unwritable place, is a usage error at once */
  snprintf(arguments, sizeof arguments, "compile --out %s", data);
  expect_cli(arguments, 2, "is a regular file, not a folder");
  expect_cli("compile --emit-source /proc/mrank-programs", 2, "cannot create a file in /proc");
  unlink(hard);
  unlink(soft);
  unlink(bad);
  remove_synth_file(dir, data);
}

/* A FIFO, a device node or a socket where a file is read is refused by its kind, at once (a FIFO
 * with no writer used to block the open forever, /dev/zero to grow memory without end); a FIFO or
 * pipe is read as a stream, like standard input: with the NUL check block by block, so /dev/zero
 * there ends at its first byte, and without waiting for a writer that is not there. */
Test(cli_files, special_files_are_refused_by_their_kind_without_blocking, .timeout = 240) {
  char dir[] = "/tmp/mrank-special-XXXXXX", data[128], model[160], fifo[160], sock[96];
  char arguments[2048];
  synth_file(dir, data, sizeof data, "--queries 10 --docs 5 --features 3");
  snprintf(model, sizeof model, "%s.model", data);
  snprintf(arguments, sizeof arguments, "train --train %s --model %s --epochs 2 --quiet", data,
           model);
  expect_cli(arguments, 0, "");
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  snprintf(sock, sizeof sock, "%s/sock", dir);
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  const int server = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof address.sun_path, "%s", sock);
  cr_assert_eq(bind(server, (struct sockaddr *)&address, sizeof address), 0);
  const struct {
    const char *path, *kind;
  } specials[] = {{"/dev/zero", "a character device"},
                  {"/dev/urandom", "a character device"},
                  {fifo, "a FIFO (named pipe)"},
                  {sock, "a socket"}};
  const char *lines[] = {"predict --model %2$s --data %1$s",
                         "predict --model %1$s --data %3$s",
                         "eval --model %2$s --data %3$s --query %1$s",
                         "eval --scores %1$s --data %3$s",
                         "split --data %1$s --train %4$s/a --test %4$s/b",
                         "train --train %3$s --valid %1$s --model %4$s/m"};
  for (size_t s = 0; s < sizeof specials / sizeof specials[0]; ++s) {
    for (size_t l = 0; l < sizeof lines / sizeof lines[0]; ++l) {
      /* the line's fields by name; the format's order says which goes where */
      const char *fields[4] = {specials[s].path, model, data, dir};
      char line[512];
      const char *p = lines[l];
      size_t used = 0;
      while (*p != '\0' && used + 1 < sizeof line) {
        if (p[0] == '%' && p[2] == '$') {
          used += (size_t)snprintf(line + used, sizeof line - used, "%s", fields[p[1] - '1']);
          p += 4;
        } else {
          line[used++] = *p++;
        }
      }
      line[used] = '\0';
      snprintf(arguments, sizeof arguments, "%s 2>&1", line);
      char *out = NULL;
      cr_assert_eq(run_cli("timeout 30", arguments, &out), 2, "%s: %s", arguments, out);
      cr_assert_not_null(strstr(out, specials[s].kind), "%s: %s", arguments, out);
      /* a FIFO is read as a stream; one that nobody writes to gives no data, at once */
      cr_assert_not_null(strstr(out, specials[s].path == fifo ? "gave no data: no process was "
                                                              : "not a regular file"),
                         "%s: %s", arguments, out);
      free(out);
    }
  }
  close(server);
  unlink(sock);
  char *out = NULL;
  snprintf(arguments, sizeof arguments, "predict --model %s --data - < /dev/zero 2>&1", model);
  cr_assert_eq(run_cli("timeout 30", arguments, &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "standard input:1:1: a NUL byte"), "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "predict --model - --data %s < /dev/urandom 2>&1", data);
  cr_assert_eq(run_cli("timeout 30", arguments, &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "a NUL byte"), "%s", out);
  free(out);
  /* a pipe by a name (as `--data <(zcat data.gz)` gives one) is read like standard input */
  char *direct = NULL, prefix[512];
  snprintf(arguments, sizeof arguments, "eval --model %s --data %s 2>&1", model, data);
  cr_assert_eq(run_cli("", arguments, &direct), 0, "%s", direct);
  snprintf(arguments, sizeof arguments, "eval --model %s --data /dev/stdin 2>&1", model);
  snprintf(prefix, sizeof prefix, "cat %s | timeout 30", data);
  cr_assert_eq(run_cli(prefix, arguments, &out), 0, "%s", out);
  cr_assert_str_eq(out, direct, "a pipe gives what the file gives");
  free(out);
  free(direct);
  unlink(fifo);
  remove_synth_file(dir, data);
}

/* The library's own files: a FIFO in place of a kernel source (MRANK_KERNEL_DIR), of a cached
 * program (MRANK_CACHE_DIR) or of an offline folder's manifest (MRANK_BINARY_DIR) is refused,
 * not waited on. */
Test(cli_files, the_librarys_files_are_never_waited_on, .timeout = 240) {
  char dir[] = "/tmp/mrank-kernels-XXXXXX", path[256], prefix[512], *out = NULL;
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/margin_ranking.cl", dir);
  cr_assert_eq(mkfifo(path, 0600), 0);
  snprintf(prefix, sizeof prefix, "MRANK_KERNEL_DIR=%s MRANK_NO_CACHE=1 timeout 30", dir);
  cr_assert_neq(run_cli(prefix, "validate --n 7 2>&1", &out), 124, "it did not block: %s", out);
  cr_assert_not_null(strstr(out, "is a FIFO (named pipe), not a regular file"), "%s", out);
  free(out);
  unlink(path);
  /* a fresh cache, then every entry in it replaced by a FIFO of the same name */
  snprintf(prefix, sizeof prefix, "MRANK_CACHE_DIR=%s timeout 60", dir);
  cr_assert_eq(run_cli(prefix, "validate --n 7 --op forward --reduction none 2>&1", &out), 0, "%s",
               out);
  free(out);
  char command[1024], listing[8192] = "";
  snprintf(
      command, sizeof command,
      "cd %s && for f in $(find . -type f); do rm \"$f\" && mkfifo \"$f\" && echo \"$f\"; done",
      dir);
  FILE *pipe = popen(command, "r");
  cr_assert_not_null(pipe);
  const size_t got = fread(listing, 1, sizeof listing - 1, pipe);
  listing[got] = '\0';
  pclose(pipe);
  cr_assert_gt(got, 0, "the cache had entries to replace");
  cr_assert_eq(run_cli(prefix, "validate --n 7 --op forward --reduction none 2>&1", &out), 0,
               "a FIFO in the cache is skipped, the program built again: %s", out);
  cr_assert_not_null(strstr(out, "a FIFO (named pipe)"), "the cache says what it skipped: %s", out);
  free(out);
  snprintf(command, sizeof command, "rm -rf %s", dir);
  cr_assert_eq(system(command), 0);
  /* an offline folder whose manifest is a FIFO */
  cr_assert_not_null(mkdtemp(strcpy(dir, "/tmp/mrank-binary-XXXXXX")));
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  cr_assert_eq(mkfifo(path, 0600), 0);
  snprintf(prefix, sizeof prefix, "MRANK_BINARY_DIR=%s timeout 30", dir);
  cr_assert_eq(run_cli(prefix, "validate --n 7 2>&1", &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "a FIFO (named pipe)"), "%s", out);
  free(out);
  unlink(path);
  rmdir(dir);
}

/* Standard input can be read once: two inputs given as "-" are refused before either is read. */
Test(cli_files, standard_input_is_read_once) {
  expect_cli("eval --scores - --data - < /dev/null", 2,
             "--data - and --scores -: standard input can be read only once");
  expect_cli("train --train - --valid - --model /tmp/mrank-never < /dev/null", 2,
             "standard input can be read only once");
  expect_cli("predict --model - --data - < /dev/null", 2, "standard input can be read only once");
}
