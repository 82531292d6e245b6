/* host_memory.c: the host memory a request may count on, and overflow-safe size arithmetic. */
#include "host_memory.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

size_t mrank_host_memory_available(void) {
  FILE *file = fopen("/proc/meminfo", "r");
  if (file != NULL) {
    char line[256];
    unsigned long long kib = 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, file) != NULL) {
      found = sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
    }
    fclose(file);
    if (found) return kib > SIZE_MAX / 1024 ? SIZE_MAX : (size_t)kib * 1024;
  }
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGE_SIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) return mrank_size_mul_add((size_t)pages, (size_t)page, 0);
#endif
  return 0;
}

size_t mrank_size_mul_add(size_t a, size_t b, size_t c) {
  if (b != 0 && a > (SIZE_MAX - c) / b) return SIZE_MAX;
  return a * b + c;
}
