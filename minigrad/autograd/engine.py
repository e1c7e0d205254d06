"""The backward pass: walk the graph from the outputs to the leaves.

Order.  A node may run only once every node that feeds it a gradient has
run (its gradients from all paths must be summed first).  Nodes run newest
first (largest creation number), which guarantees that without counting
dependencies, and is torch's order.  torch gives a leaf's accumulator
(AccumulateGrad) the highest priority instead: it runs as soon as its last
gradient is in.  Only code that runs during the backward (hooks, custom
Functions) or a backward that fails part-way can tell the difference, so the
dependency count that order needs (a walk of the graph) is made only once
such code exists in the process, and a failure replays it (see
``run_backward``).

Gradients in flight live in ``buffers`` (node -> one slot per output) and
are popped when the node runs, so intermediates are freed as we go.  An
ordinary backward carries raw arrays; ``create_graph=True`` carries Tensors,
so the backward formulas record a graph of their own.
"""
from __future__ import annotations

import heapq
import math
import re
import threading
import warnings

from . import anomaly_mode as _anomaly
from .function import _FREED, AccumulateGrad
from .grad_mode import _state as _grad_state
from .. import _backend


Tensor = None   # minigrad.Tensor; _tensor.py (which imports this module) fills it in

# Set for good once user code that runs during a backward exists (a hook, a custom Function): from then on
# every backward counts dependencies so that leaves accumulate exactly when torch's do.
_user_code = False


def user_code_may_run():
    """Called where a hook is registered or a custom Function is applied."""
    global _user_code
    _user_code = True


class _Ready(tuple):
    """A (key, node) heap entry compared by key alone, so that equal keys (accumulators) keep the order the
    heap puts them in, which is libstdc++'s (torch's ready queue) as both use the same sift algorithm."""
    __slots__ = ()

    def __lt__(self, other):
        return self[0] < other[0]


