/* types.h: the data and label types of the typed entry points: which (data, labels) pairs exist as
 * kernel builds, and the bit-level conversions of half and bfloat16 storage that the reference
 * shares with the device. */
#ifndef MRANK_TYPES_H
#define MRANK_TYPES_H

#include <stddef.h>

#include "mrank.h"

/* A type variant: data type (F32, F16, BF16, F64) x label type (F32, I32, I8), each its own build
 * of the kernels (-DMRANK_DATA, -DMRANK_LABELS). */
enum { MRANK_DATA_TYPES = 4, MRANK_LABEL_TYPES = 3 };
#define MRANK_VARIANT_COUNT (MRANK_DATA_TYPES * MRANK_LABEL_TYPES)
typedef struct mrank_variant {
  int index, data_code, label_code; /* the codes of kernels/margin_ranking.cl */
  mrank_dtype data, labels;
  size_t data_size, label_size, real_size; /* bytes; real: float, or double for F64 */
} mrank_variant;

/* Checks desc (types, reduction) and describes its variant; `function` names the caller. */
mrank_status mrank_variant_of(const char *function, const mrank_desc *desc, mrank_variant *variant);
/* MRANK_ERROR_INVALID_ARGUMENT unless n elements of the variant's widest type fit in size_t (the
 * byte count of every array of the call). */
mrank_status mrank_check_count(const char *function, size_t n, const mrank_variant *variant);
/* Conversions of half and bfloat16 storage: to float exactly, from float rounded to nearest even
 * (a NaN stays a quiet NaN), as vload_half / vstore_half_rte and the kernels' bfloat16 code do. */
float mrank_half_to_float(unsigned short bits);
unsigned short mrank_half_from_float(float value);
float mrank_bf16_to_float(unsigned short bits);
unsigned short mrank_bf16_from_float(float value);
/* Element i of an array of `type` as a double (exact for every type), and the other way round
 * (rounded to float first for F32, F16 and BF16, to the label type's integer for I32 and I8). */
double mrank_decode(mrank_dtype type, const void *array, size_t i);
void mrank_encode(mrank_dtype type, void *array, size_t i, double value);

#endif /* MRANK_TYPES_H */
