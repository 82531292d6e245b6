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
    if isinstance(value, np.generic):  # a numpy scalar (np.float32(1)) is a 0-d array of its type
        return np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise TypeError("%s must be a numpy array (or numpy scalar), not %s" %
                        (name, type(value).__name__))
    return value


def _strided(array):
    """the array itself when its strides are whole, non-negative elements; else a copy"""
    itemsize = array.dtype.itemsize
    if all(s >= 0 and s % itemsize == 0 for s in array.strides):
        return array
    return np.ascontiguousarray(array)


def _descriptor(array, code):
    """an mrank_tensor of a numpy array: its shape and strides in elements"""
    if array.ndim > _lib.MAX_RANK:
        raise ValueError("mrank takes arrays of at most %d dimensions, not %d" % (_lib.MAX_RANK,
                                                                                  array.ndim))
    t = _lib.Tensor()
    t.dtype, t.rank, t.offset = code, array.ndim, 0
    for k in range(array.ndim):
        t.sizes[k] = array.shape[k]
        t.strides[k] = array.strides[k] // array.dtype.itemsize
    return t


class Operands:
    """x1, x2 and y checked against each other, contiguous, with their descriptor."""

    def __init__(self, x1, x2, y, margin, reduction):
        x1, x2, y = _array(x1, "x1"), _array(x2, "x2"), _array(y, "y")
        code = data_code(x1.dtype, "x1")
        if x2.dtype != x1.dtype:
            raise TypeError("x2 has dtype %s and x1 %s; give both the same" % (x2.dtype, x1.dtype))
        if y.dtype not in _LABELS:
            raise TypeError("y has dtype %s; mrank takes float32, int32 or int8 labels" % y.dtype)
        try:
            margin = float(margin)
        except (TypeError, ValueError):
            raise TypeError("margin must be a number, not %s" % type(margin).__name__) from None
        self.reduction = reduction
        self.dtype = x1.dtype
        self.desc = _lib.Desc(code, _LABELS[y.dtype], check_reduction(reduction), margin)
        same = x1.shape == x2.shape == y.shape
        if same and all(a.flags.c_contiguous for a in (x1, x2, y)):
            self.tensor = False  # the contiguous entry points, arrays passed as they are
            self.x1, self.x2, self.y = x1, x2, y
            self.shape, self.n = x1.shape, x1.size
            return
        # views and broadcasting: the tensor entry points, numpy's strides passed through (a
        # view whose strides are negative or not whole elements is copied first)
        self.tensor = True
        self.x1, self.x2, self.y = (_strided(a) for a in (x1, x2, y))
        self.descs = [_descriptor(a, c) for a, c in ((self.x1, code), (self.x2, code),
                                                     (self.y, _LABELS[y.dtype]))]
        try:
            self.shape = np.broadcast_shapes(x1.shape, x2.shape, y.shape)
        except ValueError:
            # the library's message names the three shapes, the clash and a shape that works
            status = _lib.lib.mrank_reference_forward_tensor(
                1, margin, *(v for d in self.descs for v in (d, None)), None, None)
            message = _lib.lib.mrank_last_error().decode().split(": ", 1)[-1]
            raise ValueError(message if status != 0 else "x1, x2 and y do not broadcast") from None
        self.n = int(np.prod(self.shape, dtype=np.int64))
        self.x1_shape, self.x2_shape = x1.shape, x2.shape

    def descriptor(self, array):
        return _descriptor(array, data_code(array.dtype, "out"))

    def output(self, given=None, name="out"):
        shape = self.shape if self.reduction == "none" else ()
        if given is None:
            return np.empty(shape, dtype=self.dtype)
        return self._check_out(given, name, shape)

    def gradients(self, given=None, first=0):
        """new (dx1, dx2) of x1's and x2's shapes, or the caller's out[first], out[first + 1]"""
        shapes = (self.x1_shape, self.x2_shape) if self.tensor else (self.shape, self.shape)
        if given is None:
            return tuple(np.empty(shape, dtype=self.dtype) for shape in shapes)
        return tuple(self._check_out(a, "out[%d]" % (k + first), shapes[k])
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
        """dloss as the library reads it: an array of the broadcast shape ("none") or one
        element."""
        if self.reduction == "none":
            dloss = _array(dloss, "dloss")
            if dloss.shape != self.shape:
                raise ValueError("dloss has shape %s and the loss %s; with reduction 'none' give "
                                 "one gradient per element" % (dloss.shape, self.shape))
            if dloss.dtype != self.dtype:
                raise TypeError("dloss has dtype %s and x1 %s; give both the same" % (
                    dloss.dtype, self.dtype))
            return _strided(dloss) if self.tensor else np.ascontiguousarray(dloss)
        value = np.asarray(dloss)
        if value.size != 1:
            raise ValueError("dloss must be one number with reduction %r, not shape %s" % (
                self.reduction, value.shape))
        return np.array(value.reshape(()), dtype=self.dtype)
