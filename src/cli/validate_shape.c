/* validate_shape.c: `mrank validate --shape S1,S2,S3 [--strides T1,T2,T3]`: the tensor entry points
 * on a device against the reference's tensor entry points on the same views: the elementwise loss
 * and the gradients (summed back over broadcast dimensions in a fixed order) bit for bit, a
 * reduced loss within the bound of the device's summation tree. */
#include "cli/validate_shape.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "random.h"

/* "4x1x7" (or "" for rank 0) into sizes; 0 after a message */
static int parse_dims(const char *option, const char *text, int *rank, size_t *values,
                      int allow_zero_size) {
  *rank = 0;
  if (text[0] == '\0' || strcmp(text, "-") == 0) return 1;
  char copy[128];
  snprintf(copy, sizeof copy, "%s", text);
  for (char *item = strtok(copy, "x"); item != NULL; item = strtok(NULL, "x")) {
    size_t value = 0;
    if (*rank == MRANK_MAX_RANK) {
      mrank_error("%s: \"%s\" has more than %d dimensions", option, text, MRANK_MAX_RANK);
      return 0;
    }
    if (!mrank_parse_size(option, item, &value)) return 0;
    if (value == 0 && !allow_zero_size) {
      mrank_error("%s: \"%s\": sizes start at 1", option, text);
      return 0;
    }
    values[(*rank)++] = value;
  }
  return 1;
}

int mrank_parse_shapes(const char *shapes, const char *strides, mrank_tensor out[3]) {
  char copy[512];
  snprintf(copy, sizeof copy, "%s", shapes);
  char *parts[3] = {NULL, NULL, NULL};
  int count = 0;
  for (char *p = copy, *comma; count < 3; p = comma + 1) {
    parts[count++] = p;
    comma = strchr(p, ',');
    if (comma == NULL) break;
    *comma = '\0';
  }
  if (count != 3 || strchr(parts[2], ',') != NULL) {
    mrank_error("--shape: give three shapes, x1,x2,y (e.g. 4x1x7,4x5x7,1x5x1), not \"%s\"", shapes);
    return 0;
  }
  for (int t = 0; t < 3; ++t) {
    memset(&out[t], 0, sizeof out[t]);
    if (!parse_dims("--shape", parts[t], &out[t].rank, out[t].sizes, 1)) return 0;
    ptrdiff_t stride = 1;
    for (int k = out[t].rank - 1; k >= 0; --k) {
      out[t].strides[k] = stride;
      stride *= (ptrdiff_t)(out[t].sizes[k] > 0 ? out[t].sizes[k] : 1);
    }
  }
  if (strides == NULL) return 1;
  snprintf(copy, sizeof copy, "%s", strides);
  count = 0;
  for (char *p = copy, *comma; count < 3; p = comma + 1) {
    parts[count++] = p;
    comma = strchr(p, ',');
    if (comma == NULL) break;
    *comma = '\0';
  }
  if (count != 3) {
    mrank_error(
        "--strides: give three stride lists in elements, x1,x2,y (e.g. 1x4x0,...), not "
        "\"%s\"",
        strides);
    return 0;
  }
  for (int t = 0; t < 3; ++t) {
    size_t values[MRANK_MAX_RANK];
    int rank = 0;
    if (!parse_dims("--strides", parts[t], &rank, values, 1)) return 0;
    if (rank != out[t].rank) {
      mrank_error("--strides: %s has %d strides for a shape of %d dimensions",
                  t == 0   ? "x1"
                  : t == 1 ? "x2"
                           : "y",
                  rank, out[t].rank);
      return 0;
    }
    for (int k = 0; k < rank; ++k)
      out[t].strides[k] = (ptrdiff_t)values[k];
  }
  return 1;
}

static size_t elements_of(const mrank_tensor *t) {
  size_t n = 1;
  for (int k = 0; k < t->rank; ++k)
    n *= t->sizes[k];
  return n;
}

/* the elements a view spans from its base */
static size_t span_of(const mrank_tensor *t) {
  size_t last = t->offset;
  for (int k = 0; k < t->rank; ++k) {
    if (t->sizes[k] == 0) return t->offset + 1;
    last += (t->sizes[k] - 1) * (size_t)t->strides[k];
  }
  return last + 1;
}

static mrank_tensor dense_like(mrank_dtype dtype, int rank, const size_t *sizes) {
  mrank_tensor t;
  memset(&t, 0, sizeof t);
  t.dtype = dtype;
  t.rank = rank;
  ptrdiff_t stride = 1;
  for (int k = rank - 1; k >= 0; --k) {
    t.sizes[k] = sizes[k];
    t.strides[k] = stride;
    stride *= (ptrdiff_t)(sizes[k] > 0 ? sizes[k] : 1);
  }
  return t;
}

