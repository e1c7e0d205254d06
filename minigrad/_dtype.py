"""dtypes with torch's names, and torch's type-promotion rules.

NumPy and torch disagree on promotion: ``int64 / int64`` is float64 in NumPy
and float32 in torch; ``int64 * 1.5`` is float64 vs float32; a float32 tensor
times a 0-d float64 tensor is float64 vs float32.  minigrad computes the
result dtype with torch's rules (``result_type``) and casts the operands
before calling NumPy, so the array library never decides.
"""
from __future__ import annotations


class dtype:
    __slots__ = ("name", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name, is_floating_point, is_signed, itemsize, rank):
        self.name = name
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self.itemsize = itemsize
        self._rank = rank   # 0 bool, 1 integer, 2 floating: promotion category

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return f"minigrad.{self.name}"

    def __reduce__(self):        # pickled by name, so copies stay the singletons
        return (_by_name, (self.name,))


bool_ = dtype("bool", False, False, 1, 0)
uint8 = dtype("uint8", False, False, 1, 1)
int8 = dtype("int8", False, True, 1, 1)
int16 = dtype("int16", False, True, 2, 1)
int32 = dtype("int32", False, True, 4, 1)
int64 = dtype("int64", False, True, 8, 1)
float16 = dtype("float16", True, True, 2, 2)
float32 = dtype("float32", True, True, 4, 2)
float64 = dtype("float64", True, True, 8, 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_NAMED = {d.name: d for d in ALL}

# torch's aliases
ALIASES = dict(float=float32, double=float64, half=float16, long=int64, int=int32, short=int16)


def _by_name(name: str) -> dtype:
    return _NAMED[name]


def from_name(name: str) -> dtype:
    return _NAMED[name]


_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


# --------------------------------------------------------------- promotion --

def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both can be cast to without leaving their category."""
    if a is b:
        return a
    if a._rank != b._rank:               # a float beats any int; an int beats bool
        return a if a._rank > b._rank else b
    if a._rank == 2 or a.is_signed == b.is_signed:
        return a if a.itemsize >= b.itemsize else b
    signed, unsigned = (a, b) if a.is_signed else (b, a)   # uint8 with a signed int
    return signed if signed.itemsize > unsigned.itemsize else int16 if signed is int8 else signed


def python_scalar_dtype(x) -> dtype:
    """dtype a Python number takes when it meets a tensor (a 'wrapped number' in torch)."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    return _default_float


def _combine(higher, lower):
    # c10's combine_categories: the higher-priority group keeps its dtype unless
    # the lower group is of a higher category (bool < int < float).
    if higher is None:
        return lower
    if lower is None or higher._rank == 2:
        return higher
    if higher is bool_ or lower._rank == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python numbers.

    Three priority groups, as in torch: tensors with dimensions, 0-d tensors,
    Python numbers.  A lower group only matters when its category is higher.
    """
    dim = zero = scalar = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = python_scalar_dtype(x)
            scalar = d if scalar is None else promote_types(scalar, d)
    return _combine(dim, _combine(zero, scalar))
