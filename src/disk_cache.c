/* disk_cache.c: the on-disk level of the program cache. An entry is
 *   "MRANKPB1" | u32 format | u32 key length | u64 binary length | u64 binary checksum | key |
 * binary written to a temporary file in the same folder and renamed into place. Anything that does
 * not match on load is deleted and rebuilt from source (a corrupt entry must never reach the
 * driver). */
#include "disk_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device_traits.h"
#include "regular_file.h"
#include "trust.h"

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

/* Settings drivers read from the environment that change the binaries they build (options added to
 * every build, the target CPU, the work-group method): a binary built under one is never loaded
 * under another. PoCL's and AMD's; others' take part through the device identity. */
static const char *const driver_build_settings[] = {
    "POCL_EXTRA_BUILD_FLAGS",         "POCL_LLVM_CPU_NAME",       "POCL_WORK_GROUP_METHOD",
    "POCL_WORK_GROUP_SPECIALIZATION", "POCL_MAX_WORK_GROUP_SIZE", "AMD_OCL_BUILD_OPTIONS",
    "AMD_OCL_BUILD_OPTIONS_APPEND"};

/* "NAME=VALUE ..." of those set, into out ("" when none). */
static void injected_settings(char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t k = 0; k < sizeof driver_build_settings / sizeof driver_build_settings[0]; ++k) {
    const char *value = getenv(driver_build_settings[k]);
    if (value == NULL || used >= size) continue;
    const int n = snprintf(out + used, size - used, "%s%s=%s", used > 0 ? " " : "",
                           driver_build_settings[k], value);
    if (n > 0) used += (size_t)n;
  }
}

char *mrank_cache_key(cl_device_id device, const char *family_file, const char *source,
                      const char *options) {
  mrank_device_identity id;
  mrank_device_identity_read(device, &id);
  char injected[2048];
  injected_settings(injected, sizeof injected);
  const uint64_t source_hash = mrank_fnv1a(source, strlen(source), MRANK_FNV_BASIS);
  const char *format =
      "mrank %s\nkernels %s %016llx %zu\noptions %s\nplatform %s | %s\ndevice %s "
      "| %s\ndriver %s\ndriver settings %s\n";
  int length =
      snprintf(NULL, 0, format, mrank_version(), family_file, (unsigned long long)source_hash,
               strlen(source), options, id.platform_name, id.platform_version, id.device_name,
               id.device_version, id.driver_version, injected);
  if (length < 0) return NULL;
  char *key = malloc((size_t)length + 1);
  if (key == NULL) return NULL;
  snprintf(key, (size_t)length + 1, format, mrank_version(), family_file,
           (unsigned long long)source_hash, strlen(source), options, id.platform_name,
           id.platform_version, id.device_name, id.device_version, id.driver_version, injected);
  return key;
}

/* mkdir -p, owner-only, for the folders it creates; each folder it made is checked like the leaf
 * (a folder someone else made in its place between the mkdir and now is caught). 0 with why when
 * a folder cannot be made or cannot be trusted. */
static int make_private_dirs(const char *path, char *why, size_t why_size) {
  char partial[4096];
  size_t length = strlen(path);
  if (length == 0 || length >= sizeof partial) {
    snprintf(why, why_size, "the path is too long");
    return 0;
  }
  memcpy(partial, path, length + 1);
  for (size_t i = 1; i <= length; ++i) {
    if (partial[i] != '/' && partial[i] != '\0') continue;
    char saved = partial[i];
    partial[i] = '\0';
    if (mkdir(partial, 0700) == 0) {
      if (!mrank_path_trusted(partial, 0, why, why_size)) return 0;
    } else if (errno != EEXIST) {
      snprintf(why, why_size, "cannot be created (%s)", strerror(errno));
      return 0;
    }
    partial[i] = saved;
  }
  struct stat info;
  if (stat(path, &info) != 0 || !S_ISDIR(info.st_mode)) {
    snprintf(why, why_size, "is not a folder");
    return 0;
  }
  /* the leaf, whoever made it: only this user may put binaries there */
  return mrank_owner_trusted(&info, 0, why, why_size);
}

