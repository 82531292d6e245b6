/* roofline.c: the streaming kernels `mrank bench` compares the operation with. Each reads `LOADS`
 * arrays and writes `STORES` arrays, one element (or float4) per work-item, like the operation's
 * own kernels; with no store it keeps its loads alive through a test that never holds. */
#include "cli/roofline.h"

#include <stdio.h>
#include <string.h>

static const char source[] =
    "#if WIDTH == 4\n"
    "typedef float4 vec;\n"
    "#define LANES(v) ((v).x + (v).y + (v).z + (v).w)\n"
    "#else\n"
    "typedef float vec;\n"
    "#define LANES(v) (v)\n"
    "#endif\n"
    "__kernel void stream(__global const vec *a, __global const vec *b, __global const vec *c,\n"
    "                     __global const vec *d, __global vec *o0, __global vec *o1,\n"
    "                     __global vec *o2, ulong count) {\n"
    "  const size_t i = get_global_id(0);\n"
    "  if (i >= count) return;\n"
    "  vec s = a[i];\n"
    "#if LOADS > 1\n"
    "  s += b[i];\n"
    "#endif\n"
    "#if LOADS > 2\n"
    "  s += c[i];\n"
    "#endif\n"
    "#if LOADS > 3\n"
    "  s += d[i];\n"
    "#endif\n"
    "#if STORES == 0\n"
    "  if (LANES(s) == -1.2345e-30f) o0[0] = s;\n"
    "#endif\n"
    "#if STORES > 0\n"
    "  o0[i] = s;\n"
    "#endif\n"
    "#if STORES > 1\n"
    "  o1[i] = s * 2.0f;\n"
    "#endif\n"
    "#if STORES > 2\n"
    "  o2[i] = s * 3.0f;\n"
    "#endif\n"
    "}\n"
    "__kernel void empty(void) {}\n";

static cl_program build(roofline *r, const char *options) {
  cl_int err;
  const char *text = source;
  cl_program program = clCreateProgramWithSource(r->context, 1, &text, NULL, &err);
  if (err != CL_SUCCESS) return NULL;
  if (clBuildProgram(program, 1, &r->device, options, NULL, NULL) != CL_SUCCESS) {
    char log[4096] = "";
    clGetProgramBuildInfo(program, r->device, CL_PROGRAM_BUILD_LOG, sizeof log, log, NULL);
    log[sizeof log - 1] = '\0';
    fprintf(stderr, "mrank bench: the roofline kernel did not build (%s):\n%s\n", options, log);
    clReleaseProgram(program);
    return NULL;
  }
  return program;
}

int roofline_init(roofline *r, cl_context context, cl_device_id device, cl_command_queue queue) {
  memset(r, 0, sizeof *r);
  r->context = context;
  r->device = device;
  r->queue = queue;
  r->local = 256;
  size_t limit = 0;
  if (clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof limit, &limit, NULL) ==
          CL_SUCCESS &&
      limit < r->local) {
    r->local = limit;
  }
  r->empty_program = build(r, "-DWIDTH=1 -DLOADS=1 -DSTORES=1");
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
    char options[96];
    snprintf(options, sizeof options, "-DWIDTH=%d -DLOADS=%d -DSTORES=%d", vector ? 4 : 1, loads,
             stores);
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
  const size_t one = 1;
  return clEnqueueNDRangeKernel(r->queue, r->empty, 1, NULL, &one, &one, 0, NULL, NULL) ==
         CL_SUCCESS;
}
