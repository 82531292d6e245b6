"""mrank: the margin ranking loss (Caffe2's MarginRankingCriterion, PyTorch's MarginRankingLoss)
and its gradient on any OpenCL device, checked against a CPU reference.

    import numpy as np, mrank
    with mrank.Context() as ctx:                 # the default device (MRANK_DEVICE, else GPU...)
        loss = ctx.forward(x1, x2, y, margin=1.0, reduction="mean")
        loss, dx1, dx2 = ctx.forward_backward(x1, x2, y)

Arrays: x1 and x2 float32, float16, float64 or bfloat16 (ml_dtypes.bfloat16, where installed), of
one dtype; y float32, int32 or int8. Their shapes broadcast by numpy's (and PyTorch's) rules, up to
5 dimensions; views (slices, transposes, np.broadcast_to) are passed with their strides, without a
copy (only a view with negative strides is copied first). The loss has the broadcast shape with
reduction "none" (a 0-d array with "mean" or "sum"); dx1 and dx2 have x1's and x2's shapes, the
gradient of a broadcast input summed over the dimensions it was broadcast along.

A context is for one thread at a time, as in C; calls from several threads on one context are
serialised by a lock. Device work runs without the GIL. `mrank.reference` is the CPU oracle (no
OpenCL); `mrank.torch` the PyTorch loss module.
"""
import ctypes
import threading

import numpy as np

from . import _lib
from ._arrays import Operands, check_reduction, data_code
from ._lib import lib

__all__ = ["Context", "Error", "Ranker", "devices", "evaluate_scores", "version", "reference",
           "REDUCTIONS"]

REDUCTIONS = ("none", "mean", "sum")

_STATUS_NAMES = {
    0: "MRANK_SUCCESS",
    1: "MRANK_ERROR_INVALID_ARGUMENT",
    2: "MRANK_ERROR_DEVICE_NOT_FOUND",
    3: "MRANK_ERROR_UNSUPPORTED",
    4: "MRANK_ERROR_BUILD_FAILED",
    5: "MRANK_ERROR_OUT_OF_MEMORY",
    6: "MRANK_ERROR_OPENCL",
    7: "MRANK_ERROR_IO",
    8: "MRANK_ERROR_DIVERGED",
    9: "MRANK_ERROR_STOPPED",
}


