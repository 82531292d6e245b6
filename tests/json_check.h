/* json_check.h: a strict JSON syntax checker (RFC 8259) for the tests of the CLI's --json output,
 * so that "valid JSON" is checked by parsing, not by eye. Returns 1 when the whole text is one
 * value. */
#ifndef MRANK_TEST_JSON_CHECK_H
#define MRANK_TEST_JSON_CHECK_H

#include <ctype.h>
#include <string.h>

static const char *json_value(const char *p, int depth);

static const char *json_space(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    ++p;
  return p;
}

static const char *json_string_token(const char *p) {
  if (*p++ != '"') return NULL;
  while (*p != '"') {
    if ((unsigned char)*p < 0x20) return NULL; /* raw control characters are not allowed */
    if (*p == '\\') {
      ++p;
      if (*p == 'u') {
        for (int k = 1; k <= 4; ++k) {
          if (!isxdigit((unsigned char)p[k])) return NULL;
        }
        p += 4;
      } else if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0') {
        return NULL;
      }
    }
    ++p;
  }
  return p + 1;
}

static const char *json_number_token(const char *p) {
  if (*p == '-') ++p;
  if (*p == '0') {
    ++p;
  } else if (isdigit((unsigned char)*p)) {
    while (isdigit((unsigned char)*p))
      ++p;
  } else {
    return NULL;
  }
  if (*p == '.') {
    ++p;
    if (!isdigit((unsigned char)*p)) return NULL;
    while (isdigit((unsigned char)*p))
      ++p;
  }
  if (*p == 'e' || *p == 'E') {
    ++p;
    if (*p == '+' || *p == '-') ++p;
    if (!isdigit((unsigned char)*p)) return NULL;
    while (isdigit((unsigned char)*p))
      ++p;
  }
  return p;
}

static const char *json_container(const char *p, int depth, char close, int keyed) {
  p = json_space(p + 1);
  if (*p == close) return p + 1;
  for (;;) {
    if (keyed) {
      p = json_string_token(json_space(p));
      if (p == NULL) return NULL;
      p = json_space(p);
      if (*p++ != ':') return NULL;
    }
    p = json_value(p, depth + 1);
    if (p == NULL) return NULL;
    p = json_space(p);
    if (*p == close) return p + 1;
    if (*p++ != ',') return NULL;
  }
}

static const char *json_value(const char *p, int depth) {
  if (depth > 64) return NULL;
  p = json_space(p);
  switch (*p) {
    case '{':
      return json_container(p, depth, '}', 1);
    case '[':
      return json_container(p, depth, ']', 0);
    case '"':
      return json_string_token(p);
    case 't':
      return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
      return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
      return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
      return json_number_token(p);
  }
}

static inline int json_is_valid(const char *text) {
  const char *end = json_value(text, 0);
  return end != NULL && *json_space(end) == '\0';
}

#endif /* MRANK_TEST_JSON_CHECK_H */
