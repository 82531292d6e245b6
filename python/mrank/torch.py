"""mrank.torch: torch.nn.MarginRankingLoss computed by mrank (on any OpenCL device, or "host").

    from mrank.torch import MarginRankingLoss
    loss_fn = MarginRankingLoss(margin=0.5)          # the default device
    loss = loss_fn(s1, s2, target)                   # CPU tensors; autograd as usual
    loss.backward()

PyTorch's torch.nn.functional.margin_ranking_loss is the specification, case by case:
  - dtypes promote as PyTorch promotes them (float32 with float64 computes in float64; an integer
    target takes the inputs' type); the target is converted as that promotion converts it and
    handed to mrank as float32 labels only where float32 holds its values exactly. A target it
    cannot hold (a float64 value that is no float32 one, an int64 past 2^24 with float64 inputs)
    is left to PyTorch's own function, never rounded silently;
  - shapes broadcast by PyTorch's rules between tensors of one rank (PyTorch refuses others, and so
    does this module, with its words; up to 5 dimensions; views are passed with their strides);
    each gradient is that of PyTorch's autograd: the upstream gradient of every loss element
    (grad / n for "mean", as PyTorch's mean backward makes it) through mrank's backward, then
    summed back over the dimensions an input was broadcast along;
  - the target has a gradient too, -(input1 - input2) times the upstream gradient where the hinge
    is active, computed as PyTorch's autograd computes it;
  - a second backward() without retain_graph=True raises, as PyTorch's does.

The forward pass runs mrank's fused forward+backward when a gradient of input1 or input2 will be
wanted: the loss and the gradients for an upstream gradient of 1 come out of one pass; backward
uses them as they are when the upstream gradient is 1 (the usual loss.backward()), and runs
mrank's backward with the actual upstream gradient otherwise.

Against torch.nn.functional.margin_ranking_loss on the same tensors: the elementwise loss
(reduction "none") has the same bits for finite inputs; "mean" and "sum" lie within mrank's stated
bound (mrank.Context.reduction_error_bound) of PyTorch's, as two summation orders do; gradients
have the same values (those summed over a broadcast dimension within the same kind of bound), with
two documented differences:
  - Caffe2's rule, mrank's: the gradient passes where -y (x1 - x2) + margin is >= 0 *or NaN*;
    PyTorch's clamp_min gives 0 where it is NaN. nan_gradient="torch" applies PyTorch's rule (one
    extra pass over the inputs).
  - an inactive element's gradient is +0.0 in mrank where PyTorch's is 0 * (-y), -0.0 for y > 0:
    equal as numbers, not as bits.
float16 and bfloat16 are computed in float and rounded once (PyTorch rounds after each operation on
the CPU): the elementwise loss can differ from PyTorch's in the last bit.

Tensors must be on the CPU (their memory is passed to mrank, which moves it to its own device);
a tensor of another dtype than the computation's is converted first (a copy).
Under torch.compile the loss is an opaque call (torch.compiler.disable): the graph breaks around it
and the rest compiles.
"""
import numpy as np
import torch

import mrank

__all__ = ["MarginRankingLoss", "margin_ranking_loss"]

_BF16 = getattr(torch, "bfloat16", None)


