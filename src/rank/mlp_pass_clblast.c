/* mlp_pass_clblast.c: the layers of an MLP step with CLBlast's GEMM and GEMV and kernels/mlp.cl's
 * element-wise kernels between them (see rank/mlp_pass.h). */
#include <clblast_c.h>
#include <stdio.h>

#include "rank/mlp_pass.h"

static int blas_failed(char *error, size_t size, const char *what, CLBlastStatusCode code) {
  char detail[48];
  snprintf(detail, sizeof detail, "CLBlast status %d", (int)code);
  return rank_mlp_failed(error, size, what, detail);
}

int rank_mlp_forward_clblast(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                             char *error, size_t error_size) {
  const rank_mlp_shape *s = &dev->shape;
  const size_t rows = st->d1 - st->d0, F = dev->features, L = s->layers, H = s->hidden[L - 1];
  cl_event ev = NULL;
  cl_event *e = dev->profile ? &ev : NULL;
  const cl_uint n_rows = (cl_uint)rows, first_doc = (cl_uint)st->d0;
  CLBlastStatusCode b;
  for (size_t l = 0; l < L; ++l) {
    const size_t in = rank_mlp_layer_inputs(s, l), out = s->hidden[l];
    const cl_mem input = l == 0 ? dev->x : dev->a[l - 1];
    const size_t input_offset = l == 0 ? st->d0 * F : 0;
    b = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, rows, out, in,
                     1.0f, input, input_offset, in, dev->p, rank_mlp_weight_offset(s, l), out, 0.0f,
                     dev->z[l], 0, out, &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "layer (GEMM)", b);
    rank_mlp_timed(dev, &ev, &times->gemv);
    const cl_uint units = (cl_uint)out, layer = (cl_uint)l;
    const cl_uint bias = (cl_uint)rank_mlp_bias_offset(s, l);
    const int k = MLP_K_BIAS_RELU;
    MLP_ARG(k, 0, dev->z[l]);
    MLP_ARG(k, 1, dev->p);
    MLP_ARG(k, 2, bias);
    MLP_ARG(k, 3, dev->a[l]);
    MLP_ARG(k, 4, n_rows);
    MLP_ARG(k, 5, units);
    MLP_ARG(k, 6, st->seed);
    MLP_ARG(k, 7, st->step);
    MLP_ARG(k, 8, layer);
    MLP_ARG(k, 9, first_doc);
    MLP_ARG(k, 10, st->threshold);
    MLP_ARG(k, 11, st->dropout_scale);
    if (!rank_mlp_launch(dev, k, rows * out, &times->activation, "bias and ReLU", error,
                         error_size)) {
      return 0;
    }
  }
  b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, rows, H, 1.0f, dev->a[L - 1], 0, H,
                   dev->p, rank_mlp_output_offset(s), 1, 0.0f, dev->scores, st->d0, 1, &dev->queue,
                   e);
  if (b != CLBlastSuccess) return blas_failed(error, error_size, "scores (GEMV)", b);
  rank_mlp_timed(dev, &ev, &times->gemv);
  if (s->skip) { /* the linear term, added to the scores (beta 1) */
    b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, rows, F, 1.0f, dev->x, st->d0 * F,
                     F, dev->p, rank_mlp_skip_offset(s), 1, 1.0f, dev->scores, st->d0, 1,
                     &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "linear term (GEMV)", b);
    rank_mlp_timed(dev, &ev, &times->gemv);
  }
  return 1;
}

int rank_mlp_backward_clblast(rank_mlp_device *dev, const rank_mlp_step *st,
                              rank_stage_times *times, char *error, size_t error_size) {
  const rank_mlp_shape *s = &dev->shape;
  const size_t rows = st->d1 - st->d0, count = st->p1 - st->p0, F = dev->features;
  const size_t L = s->layers, H = s->hidden[L - 1];
  cl_event ev = NULL;
  cl_event *e = dev->profile ? &ev : NULL;
  const cl_uint n_rows = (cl_uint)rows;
  CLBlastStatusCode b;
  const float per_pair = (float)(1.0 / (double)count);
  b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, rows, H, per_pair, dev->a[L - 1], 0,
                   H, dev->doc_gradient, st->d0, 1, 0.0f, dev->g, rank_mlp_output_offset(s), 1,
                   &dev->queue, e);
  if (b != CLBlastSuccess) return blas_failed(error, error_size, "output gradient (GEMV)", b);
  rank_mlp_timed(dev, &ev, &times->gemv);
  if (s->skip) {
    b = CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, rows, F, per_pair, dev->x,
                     st->d0 * F, F, dev->doc_gradient, st->d0, 1, 0.0f, dev->g,
                     rank_mlp_skip_offset(s), 1, &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "linear term gradient", b);
    rank_mlp_timed(dev, &ev, &times->gemv);
  }
  /* the last hidden layer's delta is in dev->d1 already (rank/mlp_device.c's scatter) */
  int k;
  cl_mem dz = dev->d1, da = dev->d2;
  for (size_t l = L; l-- > 0;) {
    const size_t in = rank_mlp_layer_inputs(s, l), out = s->hidden[l];
    const cl_mem input = l == 0 ? dev->x : dev->a[l - 1];
    const size_t input_offset = l == 0 ? st->d0 * F : 0;
    b = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeYes, CLBlastTransposeNo, in, out, rows,
                     1.0f, input, input_offset, in, dz, 0, out, 0.0f, dev->g,
                     rank_mlp_weight_offset(s, l), out, &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "weight gradient (GEMM)", b);
    rank_mlp_timed(dev, &ev, &times->gemv);
    const cl_uint units = (cl_uint)out, bias_at = (cl_uint)rank_mlp_bias_offset(s, l);
    k = MLP_K_COLUMN_SUM;
    MLP_ARG(k, 0, dz);
    MLP_ARG(k, 1, n_rows);
    MLP_ARG(k, 2, units);
    MLP_ARG(k, 3, dev->g);
    MLP_ARG(k, 4, bias_at);
    if (!rank_mlp_launch(dev, k, out, &times->activation, "bias gradient", error, error_size)) {
      return 0;
    }
    if (l == 0) break;
    b = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, rows, in, out,
                     1.0f, dz, 0, out, dev->p, rank_mlp_weight_offset(s, l), out, 0.0f, da, 0, in,
                     &dev->queue, e);
    if (b != CLBlastSuccess) return blas_failed(error, error_size, "back a layer (GEMM)", b);
    rank_mlp_timed(dev, &ev, &times->gemv);
    const cl_uint below = (cl_uint)in;
    k = MLP_K_RELU_BACKWARD;
    MLP_ARG(k, 0, da);
    MLP_ARG(k, 1, dev->a[l - 1]);
    MLP_ARG(k, 2, n_rows);
    MLP_ARG(k, 3, below);
    MLP_ARG(k, 4, st->dropout_scale);
    if (!rank_mlp_launch(dev, k, rows * in, &times->activation, "ReLU backward", error,
                         error_size)) {
      return 0;
    }
    const cl_mem swap = dz;
    dz = da;
    da = swap;
  }
  return 1;
}