/* random values of the data type, magnitudes about 2^-5 .. 2^5 (no subnormal, nothing infinite) */
static void fill_data(mrank_dtype type, void *array, size_t count, mrank_random *random) {
  for (size_t i = 0; i < count; ++i) {
    const uint64_t bits = mrank_random_next(random);
    if (type == MRANK_DTYPE_F16) {
      ((uint16_t *)array)[i] =
          (uint16_t)(((bits >> 63) << 15) | ((10 + (bits >> 20) % 11) << 10) | (bits & 0x3ffu));
    } else if (type == MRANK_DTYPE_BF16) {
      ((uint16_t *)array)[i] =
          (uint16_t)(((bits >> 63) << 15) | ((122 + (bits >> 20) % 11) << 7) | (bits & 0x7fu));
    } else if (type == MRANK_DTYPE_F64) {
      ((double *)array)[i] = ((double)(bits >> 11) * 0x1p-53 - 0.5) * 64.0;
    } else {
      ((float *)array)[i] = (float)(((double)(bits >> 40) * 0x1p-24 - 0.5) * 64.0);
    }
  }
}

static void fill_labels(mrank_dtype type, void *array, size_t count, mrank_random *random) {
  for (size_t i = 0; i < count; ++i) {
    const int sign = (mrank_random_next(random) >> 63) ? 1 : -1;
    if (type == MRANK_DTYPE_I8) ((int8_t *)array)[i] = (int8_t)sign;
    if (type == MRANK_DTYPE_I32) ((int32_t *)array)[i] = sign;
    if (type == MRANK_DTYPE_F32) ((float *)array)[i] = (float)sign;
  }
}

static double value_at(mrank_dtype type, const void *array, size_t i) {
  if (type == MRANK_DTYPE_F64) return ((const double *)array)[i];
  if (type == MRANK_DTYPE_F32) return ((const float *)array)[i];
  const uint16_t bits = ((const uint16_t *)array)[i];
  if (type == MRANK_DTYPE_BF16) {
    const uint32_t wide = (uint32_t)bits << 16;
    float f;
    memcpy(&f, &wide, sizeof f);
    return f;
  }
  /* half: sign, 5-bit exponent, 10-bit mantissa */
  const int exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  const double magnitude = exponent == 0    ? ldexp(mantissa, -24)
                           : exponent == 31 ? (mantissa ? NAN : INFINITY)
                                            : ldexp(mantissa + 1024, exponent - 25);
  return (bits >> 15) ? -magnitude : magnitude;
}