class Error(Exception):
    """An mrank failure: `status` is the status name ("MRANK_ERROR_UNSUPPORTED"), `message` what
    mrank_last_error() said (what was wrong and what to do)."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__("%s: %s" % (status, message))


def _count(value, name):
    """A count of elements: an int (or numpy integer) of 0 or more; a str, a float or a bool is
    refused rather than converted (n='10' and n=2.5 used to run, n=-1 to wrap to 2^64 - 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError("%s must be a whole number of elements (an int), not %s %r" %
                        (name, type(value).__name__, value))
    if value < 0:
        raise ValueError("%s must be 0 or more, not %d" % (name, value))
    return int(value)


def _check(status):
    if status != 0:
        message = lib.mrank_last_error().decode("utf-8", "replace")
        raise Error(_STATUS_NAMES.get(status, "status %d" % status), message)


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return lib.mrank_version().decode()


_FP_WORDS = [(1 << 0, "denorm"), (1 << 1, "inf_nan"), (1 << 2, "round_to_nearest"),
             (1 << 3, "round_to_zero"), (1 << 4, "round_to_inf"), (1 << 5, "fma"),
             (1 << 6, "soft_float"), (1 << 7, "correctly_rounded_divide_sqrt")]


def _fp_words(config):
    words = [name for bit, name in _FP_WORDS if config & bit]
    return " ".join(words) if words else "none"


def devices():
    """Every OpenCL device as `mrank devices --json --verbose` lists it: one dict per device with
    the same fields (and platform_index, platform_name, platform_version). [] without any."""
    count = ctypes.c_size_t(0)
    _check(lib.mrank_device_count(ctypes.byref(count)))
    found = []
    for index in range(count.value):
        info = _lib.DeviceInfo()
        _check(lib.mrank_device_describe(index, ctypes.byref(info)))
        text = lambda field: getattr(info, field).decode("utf-8", "replace")  # noqa: E731
        found.append({
            "platform_index": info.platform_index,
            "platform_name": text("platform_name"),
            "platform_version": text("platform_version"),
            "selector": text("selector"),
            "type": text("type"),
            "name": text("name"),
            "vendor": text("vendor"),
            "driver_version": text("driver_version"),
            "device_version": text("device_version"),
            "opencl_c_version": text("opencl_c_version"),
            "compute_units": info.compute_units,
            "global_memory_bytes": info.global_memory_bytes,
            "max_allocation_bytes": info.max_allocation_bytes,
            "single_fp_config": _fp_words(info.single_fp_config),
            "double_fp_config": _fp_words(info.double_fp_config),
            "half_fp_config": _fp_words(info.half_fp_config),
            "denormals": bool(info.denormals),
            "compiler_available": bool(info.compiler_available),
            "fp64": bool(info.fp64),
            "fp16": bool(info.fp16),
            "local_memory_bytes": info.local_memory_bytes,
            "max_work_group_size": info.max_work_group_size,
            "preferred_float_vector_width": info.preferred_float_vector_width,
            "host_unified_memory": bool(info.host_unified_memory),
            "extensions": text("extensions"),
            "default": bool(info.is_default),
            "mrank_device": bool(info.is_environment_choice),
        })
    return found


def _run(function, context, operands, *extra):
    """One call of an _ex entry point (context None: the reference's), raising Error on failure."""
    arguments = [ctypes.byref(operands.desc), operands.n, operands.x1.ctypes.data,
                 operands.x2.ctypes.data, operands.y.ctypes.data]
    arguments += [array.ctypes.data for array in extra]
    if context is not None:
        arguments.insert(0, context)
    _check(function(*arguments))


def _outputs_apart(*arrays):
    for k, a in enumerate(arrays):
        for b in arrays[k + 1:]:
            if np.may_share_memory(a, b):
                raise ValueError("the out arrays overlap; give each memory of its own")


def _out_tuple(out, count):
    if not isinstance(out, tuple) or len(out) != count:
        raise TypeError("out must be a tuple of %d arrays" % count)
    return out


def _run_tensor(name, context, operands, dloss=None, loss=None, dx1=None, dx2=None):
    """one call of a tensor entry point: mrank_<name>_tensor, or its reference (context None)"""
    o = operands
    arguments = [o.desc.reduction, o.desc.margin]
    for desc, array in zip(o.descs, (o.x1, o.x2, o.y)):
        arguments += [ctypes.byref(desc), array.ctypes.data]
    for array in (dloss, loss, dx1, dx2):
        if array is not None:
            arguments += [ctypes.byref(o.descriptor(array)), array.ctypes.data]
    if context is None:
        function = getattr(lib, "mrank_reference_%s_tensor" % name)
    else:
        function = getattr(lib, "mrank_%s_tensor" % name)
        arguments.insert(0, context)
    _check(function(*arguments))


def forward(context, x1, x2, y, margin, reduction, reference=False, out=None):
    operands = Operands(x1, x2, y, margin, reduction)
    loss = operands.output(out)
    if operands.tensor:
        _run_tensor("forward", None if reference else context, operands, loss=loss)
    elif reference:
        _run(lib.mrank_reference_forward_ex, None, operands, loss)
    else:
        _run(lib.mrank_forward_ex, context, operands, loss)
    return loss


def backward(context, x1, x2, y, dloss, margin, reduction, reference=False, out=None):
    operands = Operands(x1, x2, y, margin, reduction)
    dloss = operands.gradient_input(dloss)
    dx1, dx2 = operands.gradients(None if out is None else _out_tuple(out, 2))
    _outputs_apart(dx1, dx2)
    if operands.tensor:
        if dloss.ndim == 0:  # the descriptor of a reduction's one upstream gradient
            dloss = dloss.reshape(())
        _run_tensor("backward", None if reference else context, operands, dloss=dloss, dx1=dx1,
                    dx2=dx2)
    elif reference:
        _run(lib.mrank_reference_backward_ex, None, operands, dloss, dx1, dx2)
    else:
        _run(lib.mrank_backward_ex, context, operands, dloss, dx1, dx2)
    return dx1, dx2


def forward_backward(context, x1, x2, y, margin, reduction, reference=False, out=None):
    operands = Operands(x1, x2, y, margin, reduction)
    if out is not None:
        out = _out_tuple(out, 3)
    loss = operands.output(None if out is None else out[0], "out[0]")
    dx1, dx2 = operands.gradients(None if out is None else out[1:], first=1)
    if out is not None:
        _outputs_apart(loss, dx1, dx2)
    if operands.tensor:
        _run_tensor("forward_backward", None if reference else context, operands, loss=loss,
                    dx1=dx1, dx2=dx2)
    elif reference:
        _run(lib.mrank_reference_forward_backward_ex, None, operands, loss, dx1, dx2)
    else:
        _run(lib.mrank_forward_backward_ex, context, operands, loss, dx1, dx2)
    return loss, dx1, dx2


class Context:
    """A device and what mrank keeps for it (compiled kernels, staging buffers).

    selector: None reads MRANK_DEVICE, else the first GPU, accelerator, CPU; or "gpu", "cpu",
    "accelerator", "host" (the CPU reference, no OpenCL), "P:D" as `mrank devices` lists them, or
    part of a device's name. binary_dir: a folder made by `mrank compile` to run from (None: as
    MRANK_BINARY_DIR says). variant: the kernels' shape, "epw=E,vw=V,wg=G,sum=direct|local"
    (None: MRANK_VARIANT, else what `mrank autotune` stored, else the device type's default; every
    shape gives the same bits). Close it with close(), or use it as a context manager."""

    def __init__(self, selector=None, binary_dir=None, variant=None):
        if selector is not None and not isinstance(selector, str):
            raise TypeError("selector must be a str or None, not %s" % type(selector).__name__)
        if binary_dir is not None and not isinstance(binary_dir, str):
            raise TypeError("binary_dir must be a str or None, not %s" % type(binary_dir).__name__)
        self._handle = None
        self._lock = threading.Lock()
        if variant is not None and not isinstance(variant, str):
            raise TypeError("variant must be a str or None, not %s" % type(variant).__name__)
        options = _lib.ContextOptions(ctypes.sizeof(_lib.ContextOptions),
                                      None if binary_dir is None else binary_dir.encode(),
                                      None if variant is None else variant.encode())
        handle = _lib.mrank_context_p()
        _check(lib.mrank_context_create_ex(None if selector is None else selector.encode(),
                                           ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle

    @property
    def device_name(self):
        """The OpenCL device's name ("A + B" over several), or "host (CPU reference)"."""
        return lib.mrank_context_device_name(self._live()).decode("utf-8", "replace")

    @property
    def device_count(self):
        """How many devices the context spans: more than 1 for a selector such as "all",
        "gpu:all" or "0:0,0:1", whose host-array calls split across them (same bits)."""
        return int(lib.mrank_context_device_count(self._live()))

    @property
    def variant(self):
        """The kernels' shape in use and where it came from ("" on "host")."""
        return lib.mrank_context_variant(self._live()).decode()

    def _live(self):
        if self._handle is None:
            raise ValueError("this mrank.Context is closed; create another")
        return self._handle

    def close(self):
        """Releases the device's resources now (a closed context refuses every call)."""
        with self._lock:
            if self._handle is not None:
                lib.mrank_context_destroy(self._handle)
                self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            lib.mrank_context_destroy(self._handle)
            self._handle = None

    def __repr__(self):
        state = "closed" if self._handle is None else repr(self.device_name)
        return "mrank.Context(%s)" % state

    def forward(self, x1, x2, y, margin=1.0, reduction="mean", out=None):
        """The loss max(0, -y (x1 - x2) + margin): elementwise ("none") or its "mean" or "sum".
        out: an array to write it into (C-contiguous, x1's dtype, x1's shape or 0-d) instead of a
        new one, for loops that call again and again (a new large array costs page faults)."""
        with self._lock:
            return forward(self._live(), x1, x2, y, margin, reduction, out=out)

    def backward(self, x1, x2, y, dloss, margin=1.0, reduction="mean", out=None):
        """(dx1, dx2) for the incoming gradient dloss: an array like x1 with "none", a number (or
        0-d array) with "mean" and "sum". Where the hinge is active (-y (x1 - x2) + margin >= 0,
        or NaN: Caffe2's rule), dx1 = -y dloss and dx2 = y dloss (dloss / n for "mean").
        out: (dx1, dx2) arrays to write into, as for forward."""
        with self._lock:
            return backward(self._live(), x1, x2, y, dloss, margin, reduction, out=out)

    def forward_backward(self, x1, x2, y, margin=1.0, reduction="mean", out=None):
        """(loss, dx1, dx2) in one pass over the data, the gradients for dloss = 1. out: (loss,
        dx1, dx2) arrays to write into, as for forward."""
        with self._lock:
            return forward_backward(self._live(), x1, x2, y, margin, reduction, out=out)

    def reduction_error_bound(self, n, dtype=np.float32, reduction="mean"):
        """The relative bound of a reduction of n elements of dtype on this device: |result -
        exact| <= bound * sum(|loss_i|) for "sum" (that over n for "mean")."""
        n = _count(n, "n")
        desc = _lib.Desc(data_code(np.dtype(dtype), "dtype"), 0, check_reduction(reduction), 1.0)
        with self._lock:
            return lib.mrank_reduction_error_bound_ex(self._live(), ctypes.byref(desc), n)

    def validate(self, n=4097, op="fused", reduction="mean", margin=1.0, dtype="f32",
                 labels="f32", seed=1):
        """One problem of `mrank validate` on this device: a dict with the verdict ("PASSED",
        "FAILED", "MISTRUSTED"), each output's comparison with the reference, and the gradient
        check."""
        ops = {"forward": 0, "backward": 1, "fused": 2}
        types = {"f32": 0, "f16": 1, "bf16": 2, "f64": 3, "i32": 4, "i8": 5}
        if op not in ops:
            raise ValueError("op must be one of forward, backward, fused, not %r" % (op,))
        if dtype not in ("f32", "f16", "bf16", "f64"):
            raise ValueError("dtype must be one of f32, f16, bf16, f64, not %r" % (dtype,))
        if labels not in ("f32", "i32", "i8"):
            raise ValueError("labels must be one of f32, i32, i8, not %r" % (labels,))
        problem = _lib.Problem(ops[op], check_reduction(reduction), _count(n, "n"), float(margin),
                               _count(seed, "seed"), 0, types[dtype], types[labels])
        report = _lib.Validation()
        with self._lock:
            _check(lib.mrank_validate(self._live(), ctypes.byref(problem), ctypes.byref(report)))
        outputs = []
        for check in report.outputs:
            if not check.checked:
                continue
            outputs.append({field: getattr(check, field) for field, _ in check._fields_})
            outputs[-1]["name"] = check.name.decode()
        return {
            "verdict": lib.mrank_verdict_string(report.verdict).decode(),
            "outputs": outputs,
            "gradient_points": report.gradient_points,
            "gradient_max_error": report.gradient_max_error,
            "gradient_tolerance": report.gradient_tolerance,
            "gradient_passed": bool(report.gradient_passed),
            "flush_to_zero": bool(report.flush_to_zero),
        }


from . import reference  # noqa: E402  (after the functions it wraps)
from .ranker import Ranker, evaluate_scores  # noqa: E402  (after Error, which it raises)
