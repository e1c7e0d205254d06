"""Tensor: an array, its gradient, and the node that made it.

A Tensor holds a backend array (``_data``: NumPy, CuPy or array-api-strict)
plus autograd state: ``requires_grad`` (leaves), ``grad_fn`` (the recorded
op that produced it, None for leaves), ``grad`` and a version counter that
in-place ops bump so that backward can tell when a saved value was changed.

Methods normalise their arguments the way torch does (dims, dtypes,
promotion) and then call one op from ``_ops.py``.
"""
from __future__ import annotations

import math
import numbers
import operator
import sys
import warnings
import weakref

import numpy as np

from . import _backend, _dtype, _ops, _views
from .autograd import engine, function
from .autograd.function import AccumulateGrad, RemovableHandle, _Version
from .autograd.grad_mode import _state as _grad_state, is_grad_enabled, no_grad

_SCALAR_TYPES = (int, float, bool, np.number, np.bool_)
_DTYPE_OF = {}      # NumPy (and CuPy) dtype -> minigrad dtype: Tensor.dtype is on every op's path
_ndarray = np.ndarray
_new = object.__new__

_LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
                 "uint8": "ByteTensor", "bool": "BoolTensor"}
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


_NO_DIM = object()     # "no dim given", where None itself is not accepted
_CPP_INT = {"int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t",
            "bool": "bool"}
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _duplicate_dim(t, dim):
    """torch wraps and checks the dims one by one: the first repeat is reported, or an earlier bad dim."""
    seen = set()
    for d in dim:
        d = t._dim(d)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)


def _dim_list(dim):
    """A ``dim`` argument (None, an int or a sequence) as a tuple of the dims it names, unwrapped."""
    return () if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)


def _no_reduction_dim(name):
    return RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                        "Specify the reduction dim with the 'dim' argument.")


def _broadcast_shapes(*shapes):
    """The broadcast shape, with torch's error (NumPy's ValueError must not reach the user)."""
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for s in shapes:                      # pairwise, trailing dimension first, as torch's infer_size
        for i in range(len(s) - 1, -1, -1):
            n, d = s[i], ndim - len(s) + i
            if n != 1 and out[d] != 1 and n != out[d]:
                raise RuntimeError(f"The size of tensor a ({out[d]}) must match the size of tensor b ({n}) at "
                                   f"non-singleton dimension {d}")
            if n != 1:
                out[d] = n
    return tuple(out)


def legacy_type_name(dtype_name, dev) -> str:
    """``torch.FloatTensor`` style names (``x.type()``), with minigrad's module name."""
    cuda = ".cuda" if dev.type == "cuda" else ""
    return f"minigrad{cuda}.{_LEGACY_NAMES[dtype_name]}"


class Size(tuple):
    """A shape: a tuple that prints like ``torch.Size``."""

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        return math.prod(self)

    def __getitem__(self, i):
        r = super().__getitem__(i)
        return Size(r) if isinstance(i, slice) else r


def _requires_grad_leaf_error(value):
    if value:
        return "you can only change requires_grad flags of leaf variables."
    return ("you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
            "in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")


def _check_float_for_grad(dt, constructor=False):
    if not dt.is_floating_point:
        if constructor:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        raise RuntimeError("only Tensors of floating point dtype can require gradients")


