/* roofline.h: the reference kernels of `mrank bench`: a streaming kernel with the loads and stores
 * of an operation (clpeak's method: plain float and float4, the faster one counts) and an empty
 * kernel for the launch round trip. */
#ifndef MRANK_CLI_ROOFLINE_H
#define MRANK_CLI_ROOFLINE_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stddef.h>

typedef struct roofline {
  cl_context context;
  cl_device_id device;
  cl_command_queue queue;      /* with profiling */
  size_t local;                /* work-group size: 256, or the device's limit */
  cl_program program[2][5][4]; /* [float, float4][loads 0..4][stores 0..3], built on demand */
  cl_kernel kernel[2][5][4];
  cl_kernel empty;
  cl_program empty_program;
  int cache_warned;     /* the one warning about an unwritable kernel cache was given */
  int fixed_work_group; /* built for exactly `local` work-items a group (accelerators) */
} roofline;

/* The build options of kernels/roofline.cl for one (float or float4, loads, stores) on this device
 * (`mrank compile` builds the same), and the work-group size its launches use. */
void roofline_program_options(cl_device_id device, int vector, int loads, int stores, char *options,
                              size_t size);
size_t roofline_local_size(cl_device_id device);

/* 0 and a message on stderr when the kernels cannot be built */
int roofline_init(roofline *r, cl_context context, cl_device_id device, cl_command_queue queue);
void roofline_release(roofline *r);
/* Enqueues one pass over n floats with `loads` input buffers and `stores` output buffers (n a
 * multiple of 4 for float4); event gets the kernel's event. */
int roofline_enqueue(roofline *r, int vector, int loads, int stores, size_t n, cl_mem *inputs,
                     cl_mem *outputs, cl_event *event);
int roofline_enqueue_empty(roofline *r);

#endif /* MRANK_CLI_ROOFLINE_H */
