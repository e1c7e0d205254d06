"""The backward pass: walk the graph from the outputs to the leaves.

Order.  A node may run only once every node that feeds it a gradient has
run (its gradients from all paths must be summed first).  We count each
node's consumers with an explicit-stack walk (no Python recursion, so a
100,000-op chain is fine), then run nodes whose count has dropped to zero,
newest first, the order torch uses.

Gradients in flight live in ``buffers`` (node -> one slot per output) and
are popped when the node runs, so intermediates are freed as we go.  An
ordinary backward carries raw arrays; ``create_graph=True`` carries Tensors,
so the backward formulas record a graph of their own.
"""
from __future__ import annotations

import heapq
import math
import warnings

from . import anomaly_mode as _anomaly
from .function import AccumulateGrad
from .grad_mode import _state as _grad_state
from .. import _backend


Tensor = None   # minigrad.Tensor; _tensor.py (which imports this module) fills it in


# ------------------------------------------------------------------ helpers --

def _sum_to(g, shape):
    """Sum a broadcast gradient back to ``shape`` (leading axes, then size-1 axes)."""
    xp = namespace(g)
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True) if isinstance(g, Tensor) else _backend.sum(g, axis=axes, keepdims=True)
    if lead or g.shape != tuple(shape):
        g = xp.reshape(g, tuple(shape))
    return g


def namespace(x):
    """Array namespace for a backward formula: the array library for arrays, minigrad's
    own differentiable ops for Tensors (under create_graph)."""
    if isinstance(x, Tensor):
        from .._tensor_namespace import tensor_namespace
        return tensor_namespace
    return _backend.array_namespace(x)


def _make_root_grads(tensors, grads, create_graph):
    out = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if g is None:
            data = t._data
            if data.shape and math.prod(data.shape) != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not _backend.is_floating(data.dtype):
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            g = _backend.ones_like(data)
        else:
            if not isinstance(g, Tensor):
                g = Tensor(g) if not hasattr(g, "shape") else Tensor._make(_backend.asarray(g, t.device))
            if tuple(g.shape) != tuple(t.shape):
                from .._tensor import Size
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g.shape)!r} and output[{i}] "
                    f"has a shape of {Size(t.shape)!r}.")
            g = g if create_graph else g._data
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._make(g)
        out.append(g)
    return out


# --------------------------------------------------------------- the pass --

def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None, accumulate=True):
    """Shared core of ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``.

    With ``accumulate``, leaves' ``.grad`` are updated (only those in
    ``inputs`` when given).  Returns the gradients reaching ``inputs``.

    Order: every node is created after the nodes of its inputs, so its
    creation number ``_seq`` is larger than theirs.  Running the pending node
    with the largest ``_seq`` first therefore runs a node only after all of
    its consumers have added their gradients: no dependency count, no
    recursion, and torch's own execution order.
    """
    for i, t in enumerate(tensors):
        if not (t._requires_grad or t.grad_fn is not None):
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    grads = _make_root_grads(tensors, grad_tensors, create_graph)
    roots = [t._edge() for t in tensors]

    # Where to catch gradients for `inputs`: a leaf's AccumulateGrad, or (grad_fn, output_nr).
    targets = {}
    if inputs is not None:
        for k, t in enumerate(inputs):
            targets.setdefault(t._edge(), []).append(k)
    needed = _nodes_leading_to(roots, targets) if inputs is not None else None

    buffers = {}          # node -> gradient per output, while the node waits to run
    ready = []            # heap of (-_seq, node): the newest pending node first
    for (node, nr), g in zip(roots, grads):
        if node not in buffers:
            heapq.heappush(ready, (-node._seq, node))
        _accumulate_into(buffers, node, nr, g)
    # ids of gradient arrays that something else may hold (the caller's): copy before storing
    unowned = {id(g) for g, given in zip(grads, grad_tensors) if given is not None}

    captured = [None] * (len(inputs) if inputs is not None else 0)
    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph      # backward formulas record a graph only under create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[1]
            node_grads = buffers.pop(node)
            if type(node) is AccumulateGrad:
                leaf = node._variable()
                if leaf is None:            # the leaf is gone: nobody can read this gradient
                    continue
                if leaf._hooks:
                    node_grads = _run_pre_hooks(node, node_grads, create_graph, unowned)
                if targets:
                    for k in targets.get((node, 0), ()):
                        captured[k] = node_grads[0]
                if accumulate and (inputs is None or (node, 0) in targets):
                    _accumulate_leaf(leaf, node_grads[0], create_graph, id(node_grads[0]) in unowned)
                continue
            if node._pre_hooks is not None or node._retained is not None:
                node_grads = _run_pre_hooks(node, node_grads, create_graph, unowned)
            if targets:
                for nr, g in enumerate(node_grads):
                    for k in targets.get((node, nr), ()):
                        captured[k] = g
            if needed is not None and node not in needed:
                continue
            if node._array_level and not create_graph and node._num_outputs == 1 and node._hooks is None:
                in_grads = _call_array_backward(node, node_grads[0], unowned)     # the common case
            else:
                in_grads = _call_backward(node, node_grads, create_graph, unowned)
            if not retain_graph and node._saved:
                node._saved = None       # free what forward saved
            for (child, nr), g in zip(node.next_functions, in_grads):
                if g is None or child is None:
                    continue
                slots = buffers.get(child)
                if slots is None:
                    heapq.heappush(ready, (-child._seq, child))
                    if nr == 0 and child._num_outputs == 1:
                        buffers[child] = [g]
                        continue
                _accumulate_into(buffers, child, nr, g)
    finally:
        _grad_state.enabled = prev_mode

    if inputs is not None and accumulate:      # backward(inputs=[non-leaf]) fills its .grad too
        for k, t in enumerate(inputs):
            if t.grad_fn is not None and captured[k] is not None:
                _accumulate_leaf(t, captured[k], create_graph, True)
    return captured


