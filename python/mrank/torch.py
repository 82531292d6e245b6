"""mrank.torch: torch.nn.MarginRankingLoss computed by mrank (on any OpenCL device, or "host").

    from mrank.torch import MarginRankingLoss
    loss_fn = MarginRankingLoss(margin=0.5)          # the default device
    loss = loss_fn(s1, s2, target)                   # CPU tensors; autograd as usual
    loss.backward()

The forward pass runs mrank's fused forward+backward: the loss and the gradients for an upstream
gradient of 1 come out of one pass over the data; backward scales them by the incoming gradient
(for "mean" with an incoming gradient other than 1, it asks mrank for the unscaled gradient and
divides as PyTorch does, so the bits stay PyTorch's).

Against torch.nn.MarginRankingLoss on the same float32 or float64 tensors: the elementwise loss
(reduction "none") has the same bits for finite inputs; "mean" and "sum" lie within mrank's stated
bound (mrank.Context.reduction_error_bound) of PyTorch's, as two summation orders do; gradients
have the same values, with two documented differences:
  - Caffe2's rule, mrank's: the gradient passes where -y (x1 - x2) + margin is >= 0 *or NaN*;
    PyTorch's clamp_min gives 0 where it is NaN. nan_gradient="torch" applies PyTorch's rule (one
    extra pass over the inputs).
  - an inactive element's gradient is +0.0 in mrank where PyTorch's is 0 * (-y), -0.0 for y > 0:
    equal as numbers, not as bits.
float16 and bfloat16 are computed in float and rounded once (PyTorch rounds after each operation on
the CPU): the elementwise loss can differ from PyTorch's in the last bit.

Tensors must be on the CPU (their memory is passed to mrank, which moves it to its own device);
their shapes broadcast (up to 5 dimensions) and views are passed with their strides, no copy.
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


def _torch_nan_rule(a, b, y, margin, *gradients):
    """PyTorch's clamp_min passes no gradient where the hinge is NaN: zero them there."""
    with np.errstate(invalid="ignore"):
        nan = np.isnan(-y.astype(np.float64) * (a.astype(np.float64) - b.astype(np.float64)) +
                       margin)
    for gradient in gradients:
        gradient[nan] = 0


class _Loss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x1, x2, target, margin, reduction, context, nan_gradient):
        a, b = _numpy(x1, "input1"), _numpy(x2, "input2")
        y = _numpy(target, "target")
        if y.dtype not in (np.float32, np.int32, np.int8):
            y = y.astype(np.float32) if y.dtype.kind == "f" else y.astype(np.int32)
        if not any(ctx.needs_input_grad[:2]):  # no gradient wanted: the forward pass alone
            return _tensor(context.forward(a, b, y, margin, reduction), x1.dtype)
        loss, dx1, dx2 = context.forward_backward(a, b, y, margin, reduction)
        if nan_gradient == "torch":
            _torch_nan_rule(a, b, y, margin, dx1, dx2)
        # kept as an attribute, not save_for_backward: backward hands them over and drops its own
        # reference, so that autograd takes them as the inputs' .grad without copying them
        ctx.dx = (_tensor(dx1, x1.dtype), _tensor(dx2, x1.dtype))
        ctx.reduction, ctx.n, ctx.dtype = reduction, a.size, x1.dtype
        ctx.inputs = (a, b, y, margin, context, nan_gradient)
        return _tensor(loss, x1.dtype)

    @staticmethod
    def backward(ctx, grad):
        a, b, y, margin, context, nan_gradient = ctx.inputs
        rest = (None,) * 5
        if ctx.reduction == "mean" and not bool(grad == 1):
            # an incoming gradient other than 1: PyTorch divides it by n, then multiplies
            one = np.ones((), dtype=a.dtype)
            s1, s2 = context.backward(a, b, y, one, margin, "sum")
            if nan_gradient == "torch":
                _torch_nan_rule(a, b, y, margin, s1, s2)
            scale = grad / ctx.n
            return (scale * _tensor(s1, ctx.dtype), scale * _tensor(s2, ctx.dtype)) + rest
        if ctx.dx is not None:
            dx1, dx2 = ctx.dx
            ctx.dx = None
        else:  # a second backward through a retained graph: the gradients once more
            _, g1, g2 = context.forward_backward(a, b, y, margin, ctx.reduction)
            if nan_gradient == "torch":
                _torch_nan_rule(a, b, y, margin, g1, g2)
            dx1, dx2 = _tensor(g1, ctx.dtype), _tensor(g2, ctx.dtype)
        if ctx.reduction != "mean":  # PyTorch's grad * (-y), as mrank's for an upstream 1
            return (grad * dx1, grad * dx2) + rest
        return (dx1, dx2) + rest  # the fused pass's (1 / n) (-y), PyTorch's bits


_shared = {}


def _context(device):
    """The context for a device selector, made once per process and selector."""
    key = device if device is None else str(device)
    if key not in _shared:
        _shared[key] = mrank.Context(key)
    return _shared[key]


def _apply(x1, x2, target, margin, reduction, context, nan_gradient):
    return _Loss.apply(x1, x2, target, margin, reduction, context, nan_gradient)


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
