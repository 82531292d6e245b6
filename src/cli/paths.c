/* paths.c: outputs checked before the work: writable, and not an input under another name. */
#include "cli/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/options.h"
#include "regular_file.h"

/* What a path names: an existing file's device and inode, or for a file yet to be made its
 * folder's and its own name. */
typedef struct identity {
  int exists;
  dev_t device;
  ino_t inode;
  char name[256];
} identity;

/* The folder of a path ("." when it has none) into folder; its last component into name. */
static void split_path(const char *path, char *folder, size_t folder_size, char *name,
                       size_t name_size) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    snprintf(folder, folder_size, ".");
    snprintf(name, name_size, "%s", path);
  } else if (slash == path) {
    snprintf(folder, folder_size, "/");
    snprintf(name, name_size, "%s", slash + 1);
  } else {
    snprintf(folder, folder_size, "%.*s", (int)(slash - path), path);
    snprintf(name, name_size, "%s", slash + 1);
  }
}

static int identify(const char *path, identity *id) {
  struct stat info;
  memset(id, 0, sizeof *id);
  if (stat(path, &info) == 0) {
    id->exists = 1;
    id->device = info.st_dev;
    id->inode = info.st_ino;
    return 1;
  }
  char folder[4096];
  split_path(path, folder, sizeof folder, id->name, sizeof id->name);
  if (stat(folder, &info) != 0) return 0;
  id->device = info.st_dev;
  id->inode = info.st_ino;
  return 1;
}

static int same_identity(const identity *a, const identity *b) {
  return a->exists == b->exists && a->device == b->device && a->inode == b->inode &&
         strcmp(a->name, b->name) == 0;
}

/* The output can be made: its folder exists and takes a new file, and it is no directory or
 * device. */
static int writable(const mrank_path *out) {
  char folder[4096], name[256];
  split_path(out->path, folder, sizeof folder, name, sizeof name);
  struct stat info;
  if (out->path[0] == '\0') {
    mrank_error("%s '': an empty file name; give the path of a file", out->option);
    return 0;
  }
  if (name[0] == '\0') {
    mrank_error("%s %s: names a folder; give a file name", out->option, out->path);
    return 0;
  }
  if (stat(out->path, &info) == 0 && !S_ISREG(info.st_mode)) {
    mrank_error("%s %s: is %s, not a regular file; give the path of a regular file", out->option,
                out->path, S_ISDIR(info.st_mode) ? "a directory" : mrank_file_kind(info.st_mode));
    return 0;
  }
  if (stat(folder, &info) != 0) {
    mrank_error("%s %s: its folder %s cannot be used (%s); create it first or choose another path",
                out->option, out->path, folder, strerror(errno));
    return 0;
  }
  if (!S_ISDIR(info.st_mode)) {
    mrank_error("%s %s: %s is not a folder; choose another path", out->option, out->path, folder);
    return 0;
  }
  /* the output is written through a temporary file beside it: try making one there */
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/.mrank-probe-XXXXXX", folder);
  const int fd = mkstemp(probe);
  if (fd < 0) {
    mrank_error("%s %s: cannot create a file in %s (%s); choose a path in a writable folder",
                out->option, out->path, folder, strerror(errno));
    return 0;
  }
  close(fd);
  unlink(probe);
  return 1;
}

/* Standard input can be read once: two inputs given as "-" would leave the second empty. */
static int standard_input_once(const mrank_path *inputs, size_t input_count) {
  const mrank_path *first = NULL;
  for (size_t i = 0; i < input_count; ++i) {
    if (inputs[i].path == NULL || strcmp(inputs[i].path, "-") != 0) continue;
    if (first != NULL) {
      mrank_error(
          "%s - and %s -: standard input can be read only once; give a file for one of "
          "them",
          first->option, inputs[i].option);
      return 0;
    }
    first = &inputs[i];
  }
  return 1;
}

int mrank_check_folder(const char *option, const char *path) {
  struct stat info;
  if (path[0] == '\0') {
    mrank_error("%s '': an empty folder name; give the path of a folder", option);
    return 0;
  }
  if (stat(path, &info) == 0) {
    if (!S_ISDIR(info.st_mode)) {
      mrank_error("%s %s: is %s, not a folder; give a folder (it is made when missing)", option,
                  path, mrank_file_kind(info.st_mode));
      return 0;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.mrank-probe-XXXXXX", path);
    const int fd = mkstemp(probe);
    if (fd < 0) {
      mrank_error("%s %s: cannot create a file in it (%s); choose a writable folder", option, path,
                  strerror(errno));
      return 0;
    }
    close(fd);
    unlink(probe);
    return 1;
  }
  /* a folder yet to be made: its parent must take it */
  const mrank_path as_file = {option, path};
  return writable(&as_file);
}

int mrank_check_paths(const mrank_path *inputs, size_t input_count, const mrank_path *outputs,
                      size_t output_count) {
  if (!standard_input_once(inputs, input_count)) return 0;
  for (size_t o = 0; o < output_count; ++o) {
    if (outputs[o].path == NULL) continue;
    if (!writable(&outputs[o])) return 0;
    identity out;
    if (!identify(outputs[o].path, &out)) continue; /* writable() said why it could not be */
    for (size_t i = 0; i < input_count; ++i) {
      identity in;
      if (inputs[i].path == NULL || strcmp(inputs[i].path, "-") == 0) continue;
      if (identify(inputs[i].path, &in) && same_identity(&in, &out)) {
        mrank_error(
            "%s %s is the same file as %s %s: writing it would destroy the input; choose "
            "another output path",
            outputs[o].option, outputs[o].path, inputs[i].option, inputs[i].path);
        return 0;
      }
    }
    for (size_t p = 0; p < o; ++p) {
      identity other;
      if (outputs[p].path != NULL && identify(outputs[p].path, &other) &&
          same_identity(&other, &out)) {
        mrank_error("%s %s and %s %s are the same file; give them different paths",
                    outputs[p].option, outputs[p].path, outputs[o].option, outputs[o].path);
        return 0;
      }
    }
  }
  return 1;
}
