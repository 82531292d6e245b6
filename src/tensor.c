/* tensor.c: broadcasting, descriptor checks and the host loops of the tensor entry points. */
#include "tensor.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "types.h"

static void shape_text(const mrank_tensor *t, char *out, size_t size) {
  size_t used = (size_t)snprintf(out, size, "(");
  for (int k = 0; k < t->rank && used < size; ++k) {
    used += (size_t)snprintf(out + used, size - used, "%s%zu", k > 0 ? ", " : "", t->sizes[k]);
  }
  if (used < size) snprintf(out + used, size - used, t->rank == 1 ? ",)" : ")");
}

/* The view's element count and the bytes from its base to its last element must fit in the
 * address space (as n does for the contiguous entry points): sizes {2^32, 2^32} or a huge stride
 * or offset would otherwise wrap, and a wrapped count or pointer reads the wrong memory. Checked
 * before any pointer arithmetic. A view with a zero size has no element and no extent. */
static mrank_status check_extent(const char *function, const char *name, const mrank_tensor *t) {
  size_t count = 1, last = t->offset;
  int empty = 0, wraps = 0;
  for (int k = 0; k < t->rank; ++k) {
    empty |= t->sizes[k] == 0;
    if (t->sizes[k] != 0 && count > SIZE_MAX / t->sizes[k]) wraps = 1;
    if (!wraps) count *= t->sizes[k];
  }
  for (int k = 0; k < t->rank && !empty && !wraps; ++k) {
    const size_t step = (size_t)t->strides[k], reach = t->sizes[k] - 1;
    if (step != 0 && reach > (SIZE_MAX - last) / step) {
      wraps = 1;
    } else {
      last += reach * step;
    }
  }
  const size_t element = mrank_dtype_size(t->dtype) > 0 ? mrank_dtype_size(t->dtype) : 1;
  if (!wraps && !empty && (last >= (size_t)PTRDIFF_MAX / element)) wraps = 1;
  if (!wraps && count > (size_t)PTRDIFF_MAX / element) wraps = 1;
  if (!wraps) return MRANK_SUCCESS;
  char shape[96];
  shape_text(t, shape, sizeof shape);
  return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                    "%s: %s of shape %s (offset %zu) reaches more bytes than the address space "
                    "holds; its sizes, strides and offset count elements, not bytes: check them",
                    function, name, shape, t->offset);
}

static mrank_status check_descriptor(const char *function, const char *name,
                                     const mrank_tensor *t) {
  if (t == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: the descriptor of %s is NULL; describe it with an mrank_tensor",
                      function, name);
  }
  if (t->rank < 0 || t->rank > MRANK_MAX_RANK) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s has rank %d; mrank takes 0 to %d",
                      function, name, t->rank, MRANK_MAX_RANK);
  }
  for (int k = 0; k < t->rank; ++k) {
    if (t->strides[k] < 0) {
      return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                        "%s: %s has stride %td in dimension %d; negative strides are not taken "
                        "(make that view contiguous, or flip it, first)",
                        function, name, t->strides[k], k);
    }
  }
  return check_extent(function, name, t);
}

int mrank_tensor_contiguous(const mrank_tensor *t) {
  size_t expected = 1;
  for (int k = t->rank - 1; k >= 0; --k) {
    if (t->sizes[k] != 1 && (size_t)t->strides[k] != expected) return 0;
    expected *= t->sizes[k];
  }
  return 1;
}

/* The sizes of t padded on the left with 1s to `rank` dimensions. */
static size_t padded_size(const mrank_tensor *t, int rank, int k) {
  const int from = k - (rank - t->rank);
  return from < 0 ? 1 : t->sizes[from];
}