def _numpy(tensor, name):
    """A CPU tensor's memory as a numpy array (no copy when contiguous); bfloat16 through
    ml_dtypes."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError("%s must be a torch.Tensor, not %s" % (name, type(tensor).__name__))
    if tensor.device.type != "cpu":
        raise ValueError("%s is on %s; mrank.torch takes CPU tensors (mrank moves the data to its "
                         "own OpenCL device)" % (name, tensor.device))
    tensor = tensor.detach()  # a view keeps its strides: mrank takes them as they are
    if tensor.dtype == _BF16:
        try:
            import ml_dtypes
        except ImportError:
            raise TypeError("%s is bfloat16, which needs ml_dtypes (pip install ml_dtypes)" %
                            name) from None
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


def _tensor(array, dtype):
    """mrank's result as a tensor of the inputs' dtype, sharing its memory (0-d stays 0-d)."""
    if dtype == _BF16:
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


_COMPUTED = {torch.float32, torch.float64, torch.float16}
if _BF16 is not None:
    _COMPUTED.add(_BF16)


def _result_dtype(x1, x2, target):
    """The dtype PyTorch computes -target * (input1 - input2) + margin in: its type promotion of
    the three (an integer target takes the inputs' floating type)."""
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    if target.dtype.is_floating_point:
        dtype = torch.promote_types(dtype, target.dtype)
    return dtype


def _exact_labels(target, dtype):
    """The target as mrank's float32 labels, converted as PyTorch's promotion converts it (to the
    compute dtype), or None when float32 cannot hold those values exactly (a float64 target that
    is not a float32 value, an int64 one past 2^24 with float64 inputs): never a silent rounding.
    """
    y = target.detach().to(dtype)
    labels = y.to(torch.float32)
    back = labels.to(dtype)
    if not bool(((back == y) | torch.isnan(y)).all()):
        return None
    return labels


def _hinge(x1, x2, target, margin, dtype):
    """PyTorch's own -target * (input1 - input2) + margin (the broadcast shape), and input1 -
    input2, in the compute dtype."""
    difference = x1.detach().to(dtype) - x2.detach().to(dtype)
    return -target.detach().to(dtype) * difference + margin, difference


class _Loss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x1, x2, target, margin, reduction, context, nan_gradient, dtype, labels):
        a, b = _numpy(x1.to(dtype), "input1"), _numpy(x2.to(dtype), "input2")
        y = labels.numpy()
        fused = None
        if any(ctx.needs_input_grad[:2]):  # the gradients for an upstream 1 in the same pass
            loss, dx1, dx2 = context.forward_backward(a, b, y, margin, reduction)
            fused = (dx1, dx2)
        else:
            loss = context.forward(a, b, y, margin, reduction)
        # the tensors through save_for_backward, so that a second backward without retain_graph
        # raises as PyTorch's does; mrank's arrays of them beside
        ctx.save_for_backward(x1, x2, target)
        ctx.arrays, ctx.fused = (a, b, y), fused
        # mean divides by the loss's element count: the broadcast shape's, not an input's
        count = int(np.prod(torch.broadcast_shapes(x1.shape, x2.shape, target.shape), dtype=np.int64))
        ctx.settings = (margin, reduction, context, nan_gradient, dtype, count)
        return _tensor(loss, dtype)

    @staticmethod
    def backward(ctx, grad):
        x1, x2, target = ctx.saved_tensors
        a, b, y = ctx.arrays
        margin, reduction, context, nan_gradient, dtype, n = ctx.settings
        want1, want2, want_target = ctx.needs_input_grad[:3]
        grad = grad.detach().to(dtype)
        # each loss element's upstream gradient, as PyTorch's reduction backward makes it
        element = grad / n if reduction == "mean" else grad
        hinge = difference = None
        if nan_gradient == "torch" or want_target:
            hinge, difference = _hinge(x1, x2, target, margin, dtype)
        nan = nan_gradient == "torch" and bool(torch.isnan(hinge).any())
        dx1 = dx2 = None
        if want1 or want2:
            ones = bool((grad == 1).all())
            if ctx.fused is not None and ones and not nan:
                g1, g2 = ctx.fused  # the fused pass's gradients are those of an upstream 1
            elif nan:
                # PyTorch's clamp_min passes nothing where the hinge is NaN: an upstream 0 there
                upstream = element.expand(hinge.shape).clone()
                upstream[torch.isnan(hinge)] = 0
                g1, g2 = context.backward(a, b, y, _numpy(upstream, "the gradient"), margin,
                                          "none")
            else:
                upstream = _numpy(element, "the gradient")
                g1, g2 = context.backward(a, b, y, upstream, margin,
                                          "none" if reduction == "none" else "sum")
            ctx.fused = None
            dx1 = _tensor(g1, dtype).to(x1.dtype) if want1 else None
            dx2 = _tensor(g2, dtype).to(x2.dtype) if want2 else None
        dtarget = None
        if want_target:
            # PyTorch's: d/d(-t) of (-t) * d is the clamped upstream times d, then negated
            active = hinge >= 0 if nan_gradient == "torch" else ~(hinge < 0)
            clamped = torch.where(active, element.expand(hinge.shape), torch.zeros((), dtype=dtype))
            dtarget = (-(clamped * difference)).sum_to_size(target.shape).to(target.dtype)
        return (dx1, dx2, dtarget) + (None,) * 6


