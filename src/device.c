/* device.c: enumerate OpenCL devices and resolve a selector string ("gpu", "1:0", "pocl", "host")
 * to one of them. */
#include "device.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pocl_hint.h"

static const char *const install_hint =
    "install an OpenCL driver (on Debian: apt-get install pocl-opencl-icd for the CPU, or your GPU "
    "vendor's OpenCL package), or pass the selector \"host\" to run the CPU reference";

static void read_string_info(cl_int (*get)(void *, cl_uint, size_t, void *, size_t *), void *object,
                             cl_uint param, char *out, size_t capacity) {
  out[0] = '\0';
  if (get(object, param, capacity, out, NULL) != CL_SUCCESS) out[0] = '\0';
  out[capacity - 1] = '\0';
}

static cl_int platform_info(void *object, cl_uint param, size_t size, void *value, size_t *ret) {
  return clGetPlatformInfo((cl_platform_id)object, param, size, value, ret);
}

static cl_int device_info(void *object, cl_uint param, size_t size, void *value, size_t *ret) {
  return clGetDeviceInfo((cl_device_id)object, param, size, value, ret);
}

static mrank_status append_platform(cl_platform_id platform, unsigned platform_index,
                                    mrank_device_entry **entries, size_t *count) {
  cl_uint device_count = 0;
  if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &device_count) != CL_SUCCESS ||
      device_count == 0) {
    return MRANK_SUCCESS; /* a platform without devices, or one that does not answer */
  }
  cl_device_id *devices = malloc(device_count * sizeof *devices);
  mrank_device_entry *grown = realloc(*entries, (*count + device_count) * sizeof **entries);
  if (devices == NULL || grown == NULL) {
    free(devices);
    if (grown != NULL) *entries = grown;
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "listing OpenCL devices: out of host memory");
  }
  *entries = grown;
  if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, device_count, devices, NULL) != CL_SUCCESS) {
    free(devices);
    return MRANK_SUCCESS;
  }
  char platform_name[256], platform_vendor[256];
  read_string_info(platform_info, platform, CL_PLATFORM_NAME, platform_name, sizeof platform_name);
  read_string_info(platform_info, platform, CL_PLATFORM_VENDOR, platform_vendor,
                   sizeof platform_vendor);
  for (cl_uint d = 0; d < device_count; ++d) {
    mrank_device_entry *entry = &grown[*count + d];
    memset(entry, 0, sizeof *entry);
    entry->platform_index = platform_index;
    entry->device_index = d;
    entry->platform = platform;
    entry->device = devices[d];
    if (clGetDeviceInfo(devices[d], CL_DEVICE_TYPE, sizeof entry->type, &entry->type, NULL) !=
        CL_SUCCESS) {
      entry->type = 0;
    }
    memcpy(entry->platform_name, platform_name, sizeof platform_name);
    memcpy(entry->platform_vendor, platform_vendor, sizeof platform_vendor);
    read_string_info(device_info, devices[d], CL_DEVICE_NAME, entry->device_name,
                     sizeof entry->device_name);
  }
  *count += device_count;
  free(devices);
  return MRANK_SUCCESS;
}

/* The first enumeration is not thread-safe below mrank: the ICD loader (ocl-icd 2.3) loads its
 * vendors on the first clGetPlatformIDs, and PoCL sets up its devices on the first clGetDeviceIDs;
 * two threads making those first calls at once see no platform, or read a device name not yet set
 * and crash (seen with 8 threads). So the first walk over platforms and devices is made once, under
 * pthread_once; later calls only read what is set up. This flag is the one piece of process-wide
 * state besides the thread-local error message. */
static pthread_once_t platforms_loaded = PTHREAD_ONCE_INIT;

static void load_platforms(void) {
  cl_uint platform_count = 0;
  if (clGetPlatformIDs(0, NULL, &platform_count) != CL_SUCCESS || platform_count == 0) return;
  cl_platform_id *platforms = malloc(platform_count * sizeof *platforms);
  if (platforms == NULL || clGetPlatformIDs(platform_count, platforms, NULL) != CL_SUCCESS) {
    free(platforms);
    return;
  }
  for (cl_uint p = 0; p < platform_count; ++p) {
    cl_uint device_count = 0;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &device_count) != CL_SUCCESS) {
      continue;
    }
    cl_device_id *devices = malloc((device_count + 1) * sizeof *devices);
    if (devices != NULL && clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, device_count, devices,
                                          NULL) == CL_SUCCESS) {
      for (cl_uint d = 0; d < device_count; ++d) {
        char name[256];
        (void)clGetDeviceInfo(devices[d], CL_DEVICE_NAME, sizeof name, name, NULL);
      }
    }
    free(devices);
  }
  free(platforms);
}

