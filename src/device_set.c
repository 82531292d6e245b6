/* device_set.c: selectors of several devices ("all", "gpu:all", "0:0,0:1") for contexts that split
 * their work across devices. */
#include "device_set.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int same_text(const char *a, const char *b, size_t b_length) {
  if (strlen(a) != b_length) return 0;
  for (size_t k = 0; k < b_length; ++k) {
    if (tolower((unsigned char)a[k]) != tolower((unsigned char)b[k])) return 0;
  }
  return 1;
}

static const struct {
  const char *name;
  cl_device_type type;
} set_types[] = {{"all", CL_DEVICE_TYPE_ALL},
                 {"gpu:all", CL_DEVICE_TYPE_GPU},
                 {"cpu:all", CL_DEVICE_TYPE_CPU},
                 {"accelerator:all", CL_DEVICE_TYPE_ACCELERATOR}};

/* The index into set_types of a whole-type selector, or -1. */
static int set_type_of(const char *selector) {
  for (size_t t = 0; t < sizeof set_types / sizeof set_types[0]; ++t) {
    if (same_text(selector, set_types[t].name, strlen(set_types[t].name))) return (int)t;
  }
  return -1;
}

int mrank_selector_is_set(const char *selector) {
  return selector != NULL && (strchr(selector, ',') != NULL || set_type_of(selector) >= 0);
}

static mrank_status add_device(size_t index, const mrank_device_entry *entries, size_t *chosen,
                               size_t *chosen_count, const char *selector, const char *origin) {
  for (size_t k = 0; k < *chosen_count; ++k) {
    if (chosen[k] == index) {
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "device selector \"%s\"%s names device %u:%u (%s) twice; list each device "
                        "once",
                        selector, origin, entries[index].platform_index,
                        entries[index].device_index, entries[index].device_name);
    }
  }
  if (*chosen_count == MRANK_MAX_DEVICES) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "device selector \"%s\"%s names more than %d devices, the most one context "
                      "spans; list fewer",
                      selector, origin, MRANK_MAX_DEVICES);
  }
  chosen[(*chosen_count)++] = index;
  return MRANK_SUCCESS;
}

mrank_status mrank_resolve_device_set(const char *selector, const char *origin,
                                      const mrank_device_entry *entries, size_t count,
                                      size_t *chosen, size_t *chosen_count) {
  mrank_status status = MRANK_SUCCESS;
  *chosen_count = 0;
  const int type = set_type_of(selector);
  if (type >= 0) {
    for (size_t i = 0; i < count && status == MRANK_SUCCESS; ++i) {
      if (entries[i].type & set_types[type].type) {
        status = add_device(i, entries, chosen, chosen_count, selector, origin);
      }
    }
    if (status == MRANK_SUCCESS && *chosen_count == 0) {
      return mrank_fail(MRANK_ERROR_DEVICE_NOT_FOUND,
                        "device selector \"%s\"%s: no such device is present; `mrank devices` "
                        "lists them",
                        selector, origin);
    }
    return status;
  }
  const char *item = selector;
  while (status == MRANK_SUCCESS) {
    const char *comma = strchr(item, ',');
    const size_t length = comma != NULL ? (size_t)(comma - item) : strlen(item);
    char single[256];
    if (length == 0 || length >= sizeof single) {
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "device selector \"%s\"%s has an empty or overlong item; write a comma "
                        "list of single selectors such as 0:0,0:1",
                        selector, origin);
    }
    memcpy(single, item, length);
    single[length] = '\0';
    if (same_text("host", single, length) || set_type_of(single) >= 0) {
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "device selector \"%s\"%s: \"%s\" cannot be part of a list (a list names "
                        "OpenCL devices one by one: gpu, cpu, P:D or part of a name)",
                        selector, origin, single);
    }
    size_t index = count;
    status = mrank_resolve_selector(single, origin, entries, count, &index);
    if (status == MRANK_SUCCESS) {
      status = add_device(index, entries, chosen, chosen_count, selector, origin);
    }
    if (comma == NULL) break;
    item = comma + 1;
  }
  return status;
}

mrank_status mrank_select_device_set(const char *selector, const char *origin,
                                     mrank_device_choice *choices, size_t *chosen_count) {
  mrank_device_entry *entries = NULL;
  size_t count = 0, chosen[MRANK_MAX_DEVICES];
  *chosen_count = 0;
  mrank_status status = mrank_list_devices(&entries, &count);
  if (status == MRANK_SUCCESS && count == 0) {
    size_t unused = 0;
    status = mrank_resolve_selector("", origin, entries, count, &unused); /* says how to install */
  }
  if (status == MRANK_SUCCESS) {
    status = mrank_resolve_device_set(selector, origin, entries, count, chosen, chosen_count);
  }
  for (size_t k = 0; status == MRANK_SUCCESS && k < *chosen_count; ++k) {
    memset(&choices[k], 0, sizeof choices[k]);
    choices[k].platform = entries[chosen[k]].platform;
    choices[k].device = entries[chosen[k]].device;
  }
  free(entries);
  return status;
}
