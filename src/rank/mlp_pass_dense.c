/* mlp_pass_dense.c: the layers of an MLP step with kernels/mlp.cl's own dense kernels (see
 * rank/mlp_pass.h): a work-item holds 4 rows by 8 units, so the launches are few and small. */
#include "rank/mlp_pass.h"

enum { DENSE_ROWS = 4 }; /* kernels/mlp.cl's MLP_ROWS; its MLP_VW is dev->vector_width */

static size_t blocks(size_t n, size_t per) {
  return (n + per - 1) / per;
}

int rank_mlp_forward_dense(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                           char *error, size_t error_size) {
  const rank_mlp_shape *s = &dev->shape;
  const size_t rows = st->d1 - st->d0, L = s->layers;
  const cl_uint n_rows = (cl_uint)rows, first_doc = (cl_uint)st->d0;
  const cl_uint features = (cl_uint)dev->features;
  for (size_t l = 0; l < L; ++l) {
    const cl_uint in = (cl_uint)rank_mlp_layer_inputs(s, l), out = (cl_uint)s->hidden[l];
    const cl_mem input = l == 0 ? dev->x : dev->a[l - 1];
    const cl_uint input_at = l == 0 ? first_doc * features : 0u;
    const cl_uint w = (cl_uint)rank_mlp_weight_offset(s, l), layer = (cl_uint)l;
    const int k = MLP_K_DENSE_FORWARD;
    MLP_ARG(k, 0, input);
    MLP_ARG(k, 1, input_at);
    MLP_ARG(k, 2, in);
    MLP_ARG(k, 3, dev->p);
    MLP_ARG(k, 4, w);
    MLP_ARG(k, 5, out);
    MLP_ARG(k, 6, dev->a[l]);
    MLP_ARG(k, 7, n_rows);
    MLP_ARG(k, 8, st->seed);
    MLP_ARG(k, 9, st->step);
    MLP_ARG(k, 10, layer);
    MLP_ARG(k, 11, first_doc);
    MLP_ARG(k, 12, st->threshold);
    MLP_ARG(k, 13, st->dropout_scale);
    if (!rank_mlp_launch(dev, k, blocks(rows, DENSE_ROWS) * blocks(out, dev->vector_width),
                         &times->gemv, "a layer (dense kernel)", error, error_size)) {
      return 0;
    }
  }
  const cl_uint H = (cl_uint)s->hidden[L - 1], skip = (cl_uint)(s->skip != 0);
  const cl_uint w = (cl_uint)rank_mlp_output_offset(s);
  const cl_uint v = skip ? (cl_uint)rank_mlp_skip_offset(s) : 0u;
  const int k = MLP_K_DENSE_SCORE;
  MLP_ARG(k, 0, dev->a[L - 1]);
  MLP_ARG(k, 1, H);
  MLP_ARG(k, 2, dev->x);
  MLP_ARG(k, 3, features);
  MLP_ARG(k, 4, dev->p);
  MLP_ARG(k, 5, w);
  MLP_ARG(k, 6, v);
  MLP_ARG(k, 7, skip);
  MLP_ARG(k, 8, dev->scores);
  MLP_ARG(k, 9, first_doc);
  MLP_ARG(k, 10, n_rows);
  return rank_mlp_launch(dev, k, rows, &times->gemv, "the scores (dense kernel)", error,
                         error_size);
}

static int output_gradient(rank_mlp_device *dev, const rank_mlp_step *st, float per_pair,
                           rank_stage_times *times, char *error, size_t error_size) {
  const rank_mlp_shape *s = &dev->shape;
  const size_t L = s->layers, H = s->hidden[L - 1];
  const cl_uint n_rows = (cl_uint)(st->d1 - st->d0), first_doc = (cl_uint)st->d0;
  const cl_uint h = (cl_uint)H, features = (cl_uint)dev->features, skip = (cl_uint)(s->skip != 0);
  const cl_uint w = (cl_uint)rank_mlp_output_offset(s);
  const int k = MLP_K_DENSE_OUTPUT_GRADIENT;
  MLP_ARG(k, 0, dev->a[L - 1]);
  MLP_ARG(k, 1, h);
  MLP_ARG(k, 2, dev->x);
  MLP_ARG(k, 3, features);
  MLP_ARG(k, 4, skip);
  MLP_ARG(k, 5, dev->doc_gradient);
  MLP_ARG(k, 6, first_doc);
  MLP_ARG(k, 7, n_rows);
  MLP_ARG(k, 8, dev->g);
  MLP_ARG(k, 9, w);
  MLP_ARG(k, 10, per_pair);
  const size_t items =
      blocks(H, dev->vector_width) + (skip ? blocks(dev->features, dev->vector_width) : 0);
  return rank_mlp_launch(dev, k, items, &times->gemv, "the output gradient (dense kernel)", error,
                         error_size);
}

int rank_mlp_backward_dense(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                            char *error, size_t error_size) {
  const rank_mlp_shape *s = &dev->shape;
  const size_t rows = st->d1 - st->d0, L = s->layers;
  const cl_uint n_rows = (cl_uint)rows, first_doc = (cl_uint)st->d0;
  const cl_uint features = (cl_uint)dev->features;
  const float per_pair = (float)(1.0 / (double)(st->p1 - st->p0));
  /* the last hidden layer's delta is in dev->d1 already (rank/mlp_device.c's scatter) */
  if (!output_gradient(dev, st, per_pair, times, error, error_size)) return 0;
  cl_mem dz = dev->d1, da = dev->d2;
  for (size_t l = L; l-- > 0;) {
    const cl_uint in = (cl_uint)rank_mlp_layer_inputs(s, l), out = (cl_uint)s->hidden[l];
    const cl_mem input = l == 0 ? dev->x : dev->a[l - 1];
    const cl_uint input_at = l == 0 ? first_doc * features : 0u;
    const cl_uint w = (cl_uint)rank_mlp_weight_offset(s, l);
    int k = MLP_K_DENSE_WEIGHT_GRADIENT;
    MLP_ARG(k, 0, input);
    MLP_ARG(k, 1, input_at);
    MLP_ARG(k, 2, in);
    MLP_ARG(k, 3, dz);
    MLP_ARG(k, 4, out);
    MLP_ARG(k, 5, n_rows);
    MLP_ARG(k, 6, dev->g);
    MLP_ARG(k, 7, w);
    if (!rank_mlp_launch(dev, k, blocks(in + 1u, DENSE_ROWS) * blocks(out, dev->vector_width),
                         &times->gemv, "a layer's weight gradient (dense kernel)", error,
                         error_size)) {
      return 0;
    }
    if (l == 0) break;
    k = MLP_K_DENSE_INPUT_GRADIENT;
    MLP_ARG(k, 0, dz);
    MLP_ARG(k, 1, out);
    MLP_ARG(k, 2, dev->pt);
    MLP_ARG(k, 3, w);
    MLP_ARG(k, 4, in);
    MLP_ARG(k, 5, n_rows);
    MLP_ARG(k, 6, da);
    MLP_ARG(k, 7, dev->a[l - 1]);
    MLP_ARG(k, 8, st->dropout_scale);
    if (!rank_mlp_launch(dev, k, blocks(rows, DENSE_ROWS) * blocks(in, dev->vector_width),
                         &times->gemv, "back through a layer (dense kernel)", error, error_size)) {
      return 0;
    }
    const cl_mem swap = dz;
    dz = da;
    da = swap;
  }
  return 1;
}
