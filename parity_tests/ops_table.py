"""The op table: one ``OpSpec`` per op / variant (a tiny OpInfo).

Every spec's ``fn`` takes the framework module first, so ONE callable serves
both frameworks: ``fn(m, *tensors, **kwargs)`` with ``m`` = torch or the
library under test.  Tensor arguments are drawn as NumPy arrays by
``strategies.samples`` and converted per framework; keyword arguments are
plain Python objects (dims, exponents, bounds, index expressions ...), except
that any NumPy array inside them becomes a non-differentiable tensor of the
framework (index tensors, bool masks, ``where`` conditions).

How to add an op
----------------
    OpSpec("softmax.dim", lambda m, a, dim: m.softmax(a, dim=dim),
           shapes=single(min_dims=1),
           kwargs=lambda shapes: st.fixed_dictionaries({"dim": dim_int(shapes[0])}),
           kind="reduction")

then run ``MINIGRAD_UNDER_TEST=torch pytest parity_tests/test_ops.py -k softmax``
to check the spec itself against torch.  Public names that are not ops go in
``NOT_OPS`` at the bottom.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from strategies import (
    DEFAULT_DOMAIN, F32, F64, Domain, basic_index, cat_shapes, clamp_bounds, clamp_grid,
    dim_any, dim_int, dim_keepdim, elementwise, expand_shapes, expand_target, flatten_dims,
    gufunc, inplace_shapes, list_index, mask_index, mixed_index, mm_shapes, multi_tensor_index,
    nonzero_scalars, permutation, range_index, reshape_target, same_shapes, scalars, single,
    squeezable, tensor_index, valid_cat_dims,
)

I64 = np.dtype(np.int64)
I32 = np.dtype(np.int32)
BOOL = np.dtype(np.bool_)


# ==========================================================================
# OpSpec
# ==========================================================================
@dataclass(frozen=True)
class OpSpec:
    """One op or variant.  Defaults fit a unary element-wise float op."""

    name: str  # test id, e.g. "sum.dim"; the part before "." names the op covered
    fn: Callable[..., Any]  # fn(m, *tensors, **kwargs)
    arity: int = 1  # number of tensor arguments drawn (float unless dtypes say otherwise)
    shapes: Any = None  # strategy of a tuple of `arity` shapes; default elementwise(arity)
    kwargs: Callable | None = None  # shapes -> strategy of a kwargs dict
    domains: tuple = ()  # per-arg strategies.Domain; default Domain(-10, 10)
    dtypes: tuple = (F64, F32)  # each a dtype, or a per-arg tuple of dtypes (promotion)
    diff_args: tuple | None = None  # args that require grad; None = every float arg
    kind: str = "elementwise"  # tolerance row (oracles.py): "elementwise" | "reduction"
    tol: dict = field(default_factory=dict)  # {(dtype, "fwd"|"bwd"): (rtol, atol)}, each with a why
    grad: bool = True  # backward parity (False: forward semantics only, e.g. zero_)
    parity_elements: Any = None  # element strategy replacing the domain's in "parity" mode
    kinks: Any = None  # element strategy (or per-arg tuple) forcing ties/zeros/bounds: test_kink_parity
    numeric: bool = True  # oracle B (float64 central differences of the library alone)
    numeric_domains: tuple = ()  # per-arg Domain for oracles B/C (default: domains)
    numeric_avoid: Any = ()  # kink points kept >= 1e-3 away in B/C; or kwargs -> points
    numeric_shapes: Any = None  # shape strategy for B/C (e.g. enough elements for var)
    distinct: bool = False  # B/C draw all float elements distinct, well separated (ties)
    gradgrad: bool = True  # oracle C
    torch_raises: bool = False  # draws may make torch raise; the library must raise the same builtin type
    max_examples_scale: float = 1.0  # per-op budget multiplier (e.g. matmul 2x)
    strict: bool | str = True  # runs on the "strict" device; a str is the reason it cannot
    xfail: str | None = None  # documented divergence from torch (applies to the library only)
    layout: bool | str = True  # compare stride() and is_contiguous() with torch's; a str is why not
    covers: tuple = ()  # public names exercised besides name.split(".")[0]
    examples: tuple = ()  # pinned strategies.Sample(...) replayed first (@example)

    def __post_init__(self):
        if self.shapes is None:
            object.__setattr__(self, "shapes", elementwise(self.arity))
        if self.kind not in ("elementwise", "reduction"):
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        floats = any(np.dtype(x).kind == "f" for d in self.dtypes
                     for x in (d if isinstance(d, tuple) else (d,)))
        if not floats or not self.grad:  # nothing to differentiate
            object.__setattr__(self, "grad", floats and self.grad)
            object.__setattr__(self, "numeric", False)
            object.__setattr__(self, "gradgrad", False)

    def domain(self, i: int, numeric: bool = False) -> Domain:
        if numeric and i < len(self.numeric_domains) and self.numeric_domains[i] is not None:
            return self.numeric_domains[i]
        if i < len(self.domains) and self.domains[i] is not None:
            return self.domains[i]
        return DEFAULT_DOMAIN

    @property
    def covered_names(self) -> tuple:
        return (self.name.split(".")[0],) + tuple(self.covers)


def kw(**strategies) -> Callable:
    """kwargs strategy that ignores the shapes: kw(c=scalars)."""
    return lambda shapes: st.fixed_dictionaries(strategies)


# --------------------------------------------------------------------------
# Shared tolerance overrides (each says why; the base table is in oracles.py)
# --------------------------------------------------------------------------
# Un-broadcasting, expand and index backward *sum* the cotangent over up to
# 256 elements (a reduction, not "one extra multiply"), so float32 backward
# uses the reduction row of the tolerances in oracles.py.
SUMMING_BWD = {(F32, "bwd"): (1e-4, 1e-4)}
# Mixed float32/float64 operands: the arithmetic (and the un-broadcast sum) happens in
# float32, then the float64 input's gradient is cast up.  Its float64 values carry
# float32 rounding, so they get the float32 reduction row.
MIXED_PRECISION = {(F32, "bwd"): (1e-4, 1e-4), (F64, "bwd"): (1e-4, 1e-4)}

# --------------------------------------------------------------------------
# Domains and element strategies
# --------------------------------------------------------------------------
NONZERO = Domain(avoid=(0.0,), radius=1e-2)  # divisor: |x| >= 1e-2 (6.3)
POSITIVE = Domain(1e-5, 10.0)  # log / sqrt (6.3)
POSITIVE_NUMERIC = Domain(0.05, 10.0)  # B: log''' ~ 2/x^3 makes eps=1e-6 differences inexact near 0
POW_INT_BASE = Domain(-4.0, 4.0, avoid=(0.0,), radius=0.1)  # negative int exponents blow up at 0
POW_FRAC_BASE = Domain(0.01, 5.0)  # non-integer exponents need a positive base
POW_EXPONENT = Domain(-3.0, 3.0)

ties = st.sampled_from([-1.0, 0.0, 1.0, 2.0])  # forces ties and zeros (6.3)
ties3 = st.sampled_from([-1.0, 0.0, 1.0])
# Grid values: exact in float32 and separated by 0.25, so float32 std/norm
# gradients are well conditioned (no near-constant rows); exact ties remain.
grid = st.integers(-40, 40).map(lambda k: k / 4)
int_exponents = st.sampled_from([0, 1, 2, 3, -1, -2, 2.0, -1.0])
frac_exponents = st.sampled_from([0.5, 1.5, -0.5, 2.5, 1 / 3])
positive_bases = st.sampled_from([2, 0.5, 3.0, 2.5, 1.5])


def _bounds(kw_: dict) -> tuple:
    return tuple(v for v in (kw_.get("min"), kw_.get("max")) if v is not None)


# ==========================================================================
# Spec builders
# ==========================================================================
def unary(name, fn, **kwargs) -> OpSpec:
    return OpSpec(name, fn, arity=1, **kwargs)


def binary(name, fn, **kwargs) -> OpSpec:
    kwargs.setdefault("tol", SUMMING_BWD)
    return OpSpec(name, fn, arity=2, **kwargs)


def _inplace_method(method: str, *, scalar: bool = False) -> Callable:
    """a.clone().<method>(b), asserting the method returns the tensor itself."""
    if scalar:
        def f(m, a, c):
            x = a.clone()
            y = getattr(x, method)(c)
            assert y is x, f"{method} must return self"
            return x
    else:
        def f(m, a, b):
            x = a.clone()
            y = getattr(x, method)(b)
            assert y is x, f"{method} must return self"
            return x
    f.__name__ = f"clone_then_{method}"
    return f


def _inplace_operator(op: Callable, *, scalar: bool = False) -> Callable:
    """x = a.clone(); x += b  (through operator.iadd etc.), x must stay the same object."""
    def f(m, a, b=None, c=None):
        x = a.clone()
        x0 = x
        x = op(x, c if scalar else b)
        assert x is x0, f"{op.__name__} must update in place and return self"
        return x
    f.__name__ = f"clone_then_{op.__name__}"
    return f


def _clamp_(m, a, **bounds):
    x = a.clone()
    y = x.clamp_(**bounds)
    assert y is x, "clamp_ must return self"
    return x


def _zero_(m, a):
    x = a.clone()
    y = x.zero_()
    assert y is x, "zero_ must return self"
    return x


def _fill_(m, a, c):
    x = a.clone()
    y = x.fill_(c)
    assert y is x, "fill_ must return self"
    return x


def _copy_(m, a, b):
    x = a.clone()
    y = x.copy_(b)
    assert y is x, "copy_ must return self"
    return x


# ==========================================================================
# Arithmetic: + - * / ** (function, method, operator, scalar, reflected, promotion)
# ==========================================================================
ARITHMETIC = [
    binary("add", lambda m, a, b: m.add(a, b)),
    binary("add.method", lambda m, a, b: a.add(b)),
    binary("add.op", lambda m, a, b: a + b, covers=("__add__",)),
    unary("add.scalar", lambda m, a, c: a + c, kwargs=kw(c=scalars), covers=("__add__",)),
    unary("radd.scalar", lambda m, a, c: c + a, kwargs=kw(c=scalars), covers=("__radd__",)),
    binary("add.promote", lambda m, a, b: a + b, dtypes=((F32, F64), (F64, F32)), tol=MIXED_PRECISION),
    binary("sub", lambda m, a, b: m.sub(a, b)),
    binary("sub.method", lambda m, a, b: a.sub(b)),
    binary("sub.op", lambda m, a, b: a - b, covers=("__sub__",)),
    unary("sub.scalar", lambda m, a, c: a - c, kwargs=kw(c=scalars), covers=("__sub__",)),
    unary("rsub.scalar", lambda m, a, c: c - a, kwargs=kw(c=scalars), covers=("__rsub__",)),
    binary("mul", lambda m, a, b: m.mul(a, b)),
    binary("mul.method", lambda m, a, b: a.mul(b)),
    binary("mul.op", lambda m, a, b: a * b, covers=("__mul__",)),
    unary("mul.scalar", lambda m, a, c: a * c, kwargs=kw(c=scalars), covers=("__mul__",)),
    unary("rmul.scalar", lambda m, a, c: c * a, kwargs=kw(c=scalars), covers=("__rmul__",)),
    unary("rmul.const", lambda m, a: 2.5 * a, covers=("__rmul__",)),
    binary("mul.promote", lambda m, a, b: a * b, dtypes=((F32, F64), (F64, F32)), tol=MIXED_PRECISION),
    unary("mul.int_float_scalar", lambda m, a: a * 1.5, dtypes=(I64,), domains=(Domain(-5, 5),)),
    binary("div", lambda m, a, b: m.div(a, b), domains=(None, NONZERO),
           kinks=(ties, ties3)),  # x/0: inf, -inf and nan values and grads (row 21)
    binary("div.method", lambda m, a, b: a.div(b), domains=(None, NONZERO)),
    binary("div.op", lambda m, a, b: a / b, domains=(None, NONZERO), covers=("__truediv__",)),
    unary("div.scalar", lambda m, a, c: a / c, kwargs=kw(c=nonzero_scalars), covers=("__truediv__",)),
    unary("rdiv.scalar", lambda m, a, c: c / a, kwargs=kw(c=scalars), domains=(NONZERO,),
          covers=("__rtruediv__",)),
    binary("div.int", lambda m, a, b: a / b, dtypes=(I64,),  # int / int -> float32 (row 23)
           domains=(Domain(-6, 6), Domain(-6, 6, avoid=(0,), radius=1))),
    unary("pow.scalar_int", lambda m, a, c: a ** c, kwargs=kw(c=int_exponents),
          domains=(POW_INT_BASE,), covers=("__pow__",), kinks=ties),
    unary("pow.scalar_frac", lambda m, a, c: a ** c, kwargs=kw(c=frac_exponents),
          domains=(POW_FRAC_BASE,), numeric_domains=(Domain(0.1, 5.0),), covers=("__pow__",),
          kinks=st.sampled_from([0.0, 1.0, 4.0])),  # 0 ** 0.5: grad inf
    unary("pow", lambda m, a, c: m.pow(a, c), kwargs=kw(c=int_exponents), domains=(POW_INT_BASE,)),
    unary("pow.method", lambda m, a, c: a.pow(c), kwargs=kw(c=frac_exponents), domains=(POW_FRAC_BASE,),
          numeric_domains=(Domain(0.1, 5.0),)),
    # torch's backward special-cases exponent == 0 (where(exponent == 0, 0, ...)), a kink of
    # its second derivative: B/C keep the exponent away from 0.
    binary("pow.tensor", lambda m, a, b: a ** b, domains=(Domain(0.1, 4.0), POW_EXPONENT),
           covers=("__pow__",), numeric_avoid=(0.0,),
           # base 0: torch masks d/d(exponent) = a**b * log(a) to 0 where b >= 0
           kinks=(st.sampled_from([0.0, 1.0, 2.0]), st.sampled_from([0.0, 1.0, 2.0, 0.5]))),
    binary("pow.tensor_fn", lambda m, a, b: m.pow(a, b), domains=(Domain(0.1, 4.0), POW_EXPONENT),
           numeric_avoid=(0.0,)),
    unary("rpow.scalar", lambda m, a, c: c ** a, kwargs=kw(c=positive_bases),
          domains=(Domain(-5.0, 5.0),), covers=("__rpow__",)),
    unary("neg", lambda m, a: m.neg(a)),
    unary("neg.method", lambda m, a: a.neg()),
    unary("neg.op", lambda m, a: -a, covers=("__neg__",)),
]

# ==========================================================================
# Unary element-wise
# ==========================================================================
UNARY = [
    unary("exp", lambda m, a: m.exp(a)),
    unary("exp.method", lambda m, a: a.exp()),
    unary("log", lambda m, a: m.log(a), domains=(POSITIVE,), numeric_domains=(POSITIVE_NUMERIC,),
          kinks=st.sampled_from([-1.0, 0.0, 0.5, 1.0])),  # log(0)=-inf grad inf; log(-1)=nan grad -1
    unary("log.method", lambda m, a: a.log(), domains=(POSITIVE,), numeric_domains=(POSITIVE_NUMERIC,)),
    unary("sqrt", lambda m, a: m.sqrt(a), domains=(POSITIVE,), numeric_domains=(POSITIVE_NUMERIC,),
          kinks=st.sampled_from([0.0, 1.0, 4.0])),  # sqrt'(0) = inf
    unary("sqrt.method", lambda m, a: a.sqrt(), domains=(POSITIVE,), numeric_domains=(POSITIVE_NUMERIC,)),
    unary("abs", lambda m, a: m.abs(a), kinks=ties, numeric_avoid=(0.0,)),  # abs'(0) = 0
    unary("abs.method", lambda m, a: a.abs(), kinks=ties, numeric_avoid=(0.0,)),
    unary("abs.builtin", lambda m, a: abs(a), numeric_avoid=(0.0,), covers=("__abs__",)),
    unary("sigmoid", lambda m, a: m.sigmoid(a)),
    unary("sigmoid.method", lambda m, a: a.sigmoid()),
    unary("tanh", lambda m, a: m.tanh(a)),
    unary("tanh.method", lambda m, a: a.tanh()),
    unary("relu", lambda m, a: m.relu(a), kinks=ties, numeric_avoid=(0.0,)),  # relu'(0) = 0
    unary("relu.method", lambda m, a: a.relu(), kinks=ties, numeric_avoid=(0.0,)),
    # clamp: grad passes where min <= x <= max (bounds inclusive)
    unary("clamp.min", lambda m, a, **b: a.clamp(**b), kwargs=lambda s: clamp_bounds("min"),
          kinks=clamp_grid, numeric_avoid=_bounds),
    unary("clamp.max", lambda m, a, **b: a.clamp(**b), kwargs=lambda s: clamp_bounds("max"),
          kinks=clamp_grid, numeric_avoid=_bounds),
    unary("clamp", lambda m, a, **b: m.clamp(a, **b), kwargs=lambda s: clamp_bounds("both"),
          kinks=clamp_grid, numeric_avoid=_bounds),
    unary("clamp.positional", lambda m, a, **b: a.clamp(b["min"], b["max"]),
          kwargs=lambda s: clamp_bounds("both"), kinks=clamp_grid, numeric_avoid=_bounds),
    # maximum/minimum: ties give 0.5 to each side (row 21)
    binary("maximum", lambda m, a, b: m.maximum(a, b), kinks=ties3, distinct=True),
    binary("maximum.method", lambda m, a, b: a.maximum(b), kinks=ties3, distinct=True),
    binary("minimum", lambda m, a, b: m.minimum(a, b), kinks=ties3, distinct=True),
    binary("minimum.method", lambda m, a, b: a.minimum(b), kinks=ties3, distinct=True),
    binary("max.binary", lambda m, a, b: m.max(a, b), kinks=ties3, distinct=True),
    binary("min.binary", lambda m, a, b: m.min(a, b), kinks=ties3, distinct=True),
]

# ==========================================================================
# matmul family (gufunc shapes: 1-D, 2-D and batched)
# ==========================================================================
MATMUL_SHAPES = gufunc("(m?,n),(n,p?)->(m?,p?)")
MATMUL = [
    OpSpec("matmul", lambda m, a, b: m.matmul(a, b), arity=2, shapes=MATMUL_SHAPES,
           kind="reduction", max_examples_scale=2.0),
    OpSpec("matmul.op", lambda m, a, b: a @ b, arity=2, shapes=MATMUL_SHAPES, kind="reduction",
           covers=("__matmul__",), max_examples_scale=2.0),
    OpSpec("matmul.method", lambda m, a, b: a.matmul(b), arity=2, shapes=MATMUL_SHAPES, kind="reduction"),
    OpSpec("mm", lambda m, a, b: m.mm(a, b), arity=2, shapes=mm_shapes(), kind="reduction"),
    OpSpec("mm.method", lambda m, a, b: a.mm(b), arity=2, shapes=mm_shapes(), kind="reduction"),
    OpSpec("bmm", lambda m, a, b: m.bmm(a, b), arity=2, shapes=mm_shapes(batched=True), kind="reduction"),
    OpSpec("bmm.method", lambda m, a, b: a.bmm(b), arity=2, shapes=mm_shapes(batched=True),
           kind="reduction"),
]

# ==========================================================================
# Reductions
# ==========================================================================
RED_SHAPES = single(min_dims=0, max_dims=4, min_side=0)
NONEMPTY = single(min_dims=0, max_dims=4, min_side=1)  # max/argmax of an empty dim raise in torch
VAR_NUMERIC_SHAPES = single(min_dims=1, max_dims=3, min_side=3)  # dof = N - correction > 0
# var/std parity also keeps N - correction > 0: with no degrees of freedom torch warns and its
# gradients differ between the dim=None and dim= code paths (nan, +-inf); minigrad follows the
# dim= convention everywhere.  test_semantics.py pins that case.
VAR_SHAPES = VAR_NUMERIC_SHAPES


def _red(name, fn, **kwargs) -> OpSpec:
    kwargs.setdefault("shapes", RED_SHAPES)
    return OpSpec(name, fn, kind="reduction", **kwargs)


def _var(name, fn, **kwargs) -> OpSpec:
    return _red(name, fn, shapes=VAR_SHAPES, **kwargs)


def _dim_or_none(shapes):
    return dim_any(shapes[0], allow_none=True)


REDUCTIONS = [
    _red("sum", lambda m, a: a.sum()),
    _red("sum.fn", lambda m, a: m.sum(a)),
    _red("sum.dim", lambda m, a, dim, keepdim: a.sum(dim=dim, keepdim=keepdim), kwargs=dim_keepdim),
    _red("sum.fn_dim", lambda m, a, dim, keepdim: m.sum(a, dim, keepdim=keepdim), kwargs=dim_keepdim),
    _red("mean", lambda m, a: a.mean()),  # mean of empty = nan (row 21)
    _red("mean.fn", lambda m, a: m.mean(a)),
    _red("mean.dim", lambda m, a, dim, keepdim: a.mean(dim=dim, keepdim=keepdim), kwargs=dim_keepdim),
    _red("mean.fn_dim", lambda m, a, dim, keepdim: m.mean(a, dim, keepdim=keepdim), kwargs=dim_keepdim),
    _red("mean.int", lambda m, a: a.mean(), dtypes=(I64,), torch_raises=True),  # torch raises RuntimeError (row 23)
    # full max/min/amax: ties split evenly ([1,3,3] -> [0,.5,.5], row 21)
    _red("max", lambda m, a: a.max(), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("max.fn", lambda m, a: m.max(a), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("max.empty", lambda m, a: a.max(), shapes=st.sampled_from([((0,),), ((0, 2),), ((3, 0),)]),
         torch_raises=True, numeric=False, gradgrad=False),  # torch raises RuntimeError (exception parity)
    # max(dim): (values, indices); the whole grad goes to one (the first) index
    _red("max.dim", lambda m, a, dim, keepdim: a.max(dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=lambda s: dim_keepdim(s, allow_tuple=False), kinks=ties, distinct=True),
    _red("max.fn_dim", lambda m, a, dim, keepdim: m.max(a, dim, keepdim), shapes=NONEMPTY,
         kwargs=lambda s: dim_keepdim(s, allow_tuple=False), kinks=ties, distinct=True),
    _red("min", lambda m, a: a.min(), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("min.fn", lambda m, a: m.min(a), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("min.dim", lambda m, a, dim, keepdim: a.min(dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=lambda s: dim_keepdim(s, allow_tuple=False), kinks=ties, distinct=True),
    _red("amax", lambda m, a: a.amax(), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("amax.dim", lambda m, a, dim, keepdim: a.amax(dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=dim_keepdim, kinks=ties, distinct=True),
    _red("amax.fn", lambda m, a, dim, keepdim: m.amax(a, dim, keepdim), shapes=NONEMPTY,
         kwargs=dim_keepdim, kinks=ties, distinct=True),
    # argmax/argmin: int64, first occurrence on ties
    _red("argmax", lambda m, a: a.argmax(), shapes=NONEMPTY, kinks=ties, grad=False),
    _red("argmax.fn", lambda m, a: m.argmax(a), shapes=NONEMPTY, kinks=ties, grad=False),
    _red("argmax.dim", lambda m, a, dim, keepdim: a.argmax(dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=lambda s: dim_keepdim(s, allow_tuple=False), kinks=ties, grad=False),
    _red("argmin", lambda m, a: a.argmin(), shapes=NONEMPTY, kinks=ties, grad=False),
    _red("argmin.dim", lambda m, a, dim, keepdim: m.argmin(a, dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=lambda s: dim_keepdim(s, allow_tuple=False), kinks=ties, grad=False),
    # var / std: default correction 1; `unbiased` and `correction` keywords (torch 2.13 accepts both)
    _var("var", lambda m, a: a.var(), numeric_shapes=VAR_NUMERIC_SHAPES),
    _var("var.dim", lambda m, a, dim, keepdim: a.var(dim=dim, keepdim=keepdim), kwargs=dim_keepdim,
         numeric_shapes=VAR_NUMERIC_SHAPES),
    _var("var.unbiased", lambda m, a, dim, unbiased, keepdim: a.var(dim, unbiased=unbiased, keepdim=keepdim),
         kwargs=lambda s: st.fixed_dictionaries(
             {"dim": _dim_or_none(s), "unbiased": st.booleans(), "keepdim": st.booleans()}),
         numeric_shapes=VAR_NUMERIC_SHAPES),
    _var("var.correction",
         lambda m, a, dim, correction, keepdim: a.var(dim=dim, correction=correction, keepdim=keepdim),
         kwargs=lambda s: st.fixed_dictionaries(
             {"dim": _dim_or_none(s), "correction": st.sampled_from([0, 1, 2]), "keepdim": st.booleans()}),
         numeric_shapes=VAR_NUMERIC_SHAPES),
    _var("var.fn", lambda m, a, dim, keepdim: m.var(a, dim, keepdim=keepdim), kwargs=dim_keepdim,
         numeric_shapes=VAR_NUMERIC_SHAPES),
    # std: constant rows give std 0 and grad 0 in torch 2.13 (kinks); float32
    # parity draws grid values so the gradient (x - mean) / ((N-1) std) is well
    # conditioned (near-constant rows would make any two implementations differ).
    _var("std", lambda m, a: a.std(), parity_elements=grid, kinks=st.sampled_from([1.0, 2.0]),
         numeric_shapes=VAR_NUMERIC_SHAPES, distinct=True),
    _var("std.dim", lambda m, a, dim, keepdim: a.std(dim=dim, keepdim=keepdim), kwargs=dim_keepdim,
         parity_elements=grid, kinks=st.sampled_from([1.0, 2.0]), numeric_shapes=VAR_NUMERIC_SHAPES,
         distinct=True),
    _var("std.unbiased", lambda m, a, dim, unbiased, keepdim: a.std(dim, unbiased=unbiased, keepdim=keepdim),
         kwargs=lambda s: st.fixed_dictionaries(
             {"dim": _dim_or_none(s), "unbiased": st.booleans(), "keepdim": st.booleans()}),
         parity_elements=grid, numeric_shapes=VAR_NUMERIC_SHAPES, distinct=True),
    _var("std.correction",
         lambda m, a, dim, correction, keepdim: a.std(dim=dim, correction=correction, keepdim=keepdim),
         kwargs=lambda s: st.fixed_dictionaries(
             {"dim": _dim_or_none(s), "correction": st.sampled_from([0, 1, 2]), "keepdim": st.booleans()}),
         parity_elements=grid, numeric_shapes=VAR_NUMERIC_SHAPES, distinct=True),
    _var("std.fn", lambda m, a, dim, keepdim: m.std(a, dim, keepdim=keepdim), kwargs=dim_keepdim,
         parity_elements=grid, numeric_shapes=VAR_NUMERIC_SHAPES, distinct=True),
    # norm: grad 0 at the zero vector (kinks); grid elements as for std
    _red("norm", lambda m, a: a.norm(), parity_elements=grid, kinks=ties3, numeric_avoid=(0.0,)),
    _red("norm.fn", lambda m, a: m.norm(a), parity_elements=grid, numeric_avoid=(0.0,)),
    _red("norm.p_dim", lambda m, a, p, dim, keepdim: a.norm(p=p, dim=dim, keepdim=keepdim),
         kwargs=lambda s: st.fixed_dictionaries(
             {"p": st.sampled_from([1, 2, 2.0]), "dim": dim_any(s[0]), "keepdim": st.booleans()}),
         parity_elements=grid, kinks=ties3, numeric_avoid=(0.0,)),
]

# ==========================================================================
# Views and shape ops
# ==========================================================================
def _view(m, a, shape, star):
    return a.view(*shape) if (star and shape) else a.view(shape)


def _reshape(m, a, shape, star):
    return a.reshape(*shape) if (star and shape) else a.reshape(shape)


def _permute(m, a, dims, star):
    return a.permute(*dims) if (star and dims) else a.permute(dims)


def _expand(m, a, size, star):
    return a.expand(*size) if (star and size) else a.expand(size)


def _target_kw(shapes):
    return st.fixed_dictionaries({"shape": reshape_target(shapes[0]), "star": st.booleans()})


def _squeeze_dim(shapes):
    return st.fixed_dictionaries({"dim": dim_int(shapes[0])})


def _transpose_dims(shapes):
    return st.fixed_dictionaries({"dim0": dim_int(shapes[0]), "dim1": dim_int(shapes[0])})


def _expand_kw(shapes):
    base, target = shapes
    return st.fixed_dictionaries({"size": expand_target(base, target), "star": st.booleans()})


UPTO2D = single(min_dims=0, max_dims=2)
VIEWS = [
    # array-API arrays carry no strides, so view cannot refuse a non-contiguous input there as torch
    # does; the same reshape path runs on strict through the "reshape" specs
    unary("view", _view, kwargs=_target_kw,
          strict="no strides in the array API: view cannot detect a non-contiguous input"),
    unary("reshape", _reshape, kwargs=_target_kw),
    unary("reshape.fn", lambda m, a, shape, star: m.reshape(a, shape), kwargs=_target_kw),
    unary("flatten", lambda m, a, **d: a.flatten(**d), kwargs=lambda s: flatten_dims(s[0])),
    unary("flatten.fn", lambda m, a, **d: m.flatten(a, **d), kwargs=lambda s: flatten_dims(s[0])),
    unary("unsqueeze", lambda m, a, dim: a.unsqueeze(dim),
          kwargs=lambda s: st.fixed_dictionaries({"dim": dim_int(s[0], extra=1 if s[0] else 0)})),
    unary("unsqueeze.fn", lambda m, a, dim: m.unsqueeze(a, dim),
          kwargs=lambda s: st.fixed_dictionaries({"dim": dim_int(s[0], extra=1 if s[0] else 0)})),
    unary("squeeze", lambda m, a: a.squeeze(), shapes=squeezable),
    unary("squeeze.dim", lambda m, a, dim: a.squeeze(dim), shapes=squeezable, kwargs=_squeeze_dim),
    unary("squeeze.fn", lambda m, a, dim: m.squeeze(a, dim), shapes=squeezable, kwargs=_squeeze_dim),
    unary("transpose", lambda m, a, dim0, dim1: a.transpose(dim0, dim1), kwargs=_transpose_dims),
    unary("transpose.fn", lambda m, a, dim0, dim1: m.transpose(a, dim0, dim1), kwargs=_transpose_dims),
    unary("T", lambda m, a: a.T, shapes=single(min_dims=2, max_dims=2)),  # .T on ndim != 2 is deprecated
    unary("t", lambda m, a: a.t(), shapes=UPTO2D),
    unary("t.fn", lambda m, a: m.t(a), shapes=UPTO2D),
    unary("permute", _permute,
          kwargs=lambda s: st.fixed_dictionaries({"dims": permutation(s[0]), "star": st.booleans()})),
    unary("permute.fn", lambda m, a, dims: m.permute(a, dims),
          kwargs=lambda s: st.fixed_dictionaries({"dims": permutation(s[0])})),
    unary("expand", _expand, shapes=expand_shapes(), kwargs=_expand_kw, tol=SUMMING_BWD),
    OpSpec("expand_as", lambda m, a, b: a.expand_as(b), arity=2, shapes=expand_shapes(),
           diff_args=(0,), tol=SUMMING_BWD),
    unary("contiguous", lambda m, a: a.contiguous()),
    unary("clone", lambda m, a: a.clone()),
    unary("clone.fn", lambda m, a: m.clone(a)),
    unary("detach", lambda m, a: a.detach(), grad=False),  # forward only: the output does not require grad
]

# ==========================================================================
# Indexing (backward scatter-adds repeated indices)
# ==========================================================================
ADV = single(min_dims=1, max_dims=3, min_side=1)


def _index(name, strategy, shapes=ADV, **kwargs) -> OpSpec:
    return unary(name, lambda m, a, idx: a[idx], shapes=shapes,
                 kwargs=lambda s: st.fixed_dictionaries({"idx": strategy(s[0])}),
                 covers=("__getitem__",), tol=SUMMING_BWD, **kwargs)


# The array API standard has no scatter-add (for index backward) and allows integer-array and
# mask indices only on their own, so array-index specs do not run on the strict device.
NO_SCATTER = "index backward needs scatter-add, which the array API standard does not have"

INDEXING = [
    _index("getitem.basic", basic_index, shapes=RED_SHAPES),
    _index("getitem.tensor", tensor_index, strict=NO_SCATTER),
    _index("getitem.tensor_multi", multi_tensor_index, shapes=single(min_dims=2, max_dims=3, min_side=1),
           strict=NO_SCATTER),
    _index("getitem.list", list_index, strict=NO_SCATTER),
    _index("getitem.range", range_index, strict=NO_SCATTER),
    _index("getitem.mask", mask_index, shapes=single(min_dims=1, max_dims=3, min_side=0), strict=NO_SCATTER),
    _index("getitem.mixed", mixed_index, shapes=single(min_dims=1, max_dims=3, min_side=1), strict=NO_SCATTER),
]

# ==========================================================================
# cat / stack / where
# ==========================================================================
def _cat_kw(shapes):
    return st.fixed_dictionaries({"dim": st.sampled_from(valid_cat_dims(shapes))})


def _where_kw(shapes):
    out = np.broadcast_shapes(*shapes)
    return st.fixed_dictionaries({"cond": hnp.arrays(
        np.bool_, hnp.broadcastable_shapes(out, min_dims=0, max_dims=len(out), max_side=4))})


JOIN = [
    OpSpec("cat", lambda m, a, b, c, dim: m.cat([a, b, c], dim=dim), arity=3, shapes=cat_shapes(),
           kwargs=_cat_kw),
    OpSpec("cat.tuple", lambda m, a, b, c, dim: m.cat((a, b, c), dim), arity=3, shapes=cat_shapes(),
           kwargs=_cat_kw),
    OpSpec("stack", lambda m, a, b, dim: m.stack([a, b], dim=dim), arity=2, shapes=same_shapes(2),
           kwargs=lambda s: st.fixed_dictionaries({"dim": dim_int(s[0], extra=1 if s[0] else 0)})),
    binary("where", lambda m, a, b, cond: m.where(cond, a, b), kwargs=_where_kw),
    binary("where.method", lambda m, a, b, cond: a.where(cond, b), kwargs=_where_kw),
    unary("where.scalar", lambda m, a, cond, c: m.where(cond, a, c),
          kwargs=lambda s: st.fixed_dictionaries({"cond": _where_kw(s).map(lambda d: d["cond"]), "c": scalars}),
          tol=SUMMING_BWD),
]

# ==========================================================================
# Comparisons and all/any: forward only, bool output
# ==========================================================================
def _cmp(name, fn, **kwargs) -> OpSpec:
    return binary(name, fn, kinks=ties3, grad=False, **kwargs)


COMPARISONS = [
    _cmp("eq", lambda m, a, b: m.eq(a, b)),
    _cmp("eq.method", lambda m, a, b: a.eq(b)),
    _cmp("eq.op", lambda m, a, b: a == b, covers=("__eq__",)),
    _cmp("ne", lambda m, a, b: m.ne(a, b)),
    _cmp("ne.op", lambda m, a, b: a != b, covers=("__ne__",)),
    _cmp("lt", lambda m, a, b: m.lt(a, b)),
    _cmp("lt.op", lambda m, a, b: a < b, covers=("__lt__",)),
    _cmp("le", lambda m, a, b: m.le(a, b)),
    _cmp("le.op", lambda m, a, b: a <= b, covers=("__le__",)),
    _cmp("gt", lambda m, a, b: m.gt(a, b)),
    _cmp("gt.op", lambda m, a, b: a > b, covers=("__gt__",)),
    _cmp("ge", lambda m, a, b: m.ge(a, b)),
    _cmp("ge.op", lambda m, a, b: a >= b, covers=("__ge__",)),
    unary("eq.scalar", lambda m, a, c: a == c, kwargs=kw(c=st.sampled_from([0, 1.0, -1])),
          parity_elements=ties3, covers=("__eq__",), grad=False),
    unary("gt.scalar", lambda m, a, c: a > c, kwargs=kw(c=scalars), covers=("__gt__",), grad=False),
    unary("lt.rscalar", lambda m, a, c: c < a, kwargs=kw(c=scalars), covers=("__gt__",), grad=False),
    unary("all", lambda m, a: (a > 0).all(), parity_elements=ties3, grad=False),
    unary("all.fn", lambda m, a: m.all(a > 0), parity_elements=ties3, grad=False),
    unary("all.dim", lambda m, a, dim, keepdim: (a > 0).all(dim=dim, keepdim=keepdim),
          kwargs=lambda s: dim_keepdim(s, allow_tuple=False), parity_elements=ties3, grad=False),
    unary("any", lambda m, a: (a > 0).any(), parity_elements=ties3, grad=False),
    unary("any.fn", lambda m, a: m.any(a > 0), parity_elements=ties3, grad=False),
    unary("any.dim", lambda m, a, dim, keepdim: (a > 0).any(dim=dim, keepdim=keepdim),
          kwargs=lambda s: dim_keepdim(s, allow_tuple=False), parity_elements=ties3, grad=False),
]

# ==========================================================================
# dtype conversions (backward for float -> float only)
# ==========================================================================
CONV_DTYPES = st.sampled_from(["float32", "float64", "int64", "int32", "bool"])
CONVERSIONS = [
    unary("float", lambda m, a: a.float()),
    unary("double", lambda m, a: a.double()),
    unary("long", lambda m, a: a.long(), grad=False),  # truncation towards zero
    unary("int", lambda m, a: a.int(), grad=False),
    unary("to.dtype", lambda m, a, dtype: a.to(getattr(m, dtype)), kwargs=kw(dtype=CONV_DTYPES)),
    unary("type.dtype", lambda m, a, dtype: a.type(getattr(m, dtype)), kwargs=kw(dtype=CONV_DTYPES)),
    unary("float.from_int", lambda m, a: a.float(), dtypes=(I64, I32)),
    unary("float.from_bool", lambda m, a: a.float(), dtypes=(BOOL,)),
    unary("long.from_bool", lambda m, a: a.long(), dtypes=(BOOL,)),
]

# ==========================================================================
# In-place (on a clone: in-place on a leaf requiring grad is an error) and
# zero_/fill_/copy_ forward semantics
# ==========================================================================
INPLACE_SHAPES = inplace_shapes()
INPLACE = [
    binary("add_", _inplace_method("add_"), shapes=INPLACE_SHAPES),
    binary("sub_", _inplace_method("sub_"), shapes=INPLACE_SHAPES),
    binary("mul_", _inplace_method("mul_"), shapes=INPLACE_SHAPES),
    binary("div_", _inplace_method("div_"), shapes=INPLACE_SHAPES, domains=(None, NONZERO)),
    unary("mul_.scalar", _inplace_method("mul_", scalar=True), kwargs=kw(c=scalars)),
    unary("clamp_", _clamp_, kwargs=lambda s: clamp_bounds("both"), kinks=clamp_grid,
          numeric_avoid=_bounds),
    binary("iadd", _inplace_operator(operator.iadd), shapes=INPLACE_SHAPES, covers=("__iadd__",)),
    binary("isub", _inplace_operator(operator.isub), shapes=INPLACE_SHAPES, covers=("__isub__",)),
    binary("imul", _inplace_operator(operator.imul), shapes=INPLACE_SHAPES, covers=("__imul__",)),
    binary("itruediv", _inplace_operator(operator.itruediv), shapes=INPLACE_SHAPES,
           domains=(None, NONZERO), covers=("__itruediv__",)),
    unary("iadd.scalar", _inplace_operator(operator.iadd, scalar=True), kwargs=kw(c=scalars),
          covers=("__iadd__",)),
    unary("imul.scalar", _inplace_operator(operator.imul, scalar=True), kwargs=kw(c=scalars),
          covers=("__imul__",)),
    unary("zero_", _zero_, grad=False),
    unary("fill_", _fill_, kwargs=kw(c=scalars), grad=False),
    binary("copy_", _copy_, shapes=INPLACE_SHAPES, grad=False),
]

# ==========================================================================
# More functions and aliases of the public namespace
# ==========================================================================
def _split_kw(shapes):
    return st.fixed_dictionaries({"size": st.integers(1, 3), "dim": dim_int(shapes[0])})


def _select_kw(shapes):
    shape = shapes[0]

    @st.composite
    def draw_kw(draw):
        dim = draw(dim_int(shape))
        n = shape[dim] if shape else 1
        idx = draw(hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(0, max(n - 1, 0))))
        return {"dim": dim, "index": idx}
    return draw_kw()


def _gather_kw(shapes):
    shape = shapes[0]

    @st.composite
    def draw_kw(draw):
        dim = draw(st.integers(0, len(shape) - 1))
        out = tuple(draw(st.integers(1, 3)) if i == dim else n for i, n in enumerate(shape))
        idx = draw(hnp.arrays(np.int64, out, elements=st.integers(0, shape[dim] - 1)))
        return {"dim": dim, "index": idx}
    return draw_kw()


def _unflatten_kw(shapes):
    shape = shapes[0]
    dims = [d for d, n in enumerate(shape) if n in (4, 6)]
    return st.sampled_from(dims or [0]).map(lambda d: {"dim": d, "sizes": (2, -1)} if dims else
                                             {"dim": d, "sizes": (shape[d], 1)})


NONEMPTY_1D = single(min_dims=1, max_dims=3, min_side=1)
PIECEWISE_CONSTANT = dict(numeric=False, gradgrad=False)   # zero derivative; jumps defeat differences

MORE = [
    unary("floor", lambda m, a: m.floor(a), **PIECEWISE_CONSTANT),
    unary("ceil", lambda m, a: a.ceil(), **PIECEWISE_CONSTANT),
    unary("round", lambda m, a: m.round(a), **PIECEWISE_CONSTANT),
    unary("sign", lambda m, a: m.sign(a), kinks=ties, **PIECEWISE_CONSTANT),
    unary("reciprocal", lambda m, a: m.reciprocal(a), domains=(NONZERO,)),
    unary("rsqrt", lambda m, a: m.rsqrt(a), domains=(POSITIVE,), numeric_domains=(POSITIVE_NUMERIC,)),
    unary("square", lambda m, a: m.square(a)),
    unary("absolute", lambda m, a: m.absolute(a), kinks=ties, numeric_avoid=(0.0,)),
    unary("negative", lambda m, a: m.negative(a)),
    binary("multiply", lambda m, a, b: m.multiply(a, b)),
    binary("subtract", lambda m, a, b: m.subtract(a, b)),
    binary("divide", lambda m, a, b: m.divide(a, b), domains=(None, NONZERO)),
    binary("true_divide", lambda m, a, b: m.true_divide(a, b), domains=(None, NONZERO)),
    unary("clip", lambda m, a, **b: m.clip(a, **b), kwargs=lambda s: clamp_bounds("both"),
          kinks=clamp_grid, numeric_avoid=_bounds),
    _cmp("greater", lambda m, a, b: m.greater(a, b)),
    _cmp("greater_equal", lambda m, a, b: m.greater_equal(a, b)),
    _cmp("less", lambda m, a, b: m.less(a, b)),
    _cmp("less_equal", lambda m, a, b: m.less_equal(a, b)),
    _cmp("not_equal", lambda m, a, b: m.not_equal(a, b)),
    unary("isnan", lambda m, a: m.isnan(a / a), parity_elements=ties3, grad=False),
    unary("isinf", lambda m, a: m.isinf(1 / a), parity_elements=ties3, grad=False),
    unary("isfinite", lambda m, a: m.isfinite(1 / a), parity_elements=ties3, grad=False),
    unary("logical_not", lambda m, a: m.logical_not(a > 0), parity_elements=ties3, grad=False),
    _red("amin", lambda m, a: m.amin(a), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("amin.dim", lambda m, a, dim, keepdim: a.amin(dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=dim_keepdim, kinks=ties, distinct=True),
    # prod: exact zeros are kinks (tested against torch); differences need values away from 0
    _red("prod", lambda m, a: m.prod(a), domains=(Domain(-2, 2),), kinks=ties3, numeric_avoid=(0.0,)),
    _red("prod.dim", lambda m, a, dim, keepdim: a.prod(dim, keepdim=keepdim), domains=(Domain(-2, 2),),
         kwargs=lambda s: dim_keepdim(s, allow_tuple=False), kinks=ties3, numeric_avoid=(0.0,)),
    _red("dot", lambda m, a, b: m.dot(a, b), arity=2, shapes=same_shapes(2, min_dims=1, max_dims=1)),
    _red("softmax", lambda m, a, dim: m.softmax(a, dim), shapes=NONEMPTY_1D,
         kwargs=lambda s: st.fixed_dictionaries({"dim": dim_int(s[0])})),
    _red("log_softmax", lambda m, a, dim: m.log_softmax(a, dim), shapes=NONEMPTY_1D,
         kwargs=lambda s: st.fixed_dictionaries({"dim": dim_int(s[0])})),
    unary("swapaxes", lambda m, a, dim0, dim1: m.swapaxes(a, dim0, dim1), kwargs=_transpose_dims),
    unary("unflatten", lambda m, a, dim, sizes: m.unflatten(a, dim, sizes), shapes=NONEMPTY_1D,
          kwargs=_unflatten_kw),
    unary("split", lambda m, a, size, dim: m.split(a, size, dim), shapes=NONEMPTY_1D, kwargs=_split_kw),
    unary("chunk", lambda m, a, size, dim: m.chunk(a, size, dim), shapes=NONEMPTY_1D, kwargs=_split_kw),
    unary("index_select", lambda m, a, dim, index: m.index_select(a, dim, index), shapes=NONEMPTY_1D,
          kwargs=_select_kw, tol=SUMMING_BWD, strict=NO_SCATTER),
    unary("gather", lambda m, a, dim, index: m.gather(a, dim, index), shapes=NONEMPTY_1D,
          kwargs=_gather_kw, tol=SUMMING_BWD, strict=NO_SCATTER),
    unary("masked_fill", lambda m, a, mask, c: m.masked_fill(a, mask, c),
          kwargs=lambda s: st.fixed_dictionaries({"mask": _where_kw(s).map(lambda d: d["cond"]), "c": scalars}),
          tol=SUMMING_BWD),
    OpSpec("concat", lambda m, a, b, c, dim: m.concat([a, b, c], dim=dim), arity=3, shapes=cat_shapes(),
           kwargs=_cat_kw),
    OpSpec("concatenate", lambda m, a, b, c, dim: m.concatenate([a, b, c], dim=dim), arity=3,
           shapes=cat_shapes(), kwargs=_cat_kw),
]

# ==========================================================================
# Elementwise math: sin ... addcdiv (function, method, in-place and integer-input forms), isclose
# ==========================================================================
UNIT_OPEN = Domain(-1.0, 1.0)  # asin / acos / atanh / erfinv: |x| < 1
UNIT_NUMERIC = Domain(-0.9, 0.9)  # B/C: their derivatives blow up at +-1
ACOSH = Domain(1.0, 10.0)
ACOSH_NUMERIC = Domain(1.1, 10.0)
LOG1P = Domain(-1.0, 10.0)
LOG1P_NUMERIC = Domain(-0.9, 10.0)
PROB = Domain(0.0, 1.0)  # logit
PROB_NUMERIC = Domain(0.05, 0.95)
TAN = Domain(-1.5, 1.5)  # away from the poles at +-pi/2
AWAY_FROM_ORIGIN = Domain(-10.0, 10.0, avoid=(0.0,), radius=0.5)  # atan2 / hypot: gradients ~ 1/r
SMALL_INT = Domain(-6, 6)
NONZERO_INT = Domain(-6, 6, avoid=(0,), radius=1)
unit_kinks = st.sampled_from([-1.0, 0.0, 0.5, 1.0])  # +-1: infinite values and gradients
log_kinks = st.sampled_from([-1.0, 0.0, 0.5, 1.0])  # log(0) = -inf (grad inf), log(-1) = nan
prob_kinks = st.sampled_from([-1.0, 0.0, 0.25, 1.0, 2.0])  # logit at and beyond its bounds
nonfinite = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.5, -2.0])  # nan_to_num's subject
INTEGERS = tuple(float(k) for k in range(-10, 11))  # frac jumps there
lerp_weights = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, -0.5, 1.5, 2])
addc_values = st.sampled_from([1, 0.5, -2, 2.5])


# copysign's second order: the float32 terms g/a and -g y/a^2 cancel to within an ulp of 1/|a| (<= 6e-5 for
# |a| >= 1e-3, where B/C keep a) rather than exactly, and minigrad's rounding there differs from torch's (the
# thorough profile finds 3e-5 where torch gives 0, with Div's gradient grouped as torch's)
COPYSIGN_BWD = {**SUMMING_BWD}


def _logit_kinks(kw_: dict) -> tuple:
    return (0.0, 1.0, kw_["eps"], 1 - kw_["eps"])


def _multiples(kw: dict) -> tuple:
    """fmod / remainder by the number c jump at the multiples of c (within the default domain)."""
    c = abs(kw["c"])
    n = int(10 / c) + 1
    return tuple(k * kw["c"] for k in range(-n, n + 1))


@st.composite
def inplace_shapes3(draw):
    """(a, b, c) with b and c broadcastable *to* a's shape (lerp_, addcmul_ ...)."""
    a, b = draw(inplace_shapes())
    k = draw(st.integers(0, len(a)))
    c = tuple(1 if draw(st.booleans()) else s for s in a[len(a) - k:])
    return (a, b, c)


