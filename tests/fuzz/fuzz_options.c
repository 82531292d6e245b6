/* fuzz_options.c: libFuzzer target for the training options parser (mrank_train_options_set's and
 * mrank train's): the input is lines "name=value". Each call either takes the value, and the
 * options then lie in their ranges, or refuses it with a message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rank/config.h"

static void check_ranges(const rank_train_config *c) {
  const rank_options *o = &c->options;
  if (!(o->lr > 0) || !isfinite(o->lr) || !isfinite(o->margin)) abort();
  if (!(o->l2 >= 0 || isnan(o->l2)) || !(o->l1 >= 0) || !isfinite(o->l1)) abort();
  if (!(o->holdout >= 0 && o->holdout <= 0.5) || !(o->momentum >= 0 && o->momentum < 1)) abort();
  if (o->epochs < 1 || o->batch_queries < 1) abort();
  if (!(c->mlp.dropout >= 0 && c->mlp.dropout < 1) || !(c->mlp.weight_decay >= 0)) abort();
  if (c->mlp.shape.layers < 1 || c->mlp.shape.layers > 4 || c->mlp.bins > 64) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  rank_train_config config;
  rank_config_init(&config);
  char *line = text;
  while (line != NULL) {
    char *next = strchr(line, '\n');
    if (next != NULL) *next++ = '\0';
    char *equals = strchr(line, '=');
    if (equals != NULL) *equals = '\0';
    char error[512] = "";
    const int set =
        rank_config_set(&config, line, equals != NULL ? equals + 1 : NULL, error, sizeof error);
    if (set != 1 && error[0] == '\0') abort(); /* a refusal always says why */
    check_ranges(&config);
    line = next;
  }
  char error[512] = "";
  if (!rank_config_check(&config, error, sizeof error) && error[0] == '\0') abort();
  rank_train_config copy;
  if (rank_config_copy(&copy, &config)) rank_config_free(&copy);
  rank_config_free(&config);
  free(text);
  return 0;
}
