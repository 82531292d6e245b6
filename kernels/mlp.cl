/* mlp.cl: the MLP scorer's steps around CLBlast's GEMMs (src/rank/mlp_device.c): bias, ReLU and
 * dropout forward; their backward; column sums for the biases' gradients; the optimiser step. The
 * dropout mask is a counter-based hash of (seed, step, layer, document, unit), the same as
 * rank_mlp_keep on the host. OpenCL C 1.2. */
#pragma OPENCL FP_CONTRACT OFF
#ifdef MRANK_REQD_WORK_GROUP_SIZE
#define MRANK_KERNEL __kernel __attribute__((reqd_work_group_size(MRANK_REQD_WORK_GROUP_SIZE, 1, 1)))
#else
#define MRANK_KERNEL __kernel
#endif

uint mix(uint h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

int keep(uint seed, uint step, uint layer, uint doc, uint unit, uint threshold) {
  uint h = mix(seed ^ 0x9e3779b9u);
  h = mix(h ^ step);
  h = mix(h ^ (layer * 0x27d4eb2fu) ^ doc);
  h = mix(h ^ unit);
  return h >= threshold;
}

/* z[i][u] += p[b + u] (the layer's bias); a[i][u] = z > 0 and kept ? z * scale : 0 (rows x units, row-major) */
MRANK_KERNEL void bias_relu(__global float *z, __global const float *p, uint b, __global float *a,
                            uint rows, uint units, uint seed, uint step, uint layer,
                            uint first_doc, uint threshold, float scale) {
  const uint item = get_global_id(0);
  if (item >= rows * units) return;
  const uint i = item / units, u = item % units;
  const float value = z[item] + p[b + u];
  z[item] = value;
  const int on = value > 0.0f && (threshold == 0u || keep(seed, step, layer, first_doc + i, u,
                                                          threshold));
  a[item] = on ? value * scale : 0.0f;
}

/* dz[i][u] = g[first + i] * p[w + u] * scale where the unit was on, else 0 */
MRANK_KERNEL void output_backward(__global const float *g, uint first, __global const float *p,
                                  uint w, __global const float *z, __global float *dz, uint rows,
                                  uint units, uint seed, uint step, uint layer, uint threshold,
                                  float scale) {
  const uint item = get_global_id(0);
  if (item >= rows * units) return;
  const uint i = item / units, u = item % units;
  const int on = z[item] > 0.0f && (threshold == 0u || keep(seed, step, layer, first + i, u,
                                                            threshold));
  dz[item] = on ? g[first + i] * p[w + u] * scale : 0.0f;
}

/* d[i][u] = d[i][u] * scale where the unit was on, else 0 (dA into dZ, in place) */
MRANK_KERNEL void relu_backward(__global float *d, __global const float *z, uint rows, uint units,
                                uint seed, uint step, uint layer, uint first_doc, uint threshold,
                                float scale) {
  const uint item = get_global_id(0);
  if (item >= rows * units) return;
  const uint i = item / units, u = item % units;
  const int on = z[item] > 0.0f && (threshold == 0u || keep(seed, step, layer, first_doc + i, u,
                                                            threshold));
  d[item] = on ? d[item] * scale : 0.0f;
}

/* out[at + u] = sum over rows, in row order */
MRANK_KERNEL void column_sum(__global const float *d, uint rows, uint units, __global float *out,
                             uint at) {
  const uint u = get_global_id(0);
  if (u >= units) return;
  float total = 0.0f;
  for (uint i = 0; i < rows; ++i)
    total += d[i * units + u];
  out[at + u] = total;
}

/* one step over every parameter: 0 SGD, 1 momentum (PyTorch's: v = mu v + g), 2 Adam (PyTorch's,
 * with bias1 = 1 - beta1^t and bias2 = 1 - beta2^t); weight decay is added to the gradient; then the
 * running average of the parameters over the steps (share = 1 / steps) */
MRANK_KERNEL void optimize(__global float *p, __global const float *g, __global float *m,
                           __global float *v, uint count, int kind, float lr, float decay,
                           float momentum, float bias1, float bias2, __global float *average,
                           float share) {
  const uint k = get_global_id(0);
  if (k >= count) return;
  const float grad = g[k] + decay * p[k];
  if (kind == 0) {
    p[k] = p[k] - lr * grad;
  } else if (kind == 1) {
    const float velocity = momentum * m[k] + grad;
    m[k] = velocity;
    p[k] = p[k] - lr * velocity;
  } else {
    const float first = 0.9f * m[k] + 0.1f * grad;
    const float second = 0.999f * v[k] + 0.001f * grad * grad;
    m[k] = first;
    v[k] = second;
    p[k] = p[k] - lr * (first / bias1) / (sqrt(second / bias2) + 1e-8f);
  }
  average[k] = average[k] + (p[k] - average[k]) * share;
}
