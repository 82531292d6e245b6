/* pocl_hint.c: a PoCL platform without devices, and the cache folder it could not create. */
#include "pocl_hint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mrank.h"

/* mkdir -p, owner-only, as PoCL would make it: 0 when some part cannot be made */
static int make_folder(const char *path) {
  char partial[4096];
  const size_t length = strlen(path);
  if (length == 0 || length >= sizeof partial) return 0;
  memcpy(partial, path, length + 1);
  for (size_t i = 1; i <= length; ++i) {
    if (partial[i] != '/' && partial[i] != '\0') continue;
    const char saved = partial[i];
    partial[i] = '\0';
    if (mkdir(partial, 0700) != 0 && errno != EEXIST) return 0;
    partial[i] = saved;
  }
  struct stat info;
  return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static int pocl_without_devices(void) {
  cl_uint count = 0;
  if (clGetPlatformIDs(0, NULL, &count) != CL_SUCCESS || count == 0) return 0;
  cl_platform_id *platforms = calloc(count, sizeof *platforms);
  int found = 0;
  if (platforms != NULL && clGetPlatformIDs(count, platforms, NULL) == CL_SUCCESS) {
    for (cl_uint p = 0; p < count && !found; ++p) {
      char name[256] = "";
      cl_uint devices = 0;
      clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME, sizeof name, name, NULL);
      name[sizeof name - 1] = '\0';
      found = strstr(name, "Portable Computing Language") != NULL &&
              (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &devices) != CL_SUCCESS ||
               devices == 0);
    }
  }
  free(platforms);
  return found;
}

int mrank_pocl_cache_hint(char *out, size_t size) {
  if (!pocl_without_devices()) return 0;
  const char *chosen = getenv("POCL_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  char folder[4096];
  const char *why = "";
  if (chosen != NULL && chosen[0] != '\0') {
    snprintf(folder, sizeof folder, "%s", chosen);
    why = "POCL_CACHE_DIR";
  } else if (xdg != NULL && xdg[0] != '\0') {
    snprintf(folder, sizeof folder, "%s/pocl", xdg);
    why = "XDG_CACHE_HOME";
  } else {
    snprintf(folder, sizeof folder, "%s/.cache/pocl", home != NULL ? home : "");
    why = "HOME";
  }
  if (make_folder(folder)) return 0;
  snprintf(out, size,
           "PoCL is installed but lists no device: it cannot create its kernel cache in %s (%s is "
           "not writable); set POCL_CACHE_DIR to a writable folder, or run with a writable %s",
           folder, why, why);
  return 1;
}
