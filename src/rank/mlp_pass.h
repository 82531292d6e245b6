/* mlp_pass.h: the layers' part of one MLP step on the device (rank/mlp_device.c runs the pairs,
 * the loss and the optimiser around it), in two ways that compute the same network:
 *   - "dense" (rank/mlp_pass_dense.c): kernels/mlp.cl's own kernels, one launch a layer forward
 *     (GEMM, bias, ReLU and dropout at once) and two back; register-blocked for narrow layers;
 *   - "clblast" (rank/mlp_pass_clblast.c): CLBlast's GEMM and GEMV for the products, with
 *     kernels/mlp.cl's element-wise kernels between them.
 * forward: dev->scores[d0 .. d1) from the batch's documents; backward: every parameter's gradient
 * in dev->g from dev->doc_gradient[d0 .. d1) (already the pairs' sums) and the last hidden layer's
 * delta in dev->d1 (made with them), with 1 / pairs applied. */
#ifndef MRANK_RANK_MLP_PASS_H
#define MRANK_RANK_MLP_PASS_H

#include "rank/mlp_device.h"

int rank_mlp_forward_dense(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                           char *error, size_t error_size);
int rank_mlp_backward_dense(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                            char *error, size_t error_size);
#ifdef MRANK_HAVE_CLBLAST
int rank_mlp_forward_clblast(rank_mlp_device *dev, const rank_mlp_step *st, rank_stage_times *times,
                             char *error, size_t error_size);
int rank_mlp_backward_clblast(rank_mlp_device *dev, const rank_mlp_step *st,
                              rank_stage_times *times, char *error, size_t error_size);
#else
/* a library built without CLBlast (pip install) has the dense pass alone: the device's set-up
 * (rank/mlp_device.c resolve_layers) refuses --gemm clblast there, so these are never chosen */
#define rank_mlp_forward_clblast rank_mlp_forward_dense
#define rank_mlp_backward_clblast rank_mlp_backward_dense
#endif

/* helpers of rank/mlp_device.c for both */
#define MLP_ARG(k, i, v) clSetKernelArg(dev->kernel[k], i, sizeof(v), &(v))
/* launches kernel k over items work-items; its time goes to *stage when profiling; 0 and a
 * message naming `what` on failure */
int rank_mlp_launch(rank_mlp_device *dev, int k, size_t items, double *stage, const char *what,
                    char *error, size_t error_size);
/* the event's time to *stage when profiling (then released) */
void rank_mlp_timed(rank_mlp_device *dev, cl_event *event, double *stage);
int rank_mlp_failed(char *error, size_t size, const char *what, const char *detail);

#endif /* MRANK_RANK_MLP_PASS_H */
