"""Function, and the graph node that records one call of it.

How an op is defined
--------------------
Every differentiable op is a ``Function`` subclass with two static methods
side by side, as in ``torch.autograd.Function``::

    class Mul(Op):
        '''y = a*b;  dy/da = b,  dy/db = a'''
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a

Calling ``Mul.apply(x, y)`` runs ``forward`` and, when grad mode is on and an
input requires grad, records a node: an instance of a class named like
torch's (``MulBackward0``) that is both the ``ctx`` and the output's
``grad_fn``.  Edges point one way only, output -> node -> inputs' nodes, so a
dropped graph is freed by reference counting alone (no cycles).

Built-in ops (``Op``) are written against the array API.  ``forward`` gets
backend arrays.  ``backward`` gets the upstream gradient and the saved values
either as arrays (an ordinary backward: fast, no graph) or, under
``create_graph=True``, as Tensors, through ``namespace(g)`` which then returns
an array-API view of minigrad's own differentiable ops.  So one formula gives
first-order gradients at array speed and higher-order gradients for free.

User-defined ``Function`` subclasses follow torch: forward and backward get
Tensors, and backward is differentiable if it is written with minigrad ops.

Gradients for broadcast inputs are summed back to the input's shape by the
engine (one place, ``engine._sum_to``), so formulas never un-broadcast.
"""
from __future__ import annotations

import itertools
import re
import weakref

from .. import _backend
from . import anomaly_mode as _anomaly
from .grad_mode import _state as _grad_state, is_grad_enabled

Tensor = None   # minigrad.Tensor; _tensor.py (which imports this module) fills it in

_ndarray = _backend.np.ndarray         # the common output type, for a fast check
_NO_EDGE = (None, 0)
_FREED = ()                               # _extra after a backward without retain_graph                      # next_functions entry of an input that needs no gradient
_next_seq = itertools.count().__next__   # creation order; backward runs newest first, as torch does

_DETACHED_IN_PLACE = ("Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is "
                      "not supported, please use out-of-place `.detach()` instead")
BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second "
    "time or if you need to access saved tensors after calling backward.")


