/* device.h: the list of OpenCL devices as mrank numbers them (platform:device), and the selector
 * grammar over it. */
#ifndef MRANK_DEVICE_H
#define MRANK_DEVICE_H

#include "errors.h"

typedef struct mrank_device_entry {
  unsigned platform_index;
  unsigned device_index;
  cl_platform_id platform;
  cl_device_id device;
  cl_device_type type;
  char platform_name[256];
  char platform_vendor[256]; /* "The pocl project": a selector may name the vendor too */
  char device_name[256];
} mrank_device_entry;

/* What a selector picks: the CPU reference ("host"), or one OpenCL device. */
typedef struct mrank_device_choice {
  int is_host;
  cl_platform_id platform;
  cl_device_id device;
} mrank_device_choice;
mrank_status mrank_select_device(const char *selector, mrank_device_choice *choice);

/* Every device of every platform that answers; a platform that fails is skipped. *entries is
 * malloc'd (NULL when *count is 0) and freed by the caller. Fails only when allocation fails. */
mrank_status mrank_list_devices(mrank_device_entry **entries, size_t *count);

/* The index into entries that the default policy picks (first GPU, else accelerator, else CPU,
 * else the first device), or count when there is none. */
size_t mrank_default_device(const mrank_device_entry *entries, size_t count);

/* A selector resolved against a device list (no OpenCL call): *chosen is an index into entries.
 * `origin` (e.g. " (from MRANK_DEVICE)") is added to messages. */
mrank_status mrank_resolve_selector(const char *selector, const char *origin,
                                    const mrank_device_entry *entries, size_t count,
                                    size_t *chosen);

/* Whether MRANK_DEVICE is set to a selector of one OpenCL device, and which (*chosen). */
int mrank_environment_device(const mrank_device_entry *entries, size_t count, size_t *chosen);

#endif /* MRANK_DEVICE_H */