_TOP = float("-inf")       # an accumulator's heap key: torch's highest priority


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
                raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
            if tuple(g.shape) != tuple(t.shape):
                from .._tensor import Size
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g.shape)!r} and output[{i}] "
                    f"has a shape of {Size(t.shape)!r}.")
            if g.dtype is not t.dtype and g.dtype.is_floating_point and t.dtype.is_floating_point:
                g = g.to(t.dtype)          # torch casts a given gradient to its output's dtype
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
    recursion, and torch's own execution order for all but the leaves'
    accumulators.  Those torch runs as soon as their dependencies are met;
    once user code may watch (``_user_code``) they are counted
    (``_leaf_dependencies``) and pushed with the top key when met.  Without
    such code the order shows only when a node fails: then the accumulators
    torch would already have run are run before the error propagates.
    """
    for i, t in enumerate(tensors):
        if not (t._requires_grad or t._grad_fn is not None or t.grad_fn is not None):
            # no edge to start from (torch's check)
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    grads = _make_root_grads(tensors, grad_tensors, create_graph)
    roots = [t._edge() for t in tensors]

    # Where to catch gradients for `inputs`: a leaf's AccumulateGrad, or (grad_fn, output_nr).
    targets = {}
    if inputs is not None:
        for k, t in enumerate(inputs):
            targets.setdefault(t._edge(), []).append(k)
            if accumulate:
                t.retain_grad()        # backward(inputs=[non-leaf]) fills its .grad this way, as torch
    # with `inputs`: the nodes that may receive a gradient, and those that run
    visit, run = _nodes_leading_to(roots, targets, accumulate) if inputs is not None else (None, None)

    buffers = {}          # node -> gradient per output, while the node waits to run
    ready = []            # heap of (-_seq, node): the newest pending node first
    leaf_deps = _leaf_dependencies(roots, visit, run) if _user_code else None
    for (node, nr), g in zip(roots, grads):
        if leaf_deps is not None and type(node) is AccumulateGrad:
            _accumulate_into(buffers, node, nr, g)
            leaf_deps[node] -= 1
            if not leaf_deps[node]:
                heapq.heappush(ready, _Ready((_TOP, node)))
            continue
        if node not in buffers:
            heapq.heappush(ready, (-node._seq, node) if leaf_deps is None else _Ready((-node._seq, node)))
        _accumulate_into(buffers, node, nr, g)
    # ids of gradient arrays that something else may hold (the caller's): copy before storing
    unowned = {id(g) for g, given in zip(grads, grad_tensors) if given is not None}

    captured = [None] * (len(inputs) if inputs is not None else 0)
    fast = not create_graph and run is None and not targets      # (then a _plain node takes the short way)
    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph      # backward formulas record a graph only under create_graph
    node = None
    try:
        while ready:
            node = heapq.heappop(ready)[1]
            node_grads = buffers.pop(node)
            if node._plain and fast:        # a built-in op's node with no hooks: the common case
                in_grads = _call_array_backward(node, node_grads[0], unowned)
            elif type(node) is AccumulateGrad:
                _run_accumulator(node, node_grads, create_graph, unowned, targets, captured,
                                 accumulate and (inputs is None or (node, 0) in targets))
                continue
            else:
                # torch: a node that will run has its tensor hooks called when it runs, after the gradients
                # for `inputs` are caught; one that will not run has them called first
                runs = run is None or node in run
                hooks = node._pre_hooks is not None or node._retained is not None
                if hooks and not runs:
                    node_grads = _run_pre_hooks(node, node_grads, create_graph, unowned)
                if targets:
                    for nr, g in enumerate(node_grads):
                        for k in targets.get((node, nr), ()):
                            captured[k] = g
                if not runs:
                    continue
                if hooks:
                    node_grads = _run_pre_hooks(node, node_grads, create_graph, unowned)
                if node._node_pre_hooks is not None:      # (only for a node that runs, as torch)
                    node_grads = _run_node_pre_hooks(node, node_grads, create_graph, unowned)
                if node._extra is not None:
                    node._check_extra()
                if node._array_level and not create_graph and node._num_outputs == 1 and node._hooks is None \
                        and node._node_pre_hooks is None:
                    in_grads = _call_array_backward(node, node_grads[0], unowned)
                else:
                    in_grads = _call_backward(node, node_grads, create_graph, unowned, visit)
            if not retain_graph:
                if node._saved:
                    node._saved = None       # free what forward saved
                if node._extra is not None:
                    node._extra = _FREED
            if leaf_deps is not None:
                _deliver_counted(node, in_grads, visit, buffers, ready, leaf_deps)
                continue
            for (child, nr), g in zip(node.next_functions, in_grads):
                if g is None or child is None or (visit is not None and child not in visit):
                    continue
                slots = buffers.get(child)
                if slots is None:
                    heapq.heappush(ready, (-child._seq, child))
                    if nr == 0 and child._num_outputs == 1:
                        buffers[child] = [g]
                        continue
                _accumulate_into(buffers, child, nr, g)
        if buffers and leaf_deps is not None:
            # accumulators still waiting on a node that never ran (it received no gradient at all, which
            # torch would still run): their gradients are complete now
            for node in [n for n in buffers if type(n) is AccumulateGrad]:
                _run_accumulator(node, buffers.pop(node), create_graph, unowned, targets, captured,
                                 accumulate and (inputs is None or (node, 0) in targets))
    except BaseException:
        if leaf_deps is None and node is not None and type(node) is not AccumulateGrad:
            _run_accumulators_torch_ran(node, roots, visit, run, buffers, create_graph, unowned, targets,
                                        captured, accumulate, inputs)
        raise
    finally:
        _grad_state.enabled = prev_mode

    return captured


def _run_accumulator(node, node_grads, create_graph, unowned, targets, captured, accumulate):
    """A leaf's AccumulateGrad: its tensor hooks, the capture for ``inputs``, then ``.grad += g``."""
    leaf = node._variable()
    if leaf is None:            # the leaf is gone: nobody can read this gradient
        return
    if leaf._grad_fn is not None:     # an in-place op gave it history after it was used
        raise RuntimeError("leaf variable has been moved into the graph interior")
    if leaf._hooks:
        node_grads = _run_pre_hooks(node, node_grads, create_graph, unowned)
    if targets:
        for k in targets.get((node, 0), ()):
            captured[k] = node_grads[0]
    if accumulate and leaf._requires_grad:
        _accumulate_leaf(leaf, node_grads[0], create_graph, id(node_grads[0]) in unowned)


def _leaf_dependencies(roots, visit, run):
    """torch's dependency count for the accumulators this backward reaches: the edges into each from the
    roots and from the nodes that run (``run``: those of a backward with ``inputs``; None: all)."""
    deps, seen, stack = {}, set(), []
    for node, _ in roots:
        if type(node) is AccumulateGrad:
            deps[node] = deps.get(node, 0) + 1
        elif node not in seen:
            seen.add(node)
            stack.append(node)
    while stack:
        node = stack.pop()
        if run is not None and node not in run:
            continue
        for child, _ in node.next_functions:
            if child is None or (visit is not None and child not in visit):
                continue
            if type(child) is AccumulateGrad:
                deps[child] = deps.get(child, 0) + 1
            elif child not in seen:
                seen.add(child)
                stack.append(child)
    return deps


