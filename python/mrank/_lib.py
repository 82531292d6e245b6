"""_lib.py: libmrank through ctypes: the library found and loaded, and the declarations of
include/mrank.h as ctypes needs them. tests/test_header.py checks every declaration here against
the header itself (names, argument kinds, struct layouts through the C compiler), so the two cannot
drift apart unnoticed.

ctypes releases the GIL around every call into the library, so device work in one thread leaves
the others running.
"""
import ctypes
import os
import pathlib

c_size_t, c_int, c_float, c_double = ctypes.c_size_t, ctypes.c_int, ctypes.c_float, ctypes.c_double
c_char_p, c_void_p = ctypes.c_char_p, ctypes.c_void_p
P = ctypes.POINTER

# enums are ints in C
mrank_status = c_int
mrank_reduction = c_int
mrank_dtype = c_int
mrank_op = c_int
mrank_verdict = c_int
mrank_export_kind = c_int
# OpenCL handles and the opaque context: pointers
cl_handle = c_void_p
mrank_context_p = c_void_p

LEDGER_KINDS = 5


class DeviceInfo(ctypes.Structure):
    _fields_ = [
        ("platform_index", ctypes.c_uint),
        ("device_index", ctypes.c_uint),
        ("selector", ctypes.c_char * 32),
        ("type", ctypes.c_char * 16),
        ("platform_name", ctypes.c_char * 256),
        ("platform_version", ctypes.c_char * 256),
        ("name", ctypes.c_char * 256),
        ("vendor", ctypes.c_char * 256),
        ("driver_version", ctypes.c_char * 256),
        ("device_version", ctypes.c_char * 256),
        ("opencl_c_version", ctypes.c_char * 256),
        ("compute_units", ctypes.c_uint),
        ("global_memory_bytes", ctypes.c_ulonglong),
        ("max_allocation_bytes", ctypes.c_ulonglong),
        ("local_memory_bytes", ctypes.c_ulonglong),
        ("max_work_group_size", c_size_t),
        ("preferred_float_vector_width", ctypes.c_uint),
        ("fp64", c_int),
        ("fp16", c_int),
        ("host_unified_memory", c_int),
        ("is_default", c_int),
        ("is_environment_choice", c_int),
        ("extensions", ctypes.c_char * 8192),
        ("single_fp_config", ctypes.c_ulonglong),
        ("double_fp_config", ctypes.c_ulonglong),
        ("half_fp_config", ctypes.c_ulonglong),
        ("denormals", c_int),
        ("compiler_available", c_int),
    ]


class ContextOptions(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("binary_dir", c_char_p), ("variant", c_char_p)]


class Desc(ctypes.Structure):
    _fields_ = [
        ("data", mrank_dtype),
        ("labels", mrank_dtype),
        ("reduction", mrank_reduction),
        ("margin", c_double),
    ]


class Problem(ctypes.Structure):
    _fields_ = [
        ("op", mrank_op),
        ("reduction", mrank_reduction),
        ("n", c_size_t),
        ("margin", c_float),
        ("seed", ctypes.c_ulonglong),
        ("inject_fault", c_int),
        ("data", mrank_dtype),
        ("labels", mrank_dtype),
    ]


class OutputCheck(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char * 8),
        ("checked", c_int),
        ("bitwise", c_int),
        ("compared", c_size_t),
        ("mismatches", c_size_t),
        ("worst_index", c_size_t),
        ("worst_x1", c_double),
        ("worst_x2", c_double),
        ("worst_y", c_double),
        ("worst_device", c_double),
        ("worst_reference", c_double),
        ("max_abs_error", c_double),
        ("max_rel_error", c_double),
        ("bound", c_double),
        ("nonzero", c_size_t),
        ("canary_intact", c_int),
        ("deterministic", c_int),
    ]


class Validation(ctypes.Structure):
    _fields_ = [
        ("verdict", mrank_verdict),
        ("outputs", OutputCheck * 3),
        ("gradient_points", c_size_t),
        ("gradient_max_error", c_double),
        ("gradient_tolerance", c_double),
        ("gradient_passed", c_int),
        ("fault_index", c_size_t),
        ("flush_to_zero", c_int),
    ]


MAX_RANK = 5


