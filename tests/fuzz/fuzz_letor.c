/* fuzz_letor.c: libFuzzer target for the SVMlight / LETOR reader. The first byte picks a --features
 * cap (0: the largest index seen), the rest is the file. Nothing may crash, leak or read out of
 * bounds; a rejected file must come with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rank/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  rank_dataset d;
  char error[512] = "";
  const size_t features = data[0] % 4 == 0 ? 0 : data[0];
  if (rank_dataset_parse("fuzz", (const char *)data + 1, size - 1, NULL, NULL, 0, features, &d,
                         error, sizeof error)) {
    rank_dataset_free(&d);
  } else if (error[0] == '\0') {
    abort(); /* a refusal without a message */
  }
  return 0;
}
