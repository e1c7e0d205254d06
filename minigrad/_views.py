"""Views and in-place operations: PyTorch's model, in one place.

The model
---------
*Views share memory and one version counter.*  A view op (slicing, ``view``,
``transpose``, ``expand``, ``split``...) returns a tensor whose array is a
NumPy view of its input's.  The view records its **base** (the tensor that
owns the memory; never itself a view), the **steps** that produce it from the
base (each a view op and its arguments, so it can be replayed on any array of
the base's shape), and how it was **created**: in grad mode (``DEFAULT``),
under ``no_grad`` (``NO_GRAD``) or as one of several outputs of one op
(``MULTI_OUTPUT``: split, chunk, unbind).  Every tensor sharing the memory
shares the version counter, which each in-place write bumps.

*Saved tensors remember their version.*  A node checks, when backward unpacks
what it saved, that the version is still the one it saw; otherwise torch's
"modified by an inplace operation" error.

*An in-place op is an out-of-place op plus a history rewrite.*  ``t.op_(...)``
computes ``op(t_old, ...)``, writes the values into ``t``'s memory and then:

- if ``t`` is not a view, the new node becomes ``t``'s ``grad_fn``;
- if ``t`` is a view, its **base** gets a ``CopySlices`` node: the base's
  gradient passes through unchanged outside the view's elements, and through
  the op's backward inside them.  ``t`` and every other view of the base see
  their version counter move, and regenerate their ``grad_fn`` lazily the next
  time it is read: an ``AsStridedBackward0`` node from the base's new history
  (as torch names it on CPU).

Views made under ``no_grad`` or by a multi-output op cannot take part in this
rewrite: torch forbids modifying them in place (or their base, when they are
used afterwards), with the errors written below.
"""
from __future__ import annotations

import math

from . import _backend
from .autograd import engine
from .autograd.function import BACKWARD_TWICE, Node, _NO_EDGE, _next_seq, op_label
from .autograd.grad_mode import _state as _grad_state

DEFAULT, NO_GRAD, MULTI_OUTPUT = "default", "no_grad", "multi_output"

Tensor = None   # minigrad.Tensor, filled in by _tensor.py


class ViewInfo:
    """How a view was made from its base: the view op ``step`` ((Op, kwargs)) applied to the view
    ``parent`` (None: to the base itself); ``steps`` replays the chain on the base's shape.  ``creation``
    is DEFAULT, NO_GRAD or MULTI_OUTPUT; ``_positions`` caches ``positions``."""
    __slots__ = ("parent", "step", "creation", "_positions")

    @property
    def steps(self):
        out, info = [], self
        while info is not None:
            out.append(info.step)
            info = info.parent
        return tuple(reversed(out))


def make_view(src, out, step, multi_output=False):
    """Mark ``out`` (just made from ``src`` by the view op ``step``) as a view of ``src``'s base."""
    parent = src._view_info
    info = out._view_info = _new(ViewInfo)       # (no __init__ call: views are made on hot paths)
    info.parent, info.step, info._positions = parent, step, None
    # torch's propagate_creation_meta: a new restriction (no_grad, multi-output) wins; a view made the
    # ordinary way inherits its parent's
    if not _grad_state.enabled:
        info.creation = NO_GRAD
    elif multi_output:
        info.creation = MULTI_OUTPUT
    else:
        info.creation = DEFAULT if parent is None else parent.creation
    out._base = src if parent is None else src._base
    counter = src._vcounter
    if counter is None:
        counter = src._version_counter
    out._vcounter = counter
    out._attr_version = counter.value
    return out


_new = object.__new__


def positions(view):
    """For each element of ``view``, its index in the base flattened in row-major order (cached).

    Computed by replaying the view's steps on an array of indices, so any chain of view ops works,
    repeated positions (expand) included."""
    info = view._view_info
    if info._positions is None:
        base = view._base._data
        xp = _backend.array_namespace(base)
        idx = _backend.arange(math.prod(base.shape), like=base, dtype=_backend.backend_dtype(xp, "int64"))
        idx = xp.reshape(idx, base.shape)
        for op, kwargs in info.steps:
            idx = op.forward(op._node_class(), idx, **kwargs)
        info._positions = _backend.contiguous_copy(idx)
    return info._positions


# ------------------------------------------------------------ the checks --

