/* device_info.c: the device listing for C callers and `mrank devices`: every property a user needs
 * to pick a device, read from the driver. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "device_traits.h"

static void device_text(cl_device_id device, cl_device_info param, char *out, size_t capacity) {
  out[0] = '\0';
  size_t needed = 0;
  if (clGetDeviceInfo(device, param, 0, NULL, &needed) != CL_SUCCESS || needed == 0) return;
  if (needed <= capacity) {
    if (clGetDeviceInfo(device, param, capacity, out, NULL) != CL_SUCCESS) out[0] = '\0';
    out[capacity - 1] = '\0';
    return;
  }
  char *whole = malloc(needed); /* longer than the field: keep its start */
  if (whole != NULL && clGetDeviceInfo(device, param, needed, whole, NULL) == CL_SUCCESS) {
    memcpy(out, whole, capacity - 1);
    out[capacity - 1] = '\0';
  }
  free(whole);
}

static const char *type_name(cl_device_type type) {
  if (type & CL_DEVICE_TYPE_GPU) return "GPU";
  if (type & CL_DEVICE_TYPE_ACCELERATOR) return "ACCELERATOR";
  if (type & CL_DEVICE_TYPE_CPU) return "CPU";
  return "CUSTOM";
}

static void fill(const mrank_device_entry *entry, mrank_device_info *info) {
  cl_device_id device = entry->device;
  cl_uint units = 0, width = 0;
  cl_ulong global = 0, alloc = 0, local = 0;
  cl_bool unified = CL_FALSE;
  cl_device_fp_config doubles = 0;
  memset(info, 0, sizeof *info);
  info->platform_index = entry->platform_index;
  info->device_index = entry->device_index;
  snprintf(info->selector, sizeof info->selector, "%u:%u", entry->platform_index,
           entry->device_index);
  snprintf(info->type, sizeof info->type, "%s", type_name(entry->type));
  memcpy(info->platform_name, entry->platform_name, sizeof info->platform_name);
  memcpy(info->name, entry->device_name, sizeof info->name);
  if (clGetPlatformInfo(entry->platform, CL_PLATFORM_VERSION, sizeof info->platform_version,
                        info->platform_version, NULL) != CL_SUCCESS) {
    info->platform_version[0] = '\0';
  }
  info->platform_version[sizeof info->platform_version - 1] = '\0';
  device_text(device, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
  device_text(device, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
  device_text(device, CL_DEVICE_VERSION, info->device_version, sizeof info->device_version);
  device_text(device, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version,
              sizeof info->opencl_c_version);
  device_text(device, CL_DEVICE_EXTENSIONS, info->extensions, sizeof info->extensions);
  if (clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL) ==
      CL_SUCCESS) {
    info->compute_units = units;
  }
  if (clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL) ==
      CL_SUCCESS) {
    info->global_memory_bytes = global;
  }
  if (clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL) ==
      CL_SUCCESS) {
    info->max_allocation_bytes = alloc;
  }
  if (clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL) == CL_SUCCESS) {
    info->local_memory_bytes = local;
  }
  if (clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof info->max_work_group_size,
                      &info->max_work_group_size, NULL) != CL_SUCCESS) {
    info->max_work_group_size = 0;
  }
  if (clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof width, &width, NULL) ==
      CL_SUCCESS) {
    info->preferred_float_vector_width = width;
  }
  if (clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL) ==
      CL_SUCCESS) {
    info->host_unified_memory = unified == CL_TRUE;
  }
  if (clGetDeviceInfo(device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof doubles, &doubles, NULL) !=
      CL_SUCCESS) {
    doubles = 0;
  }
  info->fp64 = doubles != 0 || strstr(info->extensions, "cl_khr_fp64") != NULL;
  info->fp16 = strstr(info->extensions, "cl_khr_fp16") != NULL;
  cl_device_fp_config singles = 0, halves = 0;
  if (clGetDeviceInfo(device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof singles, &singles, NULL) !=
      CL_SUCCESS) {
    singles = 0;
  }
  /* CL_DEVICE_HALF_FP_CONFIG (0x1033) is cl_khr_fp16's: asked only where the extension is */
  if (!info->fp16 || clGetDeviceInfo(device, 0x1033, sizeof halves, &halves, NULL) != CL_SUCCESS) {
    halves = 0;
  }
  info->single_fp_config = singles;
  info->double_fp_config = doubles;
  info->half_fp_config = halves;
  info->denormals = (singles & CL_FP_DENORM) != 0;
  info->compiler_available = mrank_device_has_compiler(device);
}

mrank_status mrank_device_count(size_t *count) {
  mrank_clear_error();
  if (count == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_device_count: count is NULL; pass the address of a size_t");
  }
  mrank_device_entry *entries = NULL;
  mrank_status status = mrank_list_devices(&entries, count);
  free(entries);
  return status;
}

mrank_status mrank_device_describe(size_t index, mrank_device_info *info) {
  mrank_clear_error();
  if (info == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_device_describe: info is NULL; pass an mrank_device_info to fill");
  }
  mrank_device_entry *entries = NULL;
  size_t count = 0;
  mrank_status status = mrank_list_devices(&entries, &count);
  if (status != MRANK_SUCCESS) return status;
  if (index >= count) {
    free(entries);
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "mrank_device_describe: index %zu is out of range: there are %zu devices "
                      "(see mrank_device_count)",
                      index, count);
  }
  fill(&entries[index], info);
  info->is_default = mrank_default_device(entries, count) == index;
  size_t chosen = count;
  if (mrank_environment_device(entries, count, &chosen) && chosen == index) {
    info->is_environment_choice = 1;
  }
  free(entries);
  mrank_clear_error();
  return MRANK_SUCCESS;
}
