"""``nn.Parameter``: a Tensor that a Module registers when it is assigned as an attribute."""
from __future__ import annotations

from .._tensor import Tensor, _check_float_for_grad, _copy


class Parameter(Tensor):
    """A leaf tensor (``requires_grad=True`` by default) sharing memory with ``data``.

    Operations on a Parameter return plain Tensors, as in torch; only the
    Parameter itself is registered by ``Module.__setattr__``.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._factories import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = object.__new__(cls)
        p._init(data._data, version=data._version_counter)
        if requires_grad:
            _check_float_for_grad(p.dtype, constructor=True)
            p._requires_grad = True
        return p

    def __init__(self, data=None, requires_grad=True):
        pass    # everything happens in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._make(_copy(self._data)), self.requires_grad)
        if self._grad is not None:
            result._grad = Tensor._make(_copy(self._grad._data))
        memo[id(self)] = result
        return result
