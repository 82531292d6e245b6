/* options.c: shared command-line value parsers. */
#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mrank_parse_size(const char *option, const char *text, size_t *out) {
  char *end = NULL;
  errno = 0;
  if (text[0] == '\0' || !isdigit((unsigned char)text[0])) goto bad;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || value > SIZE_MAX) goto bad;
  /* 2^20 is common in benchmarks: accept a power suffix "2^K" too */
  if (*end == '^' && value == 2) {
    unsigned long long power = strtoull(end + 1, &end, 10);
    if (errno != 0 || power >= 8 * sizeof(size_t)) goto bad;
    value = 1ull << power;
  }
  if (*end != '\0') goto bad;
  *out = (size_t)value;
  return 1;
bad:
  fprintf(stderr,
          "mrank: %s expects a whole number of elements (e.g. 1000000 or 2^20), not \"%s\"\n",
          option, text);
  return 0;
}

int mrank_parse_float(const char *option, const char *text, float *out) {
  char *end = NULL;
  errno = 0;
  float value = strtof(text, &end);
  if (text[0] == '\0' || *end != '\0' || errno == ERANGE || isnan(value)) {
    fprintf(stderr, "mrank: %s expects a finite number, not \"%s\"\n", option, text);
    return 0;
  }
  *out = value;
  return 1;
}

int mrank_parse_u64(const char *option, const char *text, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  if (text[0] == '\0' || !isdigit((unsigned char)text[0])) goto bad;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0') goto bad;
  *out = (uint64_t)value;
  return 1;
bad:
  fprintf(stderr, "mrank: %s expects a non-negative whole number, not \"%s\"\n", option, text);
  return 0;
}

int mrank_is_option(const char *arg, const char *name) {
  size_t length = strlen(name);
  return strncmp(arg, name, length) == 0 && (arg[length] == '\0' || arg[length] == '=');
}

const char *mrank_option_value(int argc, char **argv, int *i, const char *name) {
  const char *arg = argv[*i];
  size_t length = strlen(name);
  if (arg[length] == '=') return arg + length + 1;
  if (*i + 1 >= argc) {
    fprintf(stderr, "mrank: %s needs a value\n", name);
    return NULL;
  }
  *i += 1;
  return argv[*i];
}
