/* fuzz_selector.c: libFuzzer target for the device selector grammar, one device and sets of them
 * ("all", "cpu:all", "0:0,1:0"), resolved against a fixed list of devices (two platforms, three
 * devices, odd names), with no OpenCL call. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "device_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mrank_device_entry entries[3];
  static int ready = 0;
  if (!ready) {
    const char *platforms[] = {"Portable Computing Language", "Portable Computing Language",
                               "NVIDIA CUDA"};
    const char *vendors[] = {"The pocl project", "The pocl project", "NVIDIA Corporation"};
    const char *names[] = {"pthread-cpu", "basic-cpu", "NVIDIA H100 80GB HBM3 \"\\x\xc3\xa9"};
    const cl_device_type types[] = {CL_DEVICE_TYPE_CPU, CL_DEVICE_TYPE_CPU, CL_DEVICE_TYPE_GPU};
    for (int i = 0; i < 3; ++i) {
      entries[i].platform_index = i < 2 ? 0 : 1;
      entries[i].device_index = i < 2 ? (unsigned)i : 0;
      entries[i].type = types[i];
      strcpy(entries[i].platform_name, platforms[i]);
      strcpy(entries[i].platform_vendor, vendors[i]);
      strcpy(entries[i].device_name, names[i]);
    }
    ready = 1;
  }
  char *selector = malloc(size + 1);
  if (selector == NULL) return 0;
  memcpy(selector, data, size);
  selector[size] = '\0';
  size_t chosen = 99;
  const mrank_status status = mrank_resolve_selector(selector, "", entries, 3, &chosen);
  if (status == MRANK_SUCCESS && chosen >= 3) abort();
  if (status != MRANK_SUCCESS && mrank_last_error()[0] == '\0') abort();
  size_t set[MRANK_MAX_DEVICES], count = 99;
  const mrank_status set_status = mrank_resolve_device_set(selector, "", entries, 3, set, &count);
  if (set_status == MRANK_SUCCESS) {
    if (count == 0 || count > 3) abort();
    for (size_t k = 0; k < count; ++k) {
      if (set[k] >= 3) abort();
      for (size_t j = 0; j < k; ++j)
        if (set[j] == set[k]) abort(); /* each device once */
    }
  } else if (mrank_last_error()[0] == '\0') {
    abort();
  }
  free(selector);
  return 0;
}
