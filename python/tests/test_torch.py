"""mrank.torch.MarginRankingLoss against torch.nn.MarginRankingLoss on the same tensors: the loss,
the gradients (upstream 1 and not), gradcheck, torch.compile, the NaN rule, half types, errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import mrank  # noqa: E402
from mrank.torch import MarginRankingLoss, margin_ranking_loss  # noqa: E402


@pytest.fixture(autouse=True)
def device(ctx):
    """every test here needs a device (the ctx fixture skips without one)"""
    return ctx


def tensors(n, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x1 = torch.randn(n, generator=g, dtype=torch.float64).to(dtype).requires_grad_()
    x2 = torch.randn(n, generator=g, dtype=torch.float64).to(dtype).requires_grad_()
    y = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0).to(dtype)
    return x1, x2, y


def gradients(loss, inputs, upstream):
    return torch.autograd.grad(loss, inputs, torch.full_like(loss, upstream), retain_graph=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_matches_pytorch(dtype, reduction):
    x1, x2, y = tensors(100003, dtype)
    ours = MarginRankingLoss(0.3, reduction)(x1, x2, y)
    theirs = torch.nn.MarginRankingLoss(0.3, reduction=reduction)(x1, x2, y)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if reduction == "none":
        assert torch.equal(ours, theirs)  # the same operations: the same bits (finite inputs)
    else:
        # two summation orders: within the bound mrank states, relative to the sum of |loss|
        with mrank.Context() as ctx:
            bound = ctx.reduction_error_bound(x1.numel(), np.dtype(str(dtype)[6:]), reduction)
        elementwise = torch.nn.MarginRankingLoss(0.3, reduction="none")(x1, x2, y).detach()
        total = elementwise.abs().double().sum() / (x1.numel() if reduction == "mean" else 1)
        # and PyTorch's own sum is off the exact one by up to the same order: twice the bound
        assert abs(ours.item() - theirs.item()) <= 2 * bound * float(total)
    for upstream in (1.0, 0.37):
        a = gradients(ours, (x1, x2), upstream)
        b = gradients(theirs, (x1, x2), upstream)
        # the same values (an inactive element is +0 here, PyTorch's 0 * (-y) may be -0)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]), (reduction, upstream)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_gradcheck_in_double(reduction):
    x1, x2, y = tensors(30, torch.float64, seed=3)
    assert torch.autograd.gradcheck(
        lambda a, b: MarginRankingLoss(0.1, reduction)(a, b, y), (x1, x2))


def test_torch_compile_runs_with_the_loss_as_an_opaque_call():
    x1, x2, y = tensors(1000, torch.float32)
    compiled = torch.compile(MarginRankingLoss(0.2))
    eager = MarginRankingLoss(0.2)(x1, x2, y)
    out = compiled(x1, x2, y)
    assert torch.equal(out, eager)
    out.backward()
    assert x1.grad is not None and torch.isfinite(x1.grad).all()


def test_the_nan_rule_and_pytorchs():
    x1 = torch.tensor([float("nan"), 1.0, 0.0], requires_grad=True)
    x2 = torch.tensor([0.0, 2.0, 0.0], requires_grad=True)
    y = torch.tensor([1.0, 1.0, 1.0])
    caffe2 = MarginRankingLoss(0.5, "sum")(x1, x2, y)
    (g_caffe2,) = torch.autograd.grad(caffe2, x1)
    torchs = MarginRankingLoss(0.5, "sum", nan_gradient="torch")(x1, x2, y)
    (g_torch,) = torch.autograd.grad(torchs, x1)
    reference = torch.nn.MarginRankingLoss(0.5, reduction="sum")(x1, x2, y)
    (g_reference,) = torch.autograd.grad(reference, x1)
    assert g_caffe2[0] == -1.0, "Caffe2 passes the gradient where the hinge is NaN"
    assert g_torch[0] == 0.0 and torch.equal(g_torch, g_reference)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_types_are_rounded_once(dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    dtype = getattr(torch, dtype)
    x1, x2, y = tensors(5000, dtype)
    ours = MarginRankingLoss(0.25, "none")(x1, x2, y)
    assert ours.dtype == dtype
    # mrank computes in float and rounds once: the exact loss of the half inputs, correctly
    # rounded, is within half a unit in the last place (0.5 eps |exact|, or half the smallest
    # subnormal). PyTorch rounds after each operation on the CPU and is off by up to 12 units
    # here where x1 - x2 and the margin cancel; so mrank is held to the exact value, not to it.
    exact = (-y.double() * (x1.double() - x2.double()) + 0.25).clamp_min(0)
    info = torch.finfo(dtype)
    tolerance = 0.5 * info.eps * exact.abs() + 0.5 * info.smallest_normal * info.eps
    assert ((ours.double() - exact).abs() <= tolerance).all()
    ours.sum().backward()
    assert x1.grad.dtype == dtype


def test_without_requires_grad_only_the_loss_is_computed():
    x1, x2, y = tensors(1000, torch.float32)
    plain = MarginRankingLoss(0.2, "sum")(x1.detach(), x2.detach(), y)
    assert not plain.requires_grad and plain.grad_fn is None
    assert torch.equal(plain, MarginRankingLoss(0.2, "sum")(x1, x2, y).detach())
    with torch.no_grad():
        assert not MarginRankingLoss(0.2)(x1, x2, y).requires_grad


def test_broadcast_target_and_views_as_in_pytorch():
    g = torch.Generator().manual_seed(7)
    x1 = torch.randn(64, 5, generator=g, requires_grad=True)
    x2 = torch.randn(5, 64, generator=g).t().requires_grad_()  # a transposed view
    y = torch.where(torch.rand(64, 1, generator=g) < 0.5, -1.0, 1.0)  # (N, 1) against (N, D)
    ours = MarginRankingLoss(0.1, "none")(x1, x2, y)
    theirs = torch.nn.MarginRankingLoss(0.1, reduction="none")(x1, x2, y)
    assert torch.equal(ours, theirs)
    a = torch.autograd.grad(ours.sum(), (x1, x2))
    b = torch.autograd.grad(theirs.sum(), (x1, x2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_wrong_arguments():
    x1, x2, y = tensors(4, torch.float32)
    with pytest.raises(TypeError, match="input1 must be a torch.Tensor"):
        margin_ranking_loss([1.0], x2, y)
    with pytest.raises(ValueError, match="reduction must be one of"):
        MarginRankingLoss(reduction="avg")
    with pytest.raises(ValueError, match="nan_gradient must be"):
        MarginRankingLoss(nan_gradient="numpy")
    # float32 with float64 is not an error: it promotes, as PyTorch does (test_torch_semantics)
    with pytest.raises(TypeError, match="takes floating-point inputs"):
        MarginRankingLoss()(x1.int(), x2.int(), y.int())
    assert "margin=0" in repr(MarginRankingLoss())
