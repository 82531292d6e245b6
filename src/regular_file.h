/* regular_file.h: opening a file to read that must be a regular file. A FIFO, a device node or a
 * socket given where a data file, a model, a kernel source or a cached program is expected either
 * blocks the reader forever (a FIFO with no writer, a terminal) or never ends (/dev/zero,
 * /dev/urandom), so it is refused by its kind before a byte is read. */
#ifndef MRANK_REGULAR_FILE_H
#define MRANK_REGULAR_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/* "a directory", "a FIFO (named pipe)", "a character device", "a block device", "a socket",
 * "a symbolic link", "a regular file", or "a special file". */
const char *mrank_file_kind(mode_t mode);

/* Opens path read-only without blocking (O_NONBLOCK, so a FIFO with no writer cannot hang the
 * open; cleared again once the file is known to be regular), close-on-exec, and with
 * no_follow without following a final symbolic link. Returns the descriptor, with *info filled
 * from fstat of the opened file itself (nothing can be swapped in between the check and the read);
 * -1 with the reason in why: "is a FIFO (named pipe), not a regular file", "is a symbolic link",
 * or strerror's text. */
int mrank_open_regular(const char *path, int no_follow, struct stat *info, char *why,
                       size_t why_size);

#endif /* MRANK_REGULAR_FILE_H */
