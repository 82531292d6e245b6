/* json.h: writing JSON from the CLI: strings escaped for any byte a driver may put in a name. */
#ifndef MRANK_CLI_JSON_H
#define MRANK_CLI_JSON_H

#include <stdio.h>

/* Writes "text" with quotes, escaping quotes, backslashes and control characters; bytes >= 0x80 are
 * passed through when they form valid UTF-8 and written as \u00XX otherwise. */
void mrank_json_string(FILE *out, const char *text);
/* Writes a number, or null for NaN and infinities (JSON has neither). */
void mrank_json_number(FILE *out, double value);

#endif /* MRANK_CLI_JSON_H */
