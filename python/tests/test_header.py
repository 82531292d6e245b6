"""The ctypes declarations of mrank/_lib.py against include/mrank.h and mrank_rank.h themselves: every public function
is declared, with the header's argument count and kinds, and every mirrored struct has the C
compiler's size and field offsets. A change to the header that the binding does not follow fails
here."""
import ctypes
import re
import shutil
import subprocess

import pytest

from mrank import _lib
from conftest import ROOT

HEADER = (ROOT / "include" / "mrank.h").read_text() + (ROOT / "include" / "mrank_rank.h").read_text()


def prototypes():
    """name -> (result type, [parameter types]) of every MRANK_API function"""
    text = re.sub(r"/\*.*?\*/", " ", HEADER, flags=re.S)
    found = {}
    for match in re.finditer(r"MRANK_API\s+([^;(]*?)\b(mrank_\w+)\s*\(([^)]*)\)\s*;", text):
        result, name, params = match.groups()
        params = [" ".join(p.split()) for p in params.split(",")]
        params = [] if params == ["void"] else params
        found[name] = (" ".join(result.split()), params)
    return found


def kind_of_c(declaration, named=True):
    """the ctypes kind a C parameter (named) or result type needs"""
    array = "[" in declaration
    tokens = re.sub(r"\[.*\]", "", declaration).replace("*", " * ").split()
    tokens = [t for t in tokens if t not in ("const", "struct")]
    if named:
        tokens = tokens[:-1]  # the parameter's name
    if array or tokens.count("*") > 1:
        return "pointer"
    if tokens == ["char", "*"]:
        return "string"
    if "*" in tokens:
        return "pointer"
    base = tokens[0]
    if base.endswith("_callback"):
        return "pointer"  # a function pointer typedef (mrank_train_callback)
    if base in ("size_t", "float", "double", "void"):
        return base
    if base.startswith("cl_") and base != "cl_int":
        return "pointer"  # OpenCL handles
    return "int"  # enums, int, cl_int


def kind_of_ctypes(t):
    if t is None:
        return "void"
    if t is ctypes.c_char_p:
        return "string"
    if t is ctypes.c_void_p or isinstance(t, type) and issubclass(t, (ctypes._Pointer,
                                                                     ctypes._CFuncPtr)):
        return "pointer"
    if t is ctypes.c_size_t:
        return "size_t"
    if t is ctypes.c_float:
        return "float"
    if t is ctypes.c_double:
        return "double"
    if t in (ctypes.c_int, ctypes.c_int32):
        return "int"
    return repr(t)


def test_every_function_is_declared_with_the_headers_arguments():
    header = prototypes()
    assert len(header) >= 39, "the parser found the header's functions"
    assert set(header) == set(_lib.FUNCTIONS), "declared and public functions differ"
    for name, (result, params) in header.items():
        declared_result, declared_params = _lib.FUNCTIONS[name]
        assert len(params) == len(declared_params), name
        # `char *written` is an output buffer: a c_char_p argument takes one
        for param, declared in zip(params, declared_params):
            want = kind_of_c(param)
            # a string the library allocated goes back to its _free as the pointer it is (a
            # c_char_p argument would be a copy of the text, not the allocation)
            if name.endswith("_free") and want == "string":
                want = "pointer"
            assert want == kind_of_ctypes(declared), "%s: %s declared as %s" % (name, param,
                                                                              declared)
        assert kind_of_c(result, named=False) == kind_of_ctypes(declared_result), name


STRUCTS = {
    "mrank_device_info": _lib.DeviceInfo,
    "mrank_context_options": _lib.ContextOptions,
    "mrank_desc": _lib.Desc,
    "mrank_problem": _lib.Problem,
    "mrank_output_check": _lib.OutputCheck,
    "mrank_validation": _lib.Validation,
    "mrank_tensor": _lib.Tensor,
    "mrank_model_description": _lib.ModelDescription,
    "mrank_metrics": _lib.Metrics,
    "mrank_train_progress": _lib.TrainProgress,
    "mrank_tune_setting": _lib.TuneSetting,
}


def test_every_struct_has_the_compilers_layout(tmp_path):
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler to ask for the layout")
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "mrank.h"',
             '#include "mrank_rank.h"', "int main(void) {"]
    for c_name, struct in STRUCTS.items():
        lines.append('printf("%s %%zu\\n", sizeof(%s));' % (c_name, c_name))
        for field, _ in struct._fields_:
            lines.append('printf("%s.%s %%zu\\n", offsetof(%s, %s));' % (c_name, field, c_name,
                                                                          field))
    lines += ["return 0;", "}"]
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines))
    program = tmp_path / "layout"
    version_dir = tmp_path / "include"
    version_dir.mkdir()
    (version_dir / "mrank_version.h").write_text(
        "#define MRANK_VERSION_MAJOR 0\n#define MRANK_VERSION_MINOR 0\n"
        "#define MRANK_VERSION_PATCH 0\n#define MRANK_VERSION_STRING \"layout\"\n")
    subprocess.run([compiler, "-DCL_TARGET_OPENCL_VERSION=120", "-I", str(ROOT / "include"),
                    "-I", str(version_dir), str(source), "-o", str(program)], check=True)
    out = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout
    layout = dict(line.rsplit(" ", 1) for line in out.splitlines())
    for c_name, struct in STRUCTS.items():
        assert int(layout[c_name]) == ctypes.sizeof(struct), c_name
        for field, _ in struct._fields_:
            assert int(layout["%s.%s" % (c_name, field)]) == getattr(struct, field).offset, \
                "%s.%s" % (c_name, field)
    # the struct fields are all the header's: a field added to the C struct must be mirrored
    for c_name, struct in STRUCTS.items():
        body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (c_name, c_name), HEADER, re.S)
        assert body, c_name
        text = re.sub(r"/\*.*?\*/", " ", body.group(1), flags=re.S)
        names = []
        for declaration in text.split(";"):
            declaration = declaration.strip()
            if not declaration:
                continue
            for part in declaration.split(","):
                names.append(re.sub(r"\[.*\]", "", part).split()[-1].lstrip("*"))
        assert names == [f for f, _ in struct._fields_], c_name