def _call_inplace(method: str, *, n_tensors: int, **fixed) -> Callable:
    """a.clone().<method>(*others, **fixed, **kwargs), asserting the method returns the tensor itself."""
    def f(m, a, *rest, **kw):
        x = a.clone()
        y = getattr(x, method)(*rest[:n_tensors - 1], **fixed, **kw)
        assert y is x, f"{method} must return self"
        return x
    f.__name__ = f"clone_then_{method}"
    return f


def _math_unary(name, *, domain=None, numeric_domain=None, int_domain=None, inplace_grad=True, **kwargs) -> list:
    """minigrad.X(a), a.X(), a.clone().X_() and X of an int64 tensor (the default float dtype).
    ``inplace_grad=False``: torch's X_ has no derivative (its node raises in backward): forward parity only."""
    doms = {}
    if domain is not None:
        doms["domains"] = (domain,)
    if numeric_domain is not None:
        doms["numeric_domains"] = (numeric_domain,)
    kinks = kwargs.pop("kinks", None)
    int_dom = int_domain or domain or SMALL_INT
    return [
        unary(name, lambda m, a: getattr(m, name)(a), kinks=kinks, **doms, **kwargs),
        unary(f"{name}.method", lambda m, a: getattr(a, name)(), **doms, **kwargs),
        unary(f"{name}_", _call_inplace(f"{name}_", n_tensors=1), **doms, **kwargs,
              **({} if inplace_grad else {"grad": False})),
        unary(f"{name}.int", lambda m, a: getattr(m, name)(a), dtypes=(I64,), domains=(int_dom,)),
    ]


