"""mrank.reference: the CPU reference of every operation (the oracle every device is checked
against): the same conversions and the same operations in the same order; "mean" and "sum"
accumulated in double. No OpenCL is involved. Arguments and results as for mrank.Context."""
from . import backward as _backward
from . import forward as _forward
from . import forward_backward as _forward_backward

__all__ = ["forward", "backward", "forward_backward"]


def forward(x1, x2, y, margin=1.0, reduction="mean"):
    """The loss max(0, -y (x1 - x2) + margin), elementwise or reduced."""
    return _forward(None, x1, x2, y, margin, reduction, reference=True)


def backward(x1, x2, y, dloss, margin=1.0, reduction="mean"):
    """(dx1, dx2) for the incoming gradient dloss (Caffe2's rule: the gradient passes where the
    hinge is active or NaN)."""
    return _backward(None, x1, x2, y, dloss, margin, reduction, reference=True)


def forward_backward(x1, x2, y, margin=1.0, reduction="mean"):
    """(loss, dx1, dx2), the gradients for dloss = 1."""
    return _forward_backward(None, x1, x2, y, margin, reduction, reference=True)
