/* options.c: shared command-line value parsers. */
#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *command_name = NULL;
static int output_errno = 0;

void mrank_note_output_error(int code) {
  if (output_errno == 0) output_errno = code;
}

int mrank_output_error(void) {
  return output_errno;
}

void mrank_set_command(const char *name) {
  command_name = name;
}

void mrank_error(const char *format, ...) {
  if (command_name != NULL) {
    fprintf(stderr, "mrank %s: ", command_name);
  } else {
    fputs("mrank: ", stderr);
  }
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
}

int mrank_parse_size(const char *option, const char *text, size_t *out) {
  char *end = NULL;
  errno = 0;
  if (text[0] == '\0' || !isdigit((unsigned char)text[0])) goto bad;
  unsigned long long value = strtoull(text, &end, 10);
  if ((errno == ERANGE || value > SIZE_MAX) && *end == '\0') {
    mrank_error("%s %s is too large (at most %zu)", option, text, (size_t)SIZE_MAX);
    return 0;
  }
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
  mrank_error("%s expects a whole number of 0 or more (e.g. 1000000 or 2^20), not \"%s\"", option,
              text);
  return 0;
}

int mrank_parse_float(const char *option, const char *text, float *out) {
  char *end = NULL;
  errno = 0;
  float value = strtof(text, &end);
  if (text[0] == '\0' || *end != '\0') {
    mrank_error("%s expects a number, not \"%s\"", option, text);
    return 0;
  }
  if (errno == ERANGE && fabsf(value) > 1.0f) {
    mrank_error("%s %s is beyond the range of float (3.4e38); give a smaller value", option, text);
    return 0;
  }
  if (!isfinite(value)) {
    mrank_error("%s expects a finite number, not \"%s\"", option, text);
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
  mrank_error("%s expects a non-negative whole number, not \"%s\"", option, text);
  return 0;
}

int mrank_parse_list(const char *option, const char *text,
                     int (*parse_item)(const char *option, const char *item, void *into, int at),
                     void *into, int max, int *count) {
  *count = 0;
  const char *start = text;
  for (;;) {
    const char *comma = strchr(start, ',');
    const size_t length = comma != NULL ? (size_t)(comma - start) : strlen(start);
    char item[256];
    if (length == 0) {
      mrank_error("%s \"%s\": an empty item; separate values with single commas", option, text);
      return 0;
    }
    if (length >= sizeof item) {
      mrank_error("%s: the item \"%.40s...\" is too long", option, start);
      return 0;
    }
    if (*count >= max) {
      mrank_error("%s takes at most %d values", option, max);
      return 0;
    }
    memcpy(item, start, length);
    item[length] = '\0';
    if (!parse_item(option, item, into, *count)) return 0;
    (*count)++;
    if (comma == NULL) return 1;
    start = comma + 1;
  }
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
    mrank_error("%s needs a value", name);
    return NULL;
  }
  *i += 1;
  return argv[*i];
}

typedef struct type_choice {
  const mrank_dtype *allowed;
  int allowed_count;
  mrank_dtype *into;
} type_choice;

static int type_item(const char *option, const char *item, void *into, int at) {
  const type_choice *choice = into;
  for (int k = 0; k < choice->allowed_count; ++k) {
    if (strcmp(item, mrank_dtype_name(choice->allowed[k])) == 0) {
      choice->into[at] = choice->allowed[k];
      return 1;
    }
  }
  char names[64] = "";
  for (int k = 0; k < choice->allowed_count; ++k) {
    const size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", k > 0 ? ", " : "",
             mrank_dtype_name(choice->allowed[k]));
  }
  mrank_error("%s: \"%s\" is not one of %s", option, item, names);
  return 0;
}

int mrank_parse_data_types(const char *option, const char *text, mrank_dtype into[4], int *count) {
  static const mrank_dtype allowed[] = {MRANK_DTYPE_F32, MRANK_DTYPE_F16, MRANK_DTYPE_BF16,
                                        MRANK_DTYPE_F64};
  type_choice choice = {allowed, 4, into};
  return mrank_parse_list(option, text, type_item, &choice, 4, count);
}

int mrank_parse_label_types(const char *option, const char *text, mrank_dtype into[3], int *count) {
  static const mrank_dtype allowed[] = {MRANK_DTYPE_F32, MRANK_DTYPE_I32, MRANK_DTYPE_I8};
  type_choice choice = {allowed, 3, into};
  return mrank_parse_list(option, text, type_item, &choice, 3, count);
}

const char *mrank_api_error(void) {
  const char *message = mrank_last_error();
  if (strncmp(message, "mrank_", 6) != 0) return message;
  const char *end = message;
  while ((*end >= 'a' && *end <= 'z') || *end == '_')
    end++;
  return strncmp(end, ": ", 2) == 0 ? end + 2 : message;
}