class Tensor:
    # Set on every tensor: slots.  Rarely set: class-level defaults, overridden per instance.
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_vcounter",
                 "__weakref__", "__dict__")
    _retains_grad = False
    _node_hooks = None       # the hook dict register_hook attached to this non-leaf's grad_fn
    _hooks = None            # leaf tensor hooks {key: fn}
    _post_acc_hooks = None
    _grad_acc = None         # this leaf's AccumulateGrad node (which refers back only weakly)
    _base = None             # the tensor whose memory this view shares (never itself a view): see _views.py
    _view_info = None            # how the view was made from _base (_views.ViewInfo)
    _attr_version = 0        # a view's version when its grad_fn was last set

    # NumPy defers to Tensor's reflected operators (ndarray * Tensor -> Tensor.__rmul__)
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None):
        """Legacy constructor: ``Tensor(2, 3)`` (uninitialised float32) or ``Tensor([1, 2])`` (data)."""
        dev = _backend.as_device(device)
        name = (dtype or _dtype.get_default_dtype()).name
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]._data if isinstance(args[0], Tensor) else _backend.asarray(args[0], dev, name)
        else:
            data = _backend.namespace_for(dev).zeros(tuple(args), dtype=_backend.backend_dtype(
                _backend.namespace_for(dev), name))
        self._init(data)

    def _init(self, data, grad_fn=None, output_nr=0, version=None):
        self._data = data
        self._requires_grad = False
        self._grad_fn = grad_fn
        self._output_nr = output_nr
        self._grad = None
        self._vcounter = version

    @classmethod
    def _make(cls, data, grad_fn=None, output_nr=0, version=None):
        """Wrap a backend array without copying (the hot path: no argument parsing)."""
        if type(data) is not _ndarray and isinstance(data, np.generic):
            data = np.asarray(data)          # NumPy reductions return scalars; keep 0-d arrays
        t = _new(cls)
        t._data = data
        t._requires_grad = False
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._grad = None
        t._vcounter = version
        return t

    # ============================================================ attributes ==
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    @property
    def dtype(self) -> _dtype.dtype:
        dt = self._data.dtype
        if not isinstance(dt, np.dtype):     # another library's dtype must never meet NumPy's in one dict
            return _dtype.from_name(_backend.dtype_name(dt))
        try:
            return _DTYPE_OF[dt]
        except KeyError:        # first sight of this NumPy dtype
            out = _DTYPE_OF[dt] = _dtype.from_name(_backend.dtype_name(dt))
            return out

    @property
    def device(self):
        return _backend.device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return len(self._data.shape)

    def dim(self) -> int:
        return len(self._data.shape)

    ndimension = dim

    def numel(self) -> int:
        return math.prod(self._data.shape)

    nelement = numel

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def grad_fn(self):
        """The node that made this tensor (None for a leaf).  A view's is regenerated from its base's
        history after an in-place write to their memory (``_views.view_grad_fn``)."""
        if self._base is None or self._attr_version == self._vcounter.value:
            return self._grad_fn
        return _views.view_grad_fn(self)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        if self._requires_grad or self._grad_fn is not None:
            return True
        base = self._base            # a view requires grad when its base does, as in torch
        return base is not None and base.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self._grad_fn is not None:          # (torch reads the node as it is: no view regeneration here)
            raise RuntimeError(_requires_grad_leaf_error(value))
        if value:
            _check_float_for_grad(self.dtype)
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if self._grad_fn is not None and requires_grad:
            return self                        # torch: asking a non-leaf to require grad is a no-op
        self.requires_grad = requires_grad
        return self

    @property
    def _version_counter(self) -> _Version:
        """Shared with views and detached aliases; created when first needed (most tensors never are)."""
        counter = self._vcounter
        if counter is None:
            counter = self._vcounter = _Version()
        return counter

    @_version_counter.setter
    def _version_counter(self, counter):
        self._vcounter = counter

    @property
    def _version(self) -> int:
        return self._version_counter.value

    @property
    def output_nr(self) -> int:
        return self._output_nr if self.grad_fn is not None else 0

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
                "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
                "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of {type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value.dtype.name]}' to a tensor with "
                    f"grad_dtype '{_SCALAR_NAMES[self.dtype.name]}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific "
                    "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a "
                    "tensor and its gradient may break downstream systems that assume they match.")
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of size "
                    f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self) -> "Tensor":
        """The same memory, detached from autograd (and, as in torch, with its own version counter)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self.requires_grad and not value.dtype.is_floating_point:
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
        self._data = value._data         # nodes that saved this tensor see the new data in backward, as torch's

    @property
    def T(self):
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    @property
    def layout(self):
        return "strided"

    def _edge(self):
        """This tensor's place in the graph: (its grad_fn, output_nr), or its leaf accumulator."""
        fn = self._grad_fn if self._base is None else self.grad_fn
        if fn is not None:
            return fn, self._output_nr
        acc = self._grad_acc
        if acc is None:
            acc = self._grad_acc = AccumulateGrad(self)
        return acc, 0

    # ================================================== conversion to Python ==
    def item(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        return _backend.to_numpy(self._data).reshape(()).item()

    def tolist(self):
        return _backend.to_numpy(self._data).tolist()

    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self.device.type == "cuda" and not force:
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
                            "tensor to host memory first.")
        return _backend.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'more than one value' if n else 'no values'} is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def _to_python(self, convert):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return convert(self.item())

    def __int__(self):
        return self._to_python(int)

    def __float__(self):
        return self._to_python(float)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("minigrad tensors are not picklable: use minigrad.save, which never pickles")

    def __deepcopy__(self, memo):
        t = Tensor._make(_copy(self._data))
        t._requires_grad = self.requires_grad if self.is_leaf else False
        if self._grad is not None:
            t._grad = Tensor._make(_copy(self._grad._data))
        return t

    def type(self, dtype=None):
        if dtype is None:
            return legacy_type_name(self.dtype.name, self.device)
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            dtype = next(_dtype.from_name(k) for k, v in _LEGACY_NAMES.items() if v == name)
        return self.to(dtype)

    # ============================================= dtype and device changes ==
    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, dev = a.dtype, a.device
            elif a is not None:
                dev = a
        out = self
        if dev is not None and _backend.as_device(dev) != self.device:
            out = _ToDevice.apply(out, device=_backend.as_device(dev))
        if dtype is not None and dtype is not out.dtype:
            out = _cast(out, dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool_)

    def byte(self):
        return self.to(_dtype.uint8)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else _backend.as_device(device))

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def detach(self):
        """Same memory and version counter, no history (torch's semantics)."""
        t = Tensor._make(self._data, version=self._version_counter)
        return t

    def detach_(self):
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self._grad_fn, self._requires_grad, self._output_nr = None, False, 0
        return self

    def clone(self, memory_format=None):
        return _ops.Clone.apply(self)

    def contiguous(self, memory_format=None):
        return self if self.is_contiguous() else _ops.Contiguous.apply(self)

    def is_contiguous(self, memory_format=None):
        """torch's rule: row-major, whatever the strides of size-1 dims; an empty tensor always is."""
        return _backend.is_contiguous(self._data)

    def stride(self, dim=None):
        """The strides in elements, as torch lays the tensor out (a tuple; one int for ``dim``)."""
        data = self._data
        if not _backend.has_strides(data):
            raise RuntimeError(f"Tensors on the '{self.device.type}' device do not have strides: array_api_strict "
                               "arrays expose no memory layout")
        st = _backend.strides(data)
        if dim is None:
            return st
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"stride(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
        if not st:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return st[self._dim(dim)]

    def retain_grad(self):
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:     # (torch's is_leaf check reads the raw node)
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        node._plain = False
        self._retains_grad = True

    def register_hook(self, hook):
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        engine.user_code_may_run()
        # As torch: the first hook on a non-leaf attaches a dict of hooks to its grad_fn, and later hooks join
        # that dict without reading grad_fn again (so a view whose base changed since keeps its old node);
        # an in-place op on the tensor itself starts a new dict (_views.rebase_history).
        hooks = self._node_hooks
        if hooks is None:
            fn = self.grad_fn
            if fn is not None:
                hooks = self._node_hooks = fn._tensor_hooks(self._output_nr)
            else:
                if self._hooks is None:
                    self._hooks = {}
                hooks = self._hooks
        key = object()
        hooks[key] = hook
        return RemovableHandle(hooks, key)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``autograd.backward``)."""
        if create_graph or inputs is not None or not (gradient is None or isinstance(gradient, Tensor)):
            from .autograd import backward
            backward(self, gradient, retain_graph, create_graph, inputs=inputs)
        else:   # the common case, without autograd.backward's argument juggling
            engine.run_backward((self,), (gradient,), bool(retain_graph), False)

    # ================================================================ dims ==
    def _dim(self, dim, ndim=None):
        ndim = self.ndim if ndim is None else ndim
        lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim % ndim if ndim else 0

    def _dims(self, dim, one_by_one=False):
        """``dim`` as wrapped dims (None: all).  torch's reductions range-check every dim before looking for
        repeats; var/std check them ``one_by_one`` (a repeat before a bad dim is reported instead)."""
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):     # torch: an empty dim list is all dims
            return None
        if isinstance(dim, (tuple, list)):
            if one_by_one:
                _duplicate_dim(self, dim)
            dims = tuple(self._dim(d) for d in dim)
            if len(set(dims)) != len(dims):
                _duplicate_dim(self, dim)
            return dims
        return self._dim(dim)

    # ========================================================== arithmetic ==
    def _binary(self, op, other, reflected=False):
        other_is_tensor = isinstance(other, Tensor)
        if not other_is_tensor:
            if not isinstance(other, _SCALAR_TYPES):
                if isinstance(other, np.ndarray):
                    other = Tensor._make(_backend.asarray(other, self.device))
                    other_is_tensor = True
                else:
                    return NotImplemented
            else:
                other = other.item() if isinstance(other, (np.number, np.bool_)) else other
        if other_is_tensor and self._data.shape != other._data.shape:
            _broadcast_shapes(self._data.shape, other._data.shape)     # torch's error, not NumPy's
        a, b = _promote(self, other, other_is_tensor)
        return op.apply(b, a) if reflected else op.apply(a, b)

    def __add__(self, other):
        return self._binary(_ops.Add, other)

    def __radd__(self, other):       # torch: self.add(other), the tensor as the node's first input
        return self._binary(_ops.Add, other)

    def _check_bool_sub(self, other):
        mine = self.dtype is _dtype.bool_
        theirs = (other.dtype is _dtype.bool_) if isinstance(other, Tensor) else isinstance(other, (bool, np.bool_))
        if mine and theirs:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if mine or theirs:
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")

    def __sub__(self, other):
        self._check_bool_sub(other)
        return self._binary(_ops.Sub, other)

    def __rsub__(self, other):
        self._check_bool_sub(other)
        if isinstance(other, _SCALAR_TYPES):
            a, c = _promote(self, other, False)
            return _ops.Rsub.apply(a, c=c)
        return self._binary(_ops.Sub, other, reflected=True)

    def __mul__(self, other):
        return self._binary(_ops.Mul, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return _divide(self, other)

    def __rtruediv__(self, other):
        if isinstance(other, _SCALAR_TYPES):       # torch: c / a = reciprocal(a) * c
            return _float_for_div(self).reciprocal() * other
        return _divide(other, self)

    def __floordiv__(self, other):
        return _no_grad_binary(self, other, lambda xp, a, b: xp.floor_divide(a, _int_divisor(xp, a, b, "div_floor")))

    def __mod__(self, other):
        return _no_grad_binary(self, other, lambda xp, a, b: xp.remainder(a, _int_divisor(xp, a, b, "remainder")))

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            _broadcast_shapes(self._data.shape, exponent._data.shape)
            a, b = _promote(self, exponent, True)
            if not a.dtype.is_floating_point:
                if a.dtype is _dtype.bool_:
                    raise NotImplementedError('"pow" not implemented for \'Bool\'')
                if bool((b < 0).any()):
                    # torch's integer pow: 1 ** -n = 1, (-1) ** -n = +-1, anything else ** -n = 0
                    neg = b < 0
                    safe = Tensor._make(_backend.array_namespace(b._data).where(neg._data, 0, b._data))
                    small = where(a == 1, 1, where(a == -1, 1 - 2 * (b % 2), 0)).to(a.dtype)
                    return where(neg, small, _ops.Pow.apply(a, safe))
            return _ops.Pow.apply(a, b)
        if not isinstance(exponent, _SCALAR_TYPES):
            return NotImplemented
        a, _ = _promote(self, exponent, False)
        if not a.dtype.is_floating_point:
            if a.dtype is _dtype.bool_:          # bool ** bool stays bool: a ** True = a, a ** False = True
                return self | (not exponent)
            if exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        return _ops.PowScalar.apply(a, exponent=exponent)

    def __rpow__(self, base):
        if not isinstance(base, _SCALAR_TYPES):
            return NotImplemented
        a, _ = _promote(self, base, False)
        if a.dtype is _dtype.bool_:
            raise NotImplementedError('"pow" not implemented for \'Bool\'')
        return _ops.RPow.apply(a, base=base)

    def __neg__(self):
        if self.dtype is _dtype.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                               "to invert a mask, use the `~` or `logical_not()` operator instead.")
        return _ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def _matmul_operator(self, a, b, other):
        try:
            return matmul(a, b)
        except TypeError:     # tensor @ 2: Python's own TypeError, as torch (matmul() names its argument)
            if isinstance(other, (Tensor, np.ndarray)):
                raise
            return NotImplemented

    def __matmul__(self, other):
        return self._matmul_operator(self, other, other)

    def __rmatmul__(self, other):
        return self._matmul_operator(other, self, other)

    def _check_alpha(self, other, alpha):
        """torch's checks of ``alpha`` against the result dtype, which is returned."""
        dt = _dtype.result_type(self, other)
        if isinstance(alpha, (bool, np.bool_)):
            if dt is not _dtype.bool_:
                raise RuntimeError("Boolean alpha only supported for Boolean results.")
        elif isinstance(alpha, float) and not dt.is_floating_point:
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        return dt

    def add(self, other, alpha=1):
        if not (type(alpha) is int and alpha == 1):
            if self._check_alpha(other, alpha) is _dtype.bool_:       # bool + alpha * bool stays bool
                return self | (other & bool(alpha))
            if isinstance(other, Tensor):       # one AddBackward0 node that keeps alpha, as torch's
                return self._binary_alpha(_ops.Add, other, alpha)
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        if not (type(alpha) is int and alpha == 1):
            self._check_bool_sub(other)          # before alpha's checks, as torch (other * alpha hides a bool)
            self._check_alpha(other, alpha)
            if isinstance(other, Tensor):
                return self._binary_alpha(_ops.Sub, other, alpha)
        return self - (other * alpha if alpha != 1 else other)

    def _binary_alpha(self, op, other, alpha):
        if self._data.shape != other._data.shape:
            _broadcast_shapes(self._data.shape, other._data.shape)
        a, b = _promote(self, other, True)
        return op.apply(a, b, alpha=alpha)

    def mul(self, other):
        return self * other

    def div(self, other, rounding_mode=None):
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            dt = _dtype.result_type(self, other)
            if not dt.is_floating_point:     # integers stay integers
                if dt is _dtype.bool_:
                    raise NotImplementedError('"div_trunc_cpu" not implemented for \'Bool\'')
                a = self if self.dtype is dt else _cast(self, dt)
                q = a // other
                r = a - q * other
                return q + ((r != 0) & ((a < 0) != (other < 0))).to(q.dtype)
            return _no_grad_binary(self, other, lambda xp, a, b: xp.trunc(a / b))
        if rounding_mode is not None:
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                               f"'{rounding_mode}'")
        return self / other

    multiply, subtract, divide, true_divide = mul, sub, div, div

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    negative = neg

    def reciprocal(self):
        return _ops.Reciprocal.apply(_float_for_div(self))

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        return mm(self, other)

    def bmm(self, other):
        return bmm(self, other)

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        return matmul(self, other)

    # ========================================================= comparisons ==
    def _compare(self, other, fn):
        return _no_grad_binary(self, other, fn)

    def __eq__(self, other):
        if not isinstance(other, (Tensor, *_SCALAR_TYPES, np.ndarray)):
            return NotImplemented
        return self._compare(other, lambda xp, a, b: xp.equal(a, b))

    def __ne__(self, other):
        if not isinstance(other, (Tensor, *_SCALAR_TYPES, np.ndarray)):
            return NotImplemented
        return self._compare(other, lambda xp, a, b: xp.not_equal(a, b))

    def __lt__(self, other):
        return self._compare(other, lambda xp, a, b: xp.less(a, b))

    def __le__(self, other):
        return self._compare(other, lambda xp, a, b: xp.less_equal(a, b))

    def __gt__(self, other):
        return self._compare(other, lambda xp, a, b: xp.greater(a, b))

    def __ge__(self, other):
        return self._compare(other, lambda xp, a, b: xp.greater_equal(a, b))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __and__(self, other):
        return self._compare(other, lambda xp, a, b: xp.logical_and(a, b) if _is_bool(a) else xp.bitwise_and(a, b))

    def __or__(self, other):
        return self._compare(other, lambda xp, a, b: xp.logical_or(a, b) if _is_bool(a) else xp.bitwise_or(a, b))

    def __xor__(self, other):
        return self._compare(other, lambda xp, a, b: xp.logical_xor(a, b) if _is_bool(a) else xp.bitwise_xor(a, b))

    def __invert__(self):
        xp = _backend.array_namespace(self._data)
        return Tensor._make(xp.logical_not(self._data) if _is_bool(self._data) else xp.bitwise_invert(self._data))

    def logical_not(self):
        return Tensor._make(_backend.array_namespace(self._data).logical_not(self._data))

    def equal(self, other):
        return self.shape == other.shape and bool((self == other).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """isclose(...).all(), as torch's."""
        return bool(self.isclose(other, rtol, atol, equal_nan, _fn="allclose").all())

    def isnan(self):
        return Tensor._make(_backend.array_namespace(self._data).isnan(self._data))

    def isinf(self):
        return Tensor._make(_backend.array_namespace(self._data).isinf(self._data))

    def isfinite(self):
        return Tensor._make(_backend.array_namespace(self._data).isfinite(self._data))

    def _all_any(self, name, dim, keepdim):
        xp = _backend.array_namespace(self._data)
        if isinstance(dim, (tuple, list)) and not dim:     # unlike sum's, all/any's empty dim list reduces nothing
            axes = ()
        else:
            axes = self._dims(dim)
            if axes is not None and not self.ndim:         # a 0-d tensor takes dim 0 / -1: nothing to reduce
                axes = ()
        return Tensor._make(getattr(xp, name)(self._data, axis=axes, keepdims=keepdim))

    def all(self, dim=None, keepdim=False):
        return self._all_any("all", dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return self._all_any("any", dim, keepdim)

    # ================================================================ unary ==
    def exp(self):
        return _ops.Exp.apply(_float_for_div(self))

    def log(self):
        return _ops.Log.apply(_float_for_div(self))

    def sqrt(self):
        return _ops.Sqrt.apply(_float_for_div(self))

    def rsqrt(self):
        return self.sqrt().reciprocal()

    def _no_bool(self, kernel):
        if self.dtype is _dtype.bool_:
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')

    def abs(self):
        self._no_bool("abs_cpu")
        return _ops.Abs.apply(self)

    absolute = abs

    def sigmoid(self):
        return _ops.Sigmoid.apply(_float_for_div(self))

    def tanh(self):
        return _ops.Tanh.apply(_float_for_div(self))

    def relu(self):
        if self.dtype is _dtype.bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        return _ops.Relu.apply(self)

    def square(self):
        if self.dtype is _dtype.bool_:          # torch: bool ** 2 is int64
            return self.long() * self.long()
        return self ** 2                        # torch's square is pow(x, 2): one node, PowBackward0

    def sign(self):
        if self.dtype is _dtype.bool_:
            return self.clone()
        return _ops.Sign.apply(self)

    def floor(self):
        self._no_bool("floor_vml_cpu")
        return _ops.Floor.apply(self)

    def ceil(self):
        self._no_bool("ceil_vml_cpu")
        return _ops.Ceil.apply(self)

    def round(self):
        self._no_bool("round_vml_cpu")
        return _ops.Round.apply(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            if all(b is None or isinstance(b, Tensor) for b in (min, max)):
                return self._clamp_tensors(min, max)
            t, n = (min, max) if isinstance(min, Tensor) else (max, min)
            if t.ndim or not isinstance(n, _SCALAR_TYPES):
                raise TypeError(f"clamp() received an invalid combination of arguments - got "
                                f"(min={type(min).__name__}, max={type(max).__name__})")
            # a 0-d tensor with a number: torch's parser picks the (Number min, Number max) overload
            min, max = (b.item() if isinstance(b, Tensor) else b for b in (min, max))
        elif (min is not None and not isinstance(min, _SCALAR_TYPES)) or \
                (max is not None and not isinstance(max, _SCALAR_TYPES)):
            raise TypeError(f"clamp() received an invalid combination of arguments - got "
                            f"(min={type(min).__name__}, max={type(max).__name__})")
        a = self
        for bound in (min, max):        # int input with a float bound becomes the default float dtype
            if bound is not None:
                a, _ = _promote(a, bound, False)
        if a.dtype is _dtype.bool_:
            kernel = "clamp" if min is not None and max is not None else "clamp_min" if max is None else "clamp_max"
            raise NotImplementedError(f'"{kernel}_scalar_cpu" not implemented for \'Bool\'')
        return _ops.Clamp.apply(a, min=min, max=max)

    def _clamp_tensors(self, min, max):
        bounds = [b for b in (min, max) if b is not None]
        dt = _dtype.result_type(self, *bounds)
        if dt is _dtype.bool_ and len(bounds) == 2:       # (clamp_min / clamp_max alone accept bool)
            raise NotImplementedError('"clamp_cpu" not implemented for \'Bool\'')
        _broadcast_shapes(self._data.shape, *(b._data.shape for b in bounds))
        out, min, max = (None if t is None else t if t.dtype is dt else _cast(t, dt) for t in (self, min, max))
        # where(), not maximum/minimum: torch's gradient goes wholly to the input when it equals a bound;
        # a NaN bound gives NaN, as torch
        nan = dt.is_floating_point
        if min is not None:
            out = where((out < min) | (min != min) if nan else out < min, min, out)
        if max is not None:
            out = where((out > max) | (max != max) if nan else out > max, max, out)
        return out

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    # =========================================================== reductions ==
    def _check_grad_dtype(self, dtype):
        """sum/prod(dtype=...): a tensor that requires grad cannot be reduced into a non-float dtype."""
        if not dtype.is_floating_point and self.requires_grad and is_grad_enabled():
            raise RuntimeError(f"Autograd not support dtype: {_SCALAR_NAMES[dtype.name]}")

    def sum(self, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            self._dims(dim)                       # torch checks the dims first
            self._check_grad_dtype(dtype)
        src = self if dtype is None else self.to(dtype)
        if dtype is None and not _backend.is_floating(self._data.dtype):
            src = src.to(_dtype.int64)         # torch sums integers (and bools) as int64
        dims = src._dims(dim)
        if dims is None:
            out = _ops.SumAll.apply(src)
            return out.reshape((1,) * self.ndim) if keepdim else out
        return _ops.Sum.apply(src, dim=dims, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        src = self if dtype is None else self.to(dtype)
        if not src.dtype.is_floating_point:
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                f"dtype. Got: {_SCALAR_NAMES[src.dtype.name]}")
        if src._dims(dim) is None:
            out = _ops.MeanAll.apply(src)
            return out.reshape((1,) * self.ndim) if keepdim else out
        return _ops.Mean.apply(src, dim=src._dims(dim), keepdim=keepdim)

    def prod(self, dim=_NO_DIM, keepdim=False, dtype=None):
        if dim is None or isinstance(dim, (tuple, list)):     # torch's prod takes one int dim, not None
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        dim = None if dim is _NO_DIM else dim
        if dtype is not None:
            if dim is not None:
                self._dim(dim)                    # torch checks the dim first
            self._check_grad_dtype(dtype)
        src = self if dtype is None else self.to(dtype)
        if not src.dtype.is_floating_point and dtype is None:
            src = src.to(_dtype.int64)         # as sum: integers multiply as int64
        if dim is None:
            return _ops.ProdAll.apply(src)
        return _ops.Prod.apply(src, dim=src._dim(dim), keepdim=keepdim)

    def _correction(self, unbiased, correction):
        if correction is not None:
            return correction
        return 1 if unbiased is None or unbiased else 0

    def _check_float(self, what):
        if not self.dtype.is_floating_point:
            if what == "norm":
                raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                                   f"Got {_SCALAR_NAMES[self.dtype.name]}")
            raise RuntimeError("std and var only support floating point and complex dtypes")

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        self._check_float("var")
        if isinstance(dim, bool):      # torch's var(unbiased) overload
            dim, unbiased = None, dim
        return _ops.Var.apply(self, dim=self._dims(dim, one_by_one=True), correction=self._correction(unbiased, correction),
                              keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        self._check_float("std")
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return _ops.Std.apply(self, dim=self._dims(dim, one_by_one=True), correction=self._correction(unbiased, correction),
                              keepdim=keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:     # torch hands these to matrix_norm
            if self.ndim < 2:
                raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
            if not self.dtype.is_floating_point:
                raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                                   f"Got {_SCALAR_NAMES[self.dtype.name]}")
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        self._check_float("norm")
        if isinstance(dim, (tuple, list)):
            self._dims(dim, one_by_one=True)      # vector_norm's check order (the paths below use the default)
        if not self.numel() and not isinstance(p, str) and (p < 0 or p == math.inf):   # no identity
            dims = _dim_list(dim)
            if not dims:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor because "
                                   "the operation does not have an identity")
            for d in dims:          # torch wraps and checks them one by one, before looking for repeats
                if self.shape[self._dim(d)] == 0:
                    raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the dimension {d}"
                                       "because this dimension is empty and the operation does not have an identity")
        if p in (math.inf, -math.inf):          # max / min of |x| (the power formula would give x^0 = 1)
            a = self.abs()
            return (a.amax if p > 0 else a.amin)(() if dim is None else dim, keepdim=keepdim)
        if p == 0:                               # the number of non-zeros (a zero gradient, as torch)
            return _ops.NormZero.apply(self, dim=self._dims(dim), keepdim=keepdim)
        if p not in ("fro", 2, 2.0):
            return (self.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)
        return _ops.Norm.apply(self, dim=self._dims(dim), keepdim=keepdim)

    def _max_min(self, dim, keepdim, full_op, dim_op, other_fn):
        if isinstance(dim, Tensor):      # torch.max(a, b) is maximum
            return other_fn(self, dim)
        name = "max" if full_op is _ops.MaxAll else "min"
        if dim is None:
            if self.numel() == 0:
                raise _no_reduction_dim(name)
            return full_op.apply(self)
        d = self._dim(dim)
        if self.ndim and self.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        values, indices = dim_op.apply(self, dim=d, keepdim=keepdim)
        return _ValuesIndices(values, indices)

    def max(self, dim=None, keepdim=False):
        return self._max_min(dim, keepdim, _ops.MaxAll, _ops.MaxDim, maximum)

    def min(self, dim=None, keepdim=False):
        return self._max_min(dim, keepdim, _ops.MinAll, _ops.MinDim, minimum)

    def _extreme_dims(self, name, dim):
        """amax/amin's dims; an empty input may not reduce over a dim of size 0."""
        if not self.numel():
            dims = _dim_list(dim)
            if not dims:
                raise _no_reduction_dim(name)
            for d in dims:          # torch checks each dim as it wraps it, before looking for duplicates
                d = self._dim(d)
                if self.shape[d] == 0:
                    raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        return self._dims(dim) if dim != () else None

    def amax(self, dim=(), keepdim=False):
        return _ops.Amax.apply(self, dim=self._extreme_dims("amax", dim), keepdim=keepdim)

    def amin(self, dim=(), keepdim=False):
        return _ops.Amin.apply(self, dim=self._extreme_dims("amin", dim), keepdim=keepdim)

    def _arg(self, name, dim, keepdim):
        if self.dtype is _dtype.bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if self.numel() == 0:
            if dim is None:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            d = self._dim(dim)
            if self.ndim and self.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        xp = _backend.array_namespace(self._data)
        data = self._data
        if dim is None:
            data, axis = xp.reshape(data, (-1,)), 0
            keepdim = False
        else:
            axis = self._dim(dim)
            if not self.ndim:
                data, axis = xp.reshape(data, (1,)), 0
        out = getattr(xp, name)(data, axis=axis, keepdims=keepdim and self.ndim > 0)
        if dim is not None and not self.ndim:
            out = xp.reshape(out, ())
        return Tensor._make(xp.astype(out, _backend.backend_dtype(xp, "int64")))

    def argmax(self, dim=None, keepdim=False):
        return self._arg("argmax", dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return self._arg("argmin", dim, keepdim)

    # ================================================= reductions and scans ==
    # cumsum/cumprod/cummax/cummin, logsumexp, nansum, nanmean, count_nonzero, aminmax (var_mean/std_mean are
    # functions only, as in torch).  The ops are in _ops.py ("reductions and scans"); minigrad.X in __init__.py.
    @staticmethod
    def _alias(fn, value, alias, name, alias_name, default=_NO_DIM):
        """torch's NumPy spellings (``axis=`` for ``dim=``, ``keepdims=`` for ``keepdim=``)."""
        if alias is not _NO_DIM:
            if value is not _NO_DIM:
                raise TypeError(f"{fn}() got an unexpected keyword argument '{alias_name}'")
            return alias
        if value is _NO_DIM and default is _NO_DIM:
            raise TypeError(f'{fn}() missing 1 required positional arguments: "{name}"')
        return default if value is _NO_DIM else value

    def _scan_src(self, fn, dim, dtype):
        """The input of a cumsum/cumprod: cast to ``dtype``, integers and bools summed as int64."""
        if isinstance(dim, (tuple, list)) or dim is None:
            raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
        d = self._dim(dim)
        if dtype is not None:
            self._check_grad_dtype(dtype)
            return self.to(dtype), d
        if not self.dtype.is_floating_point:
            return self.to(_dtype.int64), d
        return self, d

    def cumsum(self, dim=_NO_DIM, *, dtype=None, axis=_NO_DIM):
        src, d = self._scan_src("cumsum", Tensor._alias("cumsum", dim, axis, "dim", "axis"), dtype)
        return _ops.Cumsum.apply(src, dim=d)

    def cumprod(self, dim=_NO_DIM, *, dtype=None, axis=_NO_DIM):
        src, d = self._scan_src("cumprod", Tensor._alias("cumprod", dim, axis, "dim", "axis"), dtype)
        return _ops.Cumprod.apply(src, dim=d)

    def _scan_inplace(self, fn, dim, dtype):
        if dtype is not None and dtype is not self.dtype:
            names = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
                     "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
                     "bool": "bool"}
            raise RuntimeError(f"Bad in-place call: input tensor dtype {names[self.dtype.name]} and output tensor "
                               f"dtype {names[dtype.name]} should match")
        return self._inplace(lambda s: getattr(s, fn)(dim))

    def cumsum_(self, dim=_NO_DIM, *, dtype=None, axis=_NO_DIM):
        return self._scan_inplace("cumsum", Tensor._alias("cumsum_", dim, axis, "dim", "axis"), dtype)

    def cumprod_(self, dim=_NO_DIM, *, dtype=None, axis=_NO_DIM):
        return self._scan_inplace("cumprod", Tensor._alias("cumprod_", dim, axis, "dim", "axis"), dtype)

    def _cum_extreme(self, fn, op, dim, axis):
        dim = Tensor._alias(fn, dim, axis, "dim", "axis")
        if isinstance(dim, (tuple, list)) or dim is None:
            raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
        values, indices = op.apply(self, dim=self._dim(dim))
        return _NamedPair(fn, ("values", "indices"), values, indices)

    def cummax(self, dim=_NO_DIM, *, axis=_NO_DIM):
        return self._cum_extreme("cummax", _ops.Cummax, dim, axis)

    def cummin(self, dim=_NO_DIM, *, axis=_NO_DIM):
        return self._cum_extreme("cummin", _ops.Cummin, dim, axis)

    def logsumexp(self, dim=_NO_DIM, keepdim=_NO_DIM, *, axis=_NO_DIM, keepdims=_NO_DIM):
        dim = Tensor._alias("logsumexp", dim, axis, "dim", "axis")
        keepdim = Tensor._alias("logsumexp", keepdim, keepdims, "keepdim", "keepdims", default=False)
        src = self if self.dtype.is_floating_point else self.to(_dtype.get_default_dtype())
        dims = src._dims(dim)
        return _ops.Logsumexp.apply(src, dim=dims, keepdim=keepdim)

    def nansum(self, dim=None, keepdim=_NO_DIM, *, dtype=None, axis=_NO_DIM, keepdims=_NO_DIM):
        dim = Tensor._alias("nansum", _NO_DIM if dim is None else dim, axis, "dim", "axis", default=None)
        keepdim = Tensor._alias("nansum", keepdim, keepdims, "keepdim", "keepdims", default=False)
        if dtype is not None:
            self._dims(dim)
            self._check_grad_dtype(dtype)
        src = self if dtype is None else self.to(dtype)
        if dtype is None and not src.dtype.is_floating_point:
            src = src.to(_dtype.int64)
        dims = src._dims(dim)
        return _ops.Nansum.apply(src, dim=dims, keepdim=keepdim)

    def nanmean(self, dim=None, keepdim=_NO_DIM, *, dtype=None, axis=_NO_DIM, keepdims=_NO_DIM):
        dim = Tensor._alias("nanmean", _NO_DIM if dim is None else dim, axis, "dim", "axis", default=None)
        keepdim = Tensor._alias("nanmean", keepdim, keepdims, "keepdim", "keepdims", default=False)
        if not self.dtype.is_floating_point:
            raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                               f"{_SCALAR_NAMES[self.dtype.name]}")
        factor = self.isnan().logical_not().sum(dim, keepdim=keepdim)
        return self.nansum(dim, keepdim, dtype=dtype) / factor

    def count_nonzero(self, dim=None, *, axis=_NO_DIM):
        dim = Tensor._alias("count_nonzero", _NO_DIM if dim is None else dim, axis, "dim", "axis", default=None)
        return (self != 0).sum(dim)

    def aminmax(self, *, dim=None, keepdim=False):
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
        if dim is None:
            if not self.numel():
                raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation "
                                   "has no identity.")
            lo, hi = _ops.Aminmax.apply(self, dim=None, keepdim=keepdim)
        else:
            d = self._dim(dim)
            if self.ndim and self.shape[d] == 0:
                raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
            lo, hi = _ops.Aminmax.apply(self, dim=d, keepdim=keepdim)
        return _NamedPair("aminmax", ("min", "max"), lo, hi)

    def _selection(self, fn, op, dim, keepdim, kernel, k=None):
        """median/nanmedian/kthvalue/mode along a dim: (values, indices) with torch's checks."""
        if isinstance(dim, (tuple, list)) or dim is None:
            raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
        d = self._dim(dim)
        size = self.shape[d] if self.ndim else 1
        if size == 0:
            raise IndexError(f"{'median' if fn == 'nanmedian' else fn}(): Expected reduction dim {d} to have "
                             "non-zero size.")
        if k is not None and not 1 <= k <= size:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        if kernel and self.dtype is _dtype.bool_:                  # torch's dtype dispatch, after the size checks
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
        values, indices = op.apply(self, dim=d, keepdim=keepdim, k=k)
        return _NamedPair(fn, ("values", "indices"), values, indices)

    def _median(self, fn, full_op, dim_op, dim, keepdim, axis, keepdims):
        dim = Tensor._alias(fn, dim, axis, "dim", "axis", default=None)
        keepdim = Tensor._alias(fn, keepdim, keepdims, "keepdim", "keepdims", default=False)
        if dim is None:
            if self.dtype is _dtype.bool_ and self.numel():
                raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
            return full_op.apply(self)
        return self._selection(fn, dim_op, dim, keepdim, "median_out")

    def median(self, dim=_NO_DIM, keepdim=_NO_DIM, *, axis=_NO_DIM, keepdims=_NO_DIM):
        return self._median("median", _ops.MedianAll, _ops.MedianDim, dim, keepdim, axis, keepdims)

    def nanmedian(self, dim=_NO_DIM, keepdim=_NO_DIM, *, axis=_NO_DIM, keepdims=_NO_DIM):
        return self._median("nanmedian", _ops.NanmedianAll, _ops.NanmedianDim, dim, keepdim, axis, keepdims)

    def kthvalue(self, k, dim=_NO_DIM, keepdim=_NO_DIM, *, axis=_NO_DIM, keepdims=_NO_DIM, _position=1):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"kthvalue(): argument 'k' (position {_position}) must be int, not {type(k).__name__}")
        dim = Tensor._alias("kthvalue", dim, axis, "dim", "axis", default=-1)
        keepdim = Tensor._alias("kthvalue", keepdim, keepdims, "keepdim", "keepdims", default=False)
        return self._selection("kthvalue", _ops.Kthvalue, -1 if dim is None else dim, keepdim, "kthvalue_cpu",
                               k=int(k))

    def mode(self, dim=_NO_DIM, keepdim=_NO_DIM, *, axis=_NO_DIM, keepdims=_NO_DIM):
        dim = Tensor._alias("mode", dim, axis, "dim", "axis", default=-1)
        keepdim = Tensor._alias("mode", keepdim, keepdims, "keepdim", "keepdims", default=False)
        return self._selection("mode", _ops.Mode, dim, keepdim, None)

    def _var_mean(self, fn, op, dim, unbiased, keepdim, correction):
        if not self.dtype.is_floating_point:
            raise RuntimeError(f"{fn} only support floating point and complex dtypes")
        if isinstance(dim, bool):      # the (input, unbiased) overload
            dim, unbiased = None, dim
        return op.apply(self, dim=self._dims(dim, one_by_one=True),
                        correction=self._correction(unbiased, correction), keepdim=keepdim)

    # ================================================================ shape ==
    def _view(self, op, **kwargs):
        """``op(self, **kwargs)`` as a view of self: it shares self's memory and version counter, and
        records how it was made (see _views.py)."""
        return _views.make_view(self, op.apply(self, **kwargs), (op, kwargs))

    def view(self, *shape):
        """Like reshape, but never copies: torch's error when the memory layout does not allow it."""
        target = _infer_shape(_shape_arg(shape), self.numel(), self.shape)
        if not _backend.reshapes_without_copy(self._data, target):
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return self._view(_ops.Reshape, shape=target)

    def reshape(self, *shape):
        """A view when the memory layout allows one (torch's rule: ViewBackward0 for a contiguous input,
        ReshapeAliasBackward0 otherwise), else a contiguous copy that is no view: its own memory and version
        counter, and torch's UnsafeViewBackward0 over CloneBackward0."""
        shape = _shape_arg(shape)
        shape = _infer_shape(shape, self.numel(), self.shape)
        if _backend.reshapes_without_copy(self._data, shape):
            return self._view(_ops.Reshape if _backend.is_contiguous(self._data) else _ops.ReshapeAlias,
                              shape=shape)
        return _ops.UnsafeView.apply(_ops.Contiguous.apply(self), shape=shape)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if not self.ndim:
            self._dim(start_dim), self._dim(end_dim)
            return self.reshape(1)
        s, e = self._dim(start_dim), self._dim(end_dim)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e:
            return self
        shape = self.shape
        return self.reshape(shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])

    def unflatten(self, dim, sizes):
        sizes = _shape_arg(tuple(sizes))
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        d = self._dim(dim)
        try:
            sizes = _infer_shape(sizes, self.shape[d], None)
        except RuntimeError as e:      # torch rewords only the size mismatch
            if not str(e).startswith("shape '"):
                raise
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                               f"({self.shape[d]}) in the input tensor") from None
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def unsqueeze(self, dim):
        d = self._dim(dim, self.ndim + 1)
        shape = self.shape[:d] + (1,) + self.shape[d:]
        return self._view(_ops.Unsqueeze, shape=shape, dim=d)

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(n for n in self.shape if n != 1)
            return self._view(_ops.SqueezeAll, shape=shape)
        dims = self._dims(dim)
        dims = dims if isinstance(dims, tuple) else (dims,)
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self._view(_ops.Squeeze, shape=shape)

    def permute(self, *dims):
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                               f"is not equal to len(dims) = {len(dims)}")
        wrapped = []
        for d in dims:       # one at a time, as torch: a duplicate before an out-of-range dim is the error
            d = self._dim(d)
            if d in wrapped:
                raise RuntimeError("permute(): duplicate dims are not allowed.")
            wrapped.append(d)
        dims = tuple(wrapped)
        return self._view(_ops.Permute, dims=dims)

    def transpose(self, dim0, dim1):
        d0, d1 = self._dim(dim0), self._dim(dim1)
        dims = list(range(self.ndim))
        if dims:
            dims[d0], dims[d1] = dims[d1], dims[d0]
        return self._view(_ops.Transpose, dims=tuple(dims))

    swapaxes = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self._view(_ops.T, dims=(1, 0) if self.ndim == 2 else tuple(range(self.ndim)))

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand(torch.FloatTensor{{{list(self.shape)}}}, size={list(sizes)}): the number of sizes "
                f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
                f"({self.ndim})")
        lead = len(sizes) - self.ndim
        shape = []
        for i, n in enumerate(sizes):
            own = self.shape[i - lead] if i >= lead else 1
            if n == -1:
                if i < lead:
                    raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                       f"non-existing dimension {i}")
                n = own
            elif own != 1 and own != n:
                raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing size ({own}) "
                                   f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                                   f"{list(self.shape)}")
            shape.append(n)
        return self._view(_ops.Expand, shape=tuple(shape))     # a new view even for the same shape, as torch

    def expand_as(self, other):
        _tensor_arg("expand_as", other, position=1)
        return self.expand(other.shape)

    def repeat(self, *sizes):
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                               "of tensor")
        if min(sizes, default=0) < 0:       # torch's error names the result's shape
            _new_shape(tuple(n * k for n, k in zip((1,) * (len(sizes) - self.ndim) + self.shape, sizes)))
        out = self.reshape((1,) * (len(sizes) - self.ndim) + tuple(self.shape))
        copied = False
        for d, n in enumerate(sizes):
            if n == 0:           # (cat of no tensors is an error)
                out = out[(slice(None),) * d + (slice(0, 0),)]
            elif n != 1:
                out = cat([out] * n, d)
                copied = True
        # torch always returns a new row-major tensor: never a view of self, nor channels-last as a cat can be
        if not copied or 0 in sizes or not _backend.is_row_major(out._data):
            out = _ops.Contiguous.apply(out)
        return out

    def chunk(self, chunks, dim=0):
        if not self.ndim:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        d = self._dim(dim)
        step = -(-self.shape[d] // chunks)
        return self.split(step if step else [0] * chunks, d)     # an empty dim: `chunks` empty pieces

    def split(self, size, dim=0):
        if not self.ndim:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        if isinstance(size, int) and size < 0:     # torch checks this before the dim
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        d = self._dim(dim)
        n = self.shape[d]
        if isinstance(size, int):
            if size == 0 and n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
            sizes = sizes or [0]              # an empty dim still gives one (empty) piece
        else:
            sizes = list(size)
            if sum(sizes) != n or any(s < 0 for s in sizes):
                if any(s < 0 for s in sizes):
                    raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but "
                                       f"got split_sizes={sizes}")
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                                   f"size at dimension {dim}), but got split_sizes={sizes}")
        op = _ops.Split if isinstance(size, int) else _ops.SplitWithSizes
        return self._multi_view(op.apply(self, dim=d, sizes=sizes), _ops.split_indices(d, sizes))

    def unbind(self, dim=0):
        if not self.ndim:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        d = self._dim(dim)
        n = self.shape[d]
        return self._multi_view(_ops.Unbind.apply(self, dim=d), [(slice(None),) * d + (i, Ellipsis) for i in range(n)])

    def _multi_view(self, outs, indices):
        """The outputs of one multi-output view op (split, unbind) as views of self: torch forbids writing
        into them in place."""
        return tuple(_views.make_view(self, o, (_ops.Select, {"index": index, "basic": True}), multi_output=True)
                     for o, index in zip(outs, indices))

    # ============================================================= indexing ==
    def __getitem__(self, index):
        if index is Ellipsis or (type(index) is tuple and len(index) == 1 and index[0] is Ellipsis):
            return self._view(_ops.Alias)      # torch's x[...] is an alias of x
        raw = index
        index, kind = _normalize_index(index, self)
        if kind == "advanced" and any(type(i) is int for i in index):
            # torch selects with the integers first, then applies the array indices; NumPy would
            # count the integers as array indices and could move the result's dimensions.
            first = []
            for i in index:
                if type(i) is int or i is Ellipsis:
                    first.append(i)
                elif i is not None:
                    first.extend([slice(None)] * _dims_consumed(i))
            selected = self[tuple(first)]
            return _track_index_tensors(selected[tuple(i for i in index if type(i) is not int)], raw)
        if kind != "advanced":
            return self._view(_basic_index_op(raw, index, self.shape), index=index, basic=True)
        try:
            return _track_index_tensors(_ops.Index.apply(self, index=index, basic=False), raw)
        except IndexError:
            _advanced_index_error(index, self.shape)     # torch's wording for NumPy's error
            raise

    def __setitem__(self, index, value):
        if not isinstance(value, (Tensor, np.ndarray) + _SCALAR_TYPES):
            raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
        raw_index = index
        index, kind = _normalize_index(index, self)
        vt = isinstance(value, Tensor)
        if vt and value.device != self.device:
            _device_mismatch(self, value)
        if vt and kind == "advanced":
            value = _without_leading_ones(value)
        if is_grad_enabled() and (self.requires_grad or (vt and value.requires_grad)):
            if kind != "advanced":        # torch: a view of self, then copy_ into it (the base gets CopySlices)
                target = self if _whole(index, self.shape) else self[raw_index]
                if not vt:
                    value = Tensor._make(_backend.asarray(value, self.device, self.dtype.name))
                if value.shape == target.shape:
                    target.copy_(value)
                elif not value.ndim:
                    target.fill_(value)
                else:
                    value = _without_leading_ones(value)
                    target.copy_(value if value.shape == target.shape else value.expand(target.shape))
                return
            def index_put(old):        # (its checks come after the autograd ones, as torch orders them)
                if vt:
                    _check_index_put(self, index, value)
                # torch's IndexPutBackward0 saves the index tensors (version-checked, freed after backward)
                return _track_versions(_ops.IndexPut.apply(old, value, index=index),
                                       raw_index if type(raw_index) is tuple else (raw_index,))
            _warn_index_put_on_expanded(self._data)
            self._inplace_with_history(index_put, overlap_ok=True, written=index)
            return
        xp = _backend.array_namespace(self._data)
        data = value._data if vt else value
        if vt and data.dtype != self._data.dtype:
            data = xp.astype(data, self._data.dtype)
        if kind != "advanced":
            target = self._data[index]
            v = value._data if vt else None
            if vt and v.shape != target.shape:
                # torch fills from a 0-d value (no overlap check); else it drops the value's leading size-1
                # dims and expands it to the target (its error names the shorter shape): an expanded value
                # (a zero stride) is too hard for its overlap check
                v = v.reshape(value.shape[next((i for i, n in enumerate(value.shape) if n != 1), value.ndim):])
                Tensor._make(v).expand(*target.shape)   # torch's "The expanded size of the tensor ..."
                v = _backend.expand(v, target.shape) if value.ndim else None
            if _backend.has_internal_overlap(target):
                raise RuntimeError(_views.OVERLAP_ERROR)
            if v is not None and _backend.memory_overlap(target, v) == "partial":
                raise RuntimeError(_views.PARTIAL_OVERLAP_ERROR)
        elif vt:
            _check_index_put(self, index, value)
        if kind == "advanced":
            _warn_index_put_on_expanded(self._data)
        try:
            self._data[index] = data
        except IndexError:
            _advanced_index_error(index, self.shape)
            raise
        self._version_counter.value += 1

    def select(self, dim, index):
        d = self._dim(dim)
        n = self.shape[d]
        if not -n <= index < n:
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(self.shape)} at "
                             f"dimension {d}")
        return self[(slice(None),) * d + (index,)]

    def index_select(self, dim, index):
        d = self._dim(dim)
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if index.dtype.name not in ("int64", "int32"):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if not self.ndim and index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} "
                               f"value(s)")
        n = self.shape[d] if self.ndim else 1
        if index.numel() and self.ndim > 1 and not n:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        xp = _backend.array_namespace(index._data)
        if index.numel() and (xp.min(index._data) < 0 or xp.max(index._data) >= n):    # NumPy would wrap negatives
            if self.ndim > 1 and (d == 1 or not self.numel()):   # torch's dim-1 / empty-self kernels' check
                host = _backend.to_numpy(index._data).ravel()
                bad = host[(host < 0) | (host >= n)][0]
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
            raise IndexError("index out of range in self")
        if not self.ndim:
            return self.reshape(1)[index.reshape(1)].reshape(())
        idx = index.reshape(-1) if not index.ndim else index            # a 0-d index keeps its dim
        return _track_versions(_ops.IndexSelect.apply(self, index=(slice(None),) * d + (idx._data, Ellipsis),
                                                      basic=False), (index,))

    def gather(self, dim, index):
        d = self._dim(dim)
        if not index.numel():       # torch checks nothing else then
            return self.reshape(-1)[index.reshape(-1).long()].reshape(index.shape)
        if index.dtype.name not in ("int64", "int32"):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        src, idx = self, index
        if not self.ndim or not index.ndim:     # torch treats a 0-d tensor as 1-d of one element here
            src, idx = self.reshape(self.shape or (1,)), index.reshape(index.shape or (1,))
        if src.ndim != idx.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for i in range(src.ndim):
            if i != d and idx.shape[i] > src.shape[i]:
                raise RuntimeError(f"Size does not match at dimension {i} expected index {list(index.shape)} to be "
                                   f"no larger than self {list(self.shape)} apart from dimension {d}")
        n = src.shape[d]
        xp = _backend.array_namespace(idx._data)
        if xp.min(idx._data) < 0 or xp.max(idx._data) >= n:     # NumPy would wrap negatives
            host = _backend.to_numpy(idx._data).ravel()
            bad = host[(host < 0) | (host >= n)][0]
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
        grids = np.meshgrid(*[np.arange(k) for k in idx.shape], indexing="ij")
        norm, _ = _normalize_index(tuple(idx._data if i == d else grids[i] for i in range(src.ndim)), src)
        out = _ops.Gather.apply(src, index=norm, basic=False)
        out = _track_versions(out, (self, index))      # torch's gather saves its input and index
        return out if src is self else out.reshape(index.shape)

    def where(self, condition, other):
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        if mask.dtype is not _dtype.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{_C_NAMES[mask.dtype.name]}")
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        if not self.dtype.is_floating_point and self.dtype is not _dtype.bool_:
            v = value.item() if isinstance(value, Tensor) else value       # (any non-zero value is True for bool)
            if isinstance(v, float) and not math.isfinite(v):
                raise RuntimeError(f"value cannot be converted to type {_CPP_INT.get(self.dtype.name, 'int64_t')} "
                                   "without overflow")
        if isinstance(value, Tensor):
            value = value.to(self.dtype)
        elif not self.dtype.is_floating_point:     # the value is converted to the tensor's dtype, as torch
            value = Tensor._make(_backend.asarray(value, self.device).astype(_backend.backend_dtype(
                _backend.array_namespace(self._data), self.dtype.name)))
        out = where(mask, value, self)
        out._data = _backend.contiguous(out._data)     # torch's masked_fill is row-major (a fresh tensor)
        return out

    # ============================================================= in place ==
    def _check_overlap(self, others=()):
        """torch refuses to write where two elements share memory, or into memory an input partly shares
        (an input that is exactly the written-to elements is fine, as for element-wise ops)."""
        d = self._data
        if type(d) is np.ndarray and d.base is None:     # owns its memory (the common case: nothing to check
            for o in others:                              # unless an input is a view: two arrays that own
                if isinstance(o, Tensor) and getattr(o._data, "base", 0) is not None:    # their memory share none)
                    break
            else:
                return
        if _backend.has_internal_overlap(d):
            raise RuntimeError(_views.OVERLAP_ERROR)
        for o in others:
            if isinstance(o, Tensor) and _backend.memory_overlap(d, o._data) == "partial":
                raise RuntimeError(_views.PARTIAL_OVERLAP_ERROR)

    def _inplace_with_history(self, compute, overlap_ok=False, others=(), written=None):
        """An in-place op that must be recorded: compute out of place from a snapshot of self, write the
        values back into self's memory, and rewrite the history (self's, or its base's for a view).
        ``written``: the index an index_put writes, which alone is written back into memory whose elements
        alias each other (an expanded tensor: writing every element back would let stale aliases win)."""
        _views.check_inplace(self)
        if not overlap_ok:
            self._check_overlap(others)
        old = Tensor._make(_copy(self._data), self.grad_fn, self._output_nr)
        result = compute(old)
        if written is not None and _backend.has_internal_overlap(self._data):
            self._store(result, written)
        else:
            self._store(result)
        _views.rebase_history(self, result)
        node = result._grad_fn
        if node is not None and node._saved:   # a saved output is now self: track self's memory and version
            node._saved = [(self._data, self._version_counter, self._version_counter.value, src, leaf)
                           if isinstance(src, int) and src == result._output_nr else (v, c, ver, src, leaf)
                           for v, c, ver, src, leaf in node._saved]
        return self

    def _store(self, result, index=Ellipsis):
        """Write ``result``'s values (those at ``index``) into self's memory (version + 1), with torch's shape
        and dtype checks."""
        if result._data.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(result.shape)}")
        _check_castable(result.dtype, self.dtype)
        data = result._data
        if data.dtype != self._data.dtype:
            data = _backend.array_namespace(data).astype(data, self._data.dtype)
        self._data[index] = data if index is Ellipsis else data[index]
        self._version_counter.value += 1

    def _inplace(self, compute, *others, overlap_ok=False):
        """Run ``compute(self)`` and store its values in self's memory (same object, version + 1)."""
        record = is_grad_enabled() and (self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad
                                                                  for o in others))
        if record:
            return self._inplace_with_history(compute, overlap_ok, others)
        if not overlap_ok:
            self._check_overlap(others)
        with no_grad():
            result = compute(self)
        self._store(result)
        return self

    def _inplace_ufunc(self, ufunc, other):
        """``ufunc(self, other, out=self)`` when that is exactly what ``_inplace`` would store: nothing
        to record, a float NumPy tensor, and ``other`` a number or a tensor of the same dtype and shape
        (or one element).  The manual SGD update of the tutorials; it skips a temporary and a copy.
        Returns None where the general route must run."""
        d = self._data
        if type(d) is not np.ndarray or d.dtype.kind != "f":
            return None
        grad_mode = _grad_state.enabled
        if isinstance(other, Tensor):
            o = other._data
            if type(o) is not np.ndarray or o.dtype != d.dtype or (o.shape != d.shape and o.size != 1) \
                    or o.ndim > d.ndim or (grad_mode and other.requires_grad):
                return None
        elif type(other) is float or (type(other) is int and -2 ** 53 <= other <= 2 ** 53):
            o = other
        else:
            return None
        if grad_mode and self.requires_grad:
            return None                       # recorded, or torch's leaf error: the general route
        if d.base is not None or type(o) is np.ndarray and o.base is not None:
            self._check_overlap((other,))     # (arrays that own their memory share none)
        ufunc(d, o, out=d)
        (self._vcounter or self._version_counter).value += 1
        return self

    def add_(self, other, alpha=1):
        if other is None:
            _number_or_tensor("add_", other)
        if alpha == 1 and self._inplace_ufunc(np.add, other) is not None:
            return self
        return self._inplace(lambda s: s.add(other, alpha=alpha), other)

    def sub_(self, other, alpha=1):
        if other is None:
            _number_or_tensor("sub_", other)
        if alpha == 1 and self._inplace_ufunc(np.subtract, other) is not None:
            return self
        return self._inplace(lambda s: s.sub(other, alpha=alpha), other)

    def mul_(self, other):
        _number_or_tensor("mul_", other)
        if self._inplace_ufunc(np.multiply, other) is not None:
            return self
        return self._inplace(lambda s: s * other, other)

    def div_(self, other):
        _number_or_tensor("div_", other)
        if self._inplace_ufunc(np.true_divide, other) is not None:
            return self
        return self._inplace(lambda s: s / other, other)

    def pow_(self, exponent):
        return self._inplace(lambda s: s ** exponent, exponent)

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda s: s.clamp(min, max), min, max)

    def relu_(self):
        return self._inplace(lambda s: s.relu())

    def exp_(self):
        return self._inplace(lambda s: s.exp())

    def neg_(self):
        return self._inplace(lambda s: -s)

    def sigmoid_(self):
        return self._inplace(lambda s: s.sigmoid())

    def tanh_(self):
        return self._inplace(lambda s: s.tanh())

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def zero_(self):
        return self._fill(0, _ops.Zero)

    def fill_(self, value):
        return self._fill(value, _ops.Fill)

    def _fill(self, value, op):
        # (filling is idempotent: torch allows it on a tensor whose elements share memory)
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value.ndim} dimensions.")
            def fill(s):    # torch checks self's own overlap only, not the value's (a 0-d value may alias it)
                if _backend.has_internal_overlap(self._data):
                    raise RuntimeError(_views.OVERLAP_ERROR)
                return _ops.FillTensor.apply(s, value.to(s.dtype))
            return self._inplace(fill, value, overlap_ok=True)
        d = self._data
        if type(d) is np.ndarray and d.dtype.kind == "f" and type(value) in (float, int) \
                and not (_grad_state.enabled and self.requires_grad):
            d.fill(value)                     # nothing to record (zeroing a .grad): fill the memory itself
            (self._vcounter or self._version_counter).value += 1
            return self
        return self._inplace(lambda s: op.apply(s, value=value), overlap_ok=True)

    def copy_(self, src, non_blocking=False):
        _tensor_arg("copy_", src, position=1)
        src = src.to(self.device)

        def copy(s):
            if src._data.shape != s._data.shape:      # torch's broadcast errors, after the autograd checks
                shape = _broadcast_shapes(s._data.shape, src._data.shape)
                if shape != s._data.shape:
                    raise RuntimeError(f"output with shape {list(s.shape)} doesn't match the broadcast shape "
                                       f"{list(shape)}")
            return _ops.Copy.apply(s, src.to(s.dtype))
        # torch's copy returns early, before its overlap checks, when src is the very memory it writes
        return self._inplace(copy, src, overlap_ok=_backend.same_elements(self._data, src._data))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with U[a, b) draws of torch's CPU stream, in torch's order (see _random.py)."""
        from . import _random
        return _random.uniform_(self, a, b, generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from . import _random
        return _random.normal_(self, mean, std, generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        from . import _random
        return _random.bernoulli_(self, p, generator)

    def random_(self, *args, generator=None, **kwargs):
        from . import _random
        return _random.random_(self, *args, generator=generator, **kwargs)

    def exponential_(self, lambd=1.0, *, generator=None):
        from . import _random
        return _random.exponential_(self, lambd, generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        from . import _random
        return _random.cauchy_(self, median, sigma, generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        from . import _random
        return _random.log_normal_(self, mean, std, generator)

    def geometric_(self, p, *, generator=None):
        from . import _random
        return _random.geometric_(self, p, generator)

    def bernoulli(self, *args, generator=None, **kwargs):
        """``bernoulli()``: 0/1 draws with the probabilities in self; ``bernoulli(p)``: with the number p.  A new
        tensor of self's dtype and shape (torch.bernoulli's, see _random.bernoulli_of)."""
        from . import _random
        if len(args) > 1:
            raise TypeError(f"bernoulli() takes 1 positional argument but {len(args)} were given")
        p = None
        if args or kwargs:
            signatures = [("*, minigrad.Generator generator = None", []),
                          ("float p, *, minigrad.Generator generator = None", ["Number"])]
            if len(args) + len(kwargs) > 1 or (kwargs and "p" not in kwargs):
                raise Tensor._invalid_arguments("bernoulli", args, signatures, kwargs)
            p = _random.bernoulli_p(args[0] if args else kwargs["p"], "bernoulli", args, signatures, kwargs)
        return _random.bernoulli_of(self, p, generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Indices drawn from the rows of self (weights): torch.multinomial(self, ...)."""
        from ._factories import multinomial
        return multinomial(self, num_samples, replacement, generator=generator, _first=1)

    # ==================================================== functional helpers ==
    def softmax(self, dim):
        from .nn.functional import softmax
        return softmax(self, dim)

    def log_softmax(self, dim):
        from .nn.functional import log_softmax
        return log_softmax(self, dim)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from ._factories import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from ._factories import ones
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._factories import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    # ===================================================== elementwise math ==
    # torch's pointwise math functions (sin ... addcdiv) and isclose.  Integer and bool inputs of the
    # floating functions become the default float dtype, as in torch; the ops are in _ops.py ("elementwise
    # math").  minigrad.X(input, ..., out=None) are in __init__.py.
    def _float_op(self, op, **kwargs):
        return op.apply(_float_for_div(self), **kwargs)

    def sin(self):
        return self._float_op(_ops.Sin)

    def cos(self):
        return self._float_op(_ops.Cos)

    def tan(self):
        return self._float_op(_ops.Tan)

    def asin(self):
        return self._float_op(_ops.Asin)

    def acos(self):
        return self._float_op(_ops.Acos)

    def atan(self):
        return self._float_op(_ops.Atan)

    def sinh(self):
        return self._float_op(_ops.Sinh)

    def cosh(self):
        return self._float_op(_ops.Cosh)

    def asinh(self):
        return self._float_op(_ops.Asinh)

    def acosh(self):
        return self._float_op(_ops.Acosh)

    def atanh(self):
        return self._float_op(_ops.Atanh)

    def log2(self):
        return self._float_op(_ops.Log2)

    def log10(self):
        return self._float_op(_ops.Log10)

    def log1p(self):
        return self._float_op(_ops.Log1p)

    def expm1(self):
        return self._float_op(_ops.Expm1)

    def exp2(self):
        return self._float_op(_ops.Exp2)

    def erf(self):
        return self._float_op(_ops.Erf)

    def erfc(self):
        return self._float_op(_ops.Erfc)

    def erfinv(self):
        return self._float_op(_ops.Erfinv)

    def _angle(self, op):
        out = self._float_op(op)
        if not self.dtype.is_floating_point:     # torch writes into empty_like(self) in the float dtype
            out._data = _backend.preserve(out._data, self._data)
        return out

    def deg2rad(self):
        return self._angle(_ops.Deg2Rad)

    def rad2deg(self):
        return self._angle(_ops.Rad2Deg)

    def logit(self, eps=None):
        if eps is not None:
            eps = Tensor._float_arg("logit", "eps", eps, 1)
        return self._float_op(_ops.Logit, eps=eps)

    def trunc(self):
        self._no_bool("trunc_vml_cpu")
        return _ops.Trunc.apply(self)

    def frac(self):
        if not self.dtype.is_floating_point:
            raise NotImplementedError(f'"frac_cpu" not implemented for \'{_SCALAR_NAMES[self.dtype.name]}\'')
        return _ops.Frac.apply(self)

    def sgn(self):
        if not self.dtype.is_floating_point:       # sign of integers; bool stays bool
            return self.sign()
        return _ops.Sgn.apply(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        values = [Tensor._float_arg("nan_to_num", name, v, None) if v is not None else None
                  for name, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf))]
        if not self.dtype.is_floating_point:       # integers have no nan or inf: a copy
            return self.clone()
        info = np.finfo(self.dtype.name)
        defaults = (0.0, float(info.max), float(info.min))
        with np.errstate(over="ignore"):     # a bound beyond the dtype's range becomes inf, as torch's cast
            nan, posinf, neginf = (float(np.dtype(self.dtype.name).type(d if v is None else v))
                                   for v, d in zip(values, defaults))
        return _ops.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def _float_arg(fn, name, value, position):
        """A ``float`` argument as torch's parser takes it (any real number)."""
        if isinstance(value, Tensor) and not value.ndim and not value.requires_grad:
            value = value.item()
        if not isinstance(value, _SCALAR_TYPES):
            where = f" (position {position})" if position else ""
            raise TypeError(f"{fn}(): argument '{name}'{where} must be float, not {Tensor._type_name(value)}")
        return float(value)

    @staticmethod
    def _type_name(x):
        """How torch's argument parser names the type of an argument."""
        if isinstance(x, Tensor):
            return "Tensor"
        t = type(x)
        return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"

    @staticmethod
    def _invalid_arguments(fn, args, signatures, kwargs=None):
        """torch's argument-parser error for a call that matches none of ``signatures`` [(text, [param type
        per parameter, "Tensor" or "Number"])]; a signature of as many parameters as arguments given says
        which arguments did not fit (torch's message never counts a number as fitting "Number", and has no such
        line for a signature with keyword-only parameters)."""
        kind = Tensor._type_name
        kwargs = {k: v for k, v in (kwargs or {}).items() if v is not None}
        got = [kind(x) for x in args] + [f"{k}={kind(v)}" for k, v in kwargs.items()]
        msg = (f"{fn}() received an invalid combination of arguments - got ({', '.join(got)}), but "
               "expected one of:\n")
        for text, params in signatures:
            msg += f" * ({text})\n"
            if "*" not in text and len(params) == len(args) + len(kwargs):
                marks = ", ".join(kind(x) if p == "Tensor" and isinstance(x, Tensor) else f"!{kind(x)}!"
                                  for x, p in zip(args, params))
                msg += f"      didn't match because some of the arguments have invalid types: ({marks})\n"
        return TypeError(msg)

    @staticmethod
    def _tensor_or_number(fn, other):
        """``other`` of a method with (Tensor other) and (Number other) overloads: a Tensor or a Python number."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (np.number, np.bool_)):
            return other.item()
        if isinstance(other, _SCALAR_TYPES):
            return other
        raise Tensor._invalid_arguments(fn, (other,), [("Tensor other", ["Tensor"]), ("Number other", ["Number"])])

    def _promoted_with(self, other, to_float=False):
        """(self, other) cast to torch's result dtype (the default float dtype for integers if ``to_float``); a
        number stays a Python number."""
        if isinstance(other, Tensor):
            if self._data.shape != other._data.shape:
                _broadcast_shapes(self._data.shape, other._data.shape)
            a, b = _promote(self, other, True)
            if to_float and not a.dtype.is_floating_point:
                dt = _dtype.get_default_dtype()
                a, b = _cast(a, dt), _cast(b, dt)
            return a, b
        a, c = _promote(self, other, False)
        if to_float and not a.dtype.is_floating_point:
            a, c = _cast(a, _dtype.get_default_dtype()), float(c)
        return a, c

    @staticmethod
    def _tensor_other(fn, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{fn}(): argument 'other' (position 1) must be Tensor, not {Tensor._type_name(other)}")

    def atan2(self, other):
        self._tensor_other("atan2", other)
        return _ops.Atan2.apply(*self._promoted_with(other, to_float=True))

    def hypot(self, other):
        self._tensor_other("hypot", other)
        a, b = self._promoted_with(other)
        if not a.dtype.is_floating_point:
            raise NotImplementedError(f'"hypot_cpu" not implemented for \'{_SCALAR_NAMES[a.dtype.name]}\'')
        return _ops.Hypot.apply(a, b)

    def xlogy(self, other):
        other = Tensor._tensor_or_number("xlogy", other)
        a, b = self._promoted_with(other, to_float=True)
        if isinstance(b, Tensor):
            return _ops.Xlogy.apply(a, b)
        return _ops.XlogyScalarOther.apply(a, c=b)

    def copysign(self, other):
        other = Tensor._tensor_or_number("copysign", other)
        a, b = self._promoted_with(other, to_float=True)
        if isinstance(b, Tensor):
            return _ops.Copysign.apply(a, b)
        return _ops.CopysignScalar.apply(a, c=b)

    def _modulo(self, kernel, other, op, scalar_op):
        """fmod / remainder: integers stay integers (dividing by zero is torch's error), no bool kernel."""
        other = Tensor._tensor_or_number(kernel, other)
        a, b = self._promoted_with(other)
        if a.dtype is _dtype.bool_:
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'Bool\'')
        if not a.dtype.is_floating_point:
            Tensor._check_int_divisor(a, b)
        if isinstance(b, Tensor):
            return op.apply(a, b)
        return scalar_op.apply(a, c=b)

    @staticmethod
    def _check_int_divisor(a, b):
        """Integer division by zero is torch's RuntimeError (unless the result is empty)."""
        shape = _broadcast_shapes(a._data.shape, b._data.shape) if isinstance(b, Tensor) else a._data.shape
        if math.prod(shape) and bool((b == 0).any() if isinstance(b, Tensor) else b == 0):
            raise RuntimeError("ZeroDivisionError")

    def fmod(self, other):
        return self._modulo("fmod", other, _ops.Fmod, _ops.FmodScalar)

    def remainder(self, other):
        return self._modulo("remainder", other, _ops.Remainder, _ops.RemainderScalar)

    @staticmethod
    def _xlogy_number_self(c, other):
        """xlogy(number, tensor)."""
        c = c.item() if isinstance(c, (np.number, np.bool_)) else c
        b, c = _promote(other, c, False)
        if not b.dtype.is_floating_point:
            b = _cast(b, _dtype.get_default_dtype())
        return _ops.XlogyScalarSelf.apply(b, c=float(c))

    @staticmethod
    def _remainder_number_self(c, other):
        """remainder(number, tensor): torch records it with a node that has no derivative."""
        c = c.item() if isinstance(c, (np.number, np.bool_)) else c
        b, c = _promote(other, c, False)
        if b.dtype is _dtype.bool_:
            raise NotImplementedError('"remainder_cpu" not implemented for \'Bool\'')
        if not b.dtype.is_floating_point:
            Tensor._check_int_divisor(b, b)
        return _ops.RemainderScalarSelf.apply(b, c=c)

    def _same_dtype_as_self(self, t, name):
        if t.dtype is not self.dtype:
            raise RuntimeError(f"expected dtype {_C_NAMES[self.dtype.name]} for `{name}` but got dtype "
                               f"{_C_NAMES[t.dtype.name]}")

    @staticmethod
    def _lerp_args(fn, end, weight):
        if not isinstance(end, Tensor) or not isinstance(weight, (Tensor, *_SCALAR_TYPES)):
            raise Tensor._invalid_arguments(fn, (end, weight), [("Tensor end, Tensor weight", ["Tensor", "Tensor"]),
                                                                ("Tensor end, Number weight", ["Tensor", "Number"])])

    def lerp(self, end, weight):
        Tensor._lerp_args("lerp", end, weight)
        self._same_dtype_as_self(end, "end")
        if isinstance(weight, Tensor):
            if weight.ndim:           # a 0-d weight may have another dtype: it takes part in the promotion
                self._same_dtype_as_self(weight, "weight")
            _broadcast_shapes(self._data.shape, end._data.shape, weight._data.shape)
            dt = _dtype.result_type(self, end, weight)
            if not dt.is_floating_point:
                raise NotImplementedError(f'"lerp_kernel_tensor" not implemented for \'{_SCALAR_NAMES[dt.name]}\'')
            return _ops.Lerp.apply(*(t if t.dtype is dt else _cast(t, dt) for t in (self, end, weight)))
        _broadcast_shapes(self._data.shape, end._data.shape)
        if not self.dtype.is_floating_point:
            raise NotImplementedError(f'"lerp_kernel_scalar" not implemented for \'{_SCALAR_NAMES[self.dtype.name]}\'')
        weight = weight.item() if isinstance(weight, (np.number, np.bool_)) else weight
        return _ops.LerpScalar.apply(self, end, weight=float(weight))

    _ADDCDIV_INTEGER_ERROR = (
        "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
        "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value "
        "* torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
        "tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value "
        "* tensor1 / tensor2), for all dtypes.")

    @staticmethod
    def _addc_args(fn, tensor1, tensor2, value):
        """torch's argument checks of addcmul/addcdiv(_) (``fn`` names the form in the messages)."""
        for name, t, position in (("tensor1", tensor1, 1), ("tensor2", tensor2, 2)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
                                f"{Tensor._type_name(t)}")
        if not isinstance(value, _SCALAR_TYPES):
            raise TypeError(f"{fn}(): argument 'value' must be Number, not {Tensor._type_name(value)}")

    def _addc(self, fn, op, tensor1, tensor2, value):
        Tensor._addc_args(fn, tensor1, tensor2, value)
        fn = fn.rstrip("_")
        if fn == "addcdiv" and not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
            raise RuntimeError(Tensor._ADDCDIV_INTEGER_ERROR)
        _broadcast_shapes(self._data.shape, tensor1._data.shape, tensor2._data.shape)
        dt = _dtype.result_type(self, tensor1, tensor2)
        if dt is _dtype.bool_:
            raise NotImplementedError(f'"{fn}_cpu_out" not implemented for \'Bool\'')
        a, t1, t2 = (t if t.dtype is dt else _cast(t, dt) for t in (self, tensor1, tensor2))
        value = value.item() if isinstance(value, (np.number, np.bool_)) else value
        value = float(value) if dt.is_floating_point else int(value)     # as C++ casts the Scalar
        return op.apply(a, t1, t2, value=value)

    _UNSET = object()
    _deprecated_addc_warned = False

    @staticmethod
    def _deprecated_addc(fn, tensor1, tensor2, rest, value, signatures):
        """(tensor1, tensor2, value) of addcmul/addcdiv, also from the deprecated (value, tensor1, tensor2) call
        torch still accepts (with its warning); ``signatures`` are (the old, the new) for the warning."""
        if not rest:
            return tensor1, tensor2, 1 if value is Tensor._UNSET else value
        if len(rest) > 1 or not isinstance(tensor1, _SCALAR_TYPES):
            raise TypeError(f"{fn}() takes 2 positional arguments but {2 + len(rest)} were given")
        if value is not Tensor._UNSET:
            raise TypeError(f"{fn}() received an invalid combination of arguments - got unrecognized keyword "
                            "arguments: value")
        if Tensor._deprecated_addc_warned:       # torch warns once per process
            return tensor2, rest[0], tensor1
        Tensor._deprecated_addc_warned = True
        warnings.warn(f"This overload of {fn} is deprecated:\n\t{fn}({signatures[0]})\nConsider using one of the "
                      f"following signatures instead:\n\t{fn}({signatures[1]})", UserWarning,
                      stacklevel=_user_stacklevel())
        return tensor2, rest[0], tensor1

    def _addc_method(self, fn, op, tensor1, tensor2, rest, value):
        tensor1, tensor2, value = Tensor._deprecated_addc(fn, tensor1, tensor2, rest, value, (
            "Number value, Tensor tensor1, Tensor tensor2", "Tensor tensor1, Tensor tensor2, *, Number value = 1"))
        return self._addc(fn, op, tensor1, tensor2, value)

    def addcmul(self, tensor1, tensor2, *rest, value=_UNSET):
        return self._addc_method("addcmul", _ops.Addcmul, tensor1, tensor2, rest, value)

    def addcdiv(self, tensor1, tensor2, *rest, value=_UNSET):
        return self._addc_method("addcdiv", _ops.Addcdiv, tensor1, tensor2, rest, value)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False, *, _fn="isclose"):
        """|self - other| <= atol + rtol |other| elementwise (equal infinities are close; nan only with
        ``equal_nan``): torch's formula, in its dtypes."""
        Tensor._tensor_other(_fn, other)
        rtol, atol = (Tensor._float_arg(_fn, n, v, None) for n, v in (("rtol", rtol), ("atol", atol)))
        if not isinstance(equal_nan, (bool, np.bool_)):
            raise TypeError(f"{_fn}(): argument 'equal_nan' must be bool, not {Tensor._type_name(equal_nan)}")
        if self.dtype is not other.dtype:
            raise RuntimeError(f"{_SCALAR_NAMES[self.dtype.name]} did not match {_SCALAR_NAMES[other.dtype.name]}")
        for name, tol in (("rtol", rtol), ("atol", atol)):
            if not tol >= 0:
                raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol:g}")
        _broadcast_shapes(self._data.shape, other._data.shape)
        a, b = self._data, other._data
        xp = _backend.array_namespace(a)
        close = a == b
        if equal_nan and self.dtype.is_floating_point:
            close = close | ((a != a) & (b != b))
        if rtol or atol:
            if self.dtype is _dtype.bool_:
                fd = _backend.backend_dtype(xp, _dtype.get_default_dtype().name)
                a, b = xp.astype(a, fd), xp.astype(b, fd)
            fd = a.dtype if self.dtype.is_floating_point or self.dtype is _dtype.bool_ else \
                _backend.backend_dtype(xp, _dtype.get_default_dtype().name)    # rtol * int tensor: float
            allowed = atol + xp.abs(rtol * xp.astype(b, fd))
            with np.errstate(invalid="ignore", over="ignore"):
                actual = xp.abs(a - b)
                close = close | (xp.isfinite(actual) & (xp.astype(actual, fd) <= allowed))
        return Tensor._make(_backend.elementwise(_backend.scalar_to_array(close), a, b))

    # in place
    def sin_(self):
        return self._inplace(lambda s: s.sin())

    def cos_(self):
        return self._inplace(lambda s: s.cos())

    def tan_(self):
        return self._inplace(lambda s: s.tan())

    def asin_(self):
        return self._inplace(lambda s: s.asin())

    def acos_(self):
        return self._inplace(lambda s: s.acos())

    def atan_(self):
        return self._inplace(lambda s: s.atan())

    def sinh_(self):
        return self._inplace(lambda s: s.sinh())

    def cosh_(self):
        return self._inplace(lambda s: s.cosh())

    def asinh_(self):      # torch records a node without a derivative (backward raises)
        return self._inplace(lambda s: s._float_op(_ops.AsinhInplace))

    def acosh_(self):      # torch records a node without a derivative (backward raises)
        return self._inplace(lambda s: s._float_op(_ops.AcoshInplace))

    def atanh_(self):      # torch records a node without a derivative (backward raises)
        return self._inplace(lambda s: s._float_op(_ops.AtanhInplace))

    def log2_(self):
        return self._inplace(lambda s: s.log2())

    def log10_(self):
        return self._inplace(lambda s: s.log10())

    def log1p_(self):
        return self._inplace(lambda s: s.log1p())

    def expm1_(self):
        return self._inplace(lambda s: s.expm1())

    def exp2_(self):
        return self._inplace(lambda s: s.exp2())

    def erf_(self):
        return self._inplace(lambda s: s.erf())

    def erfc_(self):
        return self._inplace(lambda s: s.erfc())

    def erfinv_(self):
        return self._inplace(lambda s: s.erfinv())

    def deg2rad_(self):
        return self._inplace(lambda s: s.deg2rad())

    def rad2deg_(self):
        return self._inplace(lambda s: s.rad2deg())

    def logit_(self, eps=None):
        return self._inplace(lambda s: s.logit(eps))

    def trunc_(self):
        return self._inplace(lambda s: s.trunc())

    def frac_(self):
        return self._inplace(lambda s: s.frac())

    def sgn_(self):
        return self._inplace(lambda s: s.sgn())

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace(lambda s: s.nan_to_num(nan, posinf, neginf))

    def _inplace_into(self, dt, compute, *others):
        """An in-place op whose result has dtype ``dt``: torch's cast check comes before the kernel's errors
        (and after the in-place checks of autograd)."""
        def checked(s):
            _check_castable(dt, s.dtype)
            return compute(s)
        return self._inplace(checked, *others)

    def _inplace_binary(self, fn, other, tensor_only, to_float, compute):
        if tensor_only:
            Tensor._tensor_other(fn, other)
        else:
            other = Tensor._tensor_or_number(fn, other)
        dt = _dtype.result_type(self, other)
        if to_float and not dt.is_floating_point:
            dt = _dtype.get_default_dtype()
        return self._inplace_into(dt, lambda s: compute(s, other), other)

    def atan2_(self, other):
        return self._inplace_binary("atan2_", other, True, True, Tensor.atan2)

    def hypot_(self, other):
        return self._inplace_binary("hypot_", other, True, False, Tensor.hypot)

    def xlogy_(self, other):
        return self._inplace_binary("xlogy_", other, False, True, Tensor.xlogy)

    def copysign_(self, other):
        return self._inplace_binary("copysign_", other, False, True, Tensor.copysign)

    def fmod_(self, other):
        return self._inplace_binary("fmod_", other, False, False, Tensor.fmod)

    def remainder_(self, other):
        return self._inplace_binary("remainder_", other, False, False, Tensor.remainder)

    def lerp_(self, end, weight):
        Tensor._lerp_args("lerp_", end, weight)
        dt = _dtype.result_type(self, end, weight) if isinstance(weight, Tensor) else self.dtype
        return self._inplace_into(dt, lambda s: s.lerp(end, weight), end, weight)

    def _addc_inplace(self, fn, op, tensor1, tensor2, rest, value):
        tensor1, tensor2, value = Tensor._deprecated_addc(fn, tensor1, tensor2, rest, value, (
            "Number value, Tensor tensor1, Tensor tensor2", "Tensor tensor1, Tensor tensor2, *, Number value = 1"))
        Tensor._addc_args(fn, tensor1, tensor2, value)
        dt = _dtype.result_type(self, tensor1, tensor2)
        return self._inplace_into(dt, lambda s: s._addc(fn, op, tensor1, tensor2, value), tensor1, tensor2)

    def addcmul_(self, tensor1, tensor2, *rest, value=_UNSET):
        return self._addc_inplace("addcmul_", _ops.Addcmul, tensor1, tensor2, rest, value)

    def addcdiv_(self, tensor1, tensor2, *rest, value=_UNSET):
        return self._addc_inplace("addcdiv_", _ops.Addcdiv, tensor1, tensor2, rest, value)

    def _assign_out(self, result):
        """Store ``result`` as the ``out=`` tensor of a function: torch's dtype check, and a resize (with its
        deprecation warning unless self was empty) when the shapes differ."""
        _check_castable(result.dtype, self.dtype)
        data = result._data
        xp = _backend.array_namespace(data)
        if data.dtype != self._data.dtype:
            data = xp.astype(data, self._data.dtype)
        if data.shape != self._data.shape:
            if math.prod(self._data.shape):
                warnings.warn(f"An output with one or more elements was resized since it had shape "
                              f"{list(self.shape)}, which does not match the required output shape "
                              f"{list(data.shape)}. This behavior is deprecated, and in a future PyTorch release "
                              "outputs will not be resized unless they have zero elements. You can explicitly "
                              "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
                              UserWarning, stacklevel=_user_stacklevel())
            self._data = _backend.contiguous(xp.asarray(data, copy=True))
        else:
            self._data[...] = data
        self._version_counter.value += 1
        return self


