/* types.c: the data and label types of the typed entry points, and the half / bfloat16 conversions
 * of the CPU reference (bit-level, so that they agree with the device's on every input). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "errors.h"
#include "types.h"

const char *mrank_dtype_name(mrank_dtype dtype) {
  switch (dtype) {
    case MRANK_DTYPE_F32:
      return "f32";
    case MRANK_DTYPE_F16:
      return "f16";
    case MRANK_DTYPE_BF16:
      return "bf16";
    case MRANK_DTYPE_F64:
      return "f64";
    case MRANK_DTYPE_I32:
      return "i32";
    case MRANK_DTYPE_I8:
      return "i8";
  }
  return "unknown";
}

size_t mrank_dtype_size(mrank_dtype dtype) {
  switch (dtype) {
    case MRANK_DTYPE_F32:
      return 4;
    case MRANK_DTYPE_F16:
      return 2;
    case MRANK_DTYPE_BF16:
      return 2;
    case MRANK_DTYPE_F64:
      return 8;
    case MRANK_DTYPE_I32:
      return 4;
    case MRANK_DTYPE_I8:
      return 1;
  }
  return 0;
}

mrank_status mrank_variant_of(const char *function, const mrank_desc *desc,
                              mrank_variant *variant) {
  if (desc == NULL) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT, "%s: desc is NULL; pass an mrank_desc",
                      function);
  }
  static const mrank_dtype data_types[MRANK_DATA_TYPES] = {MRANK_DTYPE_F32, MRANK_DTYPE_F16,
                                                           MRANK_DTYPE_BF16, MRANK_DTYPE_F64};
  static const mrank_dtype label_types[MRANK_LABEL_TYPES] = {MRANK_DTYPE_F32, MRANK_DTYPE_I32,
                                                             MRANK_DTYPE_I8};
  int data = -1, labels = -1;
  for (int d = 0; d < MRANK_DATA_TYPES; ++d) {
    if (desc->data == data_types[d]) data = d;
  }
  for (int l = 0; l < MRANK_LABEL_TYPES; ++l) {
    if (desc->labels == label_types[l]) labels = l;
  }
  if (data < 0) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: data type %d (%s) is not one of F32, F16, BF16, F64", function,
                      (int)desc->data, mrank_dtype_name(desc->data));
  }
  if (labels < 0) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: label type %d (%s) is not one of F32, I32, I8", function,
                      (int)desc->labels, mrank_dtype_name(desc->labels));
  }
  if (desc->reduction != MRANK_REDUCTION_NONE && desc->reduction != MRANK_REDUCTION_MEAN &&
      desc->reduction != MRANK_REDUCTION_SUM) {
    return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                      "%s: reduction %d is not an mrank_reduction; pass MRANK_REDUCTION_NONE, "
                      "MRANK_REDUCTION_MEAN or MRANK_REDUCTION_SUM",
                      function, (int)desc->reduction);
  }
  variant->index = data * MRANK_LABEL_TYPES + labels;
  variant->data_code = data;
  variant->label_code = labels;
  variant->data = desc->data;
  variant->labels = desc->labels;
  variant->data_size = mrank_dtype_size(desc->data);
  variant->label_size = mrank_dtype_size(desc->labels);
  variant->real_size = desc->data == MRANK_DTYPE_F64 ? sizeof(double) : sizeof(float);
  return MRANK_SUCCESS;
}

static unsigned float_bits(float value) {
  unsigned bits;
  memcpy(&bits, &value, sizeof bits);
  return bits;
}

static float bits_float(unsigned bits) {
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

float mrank_half_to_float(unsigned short half) {
  const unsigned sign = (unsigned)(half & 0x8000u) << 16;
  unsigned exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu;
  if (exponent == 0x1fu) return bits_float(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return bits_float(sign);
    /* subnormal: shift the mantissa up to its leading 1, lowering the exponent as it goes */
    unsigned shifts = 0;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      shifts++;
    }
    return bits_float(sign | ((113u - shifts) << 23) | ((mantissa & 0x3ffu) << 13));
  }
  return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/* Rounds to nearest, ties to even: `kept` is the value truncated, `dropped` the bits cut off and
 * `half` the weight of a tie among them. */