static mrank_aligned align(const mrank_tensor *t, const mrank_broadcast *plan) {
  mrank_aligned a;
  memset(&a, 0, sizeof a);
  a.offset = t->offset;
  for (int k = 0; k < plan->rank; ++k) {
    const int from = k - (plan->rank - t->rank);
    const size_t size = from < 0 ? 1 : t->sizes[from];
    a.strides[k] = from < 0 || size == 1 ? 0 : t->strides[from];
    a.broadcast[k] = size == 1 && plan->sizes[k] != 1;
  }
  return a;
}

mrank_aligned mrank_tensor_aligned(const mrank_broadcast *plan, const mrank_tensor *t) {
  return align(t, plan);
}

/* After a clash: a shape for `t` that would broadcast, made by adding trailing 1s (the folklore
 * fix: a target of (N) against inputs (N, D) is (N, 1)); "" when none does. */
static void suggestion(const mrank_tensor *t, const mrank_tensor *others[2], char *out,
                       size_t size) {
  out[0] = '\0';
  for (int extra = 1; t->rank + extra <= MRANK_MAX_RANK; ++extra) {
    mrank_tensor trial = *t;
    trial.rank = t->rank + extra;
    for (int k = t->rank; k < trial.rank; ++k)
      trial.sizes[k] = 1;
    int rank = trial.rank, fits = 1;
    for (int o = 0; o < 2; ++o)
      if (others[o]->rank > rank) rank = others[o]->rank;
    for (int k = 0; k < rank && fits; ++k) {
      size_t want = padded_size(&trial, rank, k);
      for (int o = 0; o < 2 && fits; ++o) {
        const size_t s = padded_size(others[o], rank, k);
        if (want == 1) want = s;
        fits = s == want || s == 1;
      }
    }
    if (fits) {
      shape_text(&trial, out, size);
      return;
    }
  }
}

mrank_status mrank_broadcast_plan(const char *function, mrank_reduction reduction, double margin,
                                  const mrank_tensor *x1, const mrank_tensor *x2,
                                  const mrank_tensor *y, mrank_broadcast *plan) {
  mrank_status status = MRANK_SUCCESS;
  memset(plan, 0, sizeof *plan);
  MRANK_TRY(check_descriptor(function, "x1", x1));
  MRANK_TRY(check_descriptor(function, "x2", x2));
  MRANK_TRY(check_descriptor(function, "y", y));
  MRANK_CHECK(x1->dtype == x2->dtype, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: x1 is %s and x2 %s; give both one data type", function,
              mrank_dtype_name(x1->dtype), mrank_dtype_name(x2->dtype));
  const mrank_desc desc = {x1->dtype, y->dtype, reduction, margin};
  MRANK_TRY(mrank_variant_of(function, &desc, &plan->variant));
  const mrank_tensor *all[3] = {x1, x2, y};
  static const char *const names[3] = {"x1", "x2", "y"};
  plan->rank = x1->rank;
  for (int o = 1; o < 3; ++o)
    if (all[o]->rank > plan->rank) plan->rank = all[o]->rank;
  plan->count = 1;
  for (int k = 0; k < plan->rank; ++k) {
    size_t size = 1;
    int owner = -1;
    for (int o = 0; o < 3; ++o) {
      const size_t s = padded_size(all[o], plan->rank, k);
      if (s == 1) continue;
      if (size == 1) {
        size = s;
        owner = o;
      } else if (s != size) {
        char shapes[3][96], fix[96];
        for (int t = 0; t < 3; ++t)
          shape_text(all[t], shapes[t], sizeof shapes[t]);
        const mrank_tensor *others[2] = {all[o == 0 ? 1 : 0], all[o == 2 ? 1 : 2]};
        suggestion(all[o], others, fix, sizeof fix);
        return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                          "%s: x1 %s, x2 %s and y %s do not broadcast: in dimension %d of the "
                          "broadcast shape (shapes are aligned on the right) %s has %zu and %s "
                          "%zu; sizes must be equal or 1%s%s%s%s",
                          function, shapes[0], shapes[1], shapes[2], k, names[owner], size,
                          names[o], s, fix[0] != '\0' ? "; " : "", fix[0] != '\0' ? names[o] : "",
                          fix[0] != '\0' ? " of shape " : "", fix[0] != '\0' ? fix : "");
      }
    }
    plan->sizes[k] = size;
    MRANK_CHECK(size == 0 || plan->count <= SIZE_MAX / size / plan->variant.data_size,
                MRANK_ERROR_INVALID_ARGUMENT,
                "%s: the broadcast shape of x1, x2 and y has more elements than the address space "
                "holds (dimension %d of size %zu after %zu); check the shapes",
                function, k, size, plan->count);
    plan->count *= size;
  }
  plan->x1 = align(x1, plan);
  plan->x2 = align(x2, plan);
  plan->y = align(y, plan);
  plan->contiguous = 1;
  for (int o = 0; o < 3; ++o) {
    int same = all[o]->rank == plan->rank && mrank_tensor_contiguous(all[o]);
    for (int k = 0; k < all[o]->rank && same; ++k)
      same = all[o]->sizes[k] == plan->sizes[k];
    plan->contiguous &= same;
  }
