/* disk_cache.h: program binaries on disk, keyed by everything that can change them (kernel source,
 * build options, mrank version, platform, device and driver version). */
#ifndef MRANK_DISK_CACHE_H
#define MRANK_DISK_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "mrank.h"

/* FNV-1a, 64 bits: the cache's and the binary folder's file names and checksums (they catch
 * corruption and mix-ups, not attacks: trust rests on the files' owners). */
#define MRANK_FNV_BASIS 0xcbf29ce484222325ull
static inline uint64_t mrank_fnv1a(const void *data, size_t size, uint64_t hash) {
  const unsigned char *bytes = data;
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

/* The key text of one program build: mrank's version, the source, the options passed, the device's
 * identity, and the settings a driver reads from the environment that change what it builds
 * (PoCL's and AMD's: disk_cache.c lists them); the file name is a hash of it and the entry stores
 * it whole, so a hash collision is a miss, never a wrong binary. Returns a malloc'd string or NULL.
 */
char *mrank_cache_key(cl_device_id device, const char *family_file, const char *source,
                      const char *options);

/* The folder in use ($MRANK_CACHE_DIR, $XDG_CACHE_HOME/mrank, ~/.cache/mrank; the folders it
 * creates are 0700), or "" when the disk cache is off (MRANK_NO_CACHE=1, no HOME). 0, with "" and
 * the reason in `why`, when the folder (or one mrank created) is not owned by the effective user or
 * is writable by group or others: its binaries could be someone else's, and the caller warns once
 * and goes on without the disk cache. */
int mrank_cache_dir(char *out, size_t capacity, char *why, size_t why_size);

/* A binary for the key, or NULL: absent, unreadable, corrupt, or another key (a bad entry is
 * deleted). *size gets its length. The caller frees it. An entry that is a symbolic link, not a
 * regular file, not owned by the effective user or writable by group or others is not loaded:
 * `refused` then says why (else it is ""). */
unsigned char *mrank_cache_load(const char *dir, const char *key, size_t *size, char *refused,
                                size_t refused_size);
/* Writes the entry through a temporary file and a rename, so no reader sees half of it. Returns 0
 * on failure (the caller warns once and goes on without a disk cache). */
int mrank_cache_store(const char *dir, const char *key, const unsigned char *binary, size_t size);
void mrank_cache_remove(const char *dir, const char *key);

#endif /* MRANK_DISK_CACHE_H */
