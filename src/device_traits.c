/* device_traits.c: the device's identity, compiler and work-group traits (see device_traits.h). */
#include "device_traits.h"

#include <stdlib.h>
#include <string.h>

static void one_line(char *text, size_t capacity) {
  text[capacity - 1] = '\0';
  for (char *c = text; *c != '\0'; ++c) {
    if (*c == '\n' || *c == '\r') *c = ' ';
  }
}

static void platform_text(cl_platform_id platform, cl_platform_info param, char *out,
                          size_t capacity) {
  if (platform == NULL || clGetPlatformInfo(platform, param, capacity, out, NULL) != CL_SUCCESS) {
    out[0] = '\0';
  }
  one_line(out, capacity);
}

static void device_text(cl_device_id device, cl_device_info param, char *out, size_t capacity) {
  if (clGetDeviceInfo(device, param, capacity, out, NULL) != CL_SUCCESS) out[0] = '\0';
  one_line(out, capacity);
}

void mrank_device_identity_read(cl_device_id device, mrank_device_identity *identity) {
  memset(identity, 0, sizeof *identity);
  cl_platform_id platform = NULL;
  if (clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL) != CL_SUCCESS) {
    platform = NULL;
  }
  platform_text(platform, CL_PLATFORM_NAME, identity->platform_name,
                sizeof identity->platform_name);
  platform_text(platform, CL_PLATFORM_VERSION, identity->platform_version,
                sizeof identity->platform_version);
  device_text(device, CL_DEVICE_NAME, identity->device_name, sizeof identity->device_name);
  device_text(device, CL_DEVICE_VERSION, identity->device_version, sizeof identity->device_version);
  device_text(device, CL_DRIVER_VERSION, identity->driver_version, sizeof identity->driver_version);
}

int mrank_env_flag(const char *name) {
  const char *value = getenv(name);
  return value != NULL && value[0] != '\0' && strcmp(value, "0") != 0;
}

int mrank_device_has_compiler(cl_device_id device) {
  if (mrank_env_flag("MRANK_ASSUME_NO_COMPILER")) return 0;
  cl_bool available = CL_FALSE;
  if (clGetDeviceInfo(device, CL_DEVICE_COMPILER_AVAILABLE, sizeof available, &available, NULL) !=
      CL_SUCCESS) {
    return 0;
  }
  return available == CL_TRUE;
}

cl_device_type mrank_device_type_for_choices(cl_device_id device) {
  const char *assumed = getenv("MRANK_ASSUME_DEVICE_TYPE");
  static const struct {
    const char *name;
    cl_device_type type;
  } names[] = {{"gpu", CL_DEVICE_TYPE_GPU},
               {"cpu", CL_DEVICE_TYPE_CPU},
               {"accelerator", CL_DEVICE_TYPE_ACCELERATOR}};
  for (size_t k = 0; assumed != NULL && k < sizeof names / sizeof names[0]; ++k) {
    if (strcmp(assumed, names[k].name) == 0) return names[k].type;
  }
  cl_device_type type = CL_DEVICE_TYPE_CPU;
  if (clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL) != CL_SUCCESS) {
    return CL_DEVICE_TYPE_CPU;
  }
  if (type & CL_DEVICE_TYPE_CPU) return CL_DEVICE_TYPE_CPU;
  if (type & CL_DEVICE_TYPE_GPU) return CL_DEVICE_TYPE_GPU;
  if (type & CL_DEVICE_TYPE_ACCELERATOR) return CL_DEVICE_TYPE_ACCELERATOR;
  return type;
}

int mrank_device_fixes_work_group(cl_device_id device) {
  if (mrank_env_flag("MRANK_REQD_WORK_GROUP")) return 1;
  return mrank_device_type_for_choices(device) == CL_DEVICE_TYPE_ACCELERATOR;
}