static unsigned round_nearest_even(unsigned kept, unsigned dropped, unsigned half) {
  return kept + (dropped > half || (dropped == half && (kept & 1u)));
}

unsigned short mrank_half_from_float(float value) {
  const unsigned bits = float_bits(value);
  const unsigned sign = (bits >> 16) & 0x8000u, magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u)
    return (unsigned short)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  if (magnitude >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u); /* >= 65520: Inf */
  if (magnitude < 0x38800000u) {
    /* below 2^-14: a subnormal half, in units of 2^-24 */
    const unsigned exponent = magnitude >> 23;
    if (exponent < 102) return (unsigned short)sign; /* below 2^-25: rounds to zero */
    const unsigned mantissa = (magnitude & 0x7fffffu) | 0x800000u, shift = 126u - exponent;
    const unsigned kept = mantissa >> shift, dropped = mantissa & ((1u << shift) - 1u);
    return (unsigned short)(sign | round_nearest_even(kept, dropped, 1u << (shift - 1)));
  }
  /* a normal half: rebias the exponent (127 -> 15) and round off 13 mantissa bits; a carry into
   * the exponent is the right result, up to Inf */
  const unsigned kept = (magnitude >> 13) - (112u << 10);
  return (unsigned short)(sign | round_nearest_even(kept, magnitude & 0x1fffu, 0x1000u));
}

float mrank_bf16_to_float(unsigned short bits) {
  return bits_float((unsigned)bits << 16);
}

unsigned short mrank_bf16_from_float(float value) {
  const unsigned bits = float_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x0040u);
  return (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

double mrank_decode(mrank_dtype type, const void *array, size_t i) {
  switch (type) {
    case MRANK_DTYPE_F32:
      return ((const float *)array)[i];
    case MRANK_DTYPE_F16:
      return mrank_half_to_float(((const uint16_t *)array)[i]);
    case MRANK_DTYPE_BF16:
      return mrank_bf16_to_float(((const uint16_t *)array)[i]);
    case MRANK_DTYPE_F64:
      return ((const double *)array)[i];
    case MRANK_DTYPE_I32:
      return ((const int32_t *)array)[i];
    case MRANK_DTYPE_I8:
      return ((const int8_t *)array)[i];
  }
  return NAN;
}

void mrank_encode(mrank_dtype type, void *array, size_t i, double value) {
  switch (type) {
    case MRANK_DTYPE_F32:
      ((float *)array)[i] = (float)value;
      break;
    case MRANK_DTYPE_F16:
      ((uint16_t *)array)[i] = mrank_half_from_float((float)value);
      break;
    case MRANK_DTYPE_BF16:
      ((uint16_t *)array)[i] = mrank_bf16_from_float((float)value);
      break;
    case MRANK_DTYPE_F64:
      ((double *)array)[i] = value;
      break;
    case MRANK_DTYPE_I32:
      ((int32_t *)array)[i] = (int32_t)value;
      break;
    case MRANK_DTYPE_I8:
      ((int8_t *)array)[i] = (int8_t)value;
      break;
  }
}

mrank_status mrank_check_count(const char *function, size_t n, const mrank_variant *variant) {
  const size_t widest =
      variant->data_size > variant->label_size ? variant->data_size : variant->label_size;
  if (n <= SIZE_MAX / widest) return MRANK_SUCCESS;
  return mrank_fail(MRANK_ERROR_INVALID_ARGUMENT,
                    "%s: n = %zu elements of %zu bytes is more bytes than the address space holds; "
                    "n counts the elements of each array (not bytes): pass the arrays' length",
                    function, n, widest);
}