mrank_status mrank_list_devices(mrank_device_entry **entries, size_t *count) {
  *entries = NULL;
  *count = 0;
  pthread_once(&platforms_loaded, load_platforms);
  cl_uint platform_count = 0;
  if (clGetPlatformIDs(0, NULL, &platform_count) != CL_SUCCESS || platform_count == 0) {
    return MRANK_SUCCESS; /* no ICD installed: CL_PLATFORM_NOT_FOUND_KHR */
  }
  cl_platform_id *platforms = malloc(platform_count * sizeof *platforms);
  if (platforms == NULL) {
    return mrank_fail(MRANK_ERROR_OUT_OF_MEMORY, "listing OpenCL platforms: out of host memory");
  }
  mrank_status status = MRANK_SUCCESS;
  if (clGetPlatformIDs(platform_count, platforms, NULL) == CL_SUCCESS) {
    for (cl_uint p = 0; p < platform_count && status == MRANK_SUCCESS; ++p) {
      status = append_platform(platforms[p], p, entries, count);
    }
  }
  free(platforms);
  if (status != MRANK_SUCCESS) {
    free(*entries);
    *entries = NULL;
    *count = 0;
  }
  return status;
}

static size_t first_of_type(const mrank_device_entry *entries, size_t count, cl_device_type type) {
  for (size_t i = 0; i < count; ++i) {
    if (entries[i].type & type) return i;
  }
  return count;
}

size_t mrank_default_device(const mrank_device_entry *entries, size_t count) {
  static const cl_device_type preference[] = {CL_DEVICE_TYPE_GPU, CL_DEVICE_TYPE_ACCELERATOR,
                                              CL_DEVICE_TYPE_CPU};
  for (size_t p = 0; p < sizeof preference / sizeof preference[0]; ++p) {
    size_t found = first_of_type(entries, count, preference[p]);
    if (found < count) return found;
  }
  return count > 0 ? 0 : count;
}

static int equals_ignoring_case(const char *a, const char *b) {
  for (; *a && *b; ++a, ++b) {
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
  }
  return *a == *b;
}

static int contains_ignoring_case(const char *haystack, const char *needle) {
  size_t needle_length = strlen(needle);
  for (; *haystack; ++haystack) {
    size_t k = 0;
    while (k < needle_length && haystack[k] &&
           tolower((unsigned char)haystack[k]) == tolower((unsigned char)needle[k])) {
      ++k;
    }
    if (k == needle_length) return 1;
  }
  return needle_length == 0;
}

/* "P:D" with decimal indices and nothing else. */
static int parse_index_pair(const char *text, unsigned *platform, unsigned *device) {
  char *end = NULL;
  if (!isdigit((unsigned char)text[0])) return 0;
  unsigned long p = strtoul(text, &end, 10);
  if (*end != ':' || !isdigit((unsigned char)end[1])) return 0;
  unsigned long d = strtoul(end + 1, &end, 10);
  if (*end != '\0' || p > 0xffffu || d > 0xffffu) return 0;
  *platform = (unsigned)p;
  *device = (unsigned)d;
  return 1;
}

static void append_device_list(const mrank_device_entry *entries, size_t count,
                               const char *selector_filter) {
  for (size_t i = 0; i < count; ++i) {
    if (selector_filter != NULL &&
        !contains_ignoring_case(entries[i].platform_name, selector_filter) &&
        !contains_ignoring_case(entries[i].platform_vendor, selector_filter) &&
        !contains_ignoring_case(entries[i].device_name, selector_filter)) {
      continue;
    }
    mrank_append_error("\n  %u:%u  %s (%s)", entries[i].platform_index, entries[i].device_index,
                       entries[i].device_name, entries[i].platform_name);
  }
}