/* One problem: 0 passed, 1 failed, -1 the device could not run it (message printed). */
int mrank_validate_shape_problem(mrank_context *ctx, const mrank_tensor shapes[3], mrank_op op,
                                 mrank_reduction reduction, double margin, mrank_dtype data,
                                 mrank_dtype labels, uint64_t seed, char *line, size_t line_size) {
  mrank_tensor x1 = shapes[0], x2 = shapes[1], y = shapes[2];
  x1.dtype = x2.dtype = data;
  y.dtype = labels;
  int rank = x1.rank;
  if (x2.rank > rank) rank = x2.rank;
  if (y.rank > rank) rank = y.rank;
  size_t broadcast[MRANK_MAX_RANK];
  for (int k = 0; k < rank; ++k) {
    size_t size = 1;
    const mrank_tensor *all[3] = {&x1, &x2, &y};
    for (int o = 0; o < 3; ++o) {
      const int from = k - (rank - all[o]->rank);
      const size_t s = from < 0 ? 1 : all[o]->sizes[from];
      if (s != 1) size = s;
    }
    broadcast[k] = size;
  }
  const mrank_tensor loss_desc =
      dense_like(data, reduction == MRANK_REDUCTION_NONE ? rank : 0, broadcast);
  const mrank_tensor full = dense_like(data, rank, broadcast);
  const mrank_tensor dx1_desc = dense_like(data, x1.rank, x1.sizes);
  const mrank_tensor dx2_desc = dense_like(data, x2.rank, x2.sizes);
  const size_t D = mrank_dtype_size(data), n = elements_of(&full);
  const size_t n1 = elements_of(&x1), n2 = elements_of(&x2);
  unsigned char *a = calloc(span_of(&x1) + 1, D), *b = calloc(span_of(&x2) + 1, D);
  unsigned char *ys = calloc(span_of(&y) + 1, mrank_dtype_size(labels));
  unsigned char *up = calloc(n + 1, D), *out[2][3], *elementwise = calloc(n + 1, D);
  for (int side = 0; side < 2; ++side) {
    out[side][0] = calloc(n + 1, D);
    out[side][1] = calloc(n1 + 1, D);
    out[side][2] = calloc(n2 + 1, D);
  }
  int result = -1;
  mrank_random random = {seed};
  fill_data(data, a, span_of(&x1), &random);
  fill_data(data, b, span_of(&x2), &random);
  fill_labels(labels, ys, span_of(&y), &random);
  fill_data(data, up, n, &random);
  const mrank_tensor dloss_desc =
      reduction == MRANK_REDUCTION_NONE ? full : dense_like(data, 0, broadcast);
  for (int side = 0; side < 2; ++side) {
    mrank_status status;
    if (op == MRANK_OP_FORWARD) {
      status = side == 0 ? mrank_forward_tensor(ctx, reduction, margin, &x1, a, &x2, b, &y, ys,
                                                &loss_desc, out[0][0])
                         : mrank_reference_forward_tensor(reduction, margin, &x1, a, &x2, b, &y, ys,
                                                          &loss_desc, out[1][0]);
    } else if (op == MRANK_OP_BACKWARD) {
      status = side == 0 ? mrank_backward_tensor(ctx, reduction, margin, &x1, a, &x2, b, &y, ys,
                                                 &dloss_desc, up, &dx1_desc, out[0][1], &dx2_desc,
                                                 out[0][2])
                         : mrank_reference_backward_tensor(reduction, margin, &x1, a, &x2, b, &y,
                                                           ys, &dloss_desc, up, &dx1_desc,
                                                           out[1][1], &dx2_desc, out[1][2]);
    } else {
      status = side == 0 ? mrank_forward_backward_tensor(ctx, reduction, margin, &x1, a, &x2, b, &y,
                                                         ys, &loss_desc, out[0][0], &dx1_desc,
                                                         out[0][1], &dx2_desc, out[0][2])
                         : mrank_reference_forward_backward_tensor(
                               reduction, margin, &x1, a, &x2, b, &y, ys, &loss_desc, out[1][0],
                               &dx1_desc, out[1][1], &dx2_desc, out[1][2]);
    }
    if (status != MRANK_SUCCESS) {
      snprintf(line, line_size, "%s", mrank_last_error());
      goto done;
    }
  }
  /* the elementwise loss of the reference, for a reduction's bound */
  if (mrank_reference_forward_tensor(MRANK_REDUCTION_NONE, margin, &x1, a, &x2, b, &y, ys, &full,
                                     elementwise) != MRANK_SUCCESS) {
    snprintf(line, line_size, "%s", mrank_last_error());
    goto done;
  }
  int same = 1;
  double error = 0.0, bound = 0.0;
  if (op != MRANK_OP_BACKWARD) {
    if (reduction == MRANK_REDUCTION_NONE) {
      same &= memcmp(out[0][0], out[1][0], n * D) == 0;
    } else {
      double total = 0.0;
      for (size_t i = 0; i < n; ++i)
        total += fabs(value_at(data, elementwise, i));
      if (reduction == MRANK_REDUCTION_MEAN && n > 0) total /= (double)n;
      const mrank_desc desc = {data, labels, reduction, margin};
      bound = mrank_reduction_error_bound_ex(ctx, &desc, n) * total;
      error = fabs(value_at(data, out[0][0], 0) - value_at(data, out[1][0], 0));
      same &= n == 0 ? memcmp(out[0][0], out[1][0], D) == 0 : error <= bound;
    }
  }
  if (op != MRANK_OP_FORWARD) {
    same &= memcmp(out[0][1], out[1][1], n1 * D) == 0;
    same &= memcmp(out[0][2], out[1][2], n2 * D) == 0;
  }
  snprintf(
      line, line_size, "%zu positions%s", n,
      op != MRANK_OP_BACKWARD && reduction != MRANK_REDUCTION_NONE ? ", loss within bound" : "");
  if (op != MRANK_OP_BACKWARD && reduction != MRANK_REDUCTION_NONE) {
    const size_t used = strlen(line);
    snprintf(line + used, line_size - used, " (error %.3g <= %.3g)", error, bound);
  }
  result = same ? 0 : 1;
done:
  free(a);
  free(b);
  free(ys);
  free(up);
  free(elementwise);
  for (int side = 0; side < 2; ++side)
    for (int k = 0; k < 3; ++k)
      free(out[side][k]);
  return result;
}