def _rebase_error(view, indirect):
    """torch's message for modifying a view (or, ``indirect``, its base) that cannot be rebased."""
    creation = view._view_info.creation
    fn = view._grad_fn
    modified = "its base or another view of its base has been" if indirect else "is being"
    name = None if fn is None else op_label(fn.name())   # torch names the op: "Split"
    if creation == NO_GRAD or fn is None:
        prefix = (f"Output {view._output_nr} of {name} is a view of a view which was created in"
                  if fn is not None else "A view was created in")
        msg = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        msg = f"Output {view._output_nr} of {name} is a view and {modified} modified inplace."
    if creation == MULTI_OUTPUT:
        msg += (" This view is the output of a function that returns multiple views. Such functions do not "
                "allow the output views to be modified inplace. You should replace the inplace operation by an "
                "out-of-place one.")
    else:
        msg += (" Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
                "code by moving both the view and the inplace either both inside the no_grad block (if you don't "
                "want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
    return RuntimeError(msg)


def check_inplace(t):
    """torch's checks before an in-place op that will be recorded (grad mode on, an input requires grad)."""
    if t._base is not None:
        if t._view_info.creation is not DEFAULT:
            raise _rebase_error(t, indirect=False)
        if t.requires_grad and t._base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


# ------------------------------------------------------ grad_fn of a view --

def view_grad_fn(view):
    """A view's ``grad_fn``, regenerated from its base's history when the memory was written to since."""
    fn = view._grad_fn
    base = view._base
    if fn is None and not base.requires_grad:
        return None
    counter = view._vcounter
    if view._attr_version != counter.value:
        if view._view_info.creation is not DEFAULT:
            raise _rebase_error(view, indirect=True)
        node = AsStridedBackward0()
        node.positions = positions(view)
        node.base_shape = base._data.shape
        node.next_functions = (base._edge(),) if base.requires_grad else (_NO_EDGE,)
        node._in_shapes = [base._data.shape if base.requires_grad else None]
        node._seq = _next_seq()
        _move_retain_grad(view, fn, node, 0)
        view._grad_fn, view._output_nr = node, 0
        view._attr_version = counter.value
    return view._grad_fn


def _move_retain_grad(t, old_fn, new_fn, new_nr):
    """retain_grad() follows the tensor to its new node (torch moves its retains-grad hook)."""
    if not t._retains_grad or old_fn is None or new_fn is None:
        return
    ref = old_fn._retained.pop(t._output_nr, None) if old_fn._retained else None
    if ref is not None:
        if new_fn._retained is None:
            new_fn._retained = {}
        new_fn._retained[new_nr] = ref
        new_fn._plain = False


# --------------------------------------------- history after an in-place --

def rebase_history(t, result):
    """Give ``t``, whose memory now holds ``result``'s values, ``result``'s history (see the module docstring)."""
    fn, nr = result._grad_fn, result._output_nr
    if fn is None:
        return
    t._node_hooks = None       # hooks registered from now on go to the new node (torch's behaviour)
    if t._base is None:
        old = t._grad_fn
        if old is None:
            t._hooks = None    # a leaf that gains history drops its leaf hooks, as torch does
        _move_retain_grad(t, old, fn, nr)
        t._grad_fn, t._output_nr = fn, nr
        return
    base = t._base
    node = CopySlices()
    node.fn = fn
    node.positions = positions(t)
    node.base_shape = base._data.shape
    base_edge = base._edge() if base.requires_grad else _NO_EDGE
    node.next_functions = (base_edge,) + tuple(fn.next_functions[1:])
    node._in_shapes = [base._data.shape if base_edge is not _NO_EDGE else None] + list(fn._in_shapes[1:])
    node._seq = _next_seq()
    _move_retain_grad(base, base._grad_fn, node, 0)
    base._node_hooks = None    # the base's later hooks go to its new node, as t's do
    base._grad_fn, base._output_nr = node, 0
    view_grad_fn(t)            # the view's own grad_fn now comes from the base's


# -------------------------------------------------------------- the nodes --

class _CopySlicesFn:
    """Backward of CopySlices: the base's gradient, with the view's part sent through the in-place op."""
    list_inputs = False
    unpack_order = None

    @staticmethod
    def backward(node, g):
        fn, pos = node.fn, node.positions
        if fn is None:
            raise RuntimeError(BACKWARD_TWICE)
        tensor_mode = isinstance(g, Tensor)
        if tensor_mode:
            from ._ops import Index, IndexPut
            flat = g.reshape(-1)
            g_view = Index.apply(flat, index=(pos,), basic=False)
            res = engine._call_backward(fn, [g_view], True, set())
            g_base = None
            if res[0] is not None:
                g_base = IndexPut.apply(flat, res[0], index=(pos,)).reshape(node.base_shape)
        else:
            result = _backend.contiguous_copy(g)
            flat = _backend.array_namespace(result).reshape(result, (-1,))
            res = engine._call_backward(fn, [flat[pos]], False, set())
            g_base = None
            if res[0] is not None:
                flat[pos] = res[0]
                g_base = result
        return (g_base,) + tuple(res[1:])


class CopySlices(Node):
    """The base's node after an in-place op on one of its views: wraps that op's node ``fn``."""
    _fn = _CopySlicesFn
    _array_level = _plain = True
    fn = None

    def name(self):
        return "torch::autograd::CopySlices"     # torch's name() for this C++-only node (its class: CopySlices)

    @property
    def _saved(self):            # freed (None) once a backward without retain_graph has run it
        return self.fn

    @_saved.setter
    def _saved(self, value):     # torch drops the wrapped node: a second backward through here is an error
        if value is None and self.fn is not None:
            self.fn._saved = None
            self.fn = None


class _AsStridedFn:
    """Backward of a regenerated view: the view's gradient added into zeros of the base's shape."""
    list_inputs = False
    unpack_order = None

    @staticmethod
    def backward(node, g):
        n = math.prod(node.base_shape)
        if isinstance(g, Tensor):
            from ._ops import IndexAddToZeros
            return IndexAddToZeros.apply(g, index=(node.positions,), shape=(n,), basic=False).reshape(
                node.base_shape)
        from ._ops import index_add_to_zeros
        flat = index_add_to_zeros(g, (node.positions,), (n,), False)
        return _backend.array_namespace(flat).reshape(flat, node.base_shape)


class AsStridedBackward0(Node):
    _fn = _AsStridedFn
    _array_level = _plain = True


PARTIAL_OVERLAP_ERROR = ("unsupported operation: some elements of the input tensor and the written-to tensor refer "
                         "to a single memory location. Please clone() the tensor before performing the operation.")
OVERLAP_ERROR = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                 "memory location. Please clone() the tensor before performing the operation.")
