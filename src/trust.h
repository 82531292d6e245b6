/* trust.h: whether a file or folder could hold code that someone other than this user planted. A
 * cached program binary is native code that the process runs, and a kernel source is code it
 * compiles and runs: as OpenSSH's StrictModes does, refuse what others could have written. */
#ifndef MRANK_TRUST_H
#define MRANK_TRUST_H

#include <stddef.h>
#include <sys/stat.h>

/* 1 when `info` (from stat or fstat) is owned by the effective user (or, with allow_root, by root)
 * and not writable by group or others; 0 with the reason in `why` ("owned by uid 1001", "writable
 * by group and others (mode 0777)"). */
int mrank_owner_trusted(const struct stat *info, int allow_root, char *why, size_t why_size);

/* The same for a path (followed if it is a symbolic link); 0 with the reason also when it cannot be
 * examined. */
int mrank_path_trusted(const char *path, int allow_root, char *why, size_t why_size);

#endif /* MRANK_TRUST_H */