engine.Tensor = function.Tensor = _views.Tensor = Tensor   # the autograd modules sit below Tensor in the import order


class _ValuesIndices(tuple):
    """What ``max(dim)``/``min(dim)`` return: a (values, indices) tuple with names."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"minigrad.return_types.max(\nvalues={self[0]!r},\nindices={self[1]!r})"


class _NamedPair(tuple):
    """A ``torch.return_types`` pair (cummax, cummin, aminmax): a tuple whose two fields have names."""

    def __new__(cls, name, fields, first, second):
        self = super().__new__(cls, (first, second))
        self._name, self._fields = name, fields
        return self

    def __getattr__(self, attr):
        fields = tuple.__getattribute__(self, "_fields")
        if attr in fields:
            return self[fields.index(attr)]
        raise AttributeError(f"'torch.return_types.{self._name}' object has no attribute '{attr}'")

    def __repr__(self):
        a, b = self._fields
        return f"minigrad.return_types.{self._name}(\n{a}={self[0]!r},\n{b}={self[1]!r})"


class _ToDevice(_ops.Op):
    """y = a on another device;  dy/da = g moved back"""
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, *, device):
        ctx.src = _backend.device_of(a)
        return _backend.to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        if hasattr(g, "grad_fn"):
            return g.to(ctx.src)
        return _backend.to_device(g, ctx.src)


# ============================================================ module helpers ==

def _copy(a):
    return _backend.array_namespace(a).asarray(a, copy=True)


def _is_bool(a):
    return _backend.dtype_name(a.dtype) == "bool"


def _device_mismatch(a, b):
    raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                       f"{a.device} and {b.device}!")


def _check_castable(result, target):
    if _dtype.promote_types(result, target) is not target and not (result._rank <= target._rank):
        raise RuntimeError(f"result type {_SCALAR_NAMES[result.name]} can't be cast to the desired output type "
                           f"{_SCALAR_NAMES[target.name]}")


def _cast(t, dt):
    """Change dtype: differentiable between floating types, a plain conversion otherwise."""
    xp = _backend.array_namespace(t._data)
    if t.requires_grad and dt.is_floating_point and is_grad_enabled():
        return _ops.Cast.apply(t, dtype=_backend.backend_dtype(xp, dt.name))
    with np.errstate(invalid="ignore", over="ignore"):   # nan/inf -> int: torch converts silently
        return Tensor._make(xp.astype(t._data, _backend.backend_dtype(xp, dt.name)))


def _promote(a, other, other_is_tensor):
    """Cast operands to torch's result dtype; a Python number stays a Python number."""
    if other_is_tensor:
        if type(a._data) is not type(other._data) and a.device != other.device and a.ndim and other.ndim:
            _device_mismatch(a, other)
        da, db = a._data.dtype, other._data.dtype
        if da == db:
            return a, other
        dt = _dtype.result_type(a, other)
        return (a if a.dtype is dt else _cast(a, dt)), (other if other.dtype is dt else _cast(other, dt))
    dt = _dtype.result_type(a, other)
    if dt is not a.dtype:
        a = _cast(a, dt)
    if isinstance(other, bool) and dt is not _dtype.bool_:
        other = int(other)
    elif isinstance(other, int) and dt._rank == 1 and dt.itemsize < 8:
        other = int(np.array(other, dtype=np.int64).astype(dt.name))   # wraps around, as torch's C++ cast does
    return a, other


