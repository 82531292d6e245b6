/* fuzz_shape.c: libFuzzer target for the kernel-shape text (MRANK_VARIANT, the stored autotune
 * choice): anything parses to a valid shape or is refused with a reason, and a parsed shape prints
 * back to a text that parses to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char text[300];
  if (size >= sizeof text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  mrank_shape shape, again;
  char why[256] = "", formatted[96];
  if (mrank_shape_parse(text, &shape, why, sizeof why)) {
    if (shape.vw > shape.epw || shape.wg == 0 || (shape.wg & (shape.wg - 1)) != 0) abort();
    mrank_shape_format(&shape, formatted, sizeof formatted);
    if (!mrank_shape_parse(formatted, &again, why, sizeof why)) abort();
    if (memcmp(&shape, &again, sizeof shape) != 0) abort();
  } else if (why[0] == '\0') {
    abort(); /* a refusal always says why */
  }
  return 0;
}
