/* text_file.h: reading a whole text file (data, groups, models, scores), bounded and checked as
 * it is read. */
#ifndef MRANK_RANK_TEXT_FILE_H
#define MRANK_RANK_TEXT_FILE_H

#include <stddef.h>

/* Reads a whole file ("-": standard input) into a NUL-terminated buffer; NULL (and a message) on
 * failure. A regular file, standard input, or a FIFO or pipe (`--data <(zcat data.gz)`) is read;
 * a directory, a device node (/dev/zero, /dev/urandom) or a socket is refused by its kind before a
 * byte is read. A FIFO is opened without waiting for a writer, and one with no writer is an error
 * at once, so nothing blocks forever. A NUL byte is refused with its line and column as soon as the
 * block holding it arrives, and a stream stops with a message once it would take more memory than
 * the machine has available. */
char *rank_read_file(const char *path, size_t *length, char *error, size_t error_size);

#endif /* MRANK_RANK_TEXT_FILE_H */
