/* options.h: parsing of the command-line values the subcommands share (sizes, floats, seeds). Each
 * parser prints what was wrong to stderr and returns 0 on a bad value. */
#ifndef MRANK_CLI_OPTIONS_H
#define MRANK_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

int mrank_parse_size(const char *option, const char *text, size_t *out);
int mrank_parse_float(const char *option, const char *text, float *out);
int mrank_parse_u64(const char *option, const char *text, uint64_t *out);
/* The value of an option: argv[*i + 1] (advancing *i), or "--name=value" form; NULL (and a message)
 * when it is missing. */
const char *mrank_option_value(int argc, char **argv, int *i, const char *name);
/* Whether argv[i] is option `name`, as "--name" or "--name=value". */
int mrank_is_option(const char *arg, const char *name);

#endif /* MRANK_CLI_OPTIONS_H */