class Tensor(ctypes.Structure):
    _fields_ = [
        ("dtype", mrank_dtype),
        ("rank", c_int),
        ("sizes", c_size_t * MAX_RANK),
        ("strides", ctypes.c_ssize_t * MAX_RANK),
        ("offset", c_size_t),
    ]


# mrank_rank.h: the ranker's handles and structs
mrank_dataset_p = c_void_p
mrank_model_p = c_void_p
MAX_CUTOFFS = 16


class ModelDescription(ctypes.Structure):
    _fields_ = [
        ("scorer", c_char_p),
        ("features", c_size_t),
        ("parameters", c_size_t),
        ("format", c_int),
        ("margin", c_double),
        ("lr", c_double),
        ("l2", c_double),
        ("l1", c_double),
        ("momentum", c_double),
        ("epochs", ctypes.c_uint),
        ("best_epoch", ctypes.c_uint),
        ("batch_queries", ctypes.c_uint),
        ("pairs_per_query", ctypes.c_uint),
        ("seed", ctypes.c_ulonglong),
        ("hidden_layers", c_size_t),
        ("hidden", c_size_t * 4),
        ("path_count", c_size_t),
        ("path_l2", c_double * 16),
        ("path_epochs", ctypes.c_uint * 16),
        ("note", c_char_p),
    ]


mrank_train_options_p = c_void_p
# mrank_progress_kind
PROGRESS_NOTE, PROGRESS_WARNING, PROGRESS_EPOCH, PROGRESS_BATCH = 0, 1, 2, 3


class TrainProgress(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int),
        ("stage", c_char_p),
        ("text", c_char_p),
        ("epoch", ctypes.c_uint),
        ("fraction", c_double),
        ("train_loss", c_double),
        ("train_ndcg", c_double),
        ("valid_ndcg", c_double),
        ("best", ctypes.c_int),
        ("final", ctypes.c_int),
        ("pairs", c_size_t),
        ("seconds", c_double),
        ("model", c_void_p),
    ]


TRAIN_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(TrainProgress), c_void_p)
mrank_tune_result_p = c_void_p


class TuneSetting(ctypes.Structure):
    _fields_ = [
        ("setting", ctypes.c_char * 256),
        ("found", ctypes.c_int),
        ("best_epoch", ctypes.c_uint),
        ("diverged_at_epoch", ctypes.c_uint),
        ("ndcg10", c_double),
        ("pair_accuracy", c_double),
        ("seconds", c_double),
        ("lr", c_double),
        ("margin", c_double),
        ("l2", c_double),
        ("l1", c_double),
        ("momentum", c_double),
        ("batch_queries", ctypes.c_uint),
        ("pairs_per_query", ctypes.c_uint),
        ("average", ctypes.c_uint),
        ("hidden", ctypes.c_char * 64),
        ("dropout", c_double),
        ("weight_decay", c_double),
        ("skip", ctypes.c_char * 8),
        ("bins", c_size_t),
    ]


class Metrics(ctypes.Structure):
    _fields_ = [
        ("cutoff_count", c_size_t),
        ("cutoffs", ctypes.c_uint * MAX_CUTOFFS),
        ("ndcg", c_double * MAX_CUTOFFS),
        ("precision", c_double * MAX_CUTOFFS),
        ("recall", c_double * MAX_CUTOFFS),
        ("f1", c_double * MAX_CUTOFFS),
        ("map", c_double),
        ("pair_accuracy", c_double),
        ("queries", c_size_t),
        ("documents", c_size_t),
        ("pairs", c_size_t),
    ]


F32P = P(c_float)
TENSOR = P(Tensor)
DESC = P(Desc)

