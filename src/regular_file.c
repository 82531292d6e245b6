/* regular_file.c: open for reading only what is a regular file, without ever blocking. */
#include "regular_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *mrank_file_kind(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a special file";
}

int mrank_open_regular(const char *path, int no_follow, struct stat *info, char *why,
                       size_t why_size) {
  int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  if (no_follow) flags |= O_NOFOLLOW;
  const int fd = open(path, flags);
  if (fd < 0) {
    const int error = errno;
    /* a socket cannot be opened at all (ENXIO): say what it is rather than "no such device" */
    struct stat seen;
    if (error == ENXIO && lstat(path, &seen) == 0) {
      snprintf(why, why_size, "is %s, not a regular file", mrank_file_kind(seen.st_mode));
    } else if (error == ELOOP && no_follow) {
      snprintf(why, why_size, "is a symbolic link");
    } else {
      snprintf(why, why_size, "%s", strerror(error));
    }
    errno = error;
    return -1;
  }
  if (fstat(fd, info) != 0) {
    snprintf(why, why_size, "cannot be examined: %s", strerror(errno));
    close(fd);
    return -1;
  }
  if (!S_ISREG(info->st_mode)) {
    snprintf(why, why_size, "is %s, not a regular file", mrank_file_kind(info->st_mode));
    close(fd);
    errno = EINVAL;
    return -1;
  }
  /* a regular file never blocks; reads go on as usual */
  const int status = fcntl(fd, F_GETFL);
  if (status >= 0) (void)fcntl(fd, F_SETFL, status & ~O_NONBLOCK);
  return fd;
}