def _int_divisor(xp, a, b, kernel):
    """torch has no bool kernel for ``//`` and ``%``, and raises on integer division by zero (NumPy returns 0
    and warns) unless the result is empty."""
    name = _backend.dtype_name(a.dtype)
    if name not in _FLOAT_NAMES:
        if name == "bool":
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'Bool\'')
        if a.size and bool(xp.any(xp.asarray(b) == 0)):
            raise RuntimeError("ZeroDivisionError")
    return b


_FLOAT_NAMES = ("float16", "float32", "float64")


def _float_for_div(t):
    """Integer inputs to true division and transcendental ops become the default float dtype."""
    return t if t.dtype.is_floating_point else t.to(_dtype.get_default_dtype())


def _divide(a, b):
    if not isinstance(a, Tensor):
        a = Tensor._make(_backend.asarray(a, b.device))
    out_dt = _dtype.result_type(a, b)
    if not out_dt.is_floating_point:
        a = a.to(_dtype.get_default_dtype())
    return a._binary(_ops.Div, b)


def _no_grad_binary(a, b, fn):
    """A non-differentiable elementwise op (comparisons, floor division...) with torch promotion."""
    if isinstance(b, np.ndarray):
        b = Tensor._make(_backend.asarray(b, a.device))
    if isinstance(b, Tensor):
        if a._data.shape != b._data.shape:
            _broadcast_shapes(a._data.shape, b._data.shape)
        a2, b2 = _promote(a, b, True)
        bd = b2._data
    else:
        if not isinstance(b, _SCALAR_TYPES):
            raise TypeError(f"unsupported operand type: '{type(b).__name__}'")
        a2, bd = _promote(a, b.item() if isinstance(b, (np.number, np.bool_)) else b, False)
    y = fn(_backend.array_namespace(a2._data), a2._data, bd)
    # laid out by the operands as given (a promoted copy may not keep their strides)
    return Tensor._make(_backend.elementwise(y, a._data, b._data if isinstance(b, Tensor) else b))