# name: (result, [arguments]), in the header's order
FUNCTIONS = {
    "mrank_version": (c_char_p, []),
    "mrank_status_string": (c_char_p, [mrank_status]),
    "mrank_cl_error_name": (c_char_p, [ctypes.c_int32]),
    "mrank_last_error": (c_char_p, []),
    "mrank_context_create": (mrank_status, [c_char_p, P(mrank_context_p)]),
    "mrank_context_destroy": (None, [mrank_context_p]),
    "mrank_context_create_ex": (mrank_status, [c_char_p, P(ContextOptions), P(mrank_context_p)]),
    "mrank_context_variant": (c_char_p, [mrank_context_p]),
    "mrank_context_device_name": (c_char_p, [mrank_context_p]),
    "mrank_context_device_count": (c_size_t, [mrank_context_p]),
    "mrank_context_device": (mrank_status, [mrank_context_p, c_size_t, P(mrank_context_p)]),
    "mrank_device_count": (mrank_status, [P(c_size_t)]),
    "mrank_device_describe": (mrank_status, [c_size_t, P(DeviceInfo)]),
    "mrank_context_create_from_cl": (
        mrank_status, [cl_handle, cl_handle, cl_handle, P(mrank_context_p)]),
    "mrank_context_create_from_cl_ex": (
        mrank_status, [cl_handle, cl_handle, cl_handle, P(ContextOptions), P(mrank_context_p)]),
    "mrank_context_cl_context": (cl_handle, [mrank_context_p]),
    "mrank_context_queue": (cl_handle, [mrank_context_p]),
    "mrank_reduction_error_bound": (c_double, [mrank_context_p, c_size_t]),
    "mrank_forward": (
        mrank_status, [mrank_context_p, c_size_t, F32P, F32P, F32P, c_float, mrank_reduction,
                       F32P]),
    "mrank_backward": (
        mrank_status, [mrank_context_p, c_size_t, F32P, F32P, F32P, c_float, mrank_reduction,
                       F32P, F32P, F32P]),
    "mrank_forward_backward": (
        mrank_status, [mrank_context_p, c_size_t, F32P, F32P, F32P, c_float, mrank_reduction,
                       F32P, F32P, F32P]),
    "mrank_forward_buffers": (
        mrank_status, [mrank_context_p, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t,
                       cl_handle, c_size_t, c_float, mrank_reduction, cl_handle, c_size_t,
                       P(cl_handle)]),
    "mrank_backward_buffers": (
        mrank_status, [mrank_context_p, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t,
                       cl_handle, c_size_t, c_float, mrank_reduction, cl_handle, c_size_t,
                       cl_handle, c_size_t, cl_handle, c_size_t, P(cl_handle)]),
    "mrank_forward_backward_buffers": (
        mrank_status, [mrank_context_p, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t,
                       cl_handle, c_size_t, c_float, mrank_reduction, cl_handle, c_size_t,
                       cl_handle, c_size_t, cl_handle, c_size_t, P(cl_handle)]),
    "mrank_reference_forward": (
        mrank_status, [c_size_t, F32P, F32P, F32P, c_float, mrank_reduction, F32P]),
    "mrank_reference_backward": (
        mrank_status, [c_size_t, F32P, F32P, F32P, c_float, mrank_reduction, F32P, F32P, F32P]),
    "mrank_reference_forward_backward": (
        mrank_status, [c_size_t, F32P, F32P, F32P, c_float, mrank_reduction, F32P, F32P, F32P]),
    "mrank_export_program": (
        mrank_status, [mrank_context_p, mrank_dtype, mrank_dtype, c_char_p, mrank_export_kind,
                       ctypes.c_char_p, c_size_t]),
    "mrank_forward_tensor": (
        mrank_status, [mrank_context_p, mrank_reduction, c_double, TENSOR, c_void_p, TENSOR,
                       c_void_p, TENSOR, c_void_p, TENSOR, c_void_p]),
    "mrank_backward_tensor": (
        mrank_status, [mrank_context_p, mrank_reduction, c_double, TENSOR, c_void_p, TENSOR,
                       c_void_p, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR,
                       c_void_p]),
    "mrank_forward_backward_tensor": (
        mrank_status, [mrank_context_p, mrank_reduction, c_double, TENSOR, c_void_p, TENSOR,
                       c_void_p, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR,
                       c_void_p]),
    "mrank_forward_backward_tensor_buffers": (
        mrank_status, [mrank_context_p, mrank_reduction, c_double, TENSOR, cl_handle, TENSOR,
                       cl_handle, TENSOR, cl_handle, TENSOR, cl_handle, TENSOR, cl_handle, TENSOR,
                       cl_handle, P(cl_handle)]),
    "mrank_backward_tensor_buffers": (
        mrank_status, [mrank_context_p, mrank_reduction, c_double, TENSOR, cl_handle, TENSOR,
                       cl_handle, TENSOR, cl_handle, TENSOR, cl_handle, TENSOR, cl_handle, TENSOR,
                       cl_handle, P(cl_handle)]),
    "mrank_forward_tensor_buffers": (
        mrank_status, [mrank_context_p, mrank_reduction, c_double, TENSOR, cl_handle, TENSOR,
                       cl_handle, TENSOR, cl_handle, TENSOR, cl_handle, P(cl_handle)]),
    "mrank_reference_forward_tensor": (
        mrank_status, [mrank_reduction, c_double, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR,
                       c_void_p, TENSOR, c_void_p]),
    "mrank_reference_backward_tensor": (
        mrank_status, [mrank_reduction, c_double, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR,
                       c_void_p, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR, c_void_p]),
    "mrank_reference_forward_backward_tensor": (
        mrank_status, [mrank_reduction, c_double, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR,
                       c_void_p, TENSOR, c_void_p, TENSOR, c_void_p, TENSOR, c_void_p]),
    "mrank_dtype_name": (c_char_p, [mrank_dtype]),
    "mrank_dtype_size": (c_size_t, [mrank_dtype]),
    "mrank_reduction_error_bound_ex": (c_double, [mrank_context_p, DESC, c_size_t]),
    "mrank_forward_ex": (
        mrank_status, [mrank_context_p, DESC, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p]),
    "mrank_backward_ex": (
        mrank_status, [mrank_context_p, DESC, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p,
                       c_void_p, c_void_p]),
    "mrank_forward_backward_ex": (
        mrank_status, [mrank_context_p, DESC, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p,
                       c_void_p, c_void_p]),
    "mrank_forward_buffers_ex": (
        mrank_status, [mrank_context_p, DESC, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t,
                       cl_handle, c_size_t, cl_handle, c_size_t, P(cl_handle)]),
    "mrank_backward_buffers_ex": (
        mrank_status, [mrank_context_p, DESC, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t,
                       cl_handle, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t, cl_handle,
                       c_size_t, P(cl_handle)]),
    "mrank_forward_backward_buffers_ex": (
        mrank_status, [mrank_context_p, DESC, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t,
                       cl_handle, c_size_t, cl_handle, c_size_t, cl_handle, c_size_t, cl_handle,
                       c_size_t, P(cl_handle)]),
    "mrank_reference_forward_ex": (
        mrank_status, [DESC, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p]),
    "mrank_reference_backward_ex": (
        mrank_status, [DESC, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p,
                       c_void_p]),
    "mrank_reference_forward_backward_ex": (
        mrank_status, [DESC, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p,
                       c_void_p]),
    "mrank_debug_ledger": (c_int, [P(ctypes.c_long)]),
    "mrank_validate": (mrank_status, [mrank_context_p, P(Problem), P(Validation)]),
    "mrank_verdict_string": (c_char_p, [mrank_verdict]),
    # mrank_rank.h
    "mrank_dataset_load": (mrank_status, [c_char_p, c_char_p, P(mrank_dataset_p)]),
    "mrank_dataset_load_ex": (
        mrank_status, [c_char_p, c_char_p, c_size_t, c_double, P(mrank_dataset_p)]),
    "mrank_dataset_from_dense": (
        mrank_status, [c_size_t, c_size_t, F32P, F32P, P(ctypes.c_int64), P(c_size_t), c_size_t,
                       P(mrank_dataset_p)]),
    "mrank_dataset_from_csr": (
        mrank_status, [c_size_t, c_size_t, P(ctypes.c_int64), P(ctypes.c_int32), F32P, F32P,
                       P(ctypes.c_int64), P(c_size_t), c_size_t, P(mrank_dataset_p)]),
    "mrank_dataset_info": (
        mrank_status, [mrank_dataset_p, P(c_size_t), P(c_size_t), P(c_size_t), P(c_size_t)]),
    "mrank_dataset_queries": (
        mrank_status, [mrank_dataset_p, P(ctypes.c_uint64), P(c_size_t), P(c_size_t), c_size_t]),
    "mrank_dataset_column": (mrank_status, [mrank_dataset_p, c_size_t, F32P, c_size_t]),
    "mrank_dataset_destroy": (None, [mrank_dataset_p]),
    "mrank_model_load": (mrank_status, [c_char_p, P(mrank_model_p)]),
    "mrank_model_from_string": (mrank_status, [c_char_p, P(mrank_model_p)]),
    "mrank_model_save": (mrank_status, [mrank_model_p, c_char_p]),
    "mrank_model_to_string": (mrank_status, [mrank_model_p, P(c_void_p)]),
    "mrank_string_free": (None, [c_void_p]),
    "mrank_model_score": (mrank_status, [mrank_model_p, mrank_dataset_p, P(c_double)]),
    "mrank_model_score_dense": (
        mrank_status, [mrank_model_p, c_size_t, c_size_t, F32P, P(c_double)]),
    "mrank_model_info": (mrank_status, [mrank_model_p, P(ModelDescription)]),
    "mrank_model_linear_weights": (mrank_status, [mrank_model_p, F32P, c_size_t]),
    "mrank_model_destroy": (None, [mrank_model_p]),
    "mrank_train_options_create": (mrank_status, [P(mrank_train_options_p)]),
    "mrank_train_options_set": (mrank_status, [mrank_train_options_p, c_char_p, c_char_p]),
    "mrank_train_options_check": (mrank_status, [mrank_train_options_p]),
    "mrank_train_option_names": (P(c_char_p), [P(c_size_t)]),
    "mrank_train_options_destroy": (None, [mrank_train_options_p]),
    "mrank_tune": (
        mrank_status, [mrank_dataset_p, mrank_dataset_p, c_size_t, P(c_char_p), c_size_t,
                       ctypes.c_int, mrank_train_options_p, TRAIN_CALLBACK, c_void_p,
                       P(mrank_tune_result_p), P(mrank_model_p)]),
    "mrank_tune_check": (mrank_status, [P(c_char_p), c_size_t, mrank_train_options_p]),
    "mrank_tune_result_count": (c_size_t, [mrank_tune_result_p]),
    "mrank_tune_result_setting": (
        mrank_status, [mrank_tune_result_p, c_size_t, P(TuneSetting)]),
    "mrank_tune_result_device": (c_char_p, [mrank_tune_result_p]),
    "mrank_tune_result_destroy": (None, [mrank_tune_result_p]),
    "mrank_train": (
        mrank_status, [mrank_dataset_p, mrank_dataset_p, mrank_train_options_p, TRAIN_CALLBACK,
                       c_void_p, P(mrank_model_p)]),
    "mrank_evaluate": (
        mrank_status, [P(c_double), mrank_dataset_p, P(ctypes.c_uint), c_size_t, P(Metrics),
                       P(c_double)]),
}