PIECEWISE_LINEAR = dict(numeric_avoid=INTEGERS)  # frac: slope 1, jumps at the integers

MATH = [
    *_math_unary("sin"),
    *_math_unary("cos"),
    *_math_unary("tan", domain=TAN, numeric_domain=Domain(-1.3, 1.3)),
    *_math_unary("asin", domain=UNIT_OPEN, numeric_domain=UNIT_NUMERIC, kinks=unit_kinks),
    *_math_unary("acos", domain=UNIT_OPEN, numeric_domain=UNIT_NUMERIC, kinks=unit_kinks),
    *_math_unary("atan"),
    *_math_unary("sinh"),
    *_math_unary("cosh"),
    *_math_unary("asinh", inplace_grad=False),
    *_math_unary("acosh", domain=ACOSH, numeric_domain=ACOSH_NUMERIC, inplace_grad=False,
                 kinks=st.sampled_from([0.0, 1.0, 2.0])),  # acosh(1) = 0 with grad inf; acosh(0) = nan
    *_math_unary("atanh", domain=UNIT_OPEN, numeric_domain=UNIT_NUMERIC, kinks=unit_kinks, inplace_grad=False),
    *_math_unary("log2", domain=POSITIVE, numeric_domain=POSITIVE_NUMERIC, kinks=log_kinks),
    *_math_unary("log10", domain=POSITIVE, numeric_domain=POSITIVE_NUMERIC, kinks=log_kinks),
    *_math_unary("log1p", domain=LOG1P, numeric_domain=LOG1P_NUMERIC,
                 kinks=st.sampled_from([-2.0, -1.0, 0.0, 1.0])),
    *_math_unary("expm1"),
    *_math_unary("exp2"),
    *_math_unary("erf"),
    *_math_unary("erfc"),
    *_math_unary("erfinv", domain=UNIT_OPEN, numeric_domain=UNIT_NUMERIC, kinks=unit_kinks),
    *_math_unary("deg2rad"),
    *_math_unary("rad2deg"),
    *_math_unary("trunc", kinks=ties, **PIECEWISE_CONSTANT),
    *_math_unary("frac", kinks=st.sampled_from([-1.5, -1.0, 0.0, 0.5, 2.0]), **PIECEWISE_LINEAR)[:3],
    *_math_unary("sgn", kinks=ties, **PIECEWISE_CONSTANT),
    *_math_unary("logit", domain=PROB, numeric_domain=PROB_NUMERIC, int_domain=Domain(0, 1), kinks=prob_kinks),
    # logit with eps: a clamped to [eps, 1 - eps] first (gradient 0 outside)
    # (B/C keep away from 0 and 1, where torch's second-order formula is nan even when masked, and from the
    # bounds; eps = 0 leaves infinite values beyond [0, 1], so it has no finite-difference check)
    unary("logit.eps", lambda m, a, eps: m.logit(a, eps), domains=(Domain(-0.5, 1.5),),
          kwargs=kw(eps=st.sampled_from([1e-6, 0.1, 0.25])), kinks=prob_kinks, numeric_avoid=_logit_kinks),
    unary("logit.eps_zero", lambda m, a: m.logit(a, 0.0), domains=(Domain(-0.5, 1.5),), kinks=prob_kinks,
          numeric=False),
    unary("logit.method_eps", lambda m, a, eps: a.logit(eps=eps), domains=(Domain(-0.5, 1.5),),
          kwargs=kw(eps=st.sampled_from([0.05, 0.3])), numeric_avoid=_logit_kinks),
    unary("logit_.eps", _call_inplace("logit_", n_tensors=1), domains=(Domain(-0.5, 1.5),),
          kwargs=kw(eps=st.sampled_from([0.05, 0.3])), numeric_avoid=_logit_kinks),
    # nan_to_num: identity on finite values (kinks draw nan and +-inf, whose gradient is 0)
    *_math_unary("nan_to_num", kinks=nonfinite),
    unary("nan_to_num.values", lambda m, a, **v: m.nan_to_num(a, **v), kinks=nonfinite,
          kwargs=kw(nan=st.sampled_from([1.0, -2]), posinf=st.sampled_from([None, 5.0, 1e300]),
                    neginf=st.sampled_from([None, -5.0]))),
    unary("nan_to_num_.values", _call_inplace("nan_to_num_", n_tensors=1), kinks=nonfinite,
          kwargs=kw(nan=st.just(0.5), posinf=st.just(3.0), neginf=st.just(-3.0))),
    # binary (tensor, tensor) and (tensor, number); int64 operands give the default float dtype
    binary("atan2", lambda m, a, b: m.atan2(a, b), kinks=(ties3, ties3),
           numeric_domains=(AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN)),
    binary("atan2.method", lambda m, a, b: a.atan2(b), numeric_domains=(AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN)),
    binary("atan2_", _inplace_method("atan2_"), shapes=INPLACE_SHAPES,
           numeric_domains=(AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN)),
    binary("atan2.int", lambda m, a, b: m.atan2(a, b), dtypes=(I64,), domains=(SMALL_INT, SMALL_INT)),
    # mixed dtypes: torch squares each operand in its own dtype inside the backward (a float32 a*a underflows,
    # or a second derivative overflows, near the origin), minigrad squares the promoted values: kept away from 0
    binary("atan2.promote", lambda m, a, b: m.atan2(a, b), dtypes=((F32, F64), (I64, F32)), tol=MIXED_PRECISION,
           domains=(AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN), numeric=False),
    binary("hypot", lambda m, a, b: m.hypot(a, b), kinks=(ties3, ties3),
           numeric_domains=(AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN)),
    binary("hypot.method", lambda m, a, b: a.hypot(b), numeric_domains=(AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN)),
    binary("hypot_", _inplace_method("hypot_"), shapes=INPLACE_SHAPES,
           numeric_domains=(AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN)),
    binary("hypot.int", lambda m, a, b: m.hypot(a, b), dtypes=(I64,), torch_raises=True),  # not for integers
    binary("xlogy", lambda m, a, b: m.xlogy(a, b), domains=(None, POSITIVE),
           numeric_domains=(None, POSITIVE_NUMERIC), kinks=(ties3, ties3)),  # 0 * log(0 or < 0): 0, masked grads
    binary("xlogy.method", lambda m, a, b: a.xlogy(b), domains=(None, POSITIVE),
           numeric_domains=(None, POSITIVE_NUMERIC)),
    binary("xlogy_", _inplace_method("xlogy_"), shapes=INPLACE_SHAPES, domains=(None, POSITIVE),
           numeric_domains=(None, POSITIVE_NUMERIC)),
    binary("xlogy.int", lambda m, a, b: m.xlogy(a, b), dtypes=(I64,), domains=(SMALL_INT, SMALL_INT)),
    unary("xlogy.scalar_other", lambda m, a, c: m.xlogy(a, c), kwargs=kw(c=st.sampled_from([2, 0.5, 3.0, True])),
          kinks=ties3),
    unary("xlogy.scalar_other_nonpositive", lambda m, a, c: a.xlogy(c), kwargs=kw(c=st.sampled_from([0, -1.5])),
          kinks=ties3, numeric=False),  # -inf and nan values: no finite differences
    unary("xlogy.scalar_self", lambda m, b, c: m.xlogy(c, b), kwargs=kw(c=st.sampled_from([2, -0.5, 0, 1.5])),
          domains=(POSITIVE,), numeric_domains=(POSITIVE_NUMERIC,), kinks=log_kinks),
    # fmod / remainder: d/db = -trunc(a/b) / -floor(a/b) jumps wherever a/b is an integer, so the tensor-tensor
    # forms have no finite-difference checks (torch's gradients, first and second order, are compared)
    binary("fmod", lambda m, a, b: m.fmod(a, b), domains=(None, NONZERO), kinks=(ties3, ties3), numeric=False),
    binary("fmod.method", lambda m, a, b: a.fmod(b), domains=(None, NONZERO), numeric=False),
    binary("fmod_", _inplace_method("fmod_"), shapes=INPLACE_SHAPES, domains=(None, NONZERO), numeric=False),
    binary("fmod.int", lambda m, a, b: m.fmod(a, b), dtypes=(I64,), domains=(SMALL_INT, NONZERO_INT)),
    unary("fmod.scalar", lambda m, a, c: m.fmod(a, c), kwargs=kw(c=nonzero_scalars), numeric_avoid=_multiples),
    unary("fmod.int_scalar", lambda m, a, c: a.fmod(c), kwargs=kw(c=st.sampled_from([2, -3, 2.5])),
          dtypes=(I64,), domains=(SMALL_INT,)),
    binary("remainder", lambda m, a, b: m.remainder(a, b), domains=(None, NONZERO), kinks=(ties3, ties3),
           numeric=False),
    binary("remainder.method", lambda m, a, b: a.remainder(b), domains=(None, NONZERO), numeric=False),
    binary("remainder_", _inplace_method("remainder_"), shapes=INPLACE_SHAPES, domains=(None, NONZERO),
           numeric=False),
    binary("remainder.int", lambda m, a, b: m.remainder(a, b), dtypes=(I64,), domains=(SMALL_INT, NONZERO_INT)),
    unary("remainder.scalar", lambda m, a, c: m.remainder(a, c), kwargs=kw(c=nonzero_scalars),
          numeric_avoid=_multiples),
    # remainder(number, tensor): torch records a node without a derivative (its backward raises): forward only
    unary("remainder.scalar_self", lambda m, b, c: m.remainder(c, b), kwargs=kw(c=st.sampled_from([2, -3.5])),
          domains=(NONZERO,), grad=False),
    binary("copysign", lambda m, a, b: m.copysign(a, b), kinks=(ties3, ties3), numeric_avoid=(0.0,),
           tol=COPYSIGN_BWD),
    binary("copysign.method", lambda m, a, b: a.copysign(b), numeric_avoid=(0.0,), tol=COPYSIGN_BWD),
    binary("copysign_", _inplace_method("copysign_"), shapes=INPLACE_SHAPES, numeric_avoid=(0.0,),
           tol=COPYSIGN_BWD),
    binary("copysign.int", lambda m, a, b: m.copysign(a, b), dtypes=(I64,), domains=(SMALL_INT, SMALL_INT)),
    unary("copysign.scalar", lambda m, a, c: m.copysign(a, c), kwargs=kw(c=st.sampled_from([1, -2.0, 0.0, -0.0])),
          kinks=ties3, numeric_avoid=(0.0,), tol=COPYSIGN_BWD),
    # lerp: weight a number or a tensor; torch computes from the nearer end (|w| < 0.5 or not)
    binary("lerp", lambda m, a, b, weight: m.lerp(a, b, weight), kwargs=kw(weight=lerp_weights)),
    binary("lerp.method", lambda m, a, b, weight: a.lerp(b, weight), kwargs=kw(weight=lerp_weights)),
    binary("lerp_", _call_inplace("lerp_", n_tensors=2), shapes=INPLACE_SHAPES, kwargs=kw(weight=lerp_weights)),
    OpSpec("lerp.tensor", lambda m, a, b, w: m.lerp(a, b, w), arity=3, tol=SUMMING_BWD),
    OpSpec("lerp.tensor_method", lambda m, a, b, w: a.lerp(b, w), arity=3, tol=SUMMING_BWD,
           kinks=st.sampled_from([0.0, 0.5, 1.0])),
    OpSpec("lerp_.tensor", lambda m, a, b, w: _call_inplace("lerp_", n_tensors=3)(m, a, b, w), arity=3,
           shapes=inplace_shapes3(), tol=SUMMING_BWD),
    # addcmul / addcdiv: a + value * t1 * t2 and a + value * t1 / t2
    OpSpec("addcmul", lambda m, a, b, c, value: m.addcmul(a, b, c, value=value), arity=3, tol=SUMMING_BWD,
           kwargs=kw(value=addc_values)),
    OpSpec("addcmul.method", lambda m, a, b, c: a.addcmul(b, c), arity=3, tol=SUMMING_BWD),
    OpSpec("addcmul_", lambda m, a, b, c, value: _call_inplace("addcmul_", n_tensors=3)(m, a, b, c, value=value),
           arity=3, shapes=inplace_shapes3(), tol=SUMMING_BWD, kwargs=kw(value=addc_values)),
    OpSpec("addcmul.int", lambda m, a, b, c, value: m.addcmul(a, b, c, value=value), arity=3, dtypes=(I64,),
           domains=(SMALL_INT,) * 3, kwargs=kw(value=st.sampled_from([1, 2, -3]))),
    OpSpec("addcdiv", lambda m, a, b, c, value: m.addcdiv(a, b, c, value=value), arity=3, tol=SUMMING_BWD,
           domains=(None, None, NONZERO), kwargs=kw(value=addc_values)),
    OpSpec("addcdiv.method", lambda m, a, b, c: a.addcdiv(b, c), arity=3, tol=SUMMING_BWD,
           domains=(None, None, NONZERO)),
    OpSpec("addcdiv_", lambda m, a, b, c, value: _call_inplace("addcdiv_", n_tensors=3)(m, a, b, c, value=value),
           arity=3, shapes=inplace_shapes3(), tol=SUMMING_BWD, domains=(None, None, NONZERO),
           kwargs=kw(value=addc_values)),
    OpSpec("addcdiv.int_float", lambda m, a, b, c: m.addcdiv(a, b, c), arity=3, dtypes=((I64, F32, F32),),
           domains=(SMALL_INT, None, NONZERO), tol=SUMMING_BWD),
    # isclose: no gradient; ties make equal elements
    binary("isclose", lambda m, a, b: m.isclose(a, b), parity_elements=ties3, grad=False),
    binary("isclose.tolerances", lambda m, a, b, **t: a.isclose(a + b * 1e-4, **t), grad=False,
           kwargs=kw(rtol=st.sampled_from([0.0, 1e-5, 1e-3]), atol=st.sampled_from([0.0, 1e-8, 1e-3]),
                     equal_nan=st.booleans())),
    binary("isclose.nan", lambda m, a, b, equal_nan: m.isclose(a / a, b / b, equal_nan=equal_nan),
           parity_elements=ties3, grad=False, kwargs=kw(equal_nan=st.booleans())),
    binary("isclose.int", lambda m, a, b: m.isclose(a, b, rtol=0.5, atol=1), dtypes=(I64,),
           domains=(SMALL_INT, SMALL_INT)),
    binary("allclose.values", lambda m, a, b, **t: m.allclose(a, a + b * 1e-6, **t), grad=False,
           kwargs=kw(rtol=st.sampled_from([0.0, 1e-5]), atol=st.sampled_from([0.0, 1e-8, 1e-5]))),
]