def _shape_arg(shape):
    """``f(2, 3)``, ``f((2, 3))`` and ``f(Size)`` all mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(operator.index(s) for s in shape)     # a float size is a TypeError, as torch


def _new_shape(size):
    """The shape of a tensor to create (factories' size arguments), with torch's error for a negative size."""
    shape = _shape_arg(size)
    if min(shape, default=0) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(n for n in shape if n < 0)}: "
                           f"{list(shape)}")
    return shape


def _infer_shape(shape, numel, old_shape):
    if min(shape, default=0) < 0:          # one -1 (inferred) is the only negative size allowed
        inferred = None
        for i, n in enumerate(shape):      # in torch's order: the first bad entry names the error
            if n == -1:
                if inferred is not None:
                    raise RuntimeError("only one dimension can be inferred")
                inferred = i
            elif n < 0:
                raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
        known = -math.prod(shape)
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               f"unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:inferred] + (numel // known,) + shape[inferred + 1:]
    if math.prod(shape) != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _normalize_index(index, t):
    """Turn a torch-style index into a backend index, and classify it.

    'select' (only ints), 'slice' (ints/slices/None/Ellipsis: a view) or
    'advanced' (any integer/bool array: a copy, backward scatter-adds).
    """
    if type(index) is slice and t._data.ndim and (index.step is None or index.step > 0):
        return (slice(*index.indices(t._data.shape[0])), Ellipsis), "slice"     # x[a:b], a batch: the short way
    if not isinstance(index, tuple):
        index = tuple(index) if type(index) is not int and _sequence_as_tuple(index) else (index,)
    out, kind = [], "select"
    for i in index:
        if isinstance(i, Tensor):
            if i.ndim == 0 and not i.dtype.is_floating_point and i.dtype is not _dtype.bool_:
                out.append(int(i.item()))
                continue
            if i.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(i._data)
            kind = "advanced"
        elif hasattr(i, "dtype") and not isinstance(i, np.ndarray) and hasattr(i, "shape"):
            out.append(i)                       # already a backend array (backward formulas index with these)
            kind = "advanced"
        elif isinstance(i, (list, range, tuple)) or isinstance(i, np.ndarray):     # torch: any sequence is data
            arr = np.asarray(i)
            if arr.dtype.kind not in "iub":
                if arr.size == 0:
                    arr = arr.astype(np.int64)
                else:
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(_backend.asarray(arr, t.device))
            kind = "advanced"
        elif isinstance(i, (bool, np.bool_)):
            out.append(_backend.asarray(np.asarray(bool(i)), t.device))
            kind = "advanced"
        elif isinstance(i, numbers.Integral):
            out.append(int(i))
        elif i is None or i is Ellipsis or isinstance(i, slice):
            if isinstance(i, slice) and i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(i)
            if kind == "select":
                kind = "slice"
        elif isinstance(i, str):
            raise TypeError("new(): invalid data type 'str'")      # torch tries to make a tensor of it
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                             "are valid indices (got " + type(i).__name__ + ")")
    return _check_index_bounds(out, t.shape), kind


_NESTED_INDEX_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; "
    "use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result")


def _is_sequence(obj) -> bool:
    """Python's PySequence_Check, as torch's indexing asks it: lists, tuples, ranges, strings, NumPy arrays
    and classes with ``__getitem__``, but not mappings nor NumPy scalars."""
    if isinstance(obj, (list, tuple, range, str, bytes, bytearray, np.ndarray)):
        return True
    return not isinstance(obj, (dict, np.generic)) and hasattr(type(obj), "__getitem__") \
        and hasattr(type(obj), "__len__")


def _sequence_as_tuple(index) -> bool:
    """torch's treatSequenceAsTuple (NumPy's old rule): a non-tuple sequence of fewer than 32 items, one of
    them a tensor, a sequence, a slice, None or Ellipsis, is a tuple of indices (``x[[[0, 1], [1, 0]]]`` is
    ``x[[0, 1], [1, 0]]``), with torch's deprecation warning; anything else is a single index."""
    if isinstance(index, Tensor) or type(index) is np.ndarray or not _is_sequence(index):
        return False
    try:
        n = len(index)
    except TypeError:
        return False
    if n >= 32:
        return False
    for k in range(n):
        item = index[k]
        if isinstance(item, (Tensor, slice)) or item is None or item is Ellipsis or _is_sequence(item):
            warnings.warn(_NESTED_INDEX_WARNING, UserWarning, stacklevel=_user_stacklevel())
            return True
    return False


