"""mrank's numpy API on the default device against the CPU reference: every data type, label type
and reduction; argument errors; views; contexts and threads; devices() against the CLI's JSON."""
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import mrank

try:
    import ml_dtypes

    BF16 = [np.dtype(ml_dtypes.bfloat16)]
except ImportError:
    BF16 = []

DATA = [np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.float64)] + BF16
LABELS = [np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.int8)]


def inputs(n, dtype, labels, seed=1):
    rng = np.random.default_rng(seed)
    x1 = (rng.standard_normal(n) * 3).astype(dtype)
    x2 = (rng.standard_normal(n) * 3).astype(dtype)
    y = np.where(rng.random(n) < 0.5, -1, 1).astype(labels)
    return x1, x2, y


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    return a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", DATA, ids=str)
@pytest.mark.parametrize("labels", LABELS, ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_device_matches_the_reference(ctx, dtype, labels, reduction):
    if dtype == np.float64 and not any(d["fp64"] for d in mrank.devices()):
        pytest.skip("no fp64 device")
    n = 3001  # not a multiple of the kernels' 16 and 64: their tails run
    x1, x2, y = inputs(n, dtype, labels)
    loss, dx1, dx2 = ctx.forward_backward(x1, x2, y, 0.5, reduction)
    ref_loss, ref_dx1, ref_dx2 = mrank.reference.forward_backward(x1, x2, y, 0.5, reduction)
    assert loss.dtype == dtype and dx1.dtype == dtype and dx1.shape == x1.shape
    # gradients are elementwise: the reference's bits
    assert same_bits(dx1, ref_dx1) and same_bits(dx2, ref_dx2)
    assert same_bits(ctx.forward(x1, x2, y, 0.5, reduction), loss), "forward = the fused pass"
    if reduction == "none":
        assert loss.shape == x1.shape and same_bits(loss, ref_loss)
    else:
        # the device's summation tree against the reference's double sum: within the bound the
        # library states for this size and type, relative to the sum of |loss|
        bound = ctx.reduction_error_bound(n, dtype, reduction)
        total = np.abs(mrank.reference.forward(x1, x2, y, 0.5, "none").astype(np.float64)).sum()
        if reduction == "mean":
            total /= n
        assert loss.shape == ()
        assert abs(float(loss) - float(ref_loss)) <= bound * total
    dloss = (np.linspace(-1, 1, n).astype(dtype) if reduction == "none"
             else np.array(0.75, dtype=dtype))
    b1, b2 = ctx.backward(x1, x2, y, dloss, 0.5, reduction)
    r1, r2 = mrank.reference.backward(x1, x2, y, dloss, 0.5, reduction)
    assert same_bits(b1, r1) and same_bits(b2, r2)


def test_views_are_copied_and_give_the_contiguous_answer(ctx):
    x1, x2, y = inputs(2000, np.float32, np.float32)
    strided = ctx.forward(x1[::2], x2[::2], y[::2], 1.0, "none")
    contiguous = ctx.forward(x1[::2].copy(), x2[::2].copy(), y[::2].copy(), 1.0, "none")
    assert same_bits(strided, contiguous)
    # any shape, the same for all three; the result keeps it
    square = ctx.forward(x1.reshape(40, 50), x2.reshape(40, 50), y.reshape(40, 50), 1.0, "none")
    assert square.shape == (40, 50)
    assert same_bits(square.ravel(), ctx.forward(x1, x2, y, 1.0, "none"))


def test_wrong_arguments_name_themselves(ctx):
    x1, x2, y = inputs(10, np.float32, np.float32)
    with pytest.raises(TypeError, match=r"x1 must be a numpy array \(or numpy scalar\), not list"):
        ctx.forward([1.0], x2, y)
    with pytest.raises(TypeError, match="x1 has dtype int64"):
        ctx.forward(np.arange(10), x2, y)
    with pytest.raises(TypeError, match="x2 has dtype float64 and x1 float32"):
        ctx.forward(x1, x2.astype(np.float64), y)
    with pytest.raises(TypeError, match="y has dtype float64"):
        ctx.forward(x1, x2, y.astype(np.float64))
    with pytest.raises(ValueError, match=r"x1 \(10,\), x2 \(10,\) and y \(9,\) do not broadcast"):
        ctx.forward(x1, x2, y[:9])
    with pytest.raises(ValueError, match="reduction must be one of"):
        ctx.forward(x1, x2, y, reduction="avg")
    with pytest.raises(TypeError, match="margin must be a number"):
        ctx.forward(x1, x2, y, margin="wide")
    with pytest.raises(ValueError, match="dloss has shape"):
        ctx.backward(x1, x2, y, x1[:5], reduction="none")
    with pytest.raises(ValueError, match="dloss must be one number"):
        ctx.backward(x1, x2, y, x1, reduction="mean")
    with pytest.raises(TypeError, match="selector must be a str"):
        mrank.Context(3)


def test_mrank_failures_are_errors_with_the_status_and_message():
    with pytest.raises(mrank.Error) as caught:
        mrank.Context("no-such-device-name")
    assert caught.value.status == "MRANK_ERROR_DEVICE_NOT_FOUND"
    assert "no-such-device-name" in caught.value.message
    with pytest.raises(mrank.Error) as caught:
        mrank.Context(binary_dir="/nonexistent/programs")
    assert caught.value.status == "MRANK_ERROR_IO"
    assert "is not a folder" in caught.value.message


def test_a_closed_context_refuses_calls_and_closes_once():
    with mrank.Context("host") as host:
        assert host.device_name == "host (CPU reference)"
        x1, x2, y = inputs(5, np.float32, np.float32)
        assert same_bits(host.forward(x1, x2, y), mrank.reference.forward(x1, x2, y))
    host.close()  # a second close is harmless
    with pytest.raises(ValueError, match="closed"):
        host.forward(x1, x2, y)
    assert "closed" in repr(host)


def test_threads_each_with_a_context_and_sharing_one(ctx):
    x1, x2, y = inputs(50000, np.float32, np.float32)
    want = mrank.reference.forward(x1, x2, y, 1.0, "none")
    failures = []

    def work(context):
        try:
            for _ in range(20):
                if not same_bits(context.forward(x1, x2, y, 1.0, "none"), want):
                    failures.append("wrong bits")
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(repr(error))

    own = [mrank.Context() for _ in range(3)]
    threads = [threading.Thread(target=work, args=(c,)) for c in own + [ctx, ctx, ctx]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in own:
        c.close()
    assert failures == []


def test_validate_reports_like_the_cli(ctx):
    report = ctx.validate(n=4097, op="fused", reduction="mean", dtype="f16", labels="i8")
    assert report["verdict"] == "PASSED", report
    assert [o["name"] for o in report["outputs"]] == ["loss", "dx1", "dx2"]
    assert report["gradient_passed"]
    with pytest.raises(ValueError, match="op must be one of"):
        ctx.validate(op="sideways")


def test_devices_has_the_fields_of_the_cli_json(cli):
    listed = json.loads(subprocess.run([cli, "devices", "--json", "--verbose"], check=True,
                                       capture_output=True, text=True).stdout)
    from_cli = [dict(device, platform_name=p["name"], platform_version=p["version"],
                     platform_index=p["index"]) for p in listed for device in p["devices"]]
    assert mrank.devices() == from_cli


def test_mrank_library_points_at_another_build(tmp_path):
    """MRANK_LIBRARY loads a system install (here: the package's own copy under another name)."""
    from mrank import _lib

    copy = tmp_path / "libmrank-copy.so"
    copy.write_bytes(open(_lib.library_path, "rb").read())
    code = "import mrank, mrank._lib as l; print(l.library_path, mrank.version())"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env=dict(os.environ, MRANK_LIBRARY=str(copy))).stdout.split()
    assert out == [str(copy), mrank.version()]
    failed = subprocess.run([sys.executable, "-c", "import mrank"], capture_output=True,
                            text=True, env=dict(os.environ, MRANK_LIBRARY=str(tmp_path / "no")))
    assert failed.returncode != 0 and "names no file" in failed.stderr


def test_every_kernel_shape_gives_the_same_bits(ctx):
    x1, x2, y = inputs(70001, np.float32, np.int8)
    want = ctx.forward_backward(x1, x2, y, 1.0, "mean")
    for shape in ("epw=1,vw=1,wg=64,sum=local", "epw=4,vw=4,wg=128,sum=direct"):
        with mrank.Context(variant=shape) as shaped:
            assert shaped.variant == shape + " (asked for)"
            got = shaped.forward_backward(x1, x2, y, 1.0, "mean")
            assert all(same_bits(a, b) for a, b in zip(got, want)), shape
    with pytest.raises(mrank.Error, match="vw 16 is more than epw 1"):
        mrank.Context(variant="epw=1,vw=16,wg=64,sum=direct")


def test_out_arrays_are_written_in_place_and_checked(ctx):
    x1, x2, y = inputs(5000, np.float32, np.float32)
    loss, dx1, dx2 = np.empty(5000, np.float32), np.empty(5000, np.float32), np.empty(5000,
                                                                                     np.float32)
    got = ctx.forward_backward(x1, x2, y, 1.0, "none", out=(loss, dx1, dx2))
    assert got[0] is loss and got[1] is dx1 and got[2] is dx2
    want = ctx.forward_backward(x1, x2, y, 1.0, "none")
    assert all(same_bits(a, b) for a, b in zip(got, want))
    mean = np.empty((), np.float32)
    assert ctx.forward(x1, x2, y, 1.0, "mean", out=mean) is mean
    assert same_bits(mean, ctx.forward(x1, x2, y, 1.0, "mean"))
    b1, b2 = ctx.backward(x1, x2, y, np.float32(2), 1.0, "sum", out=(dx1, dx2))
    assert b1 is dx1 and same_bits(b2, ctx.backward(x1, x2, y, np.float32(2), 1.0, "sum")[1])
    with pytest.raises(ValueError, match=r"out must be a float32 array of shape \(5000,\)"):
        ctx.forward(x1, x2, y, 1.0, "none", out=np.empty(10, np.float32))
    with pytest.raises(ValueError, match="out\\[2\\] must be a float32 array"):
        ctx.forward_backward(x1, x2, y, 1.0, "none", out=(loss, dx1, np.empty(5000, np.float64)))
    with pytest.raises(ValueError, match="C-contiguous and writeable"):
        ctx.forward(x1, x2, y, 1.0, "none", out=np.empty(10000, np.float32)[::2])
    with pytest.raises(ValueError, match="out overlaps x1"):
        ctx.forward(x1, x2, y, 1.0, "none", out=x1)
    with pytest.raises(ValueError, match="the out arrays overlap"):
        ctx.forward_backward(x1, x2, y, 1.0, "none", out=(loss, dx1, dx1))
    with pytest.raises(TypeError, match="out must be a tuple of 2 arrays"):
        ctx.backward(x1, x2, y, x1, 1.0, "none", out=dx1)


def test_broadcasting_and_views_match_the_reference_and_copies(ctx):
    rng = np.random.default_rng(5)
    x1 = rng.standard_normal((6, 1, 7)).astype(np.float32)
    x2 = rng.standard_normal((6, 5, 7)).astype(np.float32)
    y = np.where(rng.random((5, 1)) < 0.5, -1, 1).astype(np.int8)
    for reduction in ("none", "mean", "sum"):
        got = ctx.forward_backward(x1, x2, y, 0.5, reduction)
        want = mrank.reference.forward_backward(x1, x2, y, 0.5, reduction)
        assert got[1].shape == x1.shape and got[2].shape == x2.shape
        assert same_bits(got[1], want[1]) and same_bits(got[2], want[2]), reduction
        if reduction == "none":
            assert got[0].shape == (6, 5, 7) and same_bits(got[0], want[0])
    # the gradient of the broadcast x1 is the sum over dimension 1 of the full one's, in order
    full = ctx.forward_backward(np.broadcast_to(x1, (6, 5, 7)).copy(), x2,
                                np.broadcast_to(y, (6, 5, 7)).copy(), 0.5, "none")[1]
    summed = np.zeros((6, 1, 7), np.float32)
    for j in range(5):
        summed[:, 0, :] += full[:, j, :]
    assert same_bits(ctx.forward_backward(x1, x2, y, 0.5, "none")[1], summed)
    # a transposed view, and a reversed one (copied), against contiguous copies
    base = rng.standard_normal((7, 40)).astype(np.float32)
    other = rng.standard_normal((40, 7)).astype(np.float32)
    labels = np.ones((40, 7), np.float32)
    for view in (base.T, base.T[::-1]):
        got = ctx.forward_backward(view, other, labels, 1.0, "none")
        want = ctx.forward_backward(np.ascontiguousarray(view), other, labels, 1.0, "none")
        assert all(same_bits(a, b) for a, b in zip(got, want))


def test_a_context_over_several_devices_gives_one_devices_bits():
    # PoCL's device list is fixed when OpenCL loads: two devices need a process of their own
    script = """
import numpy as np, mrank
rng = np.random.default_rng(3)
x1, x2 = rng.standard_normal((2, 300001)).astype(np.float32)
y = np.where(rng.random(300001) < 0.5, -1.0, 1.0).astype(np.float32)
with mrank.Context("cpu:all") as both, mrank.Context("cpu") as one:
    assert both.device_count >= 2, both.device_count
    assert one.device_count == 1
    assert " + " in both.device_name
    for reduction in ("none", "mean", "sum"):
        a = both.forward_backward(x1, x2, y, 0.5, reduction)
        b = one.forward_backward(x1, x2, y, 0.5, reduction)
        for p, q in zip(a, b):
            assert np.asarray(p).tobytes() == np.asarray(q).tobytes(), reduction
print("same bits")
"""
    env = dict(os.environ, POCL_DEVICES="pthread pthread", MRANK_DEVICE="")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    if "no OpenCL device" in done.stderr or "DEVICE_NOT_FOUND" in done.stderr:
        pytest.skip("no PoCL CPU devices: " + done.stderr[-300:])
    assert done.returncode == 0, done.stderr
    assert "same bits" in done.stdout


def test_counts_are_whole_numbers_of_zero_or_more(ctx):
    """validate(n=-1) reported 18446744073709551615 elements, reduction_error_bound(-1) gave a
    number, and n='10' or n=2.5 were taken; a numpy integer is a count."""
    for bad, error, words in ((-1, ValueError, "0 or more"), ("10", TypeError, "not str"),
                              (2.5, TypeError, "not float"), (True, TypeError, "not bool")):
        with pytest.raises(error, match=words):
            ctx.validate(n=bad)
        with pytest.raises(error, match=words):
            ctx.reduction_error_bound(bad)
    assert ctx.validate(n=np.int64(65))["verdict"] == "PASSED"


def test_numpy_scalars_are_zero_dimensional_arrays(ctx):
    """np.float32(1.0) was refused as "not float32": it is an array of one element."""
    loss = ctx.forward(np.float32(1.0), np.float32(0.25), np.float32(-1.0), 1.0, "none")
    assert loss.shape == () and loss == np.float32(1.75)


def test_mrank_library_names_what_is_wrong(tmp_path):
    """MRANK_LIBRARY naming no file, or another library, is said as such (it used to blame the
    OpenCL loader, or end in a bare AttributeError)."""
    import subprocess
    import sys
    other = next(p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                             "/lib/aarch64-linux-gnu/libz.so.1") if os.path.exists(p))
    for value, words in ((str(tmp_path / "none.so"), "names no file"),
                         (other, "is not libmrank")):
        result = subprocess.run([sys.executable, "-c", "import mrank"], capture_output=True,
                                text=True, env=dict(os.environ, MRANK_LIBRARY=value))
        assert result.returncode != 0 and words in result.stderr, result.stderr
        assert "AttributeError" not in result.stderr
