/* test_cli_json.c: every subcommand that prints --json, in each of its modes, prints one valid
 * JSON document and exits 0 (tune --folds --json used to end in SIGSEGV, tune --scorer mlp --json
 * to print the text table). The commands are found from their --help, so a new one needs a line
 * here. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_check.h"
#include "rank_helpers.h"

/* {D} training data, {V} validation data, {M} a model, {O} a model to write */
static const struct {
  const char *command, *line;
} json_modes[] = {
    {"devices", "devices --json"},
    {"devices", "devices --json --select all"},
    {"validate", "validate --json --n 7,65 --op forward,fused"},
    {"validate", "validate --json --shape 4x1,1x5,4x5 --op forward,backward --reduction none"},
    {"validate", "validate --json --all-devices --n 7 --op forward"},
    {"tune", "tune --train {D} --valid {V} --model {O} --grid lr=0.1,0.01 --epochs 2 --json"},
    {"tune", "tune --train {D} --valid {V} --model {O} --grid lr=0.1 --epochs 2 --no-refit --json"},
    {"tune", "tune --train {D} --folds 2 --model {O} --grid lr=0.1,0.01 --epochs 2 --json"},
    {"tune",
     "tune --scorer mlp --train {D} --valid {V} --model {O} --grid lr=0.01 --epochs 2 "
     "--json"},
    {"tune",
     "tune --scorer mlp --train {D} --folds 2 --model {O} --grid lr=0.01,0.001 --epochs 2 "
     "--json"},
    {"eval", "eval --model {M} --data {V} --json"},
    {"eval", "eval --model {M} --data {V} --json --per-query {O}"},
    {"eval", "eval --baseline random --data {V} --json"},
    {"eval", "eval --baseline best-feature --train {D} --data {V} --json"},
};

static const char *const commands[] = {"devices", "validate", "bench",   "train",
                                       "tune",    "eval",     "predict", "split",
                                       "synth",   "demo",     "compile", "autotune"};

static void fill(const char *line, const char *const values[4], char *into, size_t size) {
  static const char keys[] = "DVMO";
  size_t used = 0;
  for (const char *p = line; *p != '\0' && used + 1 < size;) {
    const char *key = p[0] == '{' && p[1] != '\0' && p[2] == '}' ? strchr(keys, p[1]) : NULL;
    if (key != NULL) {
      used += (size_t)snprintf(into + used, size - used, "%s", values[key - keys]);
      p += 3;
    } else {
      into[used++] = *p++;
    }
  }
  into[used] = '\0';
}

/* every command whose --help offers "[--json]" (JSON on standard output) has a mode above */
Test(cli_json, every_command_with_json_has_its_modes_here) {
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; ++c) {
    char arguments[64], *help = NULL;
    snprintf(arguments, sizeof arguments, "%s --help", commands[c]);
    cr_assert_eq(run_cli("", arguments, &help), 0, "%s", arguments);
    if (strstr(help, "[--json]") != NULL) {
      int found = 0;
      for (size_t m = 0; m < sizeof json_modes / sizeof json_modes[0]; ++m)
        found |= strcmp(json_modes[m].command, commands[c]) == 0;
      cr_assert(found, "mrank %s --json has no mode in json_modes", commands[c]);
    }
    free(help);
  }
}

Test(cli_json, every_mode_prints_one_valid_json_document, .timeout = 300) {
  char dir[] = "/tmp/mrank-json-XXXXXX", data[128], valid[160], model[160], output[160];
  synth_file(dir, data, sizeof data, "--queries 24 --docs 6 --features 4");
  snprintf(valid, sizeof valid, "%s/valid.txt", dir);
  snprintf(model, sizeof model, "%s.model", data);
  snprintf(output, sizeof output, "%s/tuned.model", dir);
  char arguments[1024], *out = NULL;
  snprintf(arguments, sizeof arguments,
           "synth --queries 12 --docs 6 --features 4 --seed 9 --out %s", valid);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "train --train %s --model %s --epochs 2 --quiet", data,
           model);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  const char *const values[4] = {data, valid, model, output};
  for (size_t m = 0; m < sizeof json_modes / sizeof json_modes[0]; ++m) {
    fill(json_modes[m].line, values, arguments, sizeof arguments);
    strncat(arguments, " 2>/dev/null", sizeof arguments - strlen(arguments) - 1);
    cr_assert_eq(run_cli("", arguments, &out), 0, "%s: %s", arguments, out);
    cr_assert(json_is_valid(out), "%s: not one JSON document: %s", arguments, out);
    free(out);
    if (strstr(arguments, "tune ") != NULL || strstr(arguments, "--per-query") != NULL) {
      cr_assert_eq(access(output, F_OK), 0, "%s wrote its model", arguments);
      unlink(output);
    }
  }
  unlink(valid);
  snprintf(arguments, sizeof arguments, "%s.weights", valid);
  unlink(arguments);
  remove_synth_file(dir, data);
}
