"""mrank.torch against torch.nn.functional.margin_ranking_loss itself, case by case over a grid:
shapes that broadcast, every reduction, every set of inputs that require a gradient (the target's
included), an upstream gradient of ones and a random one, float32, float64 and mixed dtypes, integer
and float64 targets, NaN and Inf with nan_gradient="torch", and autograd's own rules (a second
backward without retain_graph raises)."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from mrank.torch import margin_ranking_loss  # noqa: E402

F = torch.nn.functional

SHAPES = [((6,), (6,), (6,)),
          ((5, 2), (5, 1), (1, 2)),  # the case: x2 and y broadcast
          ((3, 1, 4), (1, 5, 1), (1, 1, 4)),
          ((), (), ()),
          ((4, 3), (1, 1), (4, 1))]
WANTS = [w for w in itertools.product([False, True], repeat=3)]
DTYPES = [(torch.float32, torch.float32, torch.float32),
          (torch.float64, torch.float64, torch.float64),
          (torch.float32, torch.float64, torch.float32),  # PyTorch promotes to float64
          (torch.float32, torch.float32, torch.int64)]


def make(shapes, dtypes, wants, seed, special=False):
    g = torch.Generator().manual_seed(seed)
    made = []
    for k, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        if dtype.is_floating_point and k < 2:
            t = torch.randn(shape, generator=g, dtype=torch.float64).mul(2).to(dtype)
        elif dtype.is_floating_point:
            t = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0).to(dtype)
            t = t * torch.randint(1, 3, shape, generator=g).to(dtype)  # values other than +-1
        else:
            t = torch.randint(-2, 3, shape, generator=g).to(dtype)
        if special and t.numel() > 2 and dtype.is_floating_point:
            flat = t.view(-1)
            flat[0] = float("nan")
            flat[1] = float("inf") if k < 2 else -1.0
        if wants[k] and dtype.is_floating_point:
            t.requires_grad_()
        made.append(t)
    return made


def tolerance(dtype):
    """mrank's sums take another order than PyTorch's: within a few ulps of the dtype (its
    summation bound for these sizes is below 1e-5 relative in float32, 1e-13 in float64)."""
    return {"rtol": 1e-5, "atol": 1e-6} if dtype != torch.float64 else {"rtol": 1e-12,
                                                                        "atol": 1e-13}


def run(function, tensors, margin, reduction, upstream_seed, **kw):
    loss = function(*tensors, margin=margin, reduction=reduction, **kw)
    wanted = [t for t in tensors if t.requires_grad]
    if not wanted:
        return loss, []
    g = torch.Generator().manual_seed(upstream_seed)
    upstream = (torch.ones_like(loss) if upstream_seed == 0 else
                torch.randn(loss.shape, generator=g, dtype=torch.float64).to(loss.dtype))
    grads = torch.autograd.grad(loss, wanted, upstream)
    return loss, list(grads)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtypes", DTYPES, ids=lambda d: "-".join(str(t)[6:] for t in d))
def test_every_case_equals_pytorch(shapes, reduction, dtypes):
    for wants, upstream_seed in itertools.product(WANTS, [0, 7]):
        if wants[2] and not dtypes[2].is_floating_point:
            continue  # an integer tensor cannot require a gradient in PyTorch either
        ours = make(shapes, dtypes, wants, seed=3)
        theirs = make(shapes, dtypes, wants, seed=3)
        loss, grads = run(margin_ranking_loss, ours, 0.5, reduction, upstream_seed)
        want_loss, want_grads = run(F.margin_ranking_loss, theirs, 0.5, reduction, upstream_seed)
        what = "%s %s %s wants %s upstream %d" % (shapes, reduction, dtypes, wants, upstream_seed)
        assert loss.dtype == want_loss.dtype and loss.shape == want_loss.shape, what
        torch.testing.assert_close(loss, want_loss, **tolerance(loss.dtype), msg=what)
        assert len(grads) == len(want_grads), what
        for got, want in zip(grads, want_grads):
            assert got is not None and got.dtype == want.dtype and got.shape == want.shape, what
            torch.testing.assert_close(got, want, **tolerance(want.dtype), msg=what)


@pytest.mark.parametrize("shapes", SHAPES[:3], ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_nan_and_inf_with_pytorchs_rule(shapes, reduction):
    """NaN and Inf planted in each input: with nan_gradient="torch" the loss and every gradient
    equal PyTorch's, NaN where PyTorch has NaN (broadcast shapes used to raise IndexError)."""
    dtypes = (torch.float64,) * 3
    for wants, upstream_seed in itertools.product(WANTS[1:], [0, 7]):
        ours = make(shapes, dtypes, wants, seed=5, special=True)
        theirs = make(shapes, dtypes, wants, seed=5, special=True)
        loss, grads = run(margin_ranking_loss, ours, 0.5, reduction, upstream_seed,
                          nan_gradient="torch")
        want_loss, want_grads = run(F.margin_ranking_loss, theirs, 0.5, reduction,
                                    upstream_seed)
        what = "%s %s wants %s upstream %d" % (shapes, reduction, wants, upstream_seed)
        torch.testing.assert_close(loss, want_loss, equal_nan=True, **tolerance(torch.float64),
                                   msg=what)
        for got, want in zip(grads, want_grads):
            torch.testing.assert_close(got, want, equal_nan=True, **tolerance(torch.float64),
                                       msg=what)