def _user_stacklevel() -> int:
    """The stacklevel of the first frame outside minigrad, for a warning raised from inside it."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("minigrad."):
        frame, level = frame.f_back, level + 1
    return level


def _dims_consumed(i):
    """How many tensor dims one index entry uses up: None/Ellipsis 0, a bool mask its ndim, else 1."""
    if i is None or i is Ellipsis:
        return 0
    if hasattr(i, "dtype") and _is_bool(i):
        return i.ndim
    return 1


def _check_index_bounds(index, shape):
    """Raise torch's IndexErrors; return the index with slices clipped to their axis and a trailing
    Ellipsis, the form the array API standard specifies (NumPy accepts more)."""
    consumed = sum(_dims_consumed(i) for i in index)
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    out, dim = [], 0
    for i in index:
        if i is Ellipsis:
            dim += len(shape) - consumed
        elif isinstance(i, int) and not -shape[dim] <= i < shape[dim]:
            raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {shape[dim]}")
        elif isinstance(i, slice):
            i = slice(*i.indices(shape[dim]))
        out.append(i)
        dim += _dims_consumed(i)
    if not any(i is Ellipsis or hasattr(i, "dtype") for i in out):   # arrays must stand alone in the API
        out.append(Ellipsis)
    return tuple(out)


def _advanced_index_error(index, shape):
    """Raise torch's IndexError for an advanced index NumPy rejected (called on NumPy's error only): a mask
    of the wrong shape, index arrays that do not broadcast, then the first index out of bounds."""
    consumed = sum(_dims_consumed(i) for i in index)
    arrays, dim, k = [], 0, 0      # k counts the indexed dims before an array: torch's bounds message names it
    for i in index:
        if i is Ellipsis:
            dim += len(shape) - consumed
            continue
        if hasattr(i, "dtype"):
            host = _backend.to_numpy(i)
            if host.dtype == np.bool_:
                for j, n in enumerate(host.shape):
                    if n != shape[dim + j]:
                        raise IndexError(f"The shape of the mask {list(host.shape)} at index {j} does not match the "
                                         f"shape of the indexed tensor {list(shape)} at index {dim + j}")
                arrays += [(a, None, None) for a in host.nonzero()]
            else:
                arrays.append((host, k, shape[dim]))
            k += host.ndim if host.dtype == np.bool_ else 1
        dim += _dims_consumed(i)
    try:
        hosts = np.broadcast_arrays(*(a for a, _, _ in arrays))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(a.shape)) for a, _, _ in arrays)) from None
    hosts = [(h.ravel(), k, n) for h, (_, k, n) in zip(hosts, arrays) if k is not None]
    if not hosts:
        return
    bad = np.logical_or.reduce([(h < -n) | (h >= n) for h, _, n in hosts])
    if bad.any():
        first = int(bad.argmax())          # torch walks the elements, and each element's indices in turn
        for h, k, n in hosts:
            if not -n <= h[first] < n:
                if n == 0:
                    raise IndexError("index is out of bounds for dimension with size 0")
                raise IndexError(f"index {h[first]} is out of bounds for dimension {k} with size {n}")


# ====================================================== free functions used above ==

def where(condition, input=None, other=None):
    """``where(cond, a, b)``: elements of a where cond, else b (numbers allowed for a or b)."""
    if input is None and other is None:
        return tuple(Tensor._make(i) for i in _backend.array_namespace(condition._data).nonzero(condition._data))
    if input is None or other is None or not isinstance(condition, Tensor):
        raise TypeError(_where_signature_error(condition, input, other))
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        # a Python number takes the result dtype (torch's wrapped-number promotion: int tensor, 0.5 -> float32)
        dt = _dtype.result_type(input, other).name
        input, other = (x if isinstance(x, Tensor) else Tensor._make(_backend.asarray(x, condition.device, dt))
                        for x in (input, other))
    if condition.dtype is not _dtype.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_SCALAR_NAMES[condition.dtype.name]}")
    _broadcast_shapes(condition._data.shape, input._data.shape, other._data.shape)
    a, b = _promote(input, other, True)
    return _track_versions(_ops.Where.apply(a, b, condition=condition._data), (condition,))


def _check_index_put(t, index, value):
    """torch's checks of ``t[index] = value`` with an advanced index: the same dtype (index_put never casts a
    tensor), a value that broadcasts to the selected elements, and no memory shared with ``t``."""
    if value.dtype is not t.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_SCALAR_NAMES[t.dtype.name]} for the destination and {_SCALAR_NAMES[value.dtype.name]} "
                           f"for the source.")
    try:
        shape = t._data[index].shape
    except IndexError:
        _advanced_index_error(index, t.shape)
        raise
    try:
        _broadcast_shapes(value._data.shape, shape)
        ok = len(value._data.shape) <= len(shape) and _broadcast_shapes(value._data.shape, shape) == shape
    except RuntimeError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(shape)}")
    if _backend.memory_overlap(t._data, value._data) != "none":
        raise RuntimeError(_views.PARTIAL_OVERLAP_ERROR)


def _basic_index_op(raw, index, shape):
    """The node torch's basic indexing ends with: it applies the entries one at a time (an int selects,
    None unsqueezes, a slice slices) and skips the full slices of a tuple, so the last step names it."""
    if isinstance(raw, slice):
        return _ops.Slice
    if type(raw) is int:
        return _ops.Select
    last, dim = None, 0
    n_dims = sum(1 for i in index if i is not None and i is not Ellipsis)
    for i in index:
        if i is Ellipsis:
            dim += len(shape) - n_dims
        elif i is None:
            last = _ops.SliceUnsqueeze
        elif isinstance(i, slice):
            if i.indices(shape[dim]) != (0, shape[dim], 1):
                last = _ops.Slice
            dim += 1
        else:
            last, dim = _ops.Select, dim + 1
    return last or _ops.SliceAlias


def _whole(index, shape):
    """Does a basic index select everything (only full slices and Ellipsis)?  torch's setitem then writes
    into the tensor itself, not into a view of it."""
    if not all(i is Ellipsis or isinstance(i, slice) for i in index):
        return False
    k = index.index(Ellipsis) if Ellipsis in index else len(index)
    dims = list(range(k)) + list(range(len(shape) - (len(index) - k - 1), len(shape)))[:len(index) - k - 1]
    slices = [i for i in index if i is not Ellipsis]
    return all(sl.indices(shape[d]) == (0, shape[d], 1) for sl, d in zip(slices, dims))


def _warn_index_put_on_expanded(data):
    if _backend.has_internal_overlap(data):
        warnings.warn("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before "
                      "performing this operation. This also applies to advanced indexing e.g. tensor[indices] = "
                      "tensor", UserWarning, stacklevel=3)


def _without_leading_ones(value):
    """torch's setitem first drops a value's leading size-1 dims, with a view (ViewBackward0 under grad)."""
    n = next((i for i, size in enumerate(value.shape) if size != 1), value.ndim)
    return value.view(value.shape[n:]) if n else value


def _track_index_tensors(out, raw):
    if out._grad_fn is not None:
        _track_versions(out, raw if type(raw) is tuple else (raw,))
    return out


def _track_versions(out, tensors):
    """Index tensors and where's condition reach their op as arrays; torch saves them, so modifying one
    in place before backward is its version error."""
    node = out._grad_fn
    if node is not None:
        node._save_extra([t for t in tensors if isinstance(t, Tensor)])
    return out


def _where_signature_error(*args):
    """torch's argument-parser message for ``where`` called with a None input or other."""
    def kind(x):
        return "Tensor" if isinstance(x, Tensor) else type(x).__name__

    def marks(slots):
        fits = {"Tensor": lambda x: isinstance(x, Tensor), "Number": lambda x: isinstance(x, _SCALAR_TYPES)}
        return ", ".join(kind(x) if fits[slot](x) else f"!{kind(x)}!" for x, slot in zip(args, slots))
    msg = (f"where() received an invalid combination of arguments - got ({', '.join(map(kind, args))}), but "
           "expected one of:\n * (Tensor condition)\n * (Tensor condition, Tensor input, Tensor other, *, Tensor out "
           "= None)\n")
    for sig, slots in (("Tensor condition, Number self, Tensor other", ("Tensor", "Number", "Tensor")),
                       ("Tensor condition, Tensor input, Number other", ("Tensor", "Tensor", "Number")),
                       ("Tensor condition, Number self, Number other", ("Tensor", "Number", "Number"))):
        msg += f" * ({sig})\n      didn't match because some of the arguments have invalid types: ({marks(slots)})\n"
    return msg