error:
  return status;
}

mrank_status mrank_tensor_check_output(const char *function, const char *name,
                                       const mrank_tensor *t, mrank_dtype dtype, int rank,
                                       const size_t *sizes, int *contiguous) {
  mrank_status status = MRANK_SUCCESS;
  MRANK_TRY(check_descriptor(function, name, t));
  MRANK_CHECK(t->dtype == dtype, MRANK_ERROR_INVALID_ARGUMENT,
              "%s: %s is %s; it must be %s, the data type of x1", function, name,
              mrank_dtype_name(t->dtype), mrank_dtype_name(dtype));
  int same = t->rank == rank;
  for (int k = 0; k < rank && same; ++k)
    same = t->sizes[k] == sizes[k];
  if (!same) {
    char got[96], want[96];
    mrank_tensor shape = {dtype, rank, {0}, {0}, 0};
    for (int k = 0; k < rank; ++k)
      shape.sizes[k] = sizes[k];
    shape_text(t, got, sizeof got);
    shape_text(&shape, want, sizeof want);
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: %s has shape %s; it must be %s", function,
                      name, got, want);
  }
  /* no two positions on one element: dimensions by increasing stride, each past the span of the
   * ones before (a zero stride over more than one position is an overlap) */
  int order[MRANK_MAX_RANK], count = 0;
  for (int k = 0; k < rank; ++k)
    if (t->sizes[k] > 1) order[count++] = k;
  for (int a = 1; a < count; ++a) {
    for (int b = a; b > 0 && t->strides[order[b]] < t->strides[order[b - 1]]; --b) {
      const int swap = order[b];
      order[b] = order[b - 1];
      order[b - 1] = swap;
    }
  }
  size_t span = 1;
  for (int i = 0; i < count; ++i) {
    const int k = order[i];
    MRANK_CHECK((size_t)t->strides[k] >= span, MRANK_ERROR_INVALID_ARGUMENT,
                "%s: %s's strides make positions share elements (dimension %d has stride %td); "
                "an output must give each position an element of its own",
                function, name, k, t->strides[k]);
    span = (size_t)t->strides[k] * t->sizes[k];
  }
  *contiguous = mrank_tensor_contiguous(t);
error:
  return status;
}

/* The first and last element a view touches (elements from its base), or 0 when it has none. */
static int extent(const mrank_tensor *t, size_t *first, size_t *last) {
  size_t end = t->offset;
  for (int k = 0; k < t->rank; ++k) {
    if (t->sizes[k] == 0) return 0;
    end += (t->sizes[k] - 1) * (size_t)t->strides[k];
  }
  *first = t->offset;
  *last = end;
  return 1;
}

