/* device_traits.h: what mrank must know of a device before it builds a program for it, shared by
 * the library and the tool: the identity that a built binary is tied to, whether the device can
 * compile from source at all, and whether its kernels need their work-group size fixed at build
 * time. */
#ifndef MRANK_DEVICE_TRAITS_H
#define MRANK_DEVICE_TRAITS_H

#include <stddef.h>

#include "mrank.h"

/* Everything a driver's binary depends on besides the source and options: a binary made under
 * one identity is never loaded under another. Newlines are replaced by spaces (one line each). */
typedef struct mrank_device_identity {
  char platform_name[256], platform_version[256];
  char device_name[256], device_version[256];
  char driver_version[256];
} mrank_device_identity;

void mrank_device_identity_read(cl_device_id device, mrank_device_identity *identity);

/* 1 when the device can build programs from source: CL_DEVICE_COMPILER_AVAILABLE, unless
 * MRANK_ASSUME_NO_COMPILER=1 asks mrank to treat it as it would an FPGA (a test switch). */
int mrank_device_has_compiler(cl_device_id device);

/* 1 when every kernel for this device is built with its work-group size as a compile-time
 * attribute (-DMRANK_REQD_WORK_GROUP_SIZE): accelerators (FPGA compilers size the pipeline from
 * it), or any device with MRANK_REQD_WORK_GROUP=1 (to test that the kernels build so). */
int mrank_device_fixes_work_group(cl_device_id device);

/* The device type mrank's choices follow (the kernels' default shape, whether work-group sizes
 * are fixed at build time, the MLP's --gemm auto): CL_DEVICE_TYPE, or the type
 * MRANK_ASSUME_DEVICE_TYPE names (gpu, cpu or accelerator: a test switch, so that a simulator
 * such as Oclgrind, which reports every type at once, runs the GPU's choices). A device that
 * reports several types is taken as a CPU if it is one, else as the first of GPU, accelerator. */
cl_device_type mrank_device_type_for_choices(cl_device_id device);

/* 1 for a set environment switch: present, not empty and not "0". */
int mrank_env_flag(const char *name);

#endif /* MRANK_DEVICE_TRAITS_H */
