/* fuzz_groups.c: libFuzzer target for the LightGBM group-file reader, against a fixed 12-document
 * data file (so that valid group files exist: counts adding up to 12). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rank/dataset.h"

static const char documents[] =
    "1 1:1\n0 2:1\n2 1:0.5\n0 3:1\n1 1:1\n0 2:1\n2 1:0.5\n0 3:1\n1 1:1\n0 2:1\n2 1:0.5\n0 3:1\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rank_dataset d;
  char error[512] = "";
  /* an empty group file is a real input too (it adds up to 0 of 12) */
  const char *groups = size > 0 ? (const char *)data : "";
  if (rank_dataset_parse("fuzz.txt", documents, strlen(documents), "fuzz.query", groups, size, 0,
                         &d, error, sizeof error)) {
    if (d.queries == 0 || d.query_start[d.queries] != 12) abort();
    rank_dataset_free(&d);
  } else if (error[0] == '\0') {
    abort();
  }
  return 0;
}
