/* host_memory.h: how much host memory a large request may count on, so that a problem that cannot
 * fit is refused up front with its size, instead of being killed by the kernel half way. */
#ifndef MRANK_HOST_MEMORY_H
#define MRANK_HOST_MEMORY_H

#include <stddef.h>

/* The memory available to a new allocation (Linux's MemAvailable, else the physical memory), in
 * bytes; 0 when unknown. */
size_t mrank_host_memory_available(void);

/* a * b + c, or SIZE_MAX when that overflows */
size_t mrank_size_mul_add(size_t a, size_t b, size_t c);

#endif /* MRANK_HOST_MEMORY_H */