int mrank_cache_dir(char *out, size_t capacity, char *why, size_t why_size) {
  out[0] = '\0';
  const char *off = getenv("MRANK_NO_CACHE");
  if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0) return 1;
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
    snprintf(why, why_size,
             "the kernel cache folder's path (%s) is %d characters, more than the %zu a path may "
             "have here; give MRANK_CACHE_DIR a shorter one",
             explicit_dir != NULL && explicit_dir[0] != '\0' ? "MRANK_CACHE_DIR" : "from HOME",
             written, capacity - 1);
    out[0] = '\0';
    return 0;
  }
  char reason[512];
  if (make_private_dirs(out, reason, sizeof reason)) return 1;
  /* a folder that cannot be made stays named: the first store fails and says so once */
  if (strncmp(reason, "cannot be created", 17) == 0 || strcmp(reason, "is not a folder") == 0) {
    return 1;
  }
  struct stat info;
  const int shared = stat(out, &info) == 0 && (info.st_mode & 01000) != 0; /* S_ISVTX */
  if (strncmp(reason, "owned by", 8) == 0) {
    /* another user's folder: not a permission to change, a folder to leave */
    snprintf(why, why_size,
             "the kernel cache folder %s is %s: whoever owns it controls the programs in it; set "
             "MRANK_CACHE_DIR to a private folder of your own (mkdir -m 700 DIR)",
             out, reason);
  } else if (shared) {
    /* /tmp and the like: shared on purpose, so never advise changing its mode */
    snprintf(why, why_size,
             "the kernel cache folder %s is a shared folder (%s, sticky), where another user could "
             "plant code; set MRANK_CACHE_DIR to a private folder of your own (mkdir -m 700 DIR)",
             out, reason);
  } else {
    snprintf(why, why_size,
             "the kernel cache folder %s is %s, so another user could plant code in it; run "
             "'chmod go-w %s' if it is yours, or set MRANK_CACHE_DIR to a private folder of your "
             "own",
             out, reason, out);
  }
  out[0] = '\0';
  return 0;
}

static int entry_path(const char *dir, const char *key, char *path, size_t capacity) {
  const uint64_t a = mrank_fnv1a(key, strlen(key), MRANK_FNV_BASIS);
  const uint64_t b = mrank_fnv1a(key, strlen(key), 0x84222325cbf29ce4ull);
  int written = snprintf(path, capacity, "%s/%016llx%016llx.clbin", dir, (unsigned long long)a,
                         (unsigned long long)b);
  return written > 0 && (size_t)written < capacity;
}

void mrank_cache_remove(const char *dir, const char *key) {
  char path[4200];
  if (entry_path(dir, key, path, sizeof path)) unlink(path);
}

unsigned char *mrank_cache_load(const char *dir, const char *key, size_t *size, char *refused,
                                size_t refused_size) {
  char path[4200];
  refused[0] = '\0';
  if (!entry_path(dir, key, path, sizeof path)) return NULL;
  /* no link is followed, and the checks are made on the opened file itself: nothing can be swapped
   * in between the check and the read */
  struct stat info;
  char why[256] = "not a regular file";
  const int fd = mrank_open_regular(path, 1, &info, why, sizeof why);
  if (fd < 0) {
    /* a link, or something that is not a regular file, is refused aloud; a missing entry is not */
    if (errno == ELOOP || errno == EINVAL || errno == ENXIO)
      snprintf(refused, refused_size, "%s %s", path, why);
    return NULL;
  }
  if (!mrank_owner_trusted(&info, 0, why, sizeof why)) {
    snprintf(refused, refused_size, "%s is %s", path, why);
    close(fd);
    return NULL;
  }
  FILE *file = fdopen(fd, "rb");
  if (file == NULL) {
    close(fd);
    return NULL;
  }
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
         mrank_fnv1a(binary, (size_t)header.binary_length, MRANK_FNV_BASIS) == header.checksum;
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
  header.checksum = mrank_fnv1a(binary, size, MRANK_FNV_BASIS);
  int ok = fwrite(&header, sizeof header, 1, file) == 1 &&
           fwrite(key, 1, header.key_length, file) == header.key_length &&
           fwrite(binary, 1, size, file) == size && fflush(file) == 0;
  ok = (fclose(file) == 0) && ok;
  if (ok) ok = rename(temporary, path) == 0;
  if (!ok) unlink(temporary);
  return ok;
}