def _number_or_tensor(name, other):
    if other is None:          # torch's argument parser (a Number is accepted too)
        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not NoneType")


def _tensor_arg(name, b, arg="other", position=2):
    if not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(b).__name__}")


def maximum(a, b):
    _tensor_arg("maximum", a, "input", 1)
    _tensor_arg("maximum", b)
    _broadcast_shapes(a._data.shape, b._data.shape)
    a, b = _promote(a, b, True)
    return _ops.Maximum.apply(a, b)


def minimum(a, b):
    _tensor_arg("minimum", a, "input", 1)
    _tensor_arg("minimum", b)
    _broadcast_shapes(a._data.shape, b._data.shape)
    a, b = _promote(a, b, True)
    return _ops.Minimum.apply(a, b)


def _matmul_fold_checks(a, b):
    """matmul's errors (mixed dtypes or sizes) where torch folds to mm / mv: their size check comes first,
    then their dtype error.  A <= 2-D a folds into b.mT (>= 3-D b) when it requires grad, and a 1-D a also
    when b is empty or has one row (b.mT then views as a matrix without a copy)."""
    na, nb = _SCALAR_NAMES[a.dtype.name], _SCALAR_NAMES[b.dtype.name]
    ka = a.shape[-1]
    if a.ndim <= 2 < b.ndim and (a.requires_grad or (a.ndim == 1 and (b.numel() == 0 or b.shape[-2] == 1))):
        rows, kb = math.prod(b.shape[:-2]) * b.shape[-1], b.shape[-2]
        if a.ndim == 1:         # mv(b.mT, a)
            if ka != kb:
                raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{kb}), vec ({ka})")
            if a.dtype is not b.dtype:
                raise RuntimeError(f"addmv input tensors must have the same dtype, but got {na}, {nb}, and {na}")
        else:                   # mm(b.mT, a.mT)
            if ka != kb:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{kb} and {ka}x{a.shape[0]})")
            if a.dtype is not b.dtype:
                raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[b.dtype.name]} "
                                   f"!= {_C_NAMES[a.dtype.name]}")
    if a.ndim > 2 and b.ndim <= 2:          # a folds into a matrix
        rows, kb = math.prod(a.shape[:-1]), b.shape[0]
        if b.ndim == 1:
            if ka != kb:
                raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({kb})")
            if a.dtype is not b.dtype:
                raise RuntimeError(f"addmv input tensors must have the same dtype, but got {nb}, {na}, and {nb}")
        if ka != kb:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{ka} and {kb}x{b.shape[1]})")
        if a.dtype is not b.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a.dtype.name]} != "
                               f"{_C_NAMES[b.dtype.name]}")
    if a.ndim <= 2 and b.ndim <= 2 and not (a.ndim == 1 and b.ndim == 1):   # mv / mm check sizes first
        kb = b.shape[0]
        if ka != kb:
            if b.ndim == 1:
                raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{ka}), vec ({kb})")
            sa = "x".join(map(str, a.shape)) if a.ndim == 2 else f"1x{ka}"
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {kb}x{b.shape[1]})")


