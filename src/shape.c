/* shape.c: the kernels' shape: its text, the defaults and the stored choice (see shape.h). */
#include "shape.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device_traits.h"
#include "disk_cache.h"
#include "regular_file.h"

void mrank_shape_format(const mrank_shape *s, char *out, size_t size) {
  snprintf(out, size, "epw=%d,vw=%d,wg=%zu,sum=%s", s->epw, s->vw, s->wg,
           s->sum_local ? "local" : "direct");
}

int mrank_shape_parse(const char *text, mrank_shape *shape, char *why, size_t why_size) {
  mrank_shape s = {0, 0, 0, -1};
  char copy[256];
  if (text == NULL || strlen(text) >= sizeof copy) {
    snprintf(why, why_size, "expected epw=E,vw=V,wg=G,sum=direct|local");
    return 0;
  }
  snprintf(copy, sizeof copy, "%s", text);
  for (char *item = strtok(copy, ","); item != NULL; item = strtok(NULL, ",")) {
    char *equals = strchr(item, '=');
    if (equals == NULL) {
      snprintf(why, why_size, "\"%s\" is not KEY=VALUE", item);
      return 0;
    }
    *equals = '\0';
    const char *key = item, *value = equals + 1;
    char *end = NULL;
    errno = 0;
    const unsigned long number = strtoul(value, &end, 10);
    const int is_number = end != value && *end == '\0' && errno == 0;
    const int known = strcmp(key, "epw") == 0 || strcmp(key, "vw") == 0 || strcmp(key, "wg") == 0 ||
                      strcmp(key, "sum") == 0;
    const int given =
        (strcmp(key, "epw") == 0 && s.epw != 0) || (strcmp(key, "vw") == 0 && s.vw != 0) ||
        (strcmp(key, "wg") == 0 && s.wg != 0) || (strcmp(key, "sum") == 0 && s.sum_local != -1);
    if (known && given) {
      snprintf(why, why_size, "%s is given twice; give each key once", key);
      return 0;
    }
    if (strcmp(key, "epw") == 0 || strcmp(key, "vw") == 0) {
      int *field = key[0] == 'e' ? &s.epw : &s.vw;
      if (!is_number || (number != 1 && number != 4 && number != 16)) {
        snprintf(why, why_size, "%s is 1, 4 or 16, not \"%s\"", key, value);
        return 0;
      }
      *field = (int)number;
    } else if (strcmp(key, "wg") == 0) {
      if (!is_number || number == 0 || number > 4096 || (number & (number - 1))) {
        snprintf(why, why_size, "wg is a power of two from 1 to 4096, not \"%s\"", value);
        return 0;
      }
      s.wg = number;
    } else if (strcmp(key, "sum") == 0) {
      if (strcmp(value, "direct") != 0 && strcmp(value, "local") != 0) {
        snprintf(why, why_size, "sum is direct or local, not \"%s\"", value);
        return 0;
      }
      s.sum_local = strcmp(value, "local") == 0;
    } else {
      snprintf(why, why_size, "unknown key \"%s\" (keys: epw, vw, wg, sum)", key);
      return 0;
    }
  }
  if (s.epw == 0 || s.vw == 0 || s.wg == 0 || s.sum_local < 0) {
    snprintf(why, why_size, "give all of epw, vw, wg and sum (\"%s\")", text);
    return 0;
  }
  if (s.vw > s.epw) {
    snprintf(why, why_size,
             "vw %d is more than epw %d: a work-item's elements are loaded vw at a "
             "time",
             s.vw, s.epw);
    return 0;
  }
  *shape = s;
  return 1;
}

void mrank_shape_default(cl_device_id device, mrank_shape *shape) {
  const mrank_shape cpu = {16, 16, 256, 0}, other = {1, 1, 256, 1};
  *shape = mrank_device_type_for_choices(device) == CL_DEVICE_TYPE_CPU ? cpu : other;
}

void mrank_shape_store_path(cl_device_id device, char *path, size_t size) {
  char dir[4096], why[8192];
  path[0] = '\0';
  if (!mrank_cache_dir(dir, sizeof dir, why, sizeof why) || dir[0] == '\0') return;
  mrank_device_identity id;
  mrank_device_identity_read(device, &id);
  char key[2048];
  snprintf(key, sizeof key, "shape|%s|%s|%s|%s|%s|%s", mrank_version(), id.platform_name,
           id.platform_version, id.device_name, id.device_version, id.driver_version);
  snprintf(path, size, "%s/shape-%016llx.txt", dir,
           (unsigned long long)mrank_fnv1a(key, strlen(key), MRANK_FNV_BASIS));
}

int mrank_shape_load(cl_device_id device, mrank_shape *shape) {
  char path[4200], text[256] = "", why[256];
  mrank_shape_store_path(device, path, sizeof path);
  if (path[0] == '\0') return 0;
  /* a stored shape is a small regular file; anything else (a FIFO could block) is ignored */
  struct stat info;
  const int fd = mrank_open_regular(path, 1, &info, why, sizeof why);
  FILE *file = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (file == NULL) {
    if (fd >= 0) close(fd);
    return 0;
  }
  const int read = fgets(text, sizeof text, file) != NULL;
  fclose(file);
  text[strcspn(text, "\r\n")] = '\0';
  return read && mrank_shape_parse(text, shape, why, sizeof why);
}

int mrank_shape_save(cl_device_id device, const mrank_shape *shape, char *why, size_t why_size) {
  char path[4200], temporary[4300], text[128];
  mrank_shape_store_path(device, path, sizeof path);
  if (path[0] == '\0') {
    snprintf(why, why_size,
             "there is no kernel cache folder to keep it in (MRANK_NO_CACHE, or "
             "no HOME): set MRANK_CACHE_DIR");
    return 0;
  }
  mrank_shape_format(shape, text, sizeof text);
  snprintf(temporary, sizeof temporary, "%s.XXXXXX", path);
  const int fd = mkstemp(temporary);
  FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
  int ok = file != NULL && fprintf(file, "%s\n", text) > 0;
  if (file != NULL)
    ok = fclose(file) == 0 && ok;
  else if (fd >= 0)
    close(fd);
  if (ok) ok = rename(temporary, path) == 0;
  if (!ok) {
    if (fd >= 0) unlink(temporary);
    snprintf(why, why_size, "cannot write %s: %s", path, strerror(errno));
  }
  return ok;
}

const mrank_shape *mrank_shape_candidates(size_t *count) {
  static const mrank_shape candidates[] = {
      {16, 16, 256, 0}, {16, 16, 64, 0}, {16, 4, 256, 0}, {16, 1, 256, 0},  {4, 4, 256, 0},
      {4, 1, 256, 0},   {1, 1, 256, 0},  {1, 1, 64, 0},   {16, 16, 256, 1}, {1, 1, 256, 1},
  };
  *count = sizeof candidates / sizeof candidates[0];
  return candidates;
}