class _Version:
    """A tensor's version counter, shared by the tensors that share its memory."""
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class RemovableHandle:
    def __init__(self, hooks: dict, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


class Node:
    """A recorded call of a Function: torch's ``grad_fn`` and the ``ctx`` argument."""

    _fn = None                  # the Function subclass this node belongs to
    _array_level = False        # True for built-in Ops: backward works on arrays
    _plain = False              # a built-in node with one output and no hooks, retained grads or extra
                                # version checks (each of those clears it): the engine's fast path
    next_functions = ()         # ((node or None, output_nr), ...) per positional input
    _saved = ()                 # resolved saved values; None once freed
    _to_save = ()
    _in_shapes = ()
    _tensor_mode = False        # whether saved_tensors returns Tensors (set by the engine)
    _pre_hooks = None           # {output_nr: {key: hook}} from Tensor.register_hook on outputs
    _retained = None            # {output_nr: weakref to a tensor that called retain_grad()}
    _hooks = None               # node hooks: fn(grad_inputs, grad_outputs)
    _node_pre_hooks = None      # node pre-hooks: fn(grad_outputs)
    _extra = None               # [(tensor, version)] checked before backward (_save_extra)
    _non_differentiable = ()
    materialize_grads = True
    _seq = -1
    _num_outputs = 1
    _out_meta = ()              # (shape, dtype, device) per output, for multi-output nodes

    @property
    def needs_input_grad(self):
        """Per positional input: does it need a gradient?  (Its shape was recorded only if so.)"""
        return tuple([shape is not None for shape in self._in_shapes])

    # -- the ctx API used inside forward/backward --
    def save_for_backward(self, *values):
        self._to_save = values

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = outputs

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(BACKWARD_TWICE)
        out = []
        tensor_mode = self._tensor_mode
        order = self._fn.unpack_order
        if order is not None:            # when several are stale, torch reports the first in its order
            for i in order:
                value, counter, version, source, leaf = saved[i]
                if isinstance(source, Tensor) and not leaf and source._grad_fn is None \
                        and source.grad_fn is None:
                    raise RuntimeError(_DETACHED_IN_PLACE)
                if counter is not None and counter.value != version:
                    raise RuntimeError(_modified_message(self, value, source, counter.value, version))
        for value, counter, version, source, leaf in saved:
            if isinstance(source, Tensor):      # an input, remembered by Tensor
                if not leaf and source._grad_fn is None and source.grad_fn is None:
                    raise RuntimeError(_DETACHED_IN_PLACE)
                if counter.value != version:
                    raise RuntimeError(_modified_message(self, value, source, counter.value, version))
                # `.data = new` after saving: backward sees the new data, as torch
                out.append(source if tensor_mode else source._data)
                continue
            if counter is not None and counter.value != version:
                raise RuntimeError(_modified_message(self, value, source, counter.value, version))
            if not tensor_mode or value is None or isinstance(value, (int, float, bool)):
                out.append(value)
            elif source is None:
                out.append(Tensor._make(value))
            else:   # an output of this node: rebuilt on demand, to keep no reference cycle
                out.append(Tensor._make(value, self, source, counter))
        return tuple(out)

    saved_variables = saved_tensors

    def _save_extra(self, tensors):
        """Tensors torch saves that this node's backward does not read (index tensors, which forward got as
        arrays; the input of a composed layer_norm): the engine checks their versions before backward."""
        self._extra = (self._extra or []) + [(t, t._version_counter.value) for t in tensors]
        self._plain = False

    def _check_extra(self):
        if self._extra is _FREED:
            raise RuntimeError(BACKWARD_TWICE)
        for t, version in self._extra:
            if t._version_counter.value != version:
                raise RuntimeError(_modified_message(self, t._data, t, t._version_counter.value, version))

    def _release(self):
        """Free what forward saved (after a backward without retain_graph)."""
        if self._saved:
            self._saved = None

    # -- introspection --
    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def name(self) -> str:
        return type(self).__name__

    def register_hook(self, fn):
        _engine().user_code_may_run()
        if self._hooks is None:
            self._hooks = {}
        self._plain = False
        key = object()
        self._hooks[key] = fn
        return RemovableHandle(self._hooks, key)

    def register_prehook(self, fn):
        _engine().user_code_may_run()
        if self._node_pre_hooks is None:
            self._node_pre_hooks = {}
        self._plain = False
        key = object()
        self._node_pre_hooks[key] = fn
        return RemovableHandle(self._node_pre_hooks, key)

    def _tensor_hooks(self, output_nr):
        """The dict of tensor hooks run on this node's output ``output_nr`` (Tensor.register_hook adds to it)."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._plain = False
        return self._pre_hooks.setdefault(output_nr, {})

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata

    def __call__(self, *grads):
        return self._fn.backward(self, *grads)


class AccumulateGrad(Node):
    """The node behind a leaf that requires grad: its 'backward' adds into ``variable.grad``.

    The leaf keeps its accumulator (so it is made once, not per graph); the
    accumulator refers back weakly, so the two form no reference cycle."""

    def __init__(self, variable):
        self._variable = weakref.ref(variable)
        self._seq = _next_seq()

    @property
    def variable(self):
        return self._variable()


def _modified_message(node, value, source, now, expected):
    shape = list(getattr(value, "shape", ()))
    tname = _legacy_type_name(value)
    where = ""
    if isinstance(source, int):                  # a saved output: this node made it
        where = f", which is output {source} of {_label(node)},"
    elif source is not None and source.grad_fn is not None:   # its node now
        where = f", which is output {source._output_nr} of {_label(source.grad_fn)},"
    return (f"one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [{tname} {shape}]{where} is at version {now}; expected version {expected} "
            f"instead. Hint: enable anomaly detection to find the operation that failed to compute its "
            f"gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _label(node):
    """How torch's version error names a node: an op's name ("Mul" for MulBackward0), or the C++ class of
    the two nodes that are not generated from an op."""
    name = node.name()
    if name in ("CopySlices", "CopyBackwards"):
        return f"torch::autograd::{name}"
    return op_label(name)


def op_label(node_name):
    """torch's short name of an op's node in messages: "Add" for AddBackward0, "Prod1" for ProdBackward1."""
    return re.sub(r"Backward([0-9]*)$", lambda m: "" if m.group(1) in ("", "0") else m.group(1), node_name)


def _legacy_type_name(array) -> str:
    from .._tensor import legacy_type_name
    from .. import _backend
    name, dev = _backend.dtype_name(array.dtype), _backend.device_of(array)
    if name == "bool":            # torch has no legacy name to print here
        return "CUDABoolType" if dev.type == "cuda" else "CPUBoolType"
    return legacy_type_name(name, dev)


def _engine():
    from . import engine       # (engine imports this module)
    return engine


class FunctionMeta(type):
    """Gives every Function subclass its node class, named like torch's (``MulBackward0``)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node_name = attrs.get("node_name") or f"{name}Backward"
        base = attrs.get("_node_base") or next(
            (b._node_class for b in cls.__mro__[1:] if hasattr(b, "_node_class")), Node)
        cls._node_class = type(node_name, (base,), {"_fn": cls, "_array_level": cls._array_level, "_plain": cls._array_level,
                                                    "__module__": cls.__module__})


class Function(metaclass=FunctionMeta):
    """Base class for differentiable operations, as ``torch.autograd.Function``.

    Subclass it with ``@staticmethod forward(ctx, *args)`` and
    ``@staticmethod backward(ctx, *grad_outputs)`` and call ``YourFn.apply(...)``.
    """

    _array_level = False
    # Per value given to save_for_backward: the inputs whose gradient reads it.  A value is saved only when
    # one of them needs a gradient (torch's rule, from derivatives.yaml); None: always saved.
    saved_for = None
    # torch takes cat's and stack's inputs as one tensor list and computes the gradient of every element
    # when any needs one: node hooks see them all (the engine then drops those with no edge)
    list_inputs = False
    # The order in which torch's node checks its saved values' versions (its saved variables by name,
    # alphabetically: `other` before `self`), as indices into save_for_backward's values; None: as saved
    unpack_order = None

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .grad_mode import no_grad
        ctx = cls._node_class()
        record = is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args)
        if record:
            _engine().user_code_may_run()        # its backward is user code
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if record:
            _record_inputs(ctx, args, Tensor)
            results = []
            for nr, o in enumerate(outs):
                if isinstance(o, Tensor):
                    if any(o is a for a in args):       # forward returned an input: give it its own identity
                        o = Tensor._make(o._data, version=o._version_counter)
                    if not any(o is n for n in ctx._non_differentiable) and o.dtype.is_floating_point:
                        o._grad_fn, o._output_nr = ctx, nr
                results.append(o)
            outs = tuple(results)
            _record_outputs(ctx, outs)
            _resolve_saved(ctx, args, args, outs, outs)
        ctx._tensor_mode = True
        return outs[0] if single else outs


