/* fuzz_manifest.c: libFuzzer target for the manifest reader of a binary folder (mrank compile). The
 * parser is static in binary_dir.c, so the file is included whole. */
#define _GNU_SOURCE /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "binary_dir.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  FILE *file = fmemopen((void *)data, size, "r");
  if (file == NULL) return 0;
  manifest m;
  const int bad_line = manifest_parse(file, &m);
  fclose(file);
  if (bad_line == 0) {
    for (size_t k = 0; k < m.count; ++k) {
      if (m.entries[k].name[0] == '\0' || m.entries[k].file[0] == '\0') abort();
    }
    manifest_free(&m);
  } else if (m.entries != NULL || m.count != 0) {
    abort(); /* a refused manifest leaves nothing behind */
  }
  return 0;
}