def _nodes_leading_to(roots, targets):
    """Nodes from which some target can be reached; only these need to run for autograd.grad."""
    target_nodes = {node for node, _ in targets}
    seen = {node for node, _ in roots}
    stack = list(seen)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    needed = set()
    for node in sorted(seen, key=lambda n: n._seq):     # inputs before their consumers
        if node in target_nodes or any(c in needed for c, _ in node.next_functions if c is not None):
            needed.add(node)
    return needed


def _accumulate_into(buffers, node, nr, g):
    slots = buffers.get(node)
    if slots is None:
        n = getattr(node, "_num_outputs", 1)
        slots = buffers[node] = [None] * max(n, nr + 1)
    elif nr >= len(slots):
        slots.extend([None] * (nr + 1 - len(slots)))
    slots[nr] = g if slots[nr] is None else slots[nr] + g     # out of place: the sum is a fresh array


def _run_pre_hooks(node, grads, create_graph, unowned):
    """Tensor hooks registered on this node's outputs, then retain_grad, as torch orders them."""
    if type(node) is AccumulateGrad:
        leaf = node.variable
        hooks = {0: leaf._hooks} if leaf is not None and leaf._hooks else {}
    else:
        hooks = node._pre_hooks or {}
    if not hooks and node._retained is None:
        return grads
    grads = list(grads)
    for nr, hs in hooks.items():
        for hook in list(hs.values()):
            if grads[nr] is None:
                continue
            g = grads[nr] if isinstance(grads[nr], Tensor) else Tensor._make(grads[nr])
            new = hook(g)
            if new is not None:
                grads[nr] = new if create_graph else new._data
            unowned.add(id(grads[nr]))      # the hook saw it and may keep it
    for nr, ref in (node._retained or {}).items():
        t = ref()
        if t is not None and grads[nr] is not None:
            _accumulate_leaf(t, grads[nr], create_graph, True)
    return grads


