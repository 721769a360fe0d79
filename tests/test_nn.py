"""Tests of mathdl.nn: Module API, Parameter, Linear (book layout), Sequential, MLP."""

import ast
import math
import pathlib
from collections import OrderedDict

import numpy as np
import pytest

import mathdl as mdl
from mathdl import nn

ROOT = pathlib.Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------
# Parameter
# ---------------------------------------------------------------------------------------


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    data = np.arange(6.0).reshape(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, mdl.Tensor) and p.requires_grad and p.is_leaf
    assert p.data is data  # wraps, as torch.nn.Parameter(t) shares t's storage
    assert repr(p).startswith("Parameter containing:\ntensor(")
    q = nn.Parameter(mdl.tensor([1.0, 2.0]), requires_grad=False)
    assert not q.requires_grad
    y = (p * 2).sum()
    assert type(p * 2) is mdl.Tensor  # results of operations are plain tensors
    y.backward()
    np.testing.assert_array_equal(p.grad, np.full((2, 3), 2.0))


# ---------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------


def test_linear_shapes_and_forward_book_layout():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    X = np.random.default_rng(1).normal(size=(5, 3))
    Z = layer(mdl.tensor(X))
    np.testing.assert_allclose(Z.data, X @ layer.weight.data + layer.bias.data, rtol=1e-15)
    # extra leading axes are batch axes
    assert layer(mdl.tensor(np.zeros((4, 5, 3)))).shape == (4, 5, 2)
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=True)"


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False, rng=np.random.default_rng(0))
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    X = np.ones((1, 3))
    np.testing.assert_allclose(layer(mdl.tensor(X)).data, X @ layer.weight.data)
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"


def test_linear_input_feature_mismatch_is_a_clear_error():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(
        ValueError,
        match=r"Linear: input of shape \(5, 4\) does not end with "
        r"in_features=3",
    ):
        layer(mdl.tensor(np.zeros((5, 4))))
    with pytest.raises(ValueError, match="non-negative int"):
        nn.Linear(3.0, 2)


def test_linear_default_init_bounds_and_statistics():
    n_in, n_out = 400, 300
    layer = nn.Linear(n_in, n_out, rng=np.random.default_rng(0))
    bound = 1 / math.sqrt(n_in)
    W, b = layer.weight.data, layer.bias.data
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.999 * bound
    assert np.abs(b).max() <= bound
    assert W.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(W.mean()) < 5 * bound / math.sqrt(3 * W.size)


def test_linear_default_init_matches_torch_statistics():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = nn.Linear(400, 300, rng=np.random.default_rng(0))
    theirs = torch.nn.Linear(400, 300)
    assert ours.weight.shape == tuple(theirs.weight.T.shape)
    assert ours.weight.data.std() == pytest.approx(theirs.weight.std().item(), rel=0.02)
    assert np.abs(ours.weight.data).max() == pytest.approx(
        theirs.weight.abs().max().item(), rel=1e-3
    )
    assert np.abs(ours.bias.data).max() == pytest.approx(theirs.bias.abs().max().item(), rel=0.05)


def test_linear_rng_reproducible_and_dtype():
    a = nn.Linear(4, 3, rng=np.random.default_rng(5))
    b = nn.Linear(4, 3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    c = nn.Linear(4, 3, dtype=np.float32)
    assert c.weight.dtype == np.float32 and c.bias.dtype == np.float32
    assert c(mdl.tensor(np.ones((2, 4), dtype=np.float32))).dtype == np.float32


def test_linear_forward_and_backward_match_torch():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(4, 3, rng=np.random.default_rng(0))
    tlayer = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        tlayer.weight.copy_(torch.from_numpy(layer.weight.data.T.copy()))
        tlayer.bias.copy_(torch.from_numpy(layer.bias.data))
    X = np.random.default_rng(1).normal(size=(6, 4))
    Xm = mdl.tensor(X, requires_grad=True)
    Xt = torch.tensor(X, requires_grad=True)
    (layer(Xm) ** 2).sum().backward()
    (tlayer(Xt) ** 2).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, tlayer.weight.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, tlayer.bias.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(Xm.grad, Xt.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# Sequential, activations, MLP
# ---------------------------------------------------------------------------------------


def test_sequential_indexing_len_iteration_and_forward():
    rng = np.random.default_rng(0)
    l1, act, l2 = nn.Linear(2, 4, rng=rng), nn.ReLU(), nn.Linear(4, 1, rng=rng)
    model = nn.Sequential(l1, act, l2)
    assert len(model) == 3 and list(model) == [l1, act, l2]
    assert model[0] is l1 and model[-1] is l2
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [l1, act]
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    with pytest.raises(TypeError, match="integers or slices"):
        model["0"]
    X = mdl.tensor(rng.normal(size=(5, 2)))
    np.testing.assert_allclose(model(X).data, l2(act(l1(X))).data)
    model.append(nn.Sigmoid())
    assert len(model) == 4 and [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]


def test_activation_modules():
    x = mdl.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    np.testing.assert_array_equal(nn.ReLU()(x).data, [0.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh([-2.0, 0.0, 3.0]))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp([2.0, 0.0, -3.0])))
    assert nn.Identity(54, unused="x")(x) is x
    nn.ReLU()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])  # relu'(0) = 0
    assert repr(nn.ReLU()) == "ReLU()"