_shared = {}


def _context(device):
    """The context for a device selector, made once per process and selector."""
    key = device if device is None else str(device)
    if key not in _shared:
        _shared[key] = mrank.Context(key)
    return _shared[key]


def _apply(x1, x2, target, margin, reduction, context, nan_gradient):
    dtype = _result_dtype(x1, x2, target)
    if dtype not in _COMPUTED:
        raise TypeError("input1 (%s), input2 (%s) and target (%s) compute in %s; mrank.torch takes "
                        "floating-point inputs (float32, float64, float16, bfloat16)" %
                        (x1.dtype, x2.dtype, target.dtype, dtype))
    labels = _exact_labels(target, dtype)
    if labels is None:
        # mrank's labels are float32: a target it cannot hold exactly is left to PyTorch itself,
        # whose results these are then (the nan_gradient rule is PyTorch's there)
        return torch.nn.functional.margin_ranking_loss(x1, x2, target, margin=margin,
                                                       reduction=reduction)
    return _Loss.apply(x1, x2, target, margin, reduction, context, nan_gradient, dtype, labels)


if hasattr(torch, "compiler") and hasattr(torch.compiler, "disable"):
    _apply = torch.compiler.disable(_apply)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean", device=None,
                        nan_gradient="caffe2"):
    """torch.nn.functional.margin_ranking_loss through mrank (see the module's notes)."""
    if reduction not in mrank.REDUCTIONS:
        raise ValueError("reduction must be one of 'none', 'mean', 'sum', not %r" % (reduction,))
    if nan_gradient not in ("caffe2", "torch"):
        raise ValueError("nan_gradient must be 'caffe2' or 'torch', not %r" % (nan_gradient,))
    for tensor, name in ((input1, "input1"), (input2, "input2"), (target, "target")):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError("%s must be a torch.Tensor, not %s" % (name, type(tensor).__name__))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        # PyTorch's own check and words: the shapes broadcast only between tensors of one rank
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            "input1: %s, input2: %s, target: %s " % (input1.size(), input2.size(), target.size()))
    return _apply(input1, input2, target, float(margin), reduction, _context(device),
                  nan_gradient)


class MarginRankingLoss(torch.nn.Module):
    """torch.nn.MarginRankingLoss computed by mrank: loss = max(0, -y (x1 - x2) + margin), its
    "mean" (the default), "sum" or elementwise ("none"). device: an mrank selector (None: the
    default device; "host": the CPU reference). nan_gradient: "caffe2" (mrank's rule) or "torch".
    """

    def __init__(self, margin=0.0, reduction="mean", device=None, nan_gradient="caffe2"):
        super().__init__()
        if reduction not in mrank.REDUCTIONS:
            raise ValueError("reduction must be one of 'none', 'mean', 'sum', not %r" %
                             (reduction,))
        if nan_gradient not in ("caffe2", "torch"):
            raise ValueError("nan_gradient must be 'caffe2' or 'torch', not %r" % (nan_gradient,))
        self.margin, self.reduction, self.device = float(margin), reduction, device
        self.nan_gradient = nan_gradient

    def forward(self, input1, input2, target):
        return margin_ranking_loss(input1, input2, target, self.margin, self.reduction,
                                   self.device, self.nan_gradient)

    def extra_repr(self):
        return "margin=%g, reduction=%r, device=%r" % (self.margin, self.reduction, self.device)
