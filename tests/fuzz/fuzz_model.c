/* fuzz_model.c: libFuzzer target for the model-file reader (the input as the file's text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rank/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  rank_model model;
  char error[512] = "";
  if (rank_model_parse("fuzz.model", text, 0, &model, error, sizeof error)) {
    if (model.features == 0 || model.weights == NULL) abort();
    rank_model_free(&model);
  } else if (error[0] == '\0') {
    abort();
  }
  free(text);
  return 0;
}