mrank_status mrank_resolve_selector(const char *selector, const char *origin,
                                    const mrank_device_entry *entries, size_t count,
                                    size_t *chosen) {
  if (count == 0) {
    char hint[4500];
    if (mrank_pocl_cache_hint(hint, sizeof hint)) {
      return mrank_fail(MRANK_ERROR_DEVICE_NOT_FOUND, "no OpenCL device was found: %s", hint);
    }
    return mrank_fail(MRANK_ERROR_DEVICE_NOT_FOUND,
                      "no OpenCL platform with a device was found; %s", install_hint);
  }
  static const struct {
    const char *name;
    cl_device_type type;
  } types[] = {{"gpu", CL_DEVICE_TYPE_GPU},
               {"cpu", CL_DEVICE_TYPE_CPU},
               {"accelerator", CL_DEVICE_TYPE_ACCELERATOR}};
  if (selector[0] == '\0') {
    *chosen = mrank_default_device(entries, count);
    return MRANK_SUCCESS;
  }
  for (size_t t = 0; t < sizeof types / sizeof types[0]; ++t) {
    if (!equals_ignoring_case(selector, types[t].name)) continue;
    *chosen = first_of_type(entries, count, types[t].type);
    if (*chosen < count) return MRANK_SUCCESS;
    mrank_fail(MRANK_ERROR_DEVICE_NOT_FOUND,
               "device selector \"%s\"%s: no %s device is present; the devices are:", selector,
               origin, types[t].name);
    append_device_list(entries, count, NULL);
    return MRANK_ERROR_DEVICE_NOT_FOUND;
  }
  unsigned platform_index, device_index;
  if (parse_index_pair(selector, &platform_index, &device_index)) {
    for (size_t i = 0; i < count; ++i) {
      if (entries[i].platform_index == platform_index && entries[i].device_index == device_index) {
        *chosen = i;
        return MRANK_SUCCESS;
      }
    }
    mrank_fail(MRANK_ERROR_DEVICE_NOT_FOUND,
               "device selector \"%s\"%s: there is no device %u on platform %u; the devices are:",
               selector, origin, device_index, platform_index);
    append_device_list(entries, count, NULL);
    return MRANK_ERROR_DEVICE_NOT_FOUND;
  }
  size_t matches = 0;
  for (size_t i = 0; i < count; ++i) {
    if (contains_ignoring_case(entries[i].platform_name, selector) ||
        contains_ignoring_case(entries[i].platform_vendor, selector) ||
        contains_ignoring_case(entries[i].device_name, selector)) {
      if (matches++ == 0) *chosen = i;
    }
  }
  if (matches == 1) return MRANK_SUCCESS;
  if (matches == 0) {
    mrank_fail(MRANK_ERROR_DEVICE_NOT_FOUND,
               "device selector \"%s\"%s matches no device (selectors: gpu, cpu, accelerator, "
               "host, P:D, or part of a platform or device name); the devices are:",
               selector, origin);
    append_device_list(entries, count, NULL);
    return MRANK_ERROR_DEVICE_NOT_FOUND;
  }
  mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
             "device selector \"%s\"%s is ambiguous: it matches %zu devices; pick one by its P:D "
             "index:",
             selector, origin, matches);
  append_device_list(entries, count, selector);
  return MRANK_ERROR_INVALID_ARGUMENT;
}

int mrank_environment_device(const mrank_device_entry *entries, size_t count, size_t *chosen) {
  const char *selector = getenv("MRANK_DEVICE");
  if (selector == NULL || selector[0] == '\0' || equals_ignoring_case(selector, "host")) return 0;
  return mrank_resolve_selector(selector, " (from MRANK_DEVICE)", entries, count, chosen) ==
         MRANK_SUCCESS;
}

mrank_status mrank_select_device(const char *selector, mrank_device_choice *choice) {
  const char *origin = "";
  memset(choice, 0, sizeof *choice);
  if (selector == NULL || selector[0] == '\0') {
    const char *from_env = getenv("MRANK_DEVICE");
    if (from_env != NULL && from_env[0] != '\0') {
      selector = from_env;
      origin = " (from MRANK_DEVICE)";
    } else {
      selector = "";
    }
  }
  if (equals_ignoring_case(selector, "host")) {
    choice->is_host = 1;
    return MRANK_SUCCESS;
  }
  mrank_device_entry *entries = NULL;
  size_t count = 0;
  mrank_status status = mrank_list_devices(&entries, &count);
  size_t chosen = count;
  if (status == MRANK_SUCCESS)
    status = mrank_resolve_selector(selector, origin, entries, count, &chosen);
  if (status == MRANK_SUCCESS) {
    choice->platform = entries[chosen].platform;
    choice->device = entries[chosen].device;
  }
  free(entries);
  return status;
}
