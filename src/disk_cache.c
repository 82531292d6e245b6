/* disk_cache.c: the on-disk level of the program cache. An entry is
 *   "MRANKPB1" | u32 format | u32 key length | u64 binary length | u64 binary checksum | key |
 * binary written to a temporary file in the same folder and renamed into place. Anything that does
 * not match on load is deleted and rebuilt from source (a corrupt entry must never reach the
 * driver). */
#include "disk_cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = {'M', 'R', 'A', 'N', 'K', 'P', 'B', '1'};
enum { format_version = 1 };
static const uint64_t max_binary_size = (uint64_t)1 << 30;

typedef struct entry_header {
  char magic[8];
  uint32_t format;
  uint32_t key_length;
  uint64_t binary_length;
  uint64_t checksum;
} entry_header;

static uint64_t fnv1a(const void *data, size_t size, uint64_t hash) {
  const unsigned char *bytes = data;
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

static const uint64_t fnv_basis = 0xcbf29ce484222325ull;

static void device_string(cl_device_id device, cl_device_info param, char *out, size_t capacity) {
  if (clGetDeviceInfo(device, param, capacity, out, NULL) != CL_SUCCESS) out[0] = '\0';
  out[capacity - 1] = '\0';
}

char *mrank_cache_key(cl_device_id device, const char *family_file, const char *source,
                      const char *options) {
  char platform_name[256] = "", platform_version[256] = "", driver[256] = "";
  char device_name[256] = "", device_version[256] = "";
  cl_platform_id platform = NULL;
  if (clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL) == CL_SUCCESS) {
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof platform_name, platform_name, NULL);
    clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof platform_version, platform_version,
                      NULL);
  }
  platform_name[sizeof platform_name - 1] = platform_version[sizeof platform_version - 1] = '\0';
  device_string(device, CL_DEVICE_NAME, device_name, sizeof device_name);
  device_string(device, CL_DRIVER_VERSION, driver, sizeof driver);
  device_string(device, CL_DEVICE_VERSION, device_version, sizeof device_version);
  const uint64_t source_hash = fnv1a(source, strlen(source), fnv_basis);
  const char *format =
      "mrank %s\nkernels %s %016llx %zu\noptions %s\nplatform %s | %s\ndevice %s | %s\ndriver %s\n";
  int length = snprintf(NULL, 0, format, mrank_version(), family_file,
                        (unsigned long long)source_hash, strlen(source), options, platform_name,
                        platform_version, device_name, device_version, driver);
  if (length < 0) return NULL;
  char *key = malloc((size_t)length + 1);
  if (key == NULL) return NULL;
  snprintf(key, (size_t)length + 1, format, mrank_version(), family_file,
           (unsigned long long)source_hash, strlen(source), options, platform_name,
           platform_version, device_name, device_version, driver);
  return key;
}

/* mkdir -p, owner-only for the folders it creates */
static int make_dirs(const char *path) {
  char partial[4096];
  size_t length = strlen(path);
  if (length == 0 || length >= sizeof partial) return 0;
  memcpy(partial, path, length + 1);
  for (size_t i = 1; i <= length; ++i) {
    if (partial[i] != '/' && partial[i] != '\0') continue;
    char saved = partial[i];
    partial[i] = '\0';
    if (mkdir(partial, 0700) != 0 && errno != EEXIST) return 0;
    partial[i] = saved;
  }
  struct stat info;
  return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

void mrank_cache_dir(char *out, size_t capacity) {
  out[0] = '\0';
  const char *off = getenv("MRANK_NO_CACHE");
  if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0) return;
  const char *explicit_dir = getenv("MRANK_CACHE_DIR");
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  int written = -1;
  if (explicit_dir != NULL && explicit_dir[0] != '\0') {
    written = snprintf(out, capacity, "%s", explicit_dir);
  } else if (xdg != NULL && xdg[0] == '/') {
    written = snprintf(out, capacity, "%s/mrank", xdg);
  } else if (home != NULL && home[0] != '\0') {
    written = snprintf(out, capacity, "%s/.cache/mrank", home);
  }
  if (written < 0 || (size_t)written >= capacity) {
    out[0] = '\0';
    return;
  }
  /* a folder that cannot be made stays named: the first store fails and says so once */
  (void)make_dirs(out);
}

static int entry_path(const char *dir, const char *key, char *path, size_t capacity) {
  const uint64_t a = fnv1a(key, strlen(key), fnv_basis);
  const uint64_t b = fnv1a(key, strlen(key), 0x84222325cbf29ce4ull);
  int written = snprintf(path, capacity, "%s/%016llx%016llx.clbin", dir, (unsigned long long)a,
                         (unsigned long long)b);
  return written > 0 && (size_t)written < capacity;
}

void mrank_cache_remove(const char *dir, const char *key) {
  char path[4200];
  if (entry_path(dir, key, path, sizeof path)) unlink(path);
}

unsigned char *mrank_cache_load(const char *dir, const char *key, size_t *size) {
  char path[4200];
  if (!entry_path(dir, key, path, sizeof path)) return NULL;
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  unsigned char *binary = NULL;
  char *stored_key = NULL;
  entry_header header;
  const size_t key_length = strlen(key);
  int ok = fread(&header, sizeof header, 1, file) == 1 &&
           memcmp(header.magic, magic, sizeof magic) == 0 && header.format == format_version &&
           header.key_length == key_length && header.binary_length > 0 &&
           header.binary_length <= max_binary_size;
  if (ok) {
    stored_key = malloc(key_length);
    binary = malloc((size_t)header.binary_length);
    ok = stored_key != NULL && binary != NULL &&
         fread(stored_key, 1, key_length, file) == key_length &&
         memcmp(stored_key, key, key_length) == 0 &&
         fread(binary, 1, (size_t)header.binary_length, file) == header.binary_length &&
         fgetc(file) == EOF &&
         fnv1a(binary, (size_t)header.binary_length, fnv_basis) == header.checksum;
  }
  fclose(file);
  free(stored_key);
  if (!ok) {
    free(binary);
    unlink(path); /* truncated, corrupt or foreign: rebuild from source */
    return NULL;
  }
  *size = (size_t)header.binary_length;
  return binary;
}

int mrank_cache_store(const char *dir, const char *key, const unsigned char *binary, size_t size) {
  char path[4200], temporary[4300];
  if (!entry_path(dir, key, path, sizeof path)) return 0;
  snprintf(temporary, sizeof temporary, "%s.XXXXXX", path);
  int fd = mkstemp(temporary);
  if (fd < 0) return 0;
  FILE *file = fdopen(fd, "wb");
  if (file == NULL) {
    close(fd);
    unlink(temporary);
    return 0;
  }
  entry_header header;
  memcpy(header.magic, magic, sizeof magic);
  header.format = format_version;
  header.key_length = (uint32_t)strlen(key);
  header.binary_length = size;
  header.checksum = fnv1a(binary, size, fnv_basis);
  int ok = fwrite(&header, sizeof header, 1, file) == 1 &&
           fwrite(key, 1, header.key_length, file) == header.key_length &&
           fwrite(binary, 1, size, file) == size && fflush(file) == 0;
  ok = (fclose(file) == 0) && ok;
  if (ok) ok = rename(temporary, path) == 0;
  if (!ok) unlink(temporary);
  return ok;
}
