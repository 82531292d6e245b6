/* outcome.c: a validation report in a phrase. */
#include "cli/outcome.h"

#include <stdio.h>
#include <string.h>

const char *mrank_reduction_name(mrank_reduction reduction) {
  return reduction == MRANK_REDUCTION_NONE   ? "none"
         : reduction == MRANK_REDUCTION_MEAN ? "mean"
                                             : "sum";
}

/* appends to out, as far as it goes */
static void add(char *out, size_t size, const char *text) {
  const size_t used = strlen(out);
  if (used + 1 < size) snprintf(out + used, size - used, "%s", text);
}

static void describe_failure(const mrank_validation *r, char *out, size_t size) {
  char part[512];
  snprintf(out, size, "FAIL:");
  for (int o = 0; o < 3; ++o) {
    const mrank_output_check *c = &r->outputs[o];
    if (!c->checked) continue;
    if (c->mismatches > 0 && c->bitwise) {
      snprintf(part, sizeof part,
               " %s: %zu of %zu elements differ, worst at [%zu] (device %.9g, reference %.9g);",
               c->name, c->mismatches, c->compared, c->worst_index, c->worst_device,
               c->worst_reference);
      add(out, size, part);
    } else if (c->mismatches > 0) {
      snprintf(part, sizeof part, " %s = %.9g, reference %.9g: relative error %.2e > bound %.2e;",
               c->name, c->worst_device, c->worst_reference, c->max_rel_error, c->bound);
      add(out, size, part);
    }
    if (!c->canary_intact) {
      snprintf(part, sizeof part, " %s: written past its end;", c->name);
      add(out, size, part);
    }
    if (!c->deterministic) {
      snprintf(part, sizeof part, " %s: two runs gave different bits;", c->name);
      add(out, size, part);
    }
  }
  if (!r->gradient_passed) {
    snprintf(part, sizeof part,
             " gradient: relative error %.1e > %.1e against central differences;",
             r->gradient_max_error, r->gradient_tolerance);
    add(out, size, part);
  }
  const size_t used = strlen(out);
  if (used > 0 && out[used - 1] == ';') out[used - 1] = '\0';
}

void mrank_outcome_phrase(const mrank_validation *r, char *out, size_t size) {
  if (size == 0) return;
  out[0] = '\0';
  if (r->verdict == MRANK_VERDICT_FAILED) {
    describe_failure(r, out, size);
    return;
  }
  const mrank_output_check *reduced = NULL;
  size_t elementwise = 0, length = 0;
  for (int o = 0; o < 3; ++o) {
    const mrank_output_check *c = &r->outputs[o];
    if (!c->checked) continue;
    if (c->bitwise) {
      elementwise++;
      length = c->compared;
    } else {
      reduced = c;
    }
  }
  char part[256];
  if (reduced != NULL) {
    snprintf(part, sizeof part, "loss = %.9g  reference %.9g, relative error %.2e <= bound %.2e",
             reduced->worst_device, reduced->worst_reference, reduced->max_rel_error,
             reduced->bound);
    add(out, size, part);
  }
  if (elementwise > 0) {
    if (elementwise == 1) {
      snprintf(part, sizeof part, "%sbitwise equal to the reference (%zu elements)",
               reduced != NULL ? "; gradients " : "", length);
    } else {
      snprintf(part, sizeof part, "%sbitwise equal to the reference (%zu x %zu elements)",
               reduced != NULL ? "; gradients " : "", elementwise, length);
    }
    add(out, size, part);
  }
  if (r->verdict == MRANK_VERDICT_MISTRUSTED) {
    add(out, size, "; MISTRUSTED: the outputs are nearly all zero, which proves little");
  }
}
