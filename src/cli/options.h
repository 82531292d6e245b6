/* options.h: parsing of the command-line values the subcommands share (sizes, floats, seeds). Each
 * parser prints what was wrong to stderr and returns 0 on a bad value. */
#ifndef MRANK_CLI_OPTIONS_H
#define MRANK_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "mrank.h"

/* The subcommand that runs ("train"), for the prefix of every message: "mrank train: ...". */
void mrank_set_command(const char *name);
/* Prints "mrank COMMAND: <message>" and a newline on stderr. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
void mrank_error(const char *format, ...);

/* The errno of a failed write to standard output, noted where it happened (the stream forgets
 * it), and read back when the tool checks its output at exit. */
void mrank_note_output_error(int code);
int mrank_output_error(void);

int mrank_parse_size(const char *option, const char *text, size_t *out);
int mrank_parse_float(const char *option, const char *text, float *out);
int mrank_parse_u64(const char *option, const char *text, uint64_t *out);
/* A comma list ("7,63,2^20"): each item handed to parse_item with its place, at most `max` of them;
 * an empty item ("7,,", ",7") is refused. 0 after a message on a bad list or item. */
int mrank_parse_list(const char *option, const char *text,
                     int (*parse_item)(const char *option, const char *item, void *into, int at),
                     void *into, int max, int *count);
/* A comma list of data types (f32, f16, bf16, f64: at most 4) or label types (f32, i32, i8: at
 * most 3), in the order given. 0 after a message naming the choices. */
int mrank_parse_data_types(const char *option, const char *text, mrank_dtype into[4], int *count);
int mrank_parse_label_types(const char *option, const char *text, mrank_dtype into[3], int *count);
/* The value of an option: argv[*i + 1] (advancing *i), or "--name=value" form; NULL (and a message)
 * when it is missing. */
const char *mrank_option_value(int argc, char **argv, int *i, const char *name);
/* Whether argv[i] is option `name`, as "--name" or "--name=value". */
int mrank_is_option(const char *arg, const char *name);

/* mrank_last_error() without the leading function name ("mrank_train: "), for a message of the
 * tool that says what was wrong in the tool's words. */
const char *mrank_api_error(void);

#endif /* MRANK_CLI_OPTIONS_H */
