/* atomic_file.c: write to a temporary file, then rename. */
#include "rank/atomic_file.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int rank_atomic_open(rank_atomic_file *f, const char *path) {
  f->file = NULL;
  if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path ||
      snprintf(f->temporary, sizeof f->temporary, "%s.XXXXXX", path) >= (int)sizeof f->temporary) {
    return 0;
  }
  const int fd = mkstemp(f->temporary);
  if (fd < 0) return 0;
  /* mkstemp makes the file private (0600); a data or model file gets the mode a plain fopen would
   * give it (0666 less the umask), or keeps the mode of the file it replaces */
  struct stat existing;
  mode_t mode;
  if (stat(path, &existing) == 0) {
    mode = existing.st_mode & 07777;
  } else {
    const mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  if (fchmod(fd, mode) != 0) {
    close(fd);
    unlink(f->temporary);
    return 0;
  }
  f->file = fdopen(fd, "w");
  if (f->file == NULL) {
    close(fd);
    unlink(f->temporary);
    return 0;
  }
  return 1;
}

int rank_atomic_commit(rank_atomic_file *f) {
  int ok = fflush(f->file) == 0 && !ferror(f->file);
  /* on disk before it replaces the old file under its name */
  ok = ok && fsync(fileno(f->file)) == 0;
  ok = fclose(f->file) == 0 && ok;
  f->file = NULL;
  if (ok) ok = rename(f->temporary, f->path) == 0;
  if (!ok) unlink(f->temporary);
  return ok;
}

void rank_atomic_abort(rank_atomic_file *f) {
  if (f->file != NULL) fclose(f->file);
  f->file = NULL;
  unlink(f->temporary);
}