def test_mlp_structure_names_and_torch_repr():
    torch = pytest.importorskip("torch")
    model = nn.MLP([2, 16, 16, 2], rng=np.random.default_rng(0))
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(2, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 2),
    )
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()]
    assert repr(model) == repr(tmodel).replace("Sequential", "MLP", 1)
    for (_, p), (_, tp) in zip(model.named_parameters(), tmodel.named_parameters(), strict=True):
        assert p.shape == tuple(tp.T.shape if tp.ndim == 2 else tp.shape)
    assert model.sizes == (2, 16, 16, 2)


def test_mlp_matches_torch_forward_backward():
    torch = pytest.importorskip("torch")
    model = nn.MLP([3, 5, 4], activation="tanh", rng=np.random.default_rng(0))
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4)
    ).double()
    with torch.no_grad():
        for (_, p), (_, tp) in zip(
            model.named_parameters(), tmodel.named_parameters(), strict=True
        ):
            tp.copy_(torch.from_numpy(p.data.T.copy() if p.ndim == 2 else p.data))
    X = np.random.default_rng(1).normal(size=(7, 3))
    y = np.array([0, 1, 2, 3, 0, 1, 2])
    loss = nn.CrossEntropyLoss()(model(mdl.tensor(X)), y)
    tloss = torch.nn.CrossEntropyLoss()(tmodel(torch.from_numpy(X)), torch.from_numpy(y))
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-13)
    loss.backward()
    tloss.backward()
    for (_, p), (_, tp) in zip(model.named_parameters(), tmodel.named_parameters(), strict=True):
        ref = tp.grad.numpy()
        np.testing.assert_allclose(p.grad, ref.T if p.ndim == 2 else ref, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "activation, cls",
    [
        ("relu", nn.ReLU),
        ("tanh", nn.Tanh),
        ("sigmoid", nn.Sigmoid),
        ("identity", nn.Identity),
        (nn.Tanh, nn.Tanh),
    ],
)
def test_mlp_activation_options(activation, cls):
    model = nn.MLP([2, 3, 3, 1], activation=activation)
    assert [type(m) for m in model] == [nn.Linear, cls, nn.Linear, cls, nn.Linear]


def test_mlp_errors():
    with pytest.raises(
        ValueError,
        match=r"unknown activation 'gelu'; valid activations are "
        r"'relu', 'tanh', 'sigmoid', 'identity'",
    ):
        nn.MLP([2, 3], activation="gelu")
    with pytest.raises(ValueError, match="at least two positive ints"):
        nn.MLP([2])
    with pytest.raises(ValueError, match="at least two positive ints"):
        nn.MLP([2, 0, 1])
    with pytest.raises(TypeError, match="not a Module"):
        nn.MLP([2, 3, 1], activation=lambda: "relu")
    with pytest.raises(TypeError, match="string or a Module class"):
        nn.MLP([2, 3, 1], activation=3)


def test_mlp_rng_reproducible():
    a = nn.MLP([2, 8, 1], rng=np.random.default_rng(3))
    b = nn.MLP([2, 8, 1], rng=np.random.default_rng(3))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


# ---------------------------------------------------------------------------------------
# Module API
# ---------------------------------------------------------------------------------------


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3))
        self.inner = nn.Sequential(nn.Linear(3, 3), nn.ReLU())

    def forward(self, X):
        return self.inner(X) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.block = Block()
        self.fc2 = nn.Linear(3, 1)
        self.temperature = 2.0  # a plain attribute, not a parameter

    def forward(self, X):
        return self.fc2(self.block(self.fc1(X))) / self.temperature


NET_NAMES = [
    "fc1.weight",
    "fc1.bias",
    "block.scale",
    "block.inner.0.weight",
    "block.inner.0.bias",
    "fc2.weight",
    "fc2.bias",
]


def test_named_parameters_dotted_names_in_registration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == NET_NAMES
    assert len(list(net.parameters())) == 7
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert [n for n, _ in net.block.named_parameters(prefix="block")] == NET_NAMES[2:5]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "fc1",
        "block",
        "block.inner",
        "block.inner.0",
        "block.inner.1",
        "fc2",
    ]
    assert [n for n, _ in net.named_children()] == ["fc1", "block", "fc2"]
    assert list(net.children()) == [net.fc1, net.block, net.fc2]
    assert len(list(net.modules())) == 7