# ==========================================================================
# Reductions and scans (cumsum ... std_mean)
# ==========================================================================
def _dim_kw(shapes):
    return st.fixed_dictionaries({"dim": dim_int(shapes[0])})


def _dim_none_keepdim(shapes):
    return st.fixed_dictionaries({"dim": _dim_or_none(shapes), "keepdim": st.booleans()})


def _int_dim_none_keepdim(shapes):
    return st.fixed_dictionaries({"dim": st.one_of(st.none(), dim_int(shapes[0])), "keepdim": st.booleans()})


def _moments_kw(shapes):
    return st.fixed_dictionaries({"dim": _dim_or_none(shapes), "correction": st.sampled_from([0, 1, 2]),
                                  "keepdim": st.booleans()})


@st.composite
def _kth_kw(draw, shapes):
    shape = shapes[0]
    dim = draw(dim_int(shape))
    size = shape[dim] if shape else 1
    return {"k": draw(st.integers(1, size)), "dim": dim, "keepdim": draw(st.booleans())}


def _one_dim_keepdim(shapes):
    return dim_keepdim(shapes, allow_tuple=False)


# NaN, +-inf, zeros and repeats: what nansum/nanmean skip, logsumexp's shift handles, and cumprod's zero branch
nan_ties = st.sampled_from([math.nan, -1.0, 0.0, 1.0, 2.0])
lse_kinks = st.sampled_from([math.inf, -math.inf, 0.0, 1.0])
CUMPROD_NUMERIC = Domain(-3.0, 3.0, avoid=(0.0,), radius=0.1)
SCANS = [
    # cumsum / cumprod: dim required; integers and bools accumulate in int64; dtype= casts first
    _red("cumsum", lambda m, a, dim: m.cumsum(a, dim), kwargs=_dim_kw),
    _red("cumsum.method", lambda m, a, dim: a.cumsum(dim), kwargs=_dim_kw),
    _red("cumsum.axis", lambda m, a, dim: a.cumsum(axis=dim), kwargs=_dim_kw),
    # dtype=float64 of a float32 input: the gradient is cast back to float32, so the float64 second-order
    # gradient (for the cotangent) carries float32 sums: MIXED_PRECISION's float32 reduction row
    _red("cumsum.dtype", lambda m, a, dim: m.cumsum(a, dim=dim, dtype=m.float64), kwargs=_dim_kw,
         dtypes=(F32, I64), tol=MIXED_PRECISION),
    _red("cumsum.int", lambda m, a, dim: m.cumsum(a, dim), kwargs=_dim_kw, dtypes=(I64, I32, BOOL),
         domains=(SMALL_INT,)),
    _red("cumsum_", _call_inplace("cumsum_", n_tensors=1), kwargs=_dim_kw),
    _red("cumsum_.int", _call_inplace("cumsum_", n_tensors=1), kwargs=_dim_kw, dtypes=(I32,), domains=(SMALL_INT,)),
    # cumprod: zeros take torch's other formula (no division); the kinks draw them
    # (B/C keep |x| >= 0.1: without zeros torch's gradient is reversed_cumsum(g y) / x, whose derivative
    # divides by x^2, which underflows to 0 for tiny x (1e-181) in torch's formula as in minigrad's)
    _red("cumprod", lambda m, a, dim: m.cumprod(a, dim), kwargs=_dim_kw, kinks=ties3,
         domains=(Domain(-3, 3),), numeric_domains=(CUMPROD_NUMERIC,)),
    _red("cumprod.method", lambda m, a, dim: a.cumprod(dim), kwargs=_dim_kw, kinks=ties3, domains=(Domain(-3, 3),),
         numeric_domains=(CUMPROD_NUMERIC,)),
    _red("cumprod.int", lambda m, a, dim: a.cumprod(dim), kwargs=_dim_kw, dtypes=(I64, BOOL), domains=(SMALL_INT,)),
    _red("cumprod_", _call_inplace("cumprod_", n_tensors=1), kwargs=_dim_kw, domains=(Domain(-3, 3),),
         numeric_domains=(CUMPROD_NUMERIC,)),
    # cummax / cummin: (values, indices); on ties the last index (torch's >= / <=), so the gradient
    # (scattered to the indices) is checked numerically on distinct values only
    _red("cummax", lambda m, a, dim: m.cummax(a, dim), kwargs=_dim_kw, kinks=ties, distinct=True),
    _red("cummax.method", lambda m, a, dim: a.cummax(dim), kwargs=_dim_kw, kinks=ties, distinct=True),
    _red("cummax.nan", lambda m, a, dim: m.cummax(a, dim), kwargs=_dim_kw, parity_elements=nan_ties, grad=False),
    _red("cummax.int", lambda m, a, dim: m.cummax(a, dim), kwargs=_dim_kw, dtypes=(I64, BOOL),
         domains=(Domain(-2, 2),)),
    _red("cummin", lambda m, a, dim: m.cummin(a, dim), kwargs=_dim_kw, kinks=ties, distinct=True),
    _red("cummin.method", lambda m, a, dim: a.cummin(dim=dim), kwargs=_dim_kw, kinks=ties, distinct=True),
    _red("cummin.nan", lambda m, a, dim: m.cummin(a, dim), kwargs=_dim_kw, parity_elements=nan_ties, grad=False),
    _red("cummin.int", lambda m, a, dim: m.cummin(a, dim), kwargs=_dim_kw, dtypes=(I64, BOOL),
         domains=(Domain(-2, 2),)),
    # logsumexp: shifted by the max (inf max -> shift 0); integers give the default float dtype
    _red("logsumexp", lambda m, a, dim, keepdim: m.logsumexp(a, dim, keepdim), kwargs=dim_keepdim,
         kinks=lse_kinks),
    _red("logsumexp.method", lambda m, a, dim, keepdim: a.logsumexp(dim=dim, keepdim=keepdim), kwargs=dim_keepdim),
    _red("logsumexp.numpy", lambda m, a, dim, keepdim: m.logsumexp(a, axis=dim, keepdims=keepdim),
         kwargs=dim_keepdim),
    _red("logsumexp.int", lambda m, a, dim: m.logsumexp(a, dim), kwargs=_dim_kw, dtypes=(I64,),
         domains=(SMALL_INT,)),
    # nansum / nanmean: NaNs skipped (gradient 0 there); nanmean is nansum / count (DivBackward0, as torch)
    _red("nansum", lambda m, a: m.nansum(a), kinks=nan_ties),
    _red("nansum.dim", lambda m, a, dim, keepdim: m.nansum(a, dim, keepdim), kwargs=_dim_none_keepdim,
         kinks=nan_ties),
    _red("nansum.method", lambda m, a, dim, keepdim: a.nansum(dim=dim, keepdim=keepdim), kwargs=dim_keepdim),
    _red("nansum.int", lambda m, a, dim: m.nansum(a, dim), kwargs=_dim_kw, dtypes=(I64, BOOL),
         domains=(SMALL_INT,)),
    _red("nansum.dtype", lambda m, a: m.nansum(a, dtype=m.float64), dtypes=(F32, I64), domains=(SMALL_INT,),
         tol=MIXED_PRECISION),  # as cumsum.dtype: float32 sums in a float64 second-order gradient
    _red("nanmean", lambda m, a: m.nanmean(a), kinks=nan_ties),
    _red("nanmean.dim", lambda m, a, dim, keepdim: m.nanmean(a, dim, keepdim), kwargs=_dim_none_keepdim,
         kinks=nan_ties),
    _red("nanmean.method", lambda m, a, dim, keepdim: a.nanmean(dim=dim, keepdim=keepdim), kwargs=dim_keepdim),
    _red("nanmean.int", lambda m, a: m.nanmean(a), dtypes=(I64,), torch_raises=True),  # RuntimeError
    # count_nonzero: int64, no gradient
    _red("count_nonzero", lambda m, a, dim: m.count_nonzero(a, dim), kwargs=lambda s: st.fixed_dictionaries(
        {"dim": _dim_or_none(s)}), parity_elements=ties3, grad=False),
    _red("count_nonzero.method", lambda m, a: a.count_nonzero(), parity_elements=ties3, grad=False,
         dtypes=(F64, I64, BOOL)),
    # aminmax: (min, max); ties split the gradient evenly, as amin/amax
    _red("aminmax", lambda m, a, dim, keepdim: m.aminmax(a, dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=_int_dim_none_keepdim, kinks=ties, distinct=True),
    _red("aminmax.method", lambda m, a: a.aminmax(), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("aminmax.int", lambda m, a, dim: m.aminmax(a, dim=dim), shapes=NONEMPTY, kwargs=_dim_kw,
         dtypes=(I64, BOOL), domains=(SMALL_INT,)),
    _red("aminmax.empty", lambda m, a: m.aminmax(a), shapes=st.sampled_from([((0,),), ((0, 2),)]),
         torch_raises=True, numeric=False, gradgrad=False),  # RuntimeError: no identity
    # var_mean / std_mean: plain (var or std, mean) tuples; unbiased= and correction= as var/std
    _var("var_mean", lambda m, a: m.var_mean(a), numeric_shapes=VAR_NUMERIC_SHAPES),
    _var("var_mean.correction", lambda m, a, dim, correction, keepdim: m.var_mean(
        a, dim, correction=correction, keepdim=keepdim), kwargs=_moments_kw, numeric_shapes=VAR_NUMERIC_SHAPES),
    _var("var_mean.unbiased", lambda m, a, dim, unbiased: m.var_mean(a, dim, unbiased),
         kwargs=lambda s: st.fixed_dictionaries({"dim": dim_any(s[0]), "unbiased": st.booleans()}),
         numeric_shapes=VAR_NUMERIC_SHAPES),
    _var("var_mean.int", lambda m, a: m.var_mean(a), dtypes=(I64,), torch_raises=True),  # RuntimeError
    # std_mean: grid values as std (well-conditioned float32 gradients); constant rows have std 0, grad 0
    _var("std_mean", lambda m, a: m.std_mean(a), parity_elements=grid, kinks=st.sampled_from([1.0, 2.0]),
         numeric_shapes=VAR_NUMERIC_SHAPES, distinct=True),
    _var("std_mean.correction", lambda m, a, dim, correction, keepdim: m.std_mean(
        a, dim=dim, correction=correction, keepdim=keepdim), kwargs=_moments_kw, parity_elements=grid,
         kinks=st.sampled_from([1.0, 2.0]), numeric_shapes=VAR_NUMERIC_SHAPES, distinct=True),
    # median / nanmedian: the lower median; full: the gradient split between the elements equal to it (the
    # NaNs when it is NaN); along a dim: (values, indices), the element at the median's rank in a stable sort
    # (NaNs last; median: the first NaN if any), the gradient to that index
    _red("median", lambda m, a: a.median(), kinks=ties, distinct=True),
    _red("median.fn", lambda m, a: m.median(a), parity_elements=nan_ties, distinct=True),
    _red("median.dim", lambda m, a, dim, keepdim: m.median(a, dim, keepdim), shapes=NONEMPTY,
         kwargs=_one_dim_keepdim, kinks=ties, distinct=True),
    _red("median.method_dim", lambda m, a, dim, keepdim: a.median(dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=_one_dim_keepdim, parity_elements=nan_ties, distinct=True),
    _red("median.int", lambda m, a, dim: m.median(a, dim), shapes=NONEMPTY, kwargs=_dim_kw, dtypes=(I64,),
         domains=(Domain(-2, 2),)),
    _red("median.empty_dim", lambda m, a: m.median(a, 0), shapes=st.sampled_from([((0,),), ((0, 2),)]),
         torch_raises=True, numeric=False, gradgrad=False),  # IndexError
    _red("nanmedian", lambda m, a: a.nanmedian(), kinks=nan_ties, distinct=True),
    _red("nanmedian.fn", lambda m, a: m.nanmedian(a), parity_elements=nan_ties, distinct=True),
    _red("nanmedian.dim", lambda m, a, dim, keepdim: m.nanmedian(a, dim, keepdim), shapes=NONEMPTY,
         kwargs=_one_dim_keepdim, kinks=nan_ties, distinct=True),
    _red("nanmedian.method_dim", lambda m, a, dim, keepdim: a.nanmedian(dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=_one_dim_keepdim, parity_elements=nan_ties, distinct=True),
    _red("nanmedian.all_nan", lambda m, a, dim: m.nanmedian(a / 0 * 0, dim), shapes=NONEMPTY, kwargs=_dim_kw,
         grad=False),
    # kthvalue: the k-th smallest; on ties the index torch's quickselect leaves
    _red("kthvalue", lambda m, a, k, dim, keepdim: m.kthvalue(a, k, dim, keepdim), shapes=NONEMPTY,
         kwargs=_kth_kw, kinks=nan_ties, distinct=True),
    _red("kthvalue.method", lambda m, a, k, dim, keepdim: a.kthvalue(k, dim=dim, keepdim=keepdim), shapes=NONEMPTY,
         kwargs=_kth_kw, parity_elements=ties, distinct=True),
    _red("kthvalue.default_dim", lambda m, a: m.kthvalue(a, 1), shapes=NONEMPTY, kinks=ties, distinct=True),
    _red("kthvalue.int", lambda m, a, k, dim, keepdim: m.kthvalue(a, k, dim, keepdim), shapes=NONEMPTY,
         kwargs=_kth_kw, dtypes=(I64,), domains=(Domain(-2, 2),)),
    # mode: the most frequent value (the smallest of equally frequent ones) at its last position
    _red("mode", lambda m, a: m.mode(a), shapes=NONEMPTY, kinks=nan_ties, distinct=True),
    _red("mode.dim", lambda m, a, dim, keepdim: a.mode(dim, keepdim), shapes=NONEMPTY, kwargs=_one_dim_keepdim,
         parity_elements=ties, distinct=True),
    _red("mode.int", lambda m, a, dim: m.mode(a, dim), shapes=NONEMPTY, kwargs=_dim_kw, dtypes=(I64, BOOL),
         domains=(Domain(-2, 2),)),
    _var("std_mean.unbiased", lambda m, a, unbiased: m.std_mean(a, unbiased), kwargs=kw(unbiased=st.booleans()),
         parity_elements=grid, numeric_shapes=VAR_NUMERIC_SHAPES, distinct=True),
]

OPS: list[OpSpec] = ARITHMETIC + UNARY + MATMUL + REDUCTIONS + VIEWS + INDEXING + JOIN + COMPARISONS \
    + CONVERSIONS + INPLACE + MORE + MATH + SCANS

# Specs whose outputs' memory layout (stride(), is_contiguous()) is not yet torch's: the layout check is off
# for them, with the reason.  Dropping an entry turns the check on.
_NO_GRAD_OPS = ("computed in _tensor.py outside the ops (_no_grad_binary, _cast, the predicates, all/any, "
                "argmax/argmin): NumPy's output layout, not yet torch's")
_SIZE1_RUN = ("the Unsqueeze/Squeeze ops get only the result's shape, so in a run of size-1 dims they cannot tell "
              "which dim torch's stride rule applies to (Tensor.unsqueeze/squeeze do not pass the dim)")
LAYOUT_OFF = {
    **{s.name: _NO_GRAD_OPS for s in COMPARISONS},
    **dict.fromkeys(["argmax", "argmax.fn", "argmax.dim", "argmin", "argmin.dim", "long", "int", "to.dtype",
                     "type.dtype", "float.from_int", "float.from_bool", "long.from_bool", "greater",
                     "greater_equal", "less", "less_equal", "not_equal", "isnan", "isinf", "isfinite",
                     "logical_not"], _NO_GRAD_OPS),
    "masked_fill": "where(mask, value, self): torch's masked_fill is a contiguous clone filled in place",
    **dict.fromkeys(["unsqueeze", "unsqueeze.fn", "squeeze.dim", "squeeze.fn"], _SIZE1_RUN),
}
OPS = [replace(s, layout=LAYOUT_OFF[s.name]) if s.name in LAYOUT_OFF else s for s in OPS]

OPS_BY_NAME = {s.name: s for s in OPS}

# ==========================================================================
# Public names of the library that are not ops (the coverage meta-test skips
# them).  Easy to edit: one name per entry, grouped.  Names listed here but
# absent from the library are harmless.
# ==========================================================================
NOT_OPS = frozenset({
    # tensor type, construction and factories
    "Tensor", "tensor", "as_tensor", "from_numpy", "asarray", "is_tensor", "numel", "Size",
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "rand", "randn", "randint", "rand_like", "randn_like",
    "randint_like", "randperm", "normal", "bernoulli", "multinomial", "poisson", "random",   # test_random_streams.py
    # dtypes, devices and defaults
    "dtype", "float16", "half", "bfloat16", "float32", "float", "float64", "double",
    "int8", "int16", "short", "int32", "int", "int64", "long", "uint8", "bool",
    "finfo", "iinfo", "get_default_dtype", "set_default_dtype", "set_default_device",
    "get_default_device", "set_default_tensor_type", "device", "cuda", "backends", "is_floating_point",
    # autograd state and helpers
    "autograd", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "is_inference_mode_enabled",
    # randomness and serialization
    "manual_seed", "seed", "initial_seed", "Generator", "default_generator", "get_rng_state",
    "set_rng_state", "save", "load",
    # subpackages and misc
    "nn", "optim", "utils", "testing", "functional", "set_printoptions", "__version__", "version",
    # legacy typed constructors (tested in test_semantics/test_seed_tutorials), dtype arithmetic,
    # whole-tensor predicates returning Python bools, thread settings
    "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor",
    "result_type", "promote_types", "allclose", "equal", "set_num_threads", "get_num_threads",
})

# Other public modules whose names must be covered too, with their allow-lists.
# Add e.g. "nn.functional": frozenset({...}) once the nn specs exist.
COVERAGE_MODULES: dict[str, frozenset] = {"": NOT_OPS}
