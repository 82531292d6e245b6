/* roofline.c: the streaming kernels of kernels/roofline.cl that `mrank bench` compares the
 * operation with, built on demand for each (width, loads, stores) through the program builder. */
#include "cli/roofline.h"

#include <stdio.h>
#include <string.h>

#include "binary_dir.h"
#include "device_traits.h"
#include "disk_cache.h"
#include "program_builder.h"

size_t roofline_local_size(cl_device_id device) {
  size_t local = 256, limit = 0;
  if (clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof limit, &limit, NULL) ==
          CL_SUCCESS &&
      limit < local) {
    local = limit;
  }
  return local;
}

void roofline_program_options(cl_device_id device, int vector, int loads, int stores, char *options,
                              size_t size) {
  const int written =
      snprintf(options, size, "-DWIDTH=%d -DLOADS=%d -DSTORES=%d", vector ? 4 : 1, loads, stores);
  if (written > 0 && (size_t)written < size && mrank_device_fixes_work_group(device)) {
    snprintf(options + written, size - (size_t)written, " -DMRANK_REQD_WORK_GROUP_SIZE=%zu",
             roofline_local_size(device));
  }
}

static cl_program build(roofline *r, const char *options) {
  char cache_dir[4096], message[8192];
  char untrusted[8192]; /* the library's context has warned about an untrusted folder already */
  mrank_cache_dir(cache_dir, sizeof cache_dir, untrusted, sizeof untrusted);
  const mrank_program_request request = {.context = r->context,
                                         .device = r->device,
                                         .file_name = "roofline.cl",
                                         .embedded = mrank_tool_kernels,
                                         .embedded_count = mrank_tool_kernels_count,
                                         .options = options,
                                         .cache_dir = cache_dir,
                                         .cache_warned = &r->cache_warned,
                                         .binary_dir = mrank_binary_dir_setting()};
  cl_program program = NULL;
  mrank_program_origin origin;
  if (mrank_program_build(&request, &program, &origin, message, sizeof message) != MRANK_SUCCESS) {
    fprintf(stderr, "mrank bench: the roofline kernel did not build: %s\n", message);
    return NULL;
  }
  return program;
}

int roofline_init(roofline *r, cl_context context, cl_device_id device, cl_command_queue queue) {
  memset(r, 0, sizeof *r);
  r->context = context;
  r->device = device;
  r->queue = queue;
  r->local = roofline_local_size(device);
  r->fixed_work_group = mrank_device_fixes_work_group(device);
  char options[128];
  roofline_program_options(device, 0, 1, 1, options, sizeof options);
  r->empty_program = build(r, options);
  if (r->empty_program == NULL) return 0;
  cl_int err;
  r->empty = clCreateKernel(r->empty_program, "empty", &err);
  return err == CL_SUCCESS;
}

void roofline_release(roofline *r) {
  for (int v = 0; v < 2; ++v) {
    for (int l = 0; l < 5; ++l) {
      for (int s = 0; s < 4; ++s) {
        if (r->kernel[v][l][s] != NULL) clReleaseKernel(r->kernel[v][l][s]);
        if (r->program[v][l][s] != NULL) clReleaseProgram(r->program[v][l][s]);
      }
    }
  }
  if (r->empty != NULL) clReleaseKernel(r->empty);
  if (r->empty_program != NULL) clReleaseProgram(r->empty_program);
}

int roofline_enqueue(roofline *r, int vector, int loads, int stores, size_t n, cl_mem *inputs,
                     cl_mem *outputs, cl_event *event) {
  if (loads < 1 || loads > 4 || stores < 0 || stores > 3) return 0;
  cl_kernel *kernel = &r->kernel[vector][loads][stores];
  if (*kernel == NULL) {
    char options[128];
    roofline_program_options(r->device, vector, loads, stores, options, sizeof options);
    r->program[vector][loads][stores] = build(r, options);
    if (r->program[vector][loads][stores] == NULL) return 0;
    cl_int err;
    *kernel = clCreateKernel(r->program[vector][loads][stores], "stream", &err);
    if (err != CL_SUCCESS) return 0;
  }
  const cl_ulong count = vector ? n / 4 : n;
  for (int a = 0; a < 4; ++a)
    clSetKernelArg(*kernel, (cl_uint)a, sizeof(cl_mem), &inputs[a]);
  for (int o = 0; o < 3; ++o)
    clSetKernelArg(*kernel, (cl_uint)(4 + o), sizeof(cl_mem), &outputs[o]);
  clSetKernelArg(*kernel, 7, sizeof count, &count);
  const size_t local = r->local;
  const size_t global = (count + local - 1) / local * local;
  return clEnqueueNDRangeKernel(r->queue, *kernel, 1, NULL, &global, &local, 0, NULL, event) ==
         CL_SUCCESS;
}

int roofline_enqueue_empty(roofline *r) {
  /* one work-item, or the one work-group size the kernel was built for */
  const size_t items = r->fixed_work_group ? r->local : 1;
  return clEnqueueNDRangeKernel(r->queue, r->empty, 1, NULL, &items, &items, 0, NULL, NULL) ==
         CL_SUCCESS;
}