def test_only_the_target_requires_a_gradient():
    """The issue's AttributeError: PyTorch gives the target -(x1 - x2) where the hinge is active,
    times the upstream gradient (here mean's 1/n)."""
    x1, x2 = torch.randn(6), torch.randn(6)
    y = torch.ones(6, requires_grad=True)
    margin_ranking_loss(x1, x2, y).backward()
    y_torch = torch.ones(6, requires_grad=True)
    F.margin_ranking_loss(x1, x2, y_torch).backward()
    assert torch.equal(y.grad, y_torch.grad), (y.grad, y_torch.grad)


def test_targets_are_never_rounded():
    """float64 targets stay float64 (they were rounded to float32: 1e-8 relative off); int64
    targets past int32 keep their value (-2^40 wrapped to 0, loss 0, where PyTorch gives 1.1e12)."""
    x1 = torch.tensor([0.25, 1.0, -3.0], dtype=torch.float64)
    x2 = torch.tensor([1.0, 0.5, 2.0], dtype=torch.float64)
    y = torch.tensor([0.1, -0.3, 1.0 / 3.0], dtype=torch.float64)  # no float32 value among them
    for reduction in ("none", "sum"):
        got = margin_ranking_loss(x1, x2, y, margin=0.2, reduction=reduction)
        want = F.margin_ranking_loss(x1, x2, y, margin=0.2, reduction=reduction)
        assert torch.equal(got, want), (got, want)
    big = torch.tensor([-(2 ** 40), 3, -5], dtype=torch.int64)
    a, b = torch.tensor([1.0, 0.0, 2.0]), torch.tensor([0.0, 1.0, 1.0])
    got = margin_ranking_loss(a, b, big, reduction="none")
    want = F.margin_ranking_loss(a, b, big, reduction="none")
    assert got.dtype == want.dtype and torch.equal(got, want), (got, want)
    assert got[0].item() == 2.0 ** 40


def test_mixed_precision_promotes_as_pytorch():
    x1 = torch.randn(8, dtype=torch.float32, requires_grad=True)
    x2 = torch.randn(8, dtype=torch.float64, requires_grad=True)
    y = torch.ones(8)
    loss = margin_ranking_loss(x1, x2, y, reduction="sum")
    assert loss.dtype == torch.float64
    loss.backward()
    assert x1.grad.dtype == torch.float32 and x2.grad.dtype == torch.float64


def test_a_second_backward_needs_retain_graph():
    x1, x2 = torch.randn(5, requires_grad=True), torch.randn(5, requires_grad=True)
    loss = margin_ranking_loss(x1, x2, torch.ones(5))
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    # with retain_graph the gradient is added again, as PyTorch does
    x1.grad = None
    loss = margin_ranking_loss(x1, x2, torch.ones(5), margin=1.0)
    loss.backward(retain_graph=True)
    first = x1.grad.clone()
    loss.backward()
    assert torch.equal(x1.grad, 2 * first)


def test_numpy_reference_agrees_on_broadcast_none():
    """The issue's case through the module and through mrank's own numpy backward: one answer."""
    g = torch.Generator().manual_seed(11)
    x1 = torch.randn(5, 2, generator=g, requires_grad=True)
    x2 = torch.randn(5, 1, generator=g, requires_grad=True)
    y = torch.tensor([[1.0, -1.0]])
    upstream = torch.randn(5, 2, generator=g)
    loss = margin_ranking_loss(x1, x2, y, reduction="none")
    loss.backward(upstream)
    x1t, x2t = x1.detach().clone().requires_grad_(), x2.detach().clone().requires_grad_()
    F.margin_ranking_loss(x1t, x2t, y, reduction="none").backward(upstream)
    np.testing.assert_allclose(x2.grad.numpy(), x2t.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x1.grad.numpy(), x1t.grad.numpy(), rtol=0, atol=0)


def test_ranks_that_differ_are_refused_as_pytorch_refuses_them():
    x1, x2, y = torch.randn(3, 4), torch.randn(3, 4), torch.ones(4)
    with pytest.raises(RuntimeError) as theirs:
        F.margin_ranking_loss(x1, x2, y)
    with pytest.raises(RuntimeError) as ours:
        margin_ranking_loss(x1, x2, y)
    assert str(ours.value) == str(theirs.value)
