/* fuzz_model_string.c: libFuzzer target for mrank_model_from_string, the public reader of a model's
 * text (what bindings pickle): a text it takes is written back by mrank_model_to_string, and that
 * text reads back to the same text; one it refuses says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mrank_rank.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  mrank_model *model = NULL, *again = NULL;
  if (mrank_model_from_string(text, &model) != MRANK_SUCCESS) {
    if (model != NULL || mrank_last_error()[0] == '\0') abort();
    free(text);
    return 0;
  }
  char *written = NULL, *rewritten = NULL;
  if (mrank_model_to_string(model, &written) != MRANK_SUCCESS ||
      mrank_model_from_string(written, &again) != MRANK_SUCCESS ||
      mrank_model_to_string(again, &rewritten) != MRANK_SUCCESS ||
      strcmp(written, rewritten) != 0) {
    abort();
  }
  mrank_string_free(written);
  mrank_string_free(rewritten);
  mrank_model_destroy(again);
  mrank_model_destroy(model);
  free(text);
  return 0;
}