def matmul(a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b if isinstance(a, Tensor) else a).__name__}")
    sa, sb = a._data.shape, b._data.shape
    if not (a._data.dtype == b._data.dtype and sa and sb and sa[-1] == (sb[0] if len(sb) == 1 else sb[-2])
            and (len(sa) <= 2 or len(sb) <= 2)):     # anything else: torch's checks, in torch's order
        a = _matmul_checks(a, b)
    ndims = (len(sa), len(sb))
    if ndims == (1, 1):
        return _ops.Dot.apply(a, b)
    if ndims == (2, 1):
        return _ops.Mv.apply(a, b)
    if ndims == (2, 2):
        return _ops.Matmul.apply(a, b)
    if ndims == (1, 2):
        return _ops.VecMat.apply(a, b)
    # torch folds a matrix that requires grad into b.mT and transposes the product back; a 3-D a of batch 1
    # against another batch first drops that dim (then is such a matrix)
    mT = ndims[0] == 2 or (ndims == (3, 3) and sa[0] == 1 != sb[0])
    return _ops.BatchedMatmul.apply(a, b, folded_mT=mT and a.requires_grad)


def _matmul_checks(a, b):
    """matmul's argument checks with torch's messages (the caller's cheap test passed over the common case);
    returns ``a``, cast where torch's empty batched product takes b's dtype."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if a.dtype is not b.dtype or a.shape[-1] != (b.shape[0] if b.ndim == 1 else b.shape[-2]):
        _matmul_fold_checks(a, b)
    if a.dtype is not b.dtype and b.ndim <= 2:
        na, nb = _SCALAR_NAMES[a.dtype.name], _SCALAR_NAMES[b.dtype.name]
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {na} and {nb}")
        if a.ndim == 2 and b.ndim == 1:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {nb}, {na}, and {nb}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a.dtype.name]} != "
                           f"{_C_NAMES[b.dtype.name]}")
    if a.ndim > 2 and b.ndim > 2:
        _broadcast_shapes(a.shape[:-2], b.shape[:-2])
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same "
                               f"number of elements, but got {ka} and {kb} elements respectively")
        if a.ndim == 2 and b.ndim == 1:
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{ka}), vec ({kb})")
        if a.ndim > 2 and b.ndim == 2:     # torch folds the batch into the rows
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({math.prod(a.shape[:-1])}x{ka} and "
                               f"{kb}x{b.shape[1]})")
        if a.ndim <= 2 and b.ndim <= 2:
            sa = "x".join(map(str, a.shape)) if a.ndim == 2 else f"1x{ka}"
            sb = "x".join(map(str, b.shape)) if b.ndim == 2 else f"{kb}x1"
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
        nbatch = math.prod(_broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))    # bmm's batch
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nbatch}, {ka}] but got: [{nbatch}, {kb}].")
    if a.dtype is not b.dtype:     # only bmm gets here: it checks sizes first, and gives b's dtype when empty
        if a.numel() and b.numel():
            raise RuntimeError(f"expected scalar type {_SCALAR_NAMES[a.dtype.name]} but found "
                               f"{_SCALAR_NAMES[b.dtype.name]}")
        a = a.to(b.dtype)
    return a


def mm(a, b):
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(a, b)


def bmm(a, b):
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    a, b = _promote(a, b, True)
    return _ops.Bmm.apply(a, b)


def cat(tensors, dim=0):
    tensors = [t for t in tensors]
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # torch skips legacy empty 1-D tensors of shape (0,)
    kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    for i, t in enumerate(tensors):      # before the dim check, as torch
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = kept[0]
    d = ref._dim(dim)
    for i, t in enumerate(kept):
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    dt = _dtype.result_type(*tensors)
    tensors = [t if t.dtype is dt else t.to(dt) for t in tensors]
    return _ops.Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]
    d = ref._dim(dim, ref.ndim + 1)     # before the size check, as torch
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry 0 "
                               f"and {list(t.shape)} at entry {i}")
    dt = _dtype.result_type(*tensors)
    tensors = [t if t.dtype is dt else t.to(dt) for t in tensors]
    return _ops.Stack.apply(*tensors, dim=d)
