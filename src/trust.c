/* trust.c: ownership and permission checks of what mrank loads and runs. */
#include "trust.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int mrank_owner_trusted(const struct stat *info, int allow_root, char *why, size_t why_size) {
  const uid_t me = geteuid();
  if (info->st_uid != me && !(allow_root && info->st_uid == 0)) {
    snprintf(why, why_size, "owned by uid %lu, not by this user (uid %lu)%s",
             (unsigned long)info->st_uid, (unsigned long)me, allow_root ? " or root" : "");
    return 0;
  }
  const mode_t writable = info->st_mode & (S_IWGRP | S_IWOTH);
  if (writable != 0) {
    snprintf(why, why_size, "writable by %s (mode %04o)",
             writable == (S_IWGRP | S_IWOTH) ? "group and others"
             : writable == S_IWGRP           ? "its group"
                                             : "others",
             (unsigned)(info->st_mode & 07777));
    return 0;
  }
  return 1;
}

int mrank_path_trusted(const char *path, int allow_root, char *why, size_t why_size) {
  struct stat info;
  if (stat(path, &info) != 0) {
    snprintf(why, why_size, "cannot be examined (%s)", strerror(errno));
    return 0;
  }
  return mrank_owner_trusted(&info, allow_root, why, why_size);
}