def _library_path():
    """MRANK_LIBRARY when set (a system install), else the copy inside this package"""
    explicit = os.environ.get("MRANK_LIBRARY")
    if explicit:
        return explicit
    here = pathlib.Path(__file__).resolve().parent
    for name in ("libmrank.so", "libmrank.dylib"):
        if (here / name).exists():
            return str(here / name)
    raise ImportError(
        "mrank: libmrank is not inside the package (%s) and MRANK_LIBRARY is not set; install with "
        "`pip install .` from the mrank source tree, or set MRANK_LIBRARY to an installed "
        "libmrank.so" % here)


def _load():
    path = _library_path()
    explicit = bool(os.environ.get("MRANK_LIBRARY"))
    if explicit and not os.path.isfile(path):
        raise ImportError(
            "mrank: MRANK_LIBRARY=%s names no file; unset it (the package's own libmrank is then "
            "used) or point it at an installed libmrank.so" % path)
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        # the file is there: what failed is a library it needs (libOpenCL.so.1) or its format
        raise ImportError(
            "mrank: cannot load %s (%s); if a library it needs is missing, install the OpenCL "
            "loader: apt-get install ocl-icd-libopencl1 (and pocl-opencl-icd for a CPU device)" %
            (path, error)) from None
    if not hasattr(lib, "mrank_version"):
        raise ImportError(
            "mrank: %s%s is not libmrank (it has no mrank_version); point MRANK_LIBRARY at a "
            "libmrank.so" % ("MRANK_LIBRARY=" if explicit else "", path))
    for name, (result, arguments) in FUNCTIONS.items():
        if not hasattr(lib, name):
            raise ImportError(
                "mrank: %s has no %s: it is another version of libmrank than this package "
                "(%s); install the package and the library from one source tree" %
                (path, name, lib.mrank_version))
        function = getattr(lib, name)
        function.restype = result
        function.argtypes = arguments
    return lib, path


lib, library_path = _load()
