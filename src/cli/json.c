/* json.c: JSON output helpers. */
#include "cli/json.h"

#include <math.h>

/* Length of the valid UTF-8 sequence at text, or 0. */
static int utf8_length(const unsigned char *text) {
  int length = text[0] >= 0xf0 && text[0] <= 0xf4   ? 4
               : text[0] >= 0xe0                    ? 3
               : text[0] >= 0xc2 && text[0] <= 0xdf ? 2
                                                    : 0;
  for (int k = 1; k < length; ++k) {
    if ((text[k] & 0xc0) != 0x80) return 0;
  }
  return length;
}

void mrank_json_string(FILE *out, const char *text) {
  const unsigned char *c = (const unsigned char *)text;
  fputc('"', out);
  while (*c) {
    if (*c == '"' || *c == '\\') {
      fprintf(out, "\\%c", *c);
    } else if (*c == '\n') {
      fputs("\\n", out);
    } else if (*c == '\t') {
      fputs("\\t", out);
    } else if (*c < 0x20 || *c == 0x7f) {
      fprintf(out, "\\u%04x", *c);
    } else if (*c >= 0x80) {
      int length = utf8_length(c);
      if (length == 0) {
        fprintf(out, "\\u%04x", *c); /* a Latin-1 byte: keep it readable and valid */
      } else {
        fwrite(c, 1, (size_t)length, out);
        c += length - 1;
      }
    } else {
      fputc(*c, out);
    }
    ++c;
  }
  fputc('"', out);
}

void mrank_json_number(FILE *out, double value) {
  if (isfinite(value)) {
    fprintf(out, "%.17g", value);
  } else {
    fputs("null", out);
  }
}