class Op(Function):
    """A built-in op: forward and backward written against the array API (see module docstring).

    Positional arguments are operands (tensors or Python numbers) and get one
    gradient each; non-tensor parameters (``dim``, ``keepdim``...) are keywords.
    """

    _array_level = True

    @classmethod
    def apply(cls, *args, **kwargs):
        # The hot path of every op: kept free of helper calls when nothing is recorded.
        ctx = cls._node_class()
        raw = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._data)
                if a._requires_grad or a._grad_fn is not None:
                    record = True
                elif a._base is not None:        # a view requires grad when its base does (never a view)
                    base = a._base
                    if base._requires_grad or base._grad_fn is not None:
                        record = True
            else:
                raw.append(a)
        record = record and _grad_state.enabled
        out = cls.forward(ctx, *raw, **kwargs)
        if type(out) is not tuple:
            if type(out) is not _ndarray:
                array = _backend.scalar_to_array(out)
                if array is not out and ctx._to_save:    # forward saved the scalar it returned
                    ctx._to_save = tuple(array if s is out else s for s in ctx._to_save)
                out = array
            result = Tensor._make(out)
            if record:
                _record_inputs(ctx, args, Tensor)
                result._grad_fn = ctx
                if ctx._to_save:
                    _resolve_saved(ctx, args, raw, (result,), (out,))
            return result
        outs = tuple(Tensor._make(o) for o in out)
        if record:
            _record_inputs(ctx, args, Tensor)
            for nr, o in enumerate(outs):
                if not any(o._data is n for n in ctx._non_differentiable):
                    o._grad_fn, o._output_nr = ctx, nr
            _record_outputs(ctx, outs)
            if ctx._to_save:
                _resolve_saved(ctx, args, raw, outs, out)
        return outs