mrank_status mrank_tensor_apart(const char *function, const char *name_a, const mrank_tensor *a,
                                const void *base_a, const char *name_b, const mrank_tensor *b,
                                const void *base_b) {
  size_t a0, a1, b0, b1;
  if (base_a != base_b || !extent(a, &a0, &a1) || !extent(b, &b0, &b1)) return MRANK_SUCCESS;
  if (a1 < b0 || b1 < a0) return MRANK_SUCCESS;
  return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                    "%s: %s and %s overlap (elements %zu to %zu and %zu to %zu of one array); "
                    "give each output memory of its own",
                    function, name_a, name_b, a0, a1, b0, b1);
}

/* The element offset of broadcast position i in an aligned view. */
static size_t position(const mrank_broadcast *plan, const mrank_aligned *a, size_t i) {
  size_t offset = a->offset;
  for (int k = plan->rank - 1; k >= 0; --k) {
    const size_t size = plan->sizes[k];
    offset += (i % size) * (size_t)a->strides[k];
    i /= size;
  }
  return offset;
}

void mrank_tensor_gather(const mrank_broadcast *plan, const mrank_aligned *from,
                         size_t element_size, const void *in, void *out) {
  const unsigned char *source = in;
  unsigned char *target = out;
  for (size_t i = 0; i < plan->count; ++i)
    memcpy(target + i * element_size, source + position(plan, from, i) * element_size,
           element_size);
}

void mrank_tensor_scatter(const mrank_broadcast *plan, const mrank_aligned *to, size_t element_size,
                          const void *in, void *out) {
  const unsigned char *source = in;
  unsigned char *target = out;
  for (size_t i = 0; i < plan->count; ++i)
    memcpy(target + position(plan, to, i) * element_size, source + i * element_size, element_size);
}

void mrank_tensor_reduce_to(const mrank_broadcast *plan, const mrank_aligned *operand,
                            mrank_dtype dtype, const void *in, const mrank_tensor *out_desc,
                            void *out) {
  const int R = plan->rank;
  /* the operand's own positions, and the broadcast positions each one gathers */
  size_t own = 1, reduced = 1;
  for (int k = 0; k < R; ++k) {
    if (operand->broadcast[k]) {
      reduced *= plan->sizes[k];
    } else {
      own *= plan->sizes[k];
    }
  }
  /* the output's strides aligned to the broadcast shape (its size-1 dimensions have index 0) */
  mrank_aligned target;
  memset(&target, 0, sizeof target);
  target.offset = out_desc->offset;
  for (int k = 0; k < R; ++k) {
    const int from = k - (R - out_desc->rank);
    target.strides[k] = from < 0 ? 0 : out_desc->strides[from];
  }
  size_t index[MRANK_MAX_RANK];
  for (size_t j = 0; j < own; ++j) {
    /* j over the operand's dimensions, row-major; the broadcast ones at 0 */
    size_t rest = j;
    for (int k = R - 1; k >= 0; --k) {
      if (operand->broadcast[k]) {
        index[k] = 0;
      } else {
        index[k] = rest % plan->sizes[k];
        rest /= plan->sizes[k];
      }
    }
    float sum = 0.0f;
    double sum_double = 0.0;
    for (size_t r = 0; r < reduced; ++r) {
      size_t spread = r;
      for (int k = R - 1; k >= 0; --k) {
        if (!operand->broadcast[k]) continue;
        index[k] = spread % plan->sizes[k];
        spread /= plan->sizes[k];
      }
      size_t linear = 0;
      for (int k = 0; k < R; ++k)
        linear = linear * plan->sizes[k] + index[k];
      const double value = mrank_decode(dtype, in, linear);
      if (dtype == MRANK_DTYPE_F64) {
        sum_double += value;
      } else {
        sum += (float)value;
      }
    }
    size_t at = target.offset;
    for (int k = 0; k < R; ++k)
      if (!operand->broadcast[k]) at += index[k] * (size_t)target.strides[k];
    mrank_encode(dtype, out, at, dtype == MRANK_DTYPE_F64 ? sum_double : (double)sum);
  }
}