def _call_backward(node, grads, create_graph, unowned):
    """Call one node's backward and bring the results to its inputs' shapes."""
    tensor_level = not node._array_level
    node._tensor_mode = create_graph or tensor_level
    if node.materialize_grads and node._num_outputs > 1 and any(g is None for g in grads):
        grads = [_zeros_for(node, nr, create_graph) if g is None else g for nr, g in enumerate(grads)]
    if tensor_level and not create_graph:
        grads = [g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in grads]
    result = node._fn.backward(node, *grads)
    if type(result) is not tuple:
        result = (result,)
    n_in = len(node.next_functions)
    if len(result) != n_in:
        if len(result) > n_in and all(r is None for r in result[n_in:]):
            result = result[:n_in]
        else:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(result)})")
    out = []
    for shape, g in zip(node._in_shapes, result):
        if shape is None or g is None:
            out.append(None)
            continue
        if isinstance(g, Tensor):
            if not create_graph:
                g = g._data
        elif create_graph:
            g = Tensor._make(g)
        if g.shape != shape:
            g = _to_input_shape(node, g, shape)
        elif not create_graph and _passed_on(g, grads, out):
            unowned.add(id(g))     # passed through: others hold the same array
        out.append(g)
    if node._hooks:
        for hook in list(node._hooks.values()):
            hook(tuple(out), tuple(grads))
    if _anomaly._state.enabled and _anomaly._state.check_nan:
        _anomaly.check_nan(node, out)
    return out


def _call_array_backward(node, g, unowned):
    """The common case of ``_call_backward``: a built-in op, one output, arrays, no hooks."""
    node._tensor_mode = False
    result = node._fn.backward(node, g)
    if type(result) is not tuple:
        result = (result,)
    shapes = node._in_shapes
    if len(result) != len(shapes):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(shapes)}, got {len(result)})")
    out = []
    for shape, r in zip(shapes, result):
        if shape is None or r is None:
            out.append(None)
            continue
        if r.shape != shape:
            r = _to_input_shape(node, r, shape)
        elif r is g or _passed_on(r, (), out):
            unowned.add(id(r))     # passed through: others hold the same array
        out.append(r)
    if _anomaly._state.enabled and _anomaly._state.check_nan:
        _anomaly.check_nan(node, out)
    return out


def _to_input_shape(node, g, shape):
    if tuple(g.shape) == shape:
        return g
    try:
        return _sum_to(g, shape)
    except Exception:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient - got "
                           f"{list(g.shape)} but expected shape compatible with {list(shape)}") from None


def _zeros_for(node, nr, create_graph):
    """A zero gradient for an output that received none (torch 'materializes' such grads)."""
    shape, dt, dev = node._out_meta[nr]
    xp = _backend.namespace_for(dev)
    z = xp.zeros(shape, dtype=dt, device=_backend._native_device(xp, dev))
    return Tensor._make(z) if create_graph or not node._array_level else z


def _passed_on(g, incoming, siblings) -> bool:
    """Is ``g`` the very array this node received, or one it also returned for another input?
    Then more than one gradient slot holds it.  (Views are judged where it matters, at the leaf:
    ``_backend.can_keep``.)"""
    for x in incoming:
        if x is g:
            return True
    for x in siblings:
        if x is g:
            return True
    return False


def _accumulate_leaf(t, g, create_graph, shared=True):
    """Add ``g`` into ``t.grad``: in place on the existing object, as torch does, unless a graph is wanted.

    A first gradient is stored as is when nothing else holds it (``shared`` False: no other slot of the
    engine has it; ``can_keep``: it owns its memory, or is the only view of memory nobody else holds),
    and copied otherwise, so that no two ``.grad`` tensors alias one another."""
    if isinstance(g, Tensor):
        if g._data.dtype != t._data.dtype:
            g = g.to(t.dtype)
    elif g.dtype != t._data.dtype:
        g = _backend.array_namespace(g).astype(g, t._data.dtype)
    old = t._grad
    if old is None:
        if isinstance(g, Tensor):
            t._grad = g if create_graph else Tensor._make(_copy(g._data))
        else:
            t._grad = Tensor._make(g if not shared and _backend.can_keep(g) else _copy(g))
    elif create_graph or old.requires_grad:
        t._grad = old + (g if isinstance(g, Tensor) else Tensor._make(g))
    else:
        data = g._data if isinstance(g, Tensor) else g
        old._data += data
        old._version_counter.value += 1


def _copy(a):
    """A row-major copy: a gradient arriving as a transposed view (Linear's weight) is stored in the
    parameter's own layout, so in-place optimizer updates run at full speed."""
    return _backend.contiguous_copy(a)


def warn_create_graph_cycle():
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the parameter and "
        "its gradient which can cause a memory leak. We recommend using autograd.grad when creating the "
        "graph to avoid this. If you have to use this function, make sure to reset the .grad fields of "
        "your parameters to None after use to break the cycle and avoid the leak.", UserWarning, stacklevel=3)