def _deliver_counted(node, in_grads, visit, buffers, ready, leaf_deps):
    """Hand a node's input gradients on, counting accumulators' dependencies (an edge counts even without
    a gradient, as in torch); an accumulator whose count is met is pushed with the top key."""
    for (child, nr), g in zip(node.next_functions, in_grads):
        if child is None or (visit is not None and child not in visit):
            continue
        if type(child) is AccumulateGrad:
            if g is not None:
                _accumulate_into(buffers, child, nr, g)
            leaf_deps[child] -= 1
            if not leaf_deps[child] and child in buffers:
                heapq.heappush(ready, _Ready((_TOP, child)))
            continue
        if g is None:
            continue
        if child not in buffers:
            heapq.heappush(ready, _Ready((-child._seq, child)))
        _accumulate_into(buffers, child, nr, g)


def _run_accumulators_torch_ran(failed, roots, visit, run, buffers, create_graph, unowned, targets, captured,
                                accumulate, inputs):
    """``failed`` raised in a backward that did not count dependencies: run the waiting accumulators whose
    gradients were all in by then (every node feeding them is newer than ``failed``), as torch has."""
    if not buffers:
        return
    waiting = {}
    seen, stack = {n for n, _ in roots}, [n for n, _ in roots]
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad or (run is not None and node not in run):
            continue
        for child, _ in node.next_functions:
            if child is None or (visit is not None and child not in visit):
                continue
            if type(child) is AccumulateGrad and node._seq <= failed._seq:
                waiting[child] = True          # a gradient still to come when torch failed
            if child not in seen:
                seen.add(child)
                stack.append(child)
    for node in [n for n in buffers if type(n) is AccumulateGrad and n not in waiting]:
        _run_accumulator(node, buffers.pop(node), create_graph, unowned, targets, captured,
                         accumulate and (inputs is None or (node, 0) in targets))


def _nodes_leading_to(roots, targets, accumulate):
    """The nodes a backward with ``inputs`` visits: those from which some target can be reached.  A target's
    gradient is caught on its way into the target's node; autograd.grad does not run that node unless
    another target lies below it, backward(inputs=) runs it (as torch does) but nothing below it."""
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
        if any(c in needed or c in target_nodes for c, _ in node.next_functions if c is not None):
            needed.add(node)
    return needed | target_nodes, (needed | target_nodes) if accumulate else needed


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
            g = grads[nr]            # None for an output of a multi-output node that got no gradient
            if g is not None and not isinstance(g, Tensor):
                g = Tensor._make(g)
            new = hook(g)
            if new is not None:
                _check_hook_result(hook, g, new)
                grads[nr] = new if create_graph else new._data
            if grads[nr] is not None:
                unowned.add(id(grads[nr]))      # the hook saw it and may keep it
    for nr, ref in (node._retained or {}).items():
        t = ref()
        if t is not None and grads[nr] is not None:
            _retain(t, grads[nr])
    return grads


def _retain(t, g):
    """retain_grad's hook: a copy of the first gradient, then out-of-place sums (torch's; a leaf's .grad
    is updated in place instead)."""
    with _leaf_lock:
        if isinstance(g, Tensor):
            t._grad = g.clone() if t._grad is None else t._grad + g
        else:
            t._grad = Tensor._make(_copy(g)) if t._grad is None else Tensor._make(t._grad._data + g)


def _run_node_pre_hooks(node, grads, create_graph, unowned):
    """Hooks from ``grad_fn.register_prehook``: fn(grad_outputs) -> new grad_outputs or None."""
    for hook in list(node._node_pre_hooks.values()):
        given = tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in grads)
        new = hook(given)
        if new is not None:
            grads = _replace_grads(hook, given, new, create_graph, unowned)
    return grads


def _replace_grads(hook, given, new, create_graph, unowned):
    """A node hook's returned tuple, checked as torch checks it."""
    if not isinstance(new, (tuple, list)):
        raise TypeError(f"expected tuple, but hook returned '{type(new).__name__}'")
    if len(new) != len(given):
        raise RuntimeError(f"hook '{_hook_name(hook)}' has returned an incorrect number of values (got {len(new)}, "
                           f"but expected {len(given)})")
    out = []
    for old, g in zip(given, new):
        if g is not None:
            _check_hook_result(hook, old, g)
            g = g if create_graph else g._data
            unowned.add(id(g))
        out.append(g)
    return out


