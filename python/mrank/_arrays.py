"""_arrays.py: the checks and conversions between numpy arrays and mrank's typed entry points."""
import numpy as np

from . import _lib

try:  # bfloat16 where ml_dtypes is installed
    import ml_dtypes

    _BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - depends on the environment
    _BFLOAT16 = None

# mrank_dtype codes
F32, F16, BF16, F64, I32, I8 = range(6)
_DATA = {np.dtype(np.float32): F32, np.dtype(np.float16): F16, np.dtype(np.float64): F64}
if _BFLOAT16 is not None:
    _DATA[_BFLOAT16] = BF16
_LABELS = {np.dtype(np.float32): F32, np.dtype(np.int32): I32, np.dtype(np.int8): I8}
_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError("reduction must be one of 'none', 'mean', 'sum', not %r" % (reduction,))
    return _REDUCTIONS[reduction]


def data_code(dtype, name):
    if dtype not in _DATA:
        allowed = ", ".join(str(d) for d in _DATA)
        raise TypeError("%s has dtype %s; mrank takes %s%s" % (
            name, dtype, allowed, "" if _BFLOAT16 is not None else
            " (and bfloat16 with ml_dtypes installed)"))
    return _DATA[dtype]


def _array(value, name):
    if not isinstance(value, np.ndarray):
        raise TypeError("%s must be a numpy array, not %s" % (name, type(value).__name__))
    return value


class Operands:
    """x1, x2 and y checked against each other, contiguous, with their descriptor."""

    def __init__(self, x1, x2, y, margin, reduction):
        x1, x2, y = _array(x1, "x1"), _array(x2, "x2"), _array(y, "y")
        code = data_code(x1.dtype, "x1")
        if x2.dtype != x1.dtype:
            raise TypeError("x2 has dtype %s and x1 %s; give both the same" % (x2.dtype, x1.dtype))
        if y.dtype not in _LABELS:
            raise TypeError("y has dtype %s; mrank takes float32, int32 or int8 labels" % y.dtype)
        for other, name in ((x2, "x2"), (y, "y")):
            if other.shape != x1.shape:
                raise ValueError("%s has shape %s and x1 %s; give x1, x2 and y one shape" % (
                    name, other.shape, x1.shape))
        try:
            margin = float(margin)
        except (TypeError, ValueError):
            raise TypeError("margin must be a number, not %s" % type(margin).__name__) from None
        # a contiguous array is passed as it is; a view is copied once
        self.x1, self.x2, self.y = (np.ascontiguousarray(a) for a in (x1, x2, y))
        self.shape, self.dtype, self.n = x1.shape, x1.dtype, x1.size
        self.reduction = reduction
        self.desc = _lib.Desc(code, _LABELS[y.dtype], check_reduction(reduction), margin)

    def output(self, given=None, name="out"):
        shape = self.shape if self.reduction == "none" else ()
        if given is None:
            return np.empty(shape, dtype=self.dtype)
        return self._check_out(given, name, shape)

    def gradients(self, given=None, first=0):
        """new (dx1, dx2), or the caller's out[first], out[first + 1] checked"""
        if given is None:
            return np.empty(self.shape, dtype=self.dtype), np.empty(self.shape, dtype=self.dtype)
        return tuple(self._check_out(a, "out[%d]" % (k + first), self.shape)
                     for k, a in enumerate(given))

    def _check_out(self, array, name, shape):
        """a caller's output array: written in place, so it must be exactly what mrank writes"""
        array = _array(array, name)
        if array.dtype != self.dtype or array.shape != shape:
            raise ValueError("%s must be a %s array of shape %s, not %s of shape %s" % (
                name, self.dtype, shape, array.dtype, array.shape))
        if not array.flags.c_contiguous or not array.flags.writeable:
            raise ValueError("%s must be C-contiguous and writeable (mrank writes it in place)" %
                             name)
        for operand, operand_name in ((self.x1, "x1"), (self.x2, "x2"), (self.y, "y")):
            if np.may_share_memory(array, operand):
                raise ValueError("%s overlaps %s; give outputs memory of their own" % (
                    name, operand_name))
        return array

    def gradient_input(self, dloss):
        """dloss as the library reads it: an array like x1 ("none") or one element."""
        if self.reduction == "none":
            dloss = _array(dloss, "dloss")
            if dloss.shape != self.shape:
                raise ValueError("dloss has shape %s and x1 %s; with reduction 'none' give one "
                                 "gradient per element" % (dloss.shape, self.shape))
            if dloss.dtype != self.dtype:
                raise TypeError("dloss has dtype %s and x1 %s; give both the same" % (
                    dloss.dtype, self.dtype))
            return np.ascontiguousarray(dloss)
        value = np.asarray(dloss)
        if value.size != 1:
            raise ValueError("dloss must be one number with reduction %r, not shape %s" % (
                self.reduction, value.shape))
        return np.array(value.reshape(()), dtype=self.dtype)
