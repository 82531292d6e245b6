/* paths.h: the files a command will write, checked before it does any work: each can be written,
 * and none is an input or another output under a second name. */
#ifndef MRANK_CLI_PATHS_H
#define MRANK_CLI_PATHS_H

#include <stddef.h>

typedef struct mrank_path {
  const char *option; /* "--model", for messages */
  const char *path;   /* NULL: not given (skipped); "-" as an input: standard input */
} mrank_path;

/* Each output's folder exists and takes a new file (tried, so that a read-only or special file
 * system answers too), the output is not a directory or a device, and no output names the same
 * file as an input or another output (device and inode; a file that does not exist yet by its
 * folder's and its own name, so "a/../b" and "b" are one). 0 after printing "mrank CMD: ..." with
 * the reason (strerror) and what to do. Two inputs given as "-" are refused: standard input can be
 * read once. */
int mrank_check_paths(const mrank_path *inputs, size_t input_count, const mrank_path *outputs,
                      size_t output_count);

/* An output folder (compile --out): an existing one must be a folder that takes a new file; a
 * missing one must have a parent that takes it. 0 after printing the reason. */
int mrank_check_folder(const char *option, const char *path);

#endif /* MRANK_CLI_PATHS_H */