def _hook_name(hook):
    return getattr(hook, "__name__", type(hook).__name__)


def _check_hook_result(hook, old, new):
    """torch refuses a hook result of another type, dtype or size than the gradient it was given."""
    if old is None:
        raise RuntimeError("can't replace a None gradient with a non-None value")
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    if new.dtype is not old.dtype or new.device != old.device:
        from .._tensor import legacy_type_name
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the type of value (was "
                           f"{legacy_type_name(old.dtype.name, old.device)} got "
                           f"{legacy_type_name(new.dtype.name, new.device)})")
    if tuple(new.shape) != tuple(old.shape):
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")


def _call_backward(node, grads, create_graph, unowned, visit=None):
    """Call one node's backward and bring the results to its inputs' shapes.  ``visit``: the nodes a backward
    with ``inputs`` visits; as torch, the gradients for other inputs are not computed (hooks see None), except
    that a list argument (cat's) is computed whole when one of its elements is wanted."""
    tensor_level = not node._array_level
    node._tensor_mode = create_graph or tensor_level
    given = grads                # what hooks see: torch materializes missing gradients inside the node
    if node.materialize_grads and node._num_outputs > 1 and any(g is None for g in grads):
        grads = [_zeros_for(node, nr, create_graph) if g is None else g for nr, g in enumerate(grads)]
    if tensor_level and not create_graph:
        grads = [g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in grads]
    result = _backward_of(node, grads)
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
    every = node._fn.list_inputs
    for shape, g in zip(node._in_shapes, result):
        if g is None or (shape is None and not every):
            out.append(None)
            continue
        if isinstance(g, Tensor):
            if not create_graph:
                g = g._data
        elif create_graph:
            g = Tensor._make(g)
        if shape is not None and g.shape != shape:
            g = _to_input_shape(node, g, shape)
        elif not create_graph and _passed_on(g, grads, out):
            unowned.add(id(g))     # passed through: others hold the same array
        out.append(g)
    if visit is not None and not (every and any(child in visit for child, _ in node.next_functions)):
        out = [g if child in visit else None for (child, _), g in zip(node.next_functions, out)]
    if node._hooks:
        for hook in list(node._hooks.values()):
            ins = tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in out)
            new = hook(ins, tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in given))
            if new is not None:
                out = _replace_grads(hook, ins, new, create_graph, unowned)
    if _anomaly._state.enabled and _anomaly._state.check_nan:
        _anomaly.check_nan(node, out)
    return out


def _call_array_backward(node, g, unowned):
    """The common case of ``_call_backward``: a built-in op, one output, arrays, no hooks."""
    node._tensor_mode = False
    try:
        result = node._fn.backward(node, g)
    except ValueError as e:
        _broadcast_error(e)
        raise
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
        elif r is g:
            unowned.add(id(r))     # passed through: others hold the same array
        else:
            for other in out:
                if other is r:     # returned for two inputs
                    unowned.add(id(r))
                    break
        out.append(r)
    if _anomaly._state.enabled and _anomaly._state.check_nan:
        _anomaly.check_nan(node, out)
    return out


def _backward_of(node, grads):
    try:
        return node._fn.backward(node, *grads)
    except ValueError as e:
        _broadcast_error(e)
        raise


def _broadcast_error(e):
    """A broadcast that fails inside a backward formula (the data of a saved tensor was replaced by
    ``.data =`` with another shape) gets torch's error, not NumPy's."""
    shapes = re.findall(r"\(([0-9, ]*)\)", str(e)) if "could not be broadcast" in str(e) else None
    if shapes:
        from .._tensor import _broadcast_shapes
        _broadcast_shapes(*[tuple(int(n) for n in s.replace(" ", "").split(",") if n) for s in shapes])


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


_leaf_lock = threading.Lock()      # backward calls from several threads may meet at one leaf


def _accumulate_leaf(t, g, create_graph, shared=True):
    """Add ``g`` into ``t.grad``: in place on the existing object, as torch does, unless a graph is wanted.

    A first gradient is stored as is when nothing else holds it (``shared`` False: no other slot of the
    engine has it; ``can_keep``: it owns its memory, or is the only view of memory nobody else holds),
    and copied otherwise, so that no two ``.grad`` tensors alias one another."""
    with _leaf_lock:         # one backward per thread may meet another at this leaf
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
        elif create_graph or old._requires_grad or old._grad_fn is not None or old.requires_grad:
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