def _record_outputs(ctx, outs):
    # outputs that come after the last differentiable one (max's indices) are not the node's, as in torch
    n = len(outs)
    while n > 1 and outs[n - 1]._grad_fn is not ctx:
        n -= 1
    if n > 1:
        ctx._num_outputs = n
        ctx._plain = False
        ctx._out_meta = [(o._data.shape, o._data.dtype, o.device) for o in outs[:n]]


def _record_inputs(ctx, args, Tensor):
    """Fill the node's edges to its inputs: ``next_functions`` as torch shows them."""
    if _anomaly._state.enabled:
        _anomaly.record_trace(ctx)
    edges, shapes = [], []
    for a in args:
        if isinstance(a, Tensor):
            fn = a._grad_fn
            if a._base is not None and a._attr_version != a._vcounter.value:
                fn = a.grad_fn                 # a view written to since: regenerate its grad_fn
            if fn is not None:
                edges.append((fn, a._output_nr))
                shapes.append(a._data.shape)
                continue
            if a._requires_grad:
                acc = a._grad_acc
                edges.append((acc, 0) if acc is not None else a._edge())
                shapes.append(a._data.shape)
                continue
        edges.append(_NO_EDGE)
        shapes.append(None)
    ctx.next_functions = tuple(edges)
    ctx._in_shapes = shapes
    ctx._seq = _next_seq()          # after the inputs' accumulators: a node is newer than its inputs


def _resolve_saved(ctx, args, arg_values, outs, out_values):
    """Turn what forward passed to save_for_backward into (value, version counter, version, source, leaf):
    ``leaf`` whether the source was a leaf when saved (a non-leaf detached in place since is an error).

    ``arg_values``/``out_values`` are what forward saw: the Tensors themselves
    (a user Function) or their arrays (a built-in Op).  Inputs are remembered
    by Tensor (so create_graph can differentiate through them); outputs by
    their index, and rebuilt on unpacking (a stored output Tensor would point
    back at this node: a reference cycle).
    """
    saved = []
    saved_for = ctx._fn.saved_for
    if saved_for is not None and None not in ctx._in_shapes:
        saved_for = None                 # every input needs its gradient: everything is saved
    for k, s in enumerate(ctx._to_save):
        if saved_for is not None:
            for j in saved_for[k]:
                if ctx._in_shapes[j] is not None:
                    break
            else:
                s = None                 # torch saves it only for a gradient that is needed
        if s is None:
            saved.append((None, None, 0, None, True))
            continue
        for a, value in zip(args, arg_values):
            if s is value and isinstance(a, Tensor):
                counter = a._version_counter
                saved.append((a._data, counter, counter.value, a, a._grad_fn is None))
                break
        else:
            for nr, (o, value) in enumerate(zip(outs, out_values)):
                if s is value:
                    counter = o._version_counter
                    saved.append((o._data, counter, counter.value, nr, False))
                    break
            else:   # an intermediate value computed in forward: a constant for backward
                saved.append((s._data if isinstance(s, Tensor) else s, None, 0, None, True))
    ctx._saved = saved
    ctx._to_save = ()


def once_differentiable(fn):
    """Marks a backward that cannot itself be differentiated (accepted for torch compatibility)."""
    return fn

