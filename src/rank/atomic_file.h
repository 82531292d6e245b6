/* atomic_file.h: files that appear whole or not at all: written to a temporary file beside the
 * target, flushed to disk, then renamed over it. */
#ifndef MRANK_RANK_ATOMIC_FILE_H
#define MRANK_RANK_ATOMIC_FILE_H

#include <stdio.h>

typedef struct rank_atomic_file {
  FILE *file; /* write here */
  char temporary[4096], path[4096];
} rank_atomic_file;

/* 0 (errno set) when the temporary file cannot be made. */
int rank_atomic_open(rank_atomic_file *f, const char *path);
/* Flushes, syncs, closes and renames; on any failure removes the temporary file and returns 0. */
int rank_atomic_commit(rank_atomic_file *f);
/* Gives up: closes and removes the temporary file. */
void rank_atomic_abort(rank_atomic_file *f);

#endif /* MRANK_RANK_ATOMIC_FILE_H */