def test_named_parameters_match_torch_for_same_structure():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class TBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.scale = tnn.Parameter(torch.ones(3))
            self.inner = tnn.Sequential(tnn.Linear(3, 3), tnn.ReLU())

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = tnn.Linear(2, 3)
            self.block = TBlock()
            self.fc2 = tnn.Linear(3, 1)

    assert [n for n, _ in TNet().named_parameters()] == NET_NAMES
    assert repr(Net()).replace("Net", "X").replace("Block", "Y") == repr(TNet()).replace(
        "TNet", "X"
    ).replace("TBlock", "Y")


def test_forward_call_and_backward_through_module():
    net = Net()
    out = net(mdl.tensor(np.ones((4, 2))))
    assert out.shape == (4, 1)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())


def test_zero_grad():
    net = Net()
    net(mdl.tensor(np.ones((4, 2)))).sum().backward()
    grads = [p.grad for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(net.parameters(), grads, strict=True))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.block.train()
    assert net.block.inner[0].training and not net.training and not net.fc1.training
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_registration_rules():
    net = Net()
    assert "temperature" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'ndarray' as parameter 'scale'"):
        net.block.scale = np.ones(3)
    net.block.scale = None  # allowed, like torch
    assert "block.scale" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="as child module 'fc1'"):
        net.fc1 = 3
    del net.fc2
    assert not any(n.startswith("fc2") for n, _ in net.named_parameters())
    net.extra = nn.Parameter(np.zeros(1))
    assert list(dict(net.named_parameters()))[0] == "extra"  # own parameters first, as torch

    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))  # forgot super().__init__()

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Broken()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        nn.Module().register_parameter("w", np.zeros(2))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        nn.Module().add_module("m", 3)


def test_shared_parameters_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "ReLU", "Sequential", "Block", "Linear", "Net"]


def test_state_dict_roundtrip_in_place():
    a, b = Net(), Net()
    state = a.state_dict()
    assert list(state) == NET_NAMES
    arrays = [p.data for p in b.parameters()]
    missing, unexpected = b.load_state_dict(state)
    assert missing == [] and unexpected == []
    for p, q, arr in zip(a.parameters(), b.parameters(), arrays, strict=True):
        np.testing.assert_array_equal(p.data, q.data)
        assert q.data is arr  # copied into the existing arrays: optimizers stay valid
    a.fc1.weight.data[...] = 99.0
    assert not (state["fc1.weight"] == 99.0).any()  # state_dict is a snapshot


def test_load_state_dict_errors():
    net = Net()
    state = net.state_dict()
    state["fc1.weight"] = np.zeros((5, 5))
    state["bogus"] = np.zeros(1)
    del state["fc2.bias"]
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(state)
    text = str(err.value)
    assert "Error(s) in loading state_dict for Net" in text
    assert 'Unexpected key(s) in state_dict: "bogus"' in text
    assert 'Missing key(s) in state_dict: "fc2.bias"' in text
    assert "size mismatch for fc1.weight" in text
    del state["fc1.weight"]
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["fc1.weight", "fc2.bias"] and unexpected == ["bogus"]


def test_functional_alias():
    assert nn.functional is mdl.functional
    import mathdl.nn.functional as F

    assert F is mdl.functional


def test_loss_modules_match_functional():
    z = mdl.tensor(np.random.default_rng(0).normal(size=(4, 3)))
    y = np.array([0, 2, 1, 2])
    assert nn.CrossEntropyLoss()(z, y).item() == mdl.functional.cross_entropy(z, y).item()
    t = mdl.tensor(np.ones((4, 3)))
    assert (
        nn.MSELoss(reduction="sum")(z, t).item()
        == mdl.functional.mse_loss(z, t, reduction="sum").item()
    )
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


# ---------------------------------------------------------------------------------------
# Import layering of the modules tested here (DESIGN.md)
# ---------------------------------------------------------------------------------------

ALLOWED = {
    "mathdl/init.py": {"autograd"},
    "mathdl/nn.py": {"autograd", "functional", "init"},
    "mathdl/optim/__init__.py": {"autograd", "nn", "optim.lr_scheduler"},
    "mathdl/optim/lr_scheduler.py": {"autograd", "nn", "optim"},
}


def _mathdl_imports(path):
    tree = ast.parse((ROOT / path).read_text())
    package = "mathdl.optim" if "optim/" in path else "mathdl"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = base + ("." + node.module if node.module else "")
                names = [mod + "." + a.name for a in node.names] if not node.module else [mod]
            else:
                names = [node.module]
            for name in names:
                if name.startswith("mathdl."):
                    found.add(name[len("mathdl.") :])
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_import_layering(path):
    imports = _mathdl_imports(path)
    heavy = {m for m in imports if m.split(".")[0] in {"torch", "matplotlib", "ipywidgets"}}
    assert not heavy, f"{path} imports {heavy}"
    internal = {
        m
        for m in imports
        if m
        in {
            "autograd",
            "functional",
            "init",
            "nn",
            "optim",
            "optim.lr_scheduler",
            "gradcheck",
            "calculus",
            "landscape",
            "data",
            "viz",
            "widgets",
        }
    }
    assert internal <= ALLOWED[path], f"{path} imports {internal - ALLOWED[path]}"
