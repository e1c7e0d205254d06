"""minigrad's random numbers: PyTorch's CPU streams, drawn with NumPy.

torch's CPU generator is a 32-bit Mersenne Twister (mt19937) seeded as
``std::mt19937(seed)``.  NumPy's ``MT19937`` seeded the legacy way (what
``np.random.RandomState(seed)`` does) yields the same raw 32-bit words, so a
``Generator`` here keeps one and turns its words into numbers exactly as
torch's CPU kernels do, in torch's order: ``manual_seed(s)`` and then the same
calls give the same numbers (float32 ``normal_`` too, bit for bit, see
``_normal_blocks_f32``) and the same ``get_state()`` bytes.  Words are drawn in
bulk and transformed with NumPy, in place or in cache-sized chunks into
per-thread scratch buffers (a new tensor's own memory takes the values: see
``_fill``); nothing loops in Python per element except ``poisson`` (a
rejection sampler) and ``randperm`` up to 512 and beyond 2e8 elements.

Numbers are drawn on the host and then moved to the tensor's device, so a
seed gives the same values on every backend (torch's CUDA streams are not
reproduced: its CUDA generator is a different algorithm).

What is not matched: on Intel CPUs, torch's MKL builds take another route
for ``bernoulli_(float p)`` (and so ``dropout``): its source seeds an MKL
stream with one word instead (see ``bernoulli_scalar``).  Everything here
follows the route torch takes on other CPUs (AMD, ARM).
"""
from __future__ import annotations

import contextlib
import math
import numbers
import os
import threading
import warnings

import numpy as np

from . import _backend, _dtype

# torch's CPU generator state as ``get_state()`` serialises it (a C struct, little-endian, 5056 bytes):
# uint64 initial seed | int32 left | int32 seeded | uint64 next | uint64 state[624] | double normal_x, normal_y,
# normal_rho | int32 normal_is_valid | pad | float next_float_normal | bool valid | pad.
_N = 624
_STATE_BYTES = 5056
_OFF_STATE = 24
_OFF_NORMAL_Y = _OFF_STATE + 8 * _N + 8
_OFF_NORMAL_VALID = _OFF_NORMAL_Y + 16
_OFF_FLOAT_NORMAL = _OFF_NORMAL_VALID + 8
_DEFAULT_SEED = 67280421310721        # what torch.Generator() starts from
_U64 = (1 << 64) - 1
_BULK = 4096                          # from this many words NumPy's Generator.integers beats random_raw + astype
_WORDS_CHUNK = 1 << 16                # words drawn at a time when writing into a tensor's own memory


def _temper(y):
    """mt19937's output transform of raw state words (uint32 array)."""
    y = y ^ (y >> np.uint32(11))
    y = y ^ ((y << np.uint32(7)) & np.uint32(0x9D2C5680))
    y = y ^ ((y << np.uint32(15)) & np.uint32(0xEFC60000))
    return y ^ (y >> np.uint32(18))


def _seeded_key(seed: int) -> np.ndarray:
    """The 624-word state ``std::mt19937(seed)`` starts from (only the low 32 bits of the seed count)."""
    return np.random.RandomState(seed & 0xFFFFFFFF).get_state()[1].astype(np.uint32)


def _check_seed_int(seed):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


class Generator:
    """``minigrad.Generator(device='cpu')``: an independent stream, as ``torch.Generator``.

    It starts from torch's default seed 67280421310721; ``manual_seed(s)`` makes
    it draw what ``torch.Generator().manual_seed(s)`` draws, and ``get_state()``
    returns torch's 5056-byte state, which either library's ``set_state`` takes.
    """

    def __init__(self, device="cpu"):
        self._device = _backend.as_device(device)
        self._bits = np.random.MT19937()
        self._ints = np.random.Generator(self._bits)     # shares the bit generator: a faster bulk path
        self._set_engine(_DEFAULT_SEED, _seeded_key(_DEFAULT_SEED), left=1, next_=0)
        self._normal_double = None     # torch caches Box-Muller's second value (double and float kernels)
        self._normal_float = None

    # --------------------------------------------------------------- engine --
    def _set_engine(self, seed, key, left, next_):
        """Load torch's engine fields.  NumPy's position ``pos`` reads ``key[pos]`` next and twists at 624;
        torch's engine twists when ``left`` counts down to 0 and then reads ``state[next]``, so after a
        twist ``left + next == 625``.  A state with ``left == 1`` (just seeded) twists on the next draw
        whatever ``next`` says; any other ``next`` first reads ``left - 1`` untwisted words (``_prefix``)."""
        self._seed = seed
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
        self._prefix = None
        self._boundary = None
        if left == 1:
            self._boundary = (key.copy(), next_)     # get_state must give this ``next`` back, not 624
        elif left + next_ == _N + 1:
            self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": next_}}
        else:
            self._prefix = [_temper(key[next_: next_ + left - 1]), 0, next_]

    def _words(self, n):
        """The next ``n`` raw 32-bit words of the stream: a new uint32 array, which the caller may overwrite."""
        n = int(n)
        if self._prefix is not None:
            words, used, _ = self._prefix
            take = words[used: used + n]
            self._prefix[1] += len(take)
            if self._prefix[1] == len(words):
                self._prefix = None
            if len(take) == n:
                return take.copy()
            return np.concatenate([take, self._words(n - len(take))])
        if n >= _BULK:
            return self._ints.integers(0, 1 << 32, size=n, dtype=np.uint32)
        return self._bits.random_raw(n).astype(np.uint32)

    def _words64(self, n):
        """``n`` values of torch's ``random64()``: two words, the first one high (uint64 array)."""
        w = self._words(2 * n).astype(np.uint64)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    # ----------------------------------------------------------- torch API --
    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        """Seed the stream (any int in [-2**63, 2**64); negatives wrap to 2**64 + seed), drop the cached
        normal values, and return self."""
        seed = _check_seed_int(seed)
        self._set_engine(seed, _seeded_key(seed), left=1, next_=0)
        self._normal_double = self._normal_float = None
        return self

    def seed(self):
        """Seed from the OS's entropy and return the 64-bit seed used."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """torch's 5056-byte ``uint8`` state tensor (engine, cached normal values)."""
        from ._factories import from_numpy
        buf = np.zeros(_STATE_BYTES, np.uint8)
        key, pos = self._engine_state()
        if self._prefix is not None:
            words, used, next0 = self._prefix
            left, next_ = len(words) - used + 1, next0 + used
        elif pos == _N:
            left = 1
            boundary = self._boundary
            next_ = boundary[1] if boundary is not None and np.array_equal(boundary[0], key) else _N
        else:
            left, next_ = _N + 1 - pos, pos
        buf[0:8].view(np.uint64)[0] = self._seed
        buf[8:12].view(np.int32)[0] = left
        buf[12:16].view(np.int32)[0] = 1
        buf[16:24].view(np.uint64)[0] = next_
        buf[_OFF_STATE: _OFF_STATE + 8 * _N].view(np.uint64)[:] = key
        if self._normal_double is not None:
            buf[_OFF_NORMAL_Y: _OFF_NORMAL_Y + 8].view(np.float64)[0] = self._normal_double
            buf[_OFF_NORMAL_VALID] = 1
        if self._normal_float is not None:
            buf[_OFF_FLOAT_NORMAL: _OFF_FLOAT_NORMAL + 4].view(np.float32)[0] = self._normal_float
            buf[_OFF_FLOAT_NORMAL + 4] = 1
        return from_numpy(buf)

    def _engine_state(self):
        st = self._bits.state["state"]
        return np.asarray(st["key"], np.uint32), int(st["pos"])

    def set_state(self, new_state):
        """Load a state from ``get_state()`` (this library's or torch's bytes); returns self."""
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a minigrad.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not _dtype.uint8:
            raise TypeError("RNG state must be a minigrad.ByteTensor")
        buf = np.ascontiguousarray(_backend.to_numpy(new_state._data)).reshape(-1)
        if buf.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input RNG "
                               f"state size to be {buf.size}")
        seed = int(buf[0:8].view(np.uint64)[0])
        left = int(buf[8:12].view(np.int32)[0])
        seeded = int(buf[12:16].view(np.int32)[0]) & 0xFF      # a C++ bool: its first byte
        next_ = int(buf[16:24].view(np.uint64)[0]) & 0xFFFFFFFF
        if not (seeded and 0 < left <= _N and next_ <= _N) or (left > 1 and next_ + left - 1 > _N):
            # (the last case would make torch read past its state array)
            raise RuntimeError("Invalid mt19937 state")
        key = buf[_OFF_STATE: _OFF_STATE + 8 * _N].view(np.uint64).astype(np.uint32)   # torch keeps 32 bits
        self._set_engine(seed, key, left, next_)
        self._normal_double = float(buf[_OFF_NORMAL_Y: _OFF_NORMAL_Y + 8].view(np.float64)[0]) \
            if buf[_OFF_NORMAL_VALID: _OFF_NORMAL_VALID + 4].view(np.int32)[0] else None
        self._normal_float = np.float32(buf[_OFF_FLOAT_NORMAL: _OFF_FLOAT_NORMAL + 4].view(np.float32)[0]) \
            if buf[_OFF_FLOAT_NORMAL + 4] else None
        return self

    def __reduce__(self):            # copy.deepcopy and pickle: the state's bytes (tensors do not pickle)
        return (_restore_generator, (str(self._device), self.get_state().numpy().tobytes()))

    def __repr__(self):
        return f"<minigrad.Generator object at {hex(id(self))}>"


def _restore_generator(device, state):
    from ._factories import from_numpy
    return Generator(device).set_state(from_numpy(np.frombuffer(state, np.uint8).copy()))


def _os_seed():
    return int.from_bytes(os.urandom(8), "little")


default_generator = Generator()
default_generator.manual_seed(_os_seed())     # torch seeds its default generator from the OS too


def manual_seed(seed):
    """Seed the default generator (``int(seed)``, as torch) and return it."""
    return default_generator.manual_seed(int(seed))


def seed():
    """Seed the default generator from the OS's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Restore the default generator's state on exit.  minigrad draws every device's numbers from the
    CPU stream, so that one state is all there is to fork."""
    if not enabled or device_type == "meta":
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def _gen(generator, device=None):
    """The generator to draw from; torch's error when it belongs to another device type."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a minigrad.Generator, but got {type(generator).__name__}")
    if device is not None and generator.device.type != _backend.as_device(device).type:
        raise RuntimeError(f"Expected a '{_backend.as_device(device).type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator


# =============================================================== arithmetic ==
# torch's kernels are compiled with FMA contraction: ``a * b + c`` rounds once.  float32 FMA: the product of
# two float32 is exact in float64, so one float64 multiply-add rounded to float32 gives it (a double rounding
# could only differ when the float64 sum is inexact and falls on a float32 tie: not one of 2.4e7 draws compared
# with torch did).

def _fma32(a, b, c):
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(np.float32)


def _split(x):
    t = x * 134217729.0                   # Veltkamp: x = hi + lo with 26-bit halves
    hi = t - (t - x)
    return hi, x - hi


def _fma64(a, b, c):
    """float64 ``a * b + c`` with one rounding (error-free product and sum; correct but for rare ties)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    err = (p - (s - bb)) + (c - bb)
    return s + (err + e)


def _unit_f32(words, out=None):
    """torch's float32 uniform: the low 24 bits of a word, times 2**-24.  In place: the words' buffer becomes
    the floats (a float32 view of it is returned), unless ``out`` (float32, same length) is given."""
    np.bitwise_and(words, np.uint32(0xFFFFFF), out=words)
    out = words.view(np.float32) if out is None else out
    np.copyto(out, words.view(np.int32), casting="unsafe")       # exact: 24 bits
    return np.multiply(out, np.float32(2.0 ** -24), out=out)


def _unit_f64(r64):
    """torch's float64 uniform: the low 53 bits of ``random64()``, times 2**-53."""
    return (r64 & np.uint64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)


def _double_uniforms(gen, n):
    return _unit_f64(gen._words64(n))


# ==================================================================== kernels ==
# Each returns ``n`` host values in the order torch's kernel writes them (memory order of the output).

def uniform(gen, n, dtype, low, high, out=None):
    """``uniform_(low, high)``: ``u * (high - low) + low`` (one rounding) in the dtype's accumulate type (float32
    for float16, with the bounds as float32), rounded to the dtype; a value that rounds to ``high`` becomes
    ``low``, as torch keeps to [low, high).  ``out``: a flat array of the dtype to write the values into (then
    returned)."""
    name = dtype.name
    if name == "float32" and (low, high) == (0.0, 1.0) and out is not None:
        for a in range(0, n, _WORDS_CHUNK):       # a cache-sized chunk of words at a time, no second buffer
            b = min(a + _WORDS_CHUNK, n)
            _unit_f32(gen._words(b - a), out[a:b])
        return out                                # (u < 1: nothing rounds to high)
    if name == "float64":
        res = _double_uniforms(gen, n)
        if (low, high) != (0.0, 1.0):
            res = _fma64(res, high - low, low)
    else:
        res = _unit_f32(gen._words(n))
        if (low, high) != (0.0, 1.0):
            lo, hi = np.float32(low), np.float32(high)
            res = _fma32(res, hi - lo, lo)
        if name == "float16":
            res = res.astype(np.float16)
    # the bounds in the dtype (float16's from float32: torch casts the double to float, then to half)
    top, bottom = (np.asarray(v, np.float64 if name == "float64" else np.float32).astype(name) for v in (high, low))
    res[res == top] = bottom
    if out is None:
        return res
    out[...] = res
    return out


def _box_muller_pairs(gen, k):
    """``k`` scalar Box-Muller pairs as torch's ``normal_distribution<double>`` makes them: (cos, sin)."""
    u = _double_uniforms(gen, 2 * k)
    u1, u2 = u[0::2], u[1::2]
    r = np.sqrt(-2.0 * np.log1p(-u2))
    theta = (2.0 * math.pi) * u1
    return r * np.cos(theta), r * np.sin(theta)


def standard_normal_scalar(gen, n):
    """``n`` draws of torch's scalar normal: each Box-Muller pair gives a value and caches the second,
    which the next draw (of any kernel on this generator) returns first."""
    out = np.empty(n, np.float64)
    if n == 0:
        return out
    start = 0
    if gen._normal_double is not None:
        out[0] = gen._normal_double
        gen._normal_double = None
        start = 1
    m = n - start
    k = (m + 1) // 2
    if k:
        c, s = _box_muller_pairs(gen, k)
        pairs = np.empty(2 * k, np.float64)
        pairs[0::2], pairs[1::2] = c, s
        out[start:] = pairs[:m]
        if m % 2:
            gen._normal_double = float(s[-1])
    return out


# float32 Box-Muller on 16 values (torch's AVX2 ``normal_fill``): Cephes-style log and sincos polynomials in
# float32, with the FMAs GCC contracts there, reproduced bit for bit from the words: NumPy passes over one
# cache-sized chunk at a time, into per-thread scratch buffers (``_NormalWork``: reused, so no page faults).
# An FMA ``fl32(a * b + c)``: the product of two float32 is exact in float64, and one float64 add rounded to
# float32 gives the FMA (see ``_fma32``).  Where all of a step's results lie in one binade [2**b, 2**(b + 1)),
# adding ``c + 1.5 * 2**(b + 29)`` instead rounds the float64 sum once, straight onto float32's grid there
# (ties to even), and subtracting the constant again is exact (``_fma_b``).  The radius is a function of one
# 24-bit word and (sin, cos) of another, so all of this was checked exhaustively: on every 24-bit word the
# radius, sin and cos equal an operation-by-operation float32 emulation of the kernel, and every radius word
# and every angle word, fed to torch's ``normal_`` through crafted generator states, gives torch's bits.
_F, _D, _I = np.float32, np.float64, np.int32
_LOG_P = tuple(_F(v) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                               1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                               3.3333331174E-1))
_LOG_Q1, _LOG_Q2 = _F(-2.12194440e-4), _F(0.693359375)
_SQRTHF_BITS = _F(0.707106781186547524).view(_I)     # 0x3F3504F3
_LOG_SHIFT = _SQRTHF_BITS + _I(24 << 23)
_DP1, _DP2, _DP3 = _F(-0.78515625), _F(-2.4187564849853515625e-4), _F(-3.77489497744594108e-8)
_COS_P = (_F(2.443315711809948E-005), _F(-1.388731625493765E-003), _F(4.166664568298827E-002))
_SIN_P = (_F(-1.9515295891E-4), _F(8.3321608736E-3), _F(-1.6666654611E-1))
_FOPI, _TWO_PI_F = _F(1.27323954473516), _F(2.0 * math.pi)
_THETA = _F(float(_TWO_PI_F) * 2.0 ** -24)     # u * 2pi, u = k * 2**-24: the same rounding as k * this
_DP = float(_DP1) + float(_DP2) + float(_DP3)  # exact in float64 (the three are 8, 12 and 24 bits)
_SIGN = np.int32(-0x80000000)
_CHUNK = 32768          # values per half-block pass (2.3 MB of scratch a thread; measured: smaller chunks
                        # lose to NumPy's per-call cost, larger ones gain nothing)
_tls = threading.local()


class _NormalWork:
    """Scratch arrays for one chunk of ``m`` radius and ``m`` angle values, kept per thread."""

    def __init__(self, m):
        self.m = m
        self.i = [np.empty(m, _I) for _ in range(4)]
        self.f = [np.empty(m, _F) for _ in range(8)]
        self.d = [np.empty(m, _D) for _ in range(3)]


def _normal_work():
    w = getattr(_tls, "normal", None)
    if w is None:
        w = _tls.normal = _NormalWork(_CHUNK)
    return w


def _add_b(t64, c, b, y64):
    """``y = fl32(t + c)`` for an exact float64 ``t`` and results in the binade 2**b: one rounding."""
    big = 1.5 * 2.0 ** (b + 29)                # its float64 ulp is float32's in [2**b, 2**(b + 1))
    np.add(t64, _D(c) + big, out=y64)
    np.subtract(y64, big, out=y64)


def _fma_b(y64, x64, c, b):
    """``y = fl32(y * x + c)`` in float64 (float32 values), for results in the binade 2**b."""
    np.multiply(y64, x64, out=y64)
    _add_b(y64, c, b, y64)


def _fma_r(y64, x64, c, y32):
    """``y = fl32(y * x + c)`` in float64 (float32 values), rounded through float32 (any binade)."""
    np.multiply(y64, x64, out=y64)
    np.add(y64, _D(c), out=y64)
    np.copyto(y32, y64, casting="same_kind")
    np.copyto(y64, y32)


def _radius_into(k, radius, w):
    """``radius = sqrt(-2 * log(1 - u))`` as the kernel computes it, for ``u = k * 2**-24`` (k: int32, the low
    24 bits of the words; overwritten).  The log: 1 - u = m * 2**e with m in [sqrt(1/2), sqrt(2)), and Cephes'
    polynomial in x = m - 1."""
    m = len(k)
    e = w.i[2][:m]
    f, x, z, y, tmp = (a[:m] for a in w.f[:5])
    x64, t64, y64 = w.d[0][:m], w.d[1][:m], w.d[2][:m]
    np.subtract(0x1000000, k, out=k)                   # 1 - u = j * 2**-24, j = 2**24 - k
    np.copyto(f, k, casting="unsafe")                  # exact (24 bits)
    fb = f.view(_I)
    # Cephes takes j = m' * 2**e' (m' in [1/2, 1)) and doubles m' below sqrt(1/2); with integer arithmetic on
    # the bits: less sqrt(1/2)'s bits, the exponent field is e (one lower where m' was doubled), and the
    # mantissa field plus sqrt(1/2)'s bits is m.  The extra 24 << 23 takes the 2**-24 of u into e.
    np.subtract(fb, _LOG_SHIFT, out=fb)
    np.right_shift(fb, 23, out=e)
    np.bitwise_and(fb, 0x7FFFFF, out=fb)
    np.add(fb, _SQRTHF_BITS, out=fb)
    np.subtract(f, _F(1), out=x)                       # x = m - 1: exact
    np.multiply(x, x, out=z)
    np.copyto(x64, x)
    np.multiply(x64, _D(_LOG_P[0]), out=y64)           # Horner, one FMA a step; only the last step's results
    np.add(y64, _D(_LOG_P[1]), out=y64)                # keep to one binade (all in [1/4, 1/2))
    np.copyto(y, y64, casting="same_kind")
    np.copyto(y64, y)
    for c in _LOG_P[2:-1]:
        _fma_r(y64, x64, c, y)
    _fma_b(y64, x64, _LOG_P[-1], -2)
    np.copyto(y, y64, casting="same_kind")
    np.multiply(y, x, out=y)                           # y * x, rounded: a float32 product
    np.copyto(y64, y)
    np.copyto(f, e, casting="unsafe")
    np.multiply(f, _LOG_Q1, out=tmp)
    np.copyto(x64, z)
    np.multiply(y64, x64, out=y64)                     # y * z + e * q1: GCC fused the first product
    np.copyto(t64, tmp)
    np.add(y64, t64, out=y64)
    np.copyto(y, y64, casting="same_kind")
    np.multiply(z, _F(0.5), out=tmp)
    np.subtract(y, tmp, out=y)                         # an FMA too, but z * 0.5 is exact
    np.add(x, y, out=y)
    np.multiply(f, _LOG_Q2, out=tmp)                   # exact (9-bit constant, small integer e)
    np.add(y, tmp, out=y)
    np.multiply(y, _F(-2), out=y)
    np.sqrt(y, out=radius)                             # (-0 for u = 0)


def _sincos_into(k, s, c, w):
    """``s, c = sin(theta), cos(theta)`` as the kernel computes them, for ``theta = fl32(u * 2pi)``,
    ``u = k * 2**-24`` (k: int32, overwritten)."""
    m = len(k)
    j = k
    sel, sgn = w.i[2][:m], w.i[3][:m]
    theta, x, z, ys, yc = (a[:m] for a in w.f[:5])
    z64, t64, y64 = w.d[0][:m], w.d[1][:m], w.d[2][:m]
    np.copyto(theta, k, casting="unsafe")
    np.multiply(theta, _THETA, out=theta)
    np.multiply(theta, _FOPI, out=x)
    np.copyto(j, x, casting="unsafe")                  # truncation
    np.add(j, 1, out=j)
    np.bitwise_and(j, ~1, out=j)                       # the octant pair: y = j in {0, 2, 4, 6, 8}
    np.copyto(y64, j)
    np.multiply(y64, _DP, out=y64)                     # y * (DP1 + DP2 + DP3): exact, and the kernel's first two
    np.copyto(t64, theta)                              # steps (y * DP1, y * DP2) are exact in float32: so the
    np.add(y64, t64, out=y64)                          # reduced x is theta + y * DP rounded once
    np.copyto(x, y64, casting="same_kind")
    np.multiply(x, x, out=z)
    np.copyto(z64, z)
    np.multiply(z64, _D(_COS_P[0]), out=y64)           # cosine polynomial (steps in one binade each)
    _add_b(y64, _COS_P[1], -10, y64)
    _fma_b(y64, z64, _COS_P[2], -5)
    np.multiply(y64, z64, out=y64)                     # yc * z, rounded
    np.copyto(yc, y64, casting="same_kind")
    np.copyto(y64, yc)
    np.multiply(y64, z64, out=y64)                     # yc * z - z / 2, fused
    np.multiply(z64, -0.5, out=t64)
    np.add(y64, t64, out=y64)
    np.copyto(yc, y64, casting="same_kind")
    np.add(yc, _F(1), out=yc)
    np.multiply(z64, _D(_SIN_P[0]), out=y64)           # sine polynomial
    _add_b(y64, _SIN_P[1], -7, y64)
    _fma_b(y64, z64, _SIN_P[2], -3)
    np.multiply(y64, z64, out=y64)                     # ys * z, rounded
    np.copyto(ys, y64, casting="same_kind")
    np.copyto(y64, ys)
    np.copyto(t64, x)
    np.multiply(y64, t64, out=y64)                     # ys * x + x, fused
    np.add(y64, t64, out=y64)
    np.copyto(ys, y64, casting="same_kind")
    # sin takes the sine polynomial and cos the cosine one, swapped where j & 2; sin's sign flips where j & 4,
    # cos's where ~(j - 2) & 4, i.e. (j + 2) & 4 = (j & 4) ^ ((j & 2) << 1) for these j (the kernel's masks, on
    # the float32 bits).  The kernel also adds +0 to both, which changes nothing here: neither polynomial
    # gives -0.
    a, b, d = ys.view(_I), yc.view(_I), x.view(_I)
    np.left_shift(j, 30, out=sel)
    np.right_shift(sel, 31, out=sel)                   # -1 where j & 2
    np.bitwise_xor(a, b, out=d)
    np.bitwise_and(d, sel, out=d)
    sv, cv = s.view(_I), c.view(_I)
    np.bitwise_xor(a, d, out=sv)
    np.bitwise_xor(b, d, out=cv)
    np.left_shift(j, 29, out=sgn)
    np.bitwise_and(sgn, _SIGN, out=sgn)                # j & 4, as the sign bit
    np.bitwise_xor(sv, sgn, out=sv)
    np.bitwise_and(sel, _SIGN, out=sel)                # j & 2, as the sign bit
    np.bitwise_xor(sgn, sel, out=sgn)
    np.bitwise_xor(cv, sgn, out=cv)


def _normal_blocks_f32(gen, blocks, mean, std, out):
    """Draw ``16 * blocks`` words and write torch's float32 ``normal_fill`` of them into ``out[:16 * blocks]``:
    per block, 8 radii from the first 8 words and 8 angles from the last 8; cos results first, then sin,
    each ``* std + mean``."""
    mean32, std32 = _F(mean), _F(std)
    plain = mean32 == 0 and std32 == 1
    w = _normal_work()
    rows = w.m // 8
    out_halves = out[:16 * blocks].view("V32")         # 8 float32 as one item: block halves, no 8-wide strides
    for r in range(0, blocks, rows):
        k = min(rows, blocks - r)
        m = 8 * k
        words = gen._words(16 * k)
        np.bitwise_and(words, np.uint32(0xFFFFFF), out=words)     # the float32 uniform's 24 bits
        halves = words.view("V32")
        kr, ka = w.i[0][:m], w.i[1][:m]
        kr.view("V32")[:] = halves[0::2]
        ka.view("V32")[:] = halves[1::2]
        radius, s, c = w.f[5][:m], w.f[6][:m], w.f[7][:m]
        _radius_into(kr, radius, w)
        _sincos_into(ka, s, c, w)
        # the kernel's fma(n, std, mean); with (0, 1) it only turns -0 into +0, and a product is -0 only where
        # the radius is (u = 0): sin and cos are never -0
        signed_zero = plain and not radius.all()
        for part, trig in ((0, c), (1, s)):
            np.multiply(radius, trig, out=trig)
            if not plain:                             # as _fma32, in scratch
                t64 = w.d[0][:m]
                np.copyto(t64, trig)
                np.multiply(t64, _D(std32), out=t64)
                np.add(t64, _D(mean32), out=t64)
                np.copyto(trig, t64, casting="same_kind")
            elif signed_zero:
                np.add(trig, _F(0), out=trig)
            out_halves[2 * r + part: 2 * (r + k): 2] = trig.view("V32")
    return out


def _normal_fill_f64(u, mean, std):
    """torch's scalar ``normal_fill_16`` over whole 16-value blocks of float64 uniforms."""
    b = u.reshape(-1, 16)
    radius = np.sqrt(-2.0 * np.log(1.0 - b[:, :8]))
    theta = (2.0 * math.pi) * b[:, 8:]
    out = np.empty_like(b)
    out[:, :8] = radius * np.cos(theta)
    out[:, 8:] = radius * np.sin(theta)
    if mean == 0.0 and std == 1.0:
        return out.reshape(-1) + 0.0
    return _fma64(out.reshape(-1), std, mean)


def normal(gen, n, dtype, mean, std, contiguous=True, out=None):
    """``normal_(mean, std)``: torch's 16-value Box-Muller blocks for a contiguous float tensor of at least 16
    elements (the last partial block redrawn over the last 16 elements), else the scalar path.  ``out``: a flat
    array of the dtype to write the values into (then returned)."""
    name = dtype.name
    if n >= 16 and contiguous and name in ("float32", "float16"):
        whole, tail = divmod(n, 16)
        res = out if out is not None and name == "float32" else np.empty(n, np.float32)
        _normal_blocks_f32(gen, whole, mean, std, res)
        if tail:
            if name == "float32":
                gen._words(tail)        # torch draws a uniform for every element, then redraws the last block
            last = _normal_blocks_f32(gen, 1, mean, std, np.empty(16, np.float32))
            res[n - 16:] = last         # (float16 draws only the words its blocks use)
        if name == "float32":
            return res
        res = res.astype(np.float16)
    elif n >= 16 and contiguous and name == "float64":
        tail = n % 16
        whole = n - tail
        u = _double_uniforms(gen, n + (16 if tail else 0))
        if tail:
            r = _normal_fill_f64(np.concatenate([u[:whole], u[n:]]), mean, std)   # one pass over all the blocks
            res = np.empty(n, np.float64)
            res[:whole] = r[:whole]
            res[n - 16:] = r[whole:]
        else:
            res = _normal_fill_f64(u, mean, std)
    else:
        res = _affine(standard_normal_scalar(gen, n), mean, std).astype(name)
    if out is None:
        return res
    out[...] = res
    return out


def _affine(z, mean, std):
    """torch's ``z * std + mean`` on doubles (one rounding)."""
    return z + 0.0 if (mean, std) == (0.0, 1.0) else _fma64(z, std, mean)


# ================================================================ integers ==
_INT_RANGE = {"bool": (0, 1), "uint8": (0, 255), "int8": (-128, 127), "int16": (-2 ** 15, 2 ** 15 - 1),
              "int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}
_FLOAT_DIGITS = {"float16": 11, "float32": 24, "float64": 53}
_CPP_INT_NAME = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
                 "int64": "int64_t"}
_C_NAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
           "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}


def _round_int(v, digits):
    """The integer ``v`` rounded to ``digits`` significant bits, to nearest even (C's int-to-float cast)."""
    shift = abs(v).bit_length() - digits
    if shift <= 0:
        return v
    q, r = divmod(abs(v), 1 << shift)
    half = 1 << (shift - 1)
    q += r > half or (r == half and q & 1)
    return (q << shift) * (1 if v >= 0 else -1)


def _update_from(frm, digits):
    """torch moves a float dtype's ``from`` up to where ``from + 1`` is representable."""
    plus1 = _round_int(frm + 1, digits)
    if plus1 < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = plus1 + (1 << (n - digits + 1))
    return frm


def _update_to(to, digits):
    """... and its ``to`` down to where ``to - 1`` is."""
    minus1 = _round_int(to - 1, digits)
    if minus1 >= to:
        n = abs(to - 1).bit_length() - 1
        to = minus1 - (1 << (n - digits + 1))
    return to


def _check_in_range(frm, to_inc, name):
    """torch's ``check_from_to_in_range``: an error for integer dtypes, a warning for float ones."""
    if name in _FLOAT_DIGITS:
        d = _FLOAT_DIGITS[name]
        for what, v in (("from", frm), ("to - 1", to_inc)):
            if not -(1 << d) <= v <= (1 << d):
                warnings.warn(f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision limitations "
                              f"{_C_NAME[name]} can support discrete uniform distribution only within this range. "
                              "This warning will become an error in version 1.7 release, please fix the code in "
                              "advance", stacklevel=4)
        return
    lo, hi = _INT_RANGE[name]
    if not lo <= frm <= hi:
        raise RuntimeError(f"from is out of bounds for {_C_NAME[name]}")
    if not lo <= to_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {_C_NAME[name]}")


def random_args(dtype, frm=0, to=None):
    """torch's ``random_(from, to)`` argument rules -> ``(range, base)``; ``range`` None means all 64 bits."""
    name = dtype.name
    if to is not None:
        if frm >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={frm} >= to={to}")
        if name in _FLOAT_DIGITS:
            frm, to = _update_from(frm, _FLOAT_DIGITS[name]), _update_to(to, _FLOAT_DIGITS[name])
            if frm >= to:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                                   f"but got from={frm} >= to={to}")
        _check_in_range(frm, to - 1, name)
        return (to - frm) & _U64, frm
    if frm != -(1 << 63):
        if name in _FLOAT_DIGITS:
            to_inc = 1 << _FLOAT_DIGITS[name]
            frm = _update_from(frm, _FLOAT_DIGITS[name])
            if frm >= to_inc:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                                   f"casted to dtype, but got from={frm} > to_inc={to_inc}")
        else:
            to_inc = _INT_RANGE[name][1]
        _check_in_range(frm, to_inc, name)
        return (to_inc - frm + 1) & _U64, frm
    if name not in ("int64", "float32", "float64"):
        raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
    return None, frm


def random_from_to(gen, n, dtype, range_, base):
    """``(word % range) + base``: one word a value, two (``random64``) from a range of 2**28 up."""
    if range_ is None:                                      # [-2**63, 2**63): the 64 bits as they are
        return gen._words64(n).view(np.int64).astype(dtype.name)
    v = gen._words64(n) if range_ >= 1 << 28 else gen._words(n).astype(np.uint64)
    r = (v % np.uint64(range_)) + np.uint64(base & _U64)    # wraps as torch's uint64 arithmetic
    r = r.view(np.int64)
    return r != 0 if dtype.name == "bool" else r.astype(dtype.name)


def random_default(gen, n, dtype):
    """``random_()``: [0, 2**mantissa] for floats, [0, max] for integers (one word, two for 64-bit types)."""
    name = dtype.name
    if name == "bool":
        return (gen._words(n) & np.uint32(1)) != 0
    if name in ("int64", "float64"):
        mod = (1 << 63) if name == "int64" else (1 << 53) + 1
        return (gen._words64(n) % np.uint64(mod)).astype(name)
    mod = (1 << _FLOAT_DIGITS[name]) + 1 if name in _FLOAT_DIGITS else _INT_RANGE[name][1] + 1
    return (gen._words(n) % np.uint32(mod)).astype(name)


# ============================================================= other laws ==
# All use ``random64`` uniforms in [0, 1) and double arithmetic, then round to the tensor's dtype.

def bernoulli_scalar(gen, n, p):
    """``bernoulli_(p)`` with a float p: ``u < p`` for a double uniform u.  (torch's Intel-CPU MKL builds
    instead seed an MKL stream with one word: not reproduced, see the module docstring.)"""
    return _double_uniforms(gen, n) < p


def bernoulli_tensor(gen, p):
    """``bernoulli_(p_tensor)`` with p in iteration order: a float32 uniform (one word) against a float32 p
    (a float16 one too, widened), a double one (two words) against a float64 p."""
    if p.dtype == np.float64:
        return _double_uniforms(gen, p.size) < p
    return _unit_f32(gen._words(p.size)) < p.astype(np.float32)


def exponential(gen, n, lambd):
    return (-1.0 / lambd) * np.log1p(-_double_uniforms(gen, n))


def cauchy(gen, n, median, sigma):
    return _fma64(sigma, np.tan(math.pi * (_double_uniforms(gen, n) - 0.5)), median)


def log_normal(gen, n, mean, std):
    return np.exp(_affine(standard_normal_scalar(gen, n), mean, std))


def geometric(gen, n, p):
    return np.ceil(np.log(_double_uniforms(gen, n)) / np.log(np.float64(1.0 - p)))


# =============================================================== randperm ==
_RANDPERM_SMALL = (2 ** 32 - 1) // 20      # torch switches to 64-bit draws from here
_PERM_LOOP = 512                           # up to here a Python loop beats NumPy's per-call cost
_PERM_KEEP = 1 << 16                       # scratch kept per thread up to here (6 int64 arrays of n)


def randperm(gen, n):
    """torch's Fisher-Yates shuffle of ``arange(n)``: step i swaps i with ``i + word % (n - i)``.  Up to
    ``_PERM_LOOP`` elements a plain loop (NumPy's per-call cost is larger), then ``_randperm_sorted``."""
    if n < 2:
        return np.arange(n, dtype=np.int64)
    if n >= _RANDPERM_SMALL:
        return _randperm_inside_out(gen, n)
    if n <= _PERM_LOOP:
        a = list(range(n))
        for i, w in enumerate(gen._words(n - 1).tolist()):
            z = i + w % (n - i)
            a[i], a[z] = a[z], a[i]
        return np.array(a, dtype=np.int64)
    return _randperm_sorted(gen, n)


class _PermWork:
    """Scratch arrays for ``_randperm_sorted`` of ``n`` elements (kept per thread up to ``_PERM_KEEP``: fresh
    ones would cost page faults on each call)."""

    def __init__(self, n):
        self.n = n
        i = np.arange(n - 1, dtype=np.uint32)
        self.modulus = np.uint32(n) - i                         # step i draws its partner from n - i
        self.base = i * np.uint32(0x10001) if n <= 1 << 16 else None   # i << 16 | i
        self.a = [np.empty(n, np.intp) for _ in range(6)]
        self.own = np.zeros(n, bool)
        self.mask = np.empty(n, bool)


def _perm_work(n):
    if n > _PERM_KEEP:
        return _PermWork(n)
    w = getattr(_tls, "perm", None)
    if w is None or w.n != n:
        w = _tls.perm = _PermWork(n)
    return w


def _randperm_sorted(gen, n):
    """The shuffle's outcome in closed form.  Position k is final after step k, and receives the value then at
    its partner t_k: the value an earlier step with partner t_k moved there (the latest such step), or t_k's
    own if none did.  The value step s moves, in turn, is the value at position s when step s starts: the one
    the latest earlier step with partner s moved there, or s.  So with the steps sorted by (partner, step)
    (one sort of ``t << b | step``), entry j gets its value from entry j - 1 when both have the same partner,
    and each entry's carried value comes down a chain of earlier entries, resolved by pointer jumping over
    the unresolved ones: O(n log n) NumPy work, no Python loop over elements."""
    steps = n - 1
    w = _perm_work(n)
    grp, step, v, t1, t2 = (w.a[k][:steps] for k in (0, 1, 3, 4, 5))
    last = w.a[2]                                               # indexed by position: n long
    own = w.own
    key = gen._words(steps)
    np.remainder(key, w.modulus, out=key)                       # t - i
    np.equal(key, 0, out=own[:steps])                           # own[g]: step g's partner is g itself
    if n <= 1 << 16:                                            # key = t << 16 | step, in uint32
        np.left_shift(key, 16, out=key)
        np.add(key, w.base, out=key)
        key.sort()
        np.right_shift(key, 16, out=grp)
        np.bitwise_and(key, 0xFFFF, out=step)
    else:
        key64 = key.astype(np.uint64)
        np.left_shift(key64, 32, out=key64)
        np.add(key64, np.arange(steps, dtype=np.uint64) * np.uint64(0x100000001), out=key64)
        key64.sort()
        np.right_shift(key64, np.uint64(32), out=grp, casting="unsafe")
        np.bitwise_and(key64, np.uint64(0xFFFFFFFF), out=step, casting="unsafe")
    # last[g]: the last entry with partner g from a step before g (entries are sorted), -1 if none
    count = np.bincount(grp, minlength=n)
    np.cumsum(count, out=last)
    last -= 1
    last -= own
    count -= own
    count -= 1
    count >>= 63                                                # -1 where group g has no earlier step
    last |= count
    # v[j]: the entry whose carried value entry j carries on (its chain's parent), or -(step + 1) at a root
    np.take(last, step, out=v, mode="wrap")
    np.right_shift(v, 63, out=t1)
    t1 &= step
    v -= t1
    _chain_roots(v, w.mask[:steps], t1, t2)                     # now v[j] = -(value entry j carries + 1)
    # out[step[j]]: the value entry j - 1 carries if it has the same partner, else the partner's own value
    vals, diff = t1, t2
    vals[0] = grp[0]
    np.subtract(grp[1:], grp[:-1], out=diff[1:])                # >= 0
    diff -= 1
    diff >>= 63                                                 # -1 where entry j shares j - 1's partner
    np.add(v[:-1], 1, out=vals[1:])
    vals[1:] += grp[1:]                                         # partner - carried value
    vals[1:] &= diff[1:]
    np.subtract(grp[1:], vals[1:], out=vals[1:])
    out = np.empty(n, np.int64)
    out[step] = vals
    out[steps] = -(v[-1] + 1) if grp[-1] == steps else steps    # the last position: the last step into it
    return out


def _chain_roots(v, mask, p, q):
    """Pointer jumping in place: ``v[j] >= 0`` points at an earlier entry; replace it by that entry's value
    (pointer or root code ``< 0``) until every entry holds its root's code.  Only unresolved entries are
    visited, and chains are short (their lengths fall off geometrically): a few rounds.  ``mask``, ``p``, ``q``:
    scratch as long as ``v``.  (``take`` with ``mode='wrap'``: with ``out`` and the default mode NumPy buffers
    a copy; the indices are in range anyway.)"""
    np.greater_equal(v, 0, out=mask)
    act = np.flatnonzero(mask)
    while act.size:
        na = act.size
        np.take(v, act, out=p[:na], mode="wrap")                # the parents
        np.take(v, p[:na], out=q[:na], mode="wrap")             # their parents, or their roots' codes
        v[act] = q[:na]
        act = act[q[:na] >= 0]                                  # still unresolved


def _randperm_inside_out(gen, n):
    """torch's shuffle for n >= (2**32 - 1) // 20: ``a[i] = a[z]; a[z] = i`` with ``z = random64() % (i + 1)``.
    A plain loop: at over 2e8 elements this takes minutes (torch: seconds), but it is exact."""
    z = (gen._words64(n) % (np.arange(n, dtype=np.uint64) + np.uint64(1))).astype(np.int64)
    a = np.arange(n, dtype=np.int64)
    for i, zi in enumerate(z.tolist()):
        a[i] = a[zi]
        a[zi] = i
    return a


# ============================================================ multinomial ==

def multinomial_from_exponentials(probs, q, num_samples):
    """torch's multinomial without replacement (or of one sample) over the rows of ``probs``: the top
    ``num_samples`` of ``probs / q`` for ``Exp(1)`` draws ``q`` in probs' dtype.  (Ties, which only
    zero-probability categories make, come out in index order.)"""
    q = probs / q
    if num_samples == 1:
        return np.argmax(q, axis=1)[:, None]
    return np.argsort(-q, axis=1, kind="stable")[:, :num_samples]


def multinomial(gen, probs, num_samples, replacement):
    """torch's multinomial with replacement over the rows of ``probs``: per row, the cumulative sum in the
    row's dtype, normalised, and for each double uniform the first bucket at or above it."""
    out = np.empty((probs.shape[0], num_samples), np.int64)
    for r in range(probs.shape[0]):
        cum = np.cumsum(probs[r], dtype=probs.dtype)
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = cum / total
        cum[-1] = 1
        out[r] = np.searchsorted(cum.astype(np.float64), _double_uniforms(gen, num_samples), side="left")
    return out


# ================================================================ poisson ==

def poisson(gen, lam):
    """torch's ``poisson``: per rate, a product of uniforms below 10, Hormann's PTRS from 10 up.
    Rejection sampling draws a variable number of words per element, so this loops in Python."""
    out = np.empty(lam.size, np.float64)
    for idx, rate in enumerate(lam.reshape(-1).tolist()):
        out[idx] = _poisson_one(gen, rate)
    return out


def _uniform1(gen):
    return float(_double_uniforms(gen, 1)[0])


def _poisson_one(gen, lam):
    if lam >= 10:
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _uniform1(gen) - 0.5
            v = _uniform1(gen)
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            # (math.lgamma is not the C library's: a draw on the acceptance boundary could rarely differ)
            if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= \
                    -lam + k * loglam - math.lgamma(k + 1):
                return k
    if lam == 0:
        return 0
    enlam = math.exp(-lam)
    x, prod = 0, 1.0
    while True:
        prod *= _uniform1(gen)
        if prod > enlam:
            x += 1
        else:
            return x


# ======================================================== tensors in place ==

def _order(data):
    """The axis order torch's TensorIterator walks ``data`` in (memory order: largest stride first), or None
    for C order.  Arrays without strides (the array API's) count as contiguous."""
    strides = getattr(data, "strides", None)
    if strides is None or data.ndim < 2 or _backend.is_contiguous(data):
        return None
    perm = sorted(range(data.ndim), key=lambda d: -abs(strides[d]) if data.shape[d] > 1 else 0)
    return None if perm == list(range(data.ndim)) else perm


def _dense(data):
    """Non-overlapping and dense (a permutation of a contiguous array): then ``empty_like`` keeps strides."""
    strides = getattr(data, "strides", None)
    if strides is None:
        return True
    expected = data.itemsize
    for d in sorted(range(data.ndim), key=lambda d: abs(strides[d])):
        if data.shape[d] != 1 and abs(strides[d]) != expected:
            return False
        expected *= data.shape[d]
    return True


def _arrange(values, shape, perm):
    """Values drawn in iteration order -> an array of ``shape`` holding them where torch writes them."""
    if perm is None:
        return values.reshape(shape)
    return values.reshape([shape[d] for d in perm]).transpose(np.argsort(perm))


def _write(t, host, fresh=False):
    """Store host values into tensor ``t`` (its device and dtype), as an in-place op that records nothing.
    ``fresh``: ``t`` was just made by a factory for these values, so it can simply take them."""
    from ._tensor import Tensor
    from .autograd.grad_mode import no_grad
    data = _backend.asarray(np.asarray(host), t.device, t.dtype.name)
    if fresh:
        t._data = data
        return t
    if type(t._data) is np.ndarray and type(data) is np.ndarray:     # the usual case: one copy, no graph
        np.copyto(t._data, data, casting="unsafe")
        t._version_counter.value += 1
        return t
    with no_grad():
        t.copy_(Tensor._make(data))
    return t


def _prepare(t, generator):
    """torch's checks before an in-place draw (a leaf that requires grad), and the generator to draw from."""
    from .autograd.grad_mode import is_grad_enabled
    from . import _views
    if is_grad_enabled() and t.requires_grad:
        _views.check_inplace(t)
    t._check_overlap()                # an expanded tensor: torch's error, before anything is drawn
    return _gen(generator, t.device)


def _fill(t, generator, draw, fresh=False, into=False, node=None):
    """Draw ``t.numel()`` values with ``draw(gen, n)`` in torch's order and store them in ``t``.  ``into``:
    ``draw(gen, n, out)`` can write the values into ``out``, a flat array of ``t``'s dtype; a new contiguous
    host tensor then takes them in its own memory (no second full-size buffer, whose freeing would hand the
    heap back to the OS and cost page faults on the next draw).  ``node``: the name of torch's node for this
    draw, recorded when ``t`` requires grad (see ``_record``)."""
    gen = _prepare(t, generator)
    n = t.numel()
    record = node is not None and _recording(t)
    if n == 0:
        return _record(t, node, np.empty(tuple(t.shape), t.dtype.name)) if record else t
    data = t._data
    if into and fresh and type(data) is np.ndarray and data.flags.c_contiguous and data.dtype == t.dtype.name:
        draw(gen, n, data.reshape(-1))
        return t
    values = _arrange(np.asarray(draw(gen, n)), tuple(t.shape), _order(t._data))
    return _record(t, node, values) if record else _write(t, values, fresh)


# An in-place draw into a tensor that requires grad is recorded as torch records it: a node of torch's name
# (``UniformBackward0`` ...) whose gradient is 0 for every input, as the values drawn depend on none of them.
# torch.bernoulli(input, p) with a number p gets torch's node that has no derivative (its backward raises).
_NO_DERIVATIVE = "torch::autograd::NotImplemented"
_DRAW_OPS = {}


def _draw_op(node_name):
    """The op recording a draw as node ``node_name``: ``apply(*inputs, values=array)`` returns ``values``."""
    op = _DRAW_OPS.get(node_name)
    if op is None:
        from .autograd.engine import namespace
        from .autograd.function import Op

        def backward(ctx, g):
            if node_name == _NO_DERIVATIVE:
                raise RuntimeError("derivative for aten::bernoulli is not implemented")
            return tuple(namespace(g).zeros_like(g) if need else None for need in ctx.needs_input_grad)
        op = _DRAW_OPS[node_name] = type(node_name.replace(":", "_"), (Op,), {
            "node_name": node_name, "__module__": __name__, "__doc__": "a recorded draw (see _draw_op)",
            "forward": staticmethod(lambda ctx, *inputs, values: values), "backward": staticmethod(backward)})
    return op


def _recording(t, others=()):
    from .autograd.grad_mode import is_grad_enabled
    return is_grad_enabled() and (t.requires_grad or any(o.requires_grad for o in others))


def _record(t, node, host, others=()):
    """Store drawn values into ``t`` in place, recorded as node ``node`` with the inputs ``t, *others``."""
    values = _backend.asarray(np.asarray(host), t.device, t.dtype.name)
    op = _draw_op(node)
    # (overlap_ok: _prepare checked t before anything was drawn)
    return t._inplace_with_history(lambda old: op.apply(old, *others, values=values), overlap_ok=True,
                                   others=others)


def _dtype_title(dtype):
    return {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
            "float16": "Half", "float32": "Float", "float64": "Double"}[dtype.name]


def _float_only(t, kernel):
    if not t.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtype_title(t.dtype)}\'')


def _number(x, fn, name, pos):
    """A float argument as torch parses it (bools and 1-element tensors too), with its TypeError."""
    from ._tensor import Tensor
    if isinstance(x, Tensor) and x.numel() == 1:
        x = x.item()
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be float, not {type(x).__name__}")
    return float(x)


def uniform_(t, frm=0.0, to=1.0, generator=None, fresh=False):
    frm, to = _number(frm, "uniform_", "from", 1), _number(to, "uniform_", "to", 2)
    _float_only(t, "check_uniform_bounds")
    info = np.finfo(t.dtype.name)
    if not info.min <= frm <= info.max:
        raise RuntimeError(f"from is out of bounds for {_C_NAME[t.dtype.name]}")
    if not info.min <= to <= info.max:
        raise RuntimeError(f"to is out of bounds for {_C_NAME[t.dtype.name]}")
    if frm > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={frm:g} > to={to:g}")
    if to - frm > info.max:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_dtype_title(t.dtype)}>::max(), but "
                           f"found to={to:g} and from={frm:g} which result in to-from to exceed the limit")
    return _fill(t, generator, lambda g, n, out=None: uniform(g, n, t.dtype, frm, to, out), fresh, into=True,
                 node="UniformBackward0")


def normal_(t, mean=0.0, std=1.0, generator=None, fresh=False):
    mean, std = _number(mean, "normal_", "mean", 1), _number(std, "normal_", "std", 2)
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    _float_only(t, "normal_kernel_cpu")
    contiguous = _backend.is_contiguous(t._data)
    return _fill(t, generator, lambda g, n, out=None: normal(g, n, t.dtype, mean, std, contiguous, out), fresh,
                 into=True, node="NormalBackward0")


def bernoulli_(t, p=0.5, generator=None):
    from ._tensor import Tensor
    if isinstance(p, Tensor):
        if not p.dtype.is_floating_point:
            raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{_dtype_title(p.dtype)}\'')
        probs = _backend.to_numpy(p.expand(t.shape)._data)
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)")
        gen = _prepare(t, generator)
        record = _recording(t, (p,))
        if t.numel() == 0:
            return _record(t, "BernoulliBackward1", probs, (p,)) if record else t
        perm = _order(t._data)
        ordered = probs if perm is None else probs.transpose(perm)
        drawn = _arrange(bernoulli_tensor(gen, np.ascontiguousarray(ordered).reshape(-1)), tuple(t.shape), perm)
        return _record(t, "BernoulliBackward1", drawn, (p,)) if record else _write(t, drawn)
    if not isinstance(p, numbers.Real):
        raise TypeError(f"bernoulli_() received an invalid combination of arguments - got ({type(p).__name__}), but "
                        "expected one of:\n * (Tensor p, *, Generator generator)\n * (float p, *, Generator generator)")
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _fill(t, generator, lambda g, n: bernoulli_scalar(g, n, p), node="BernoulliBackward2")


def bernoulli_p(p, fn, args, signatures, kwargs=None):
    """The number p of ``bernoulli(input, p)`` / ``input.bernoulli(p)`` as torch parses it (a 0-d tensor gives
    its value); else torch's TypeError for the call ``fn(*args, **kwargs)``."""
    from ._tensor import Tensor
    if isinstance(p, Tensor) and p.ndim == 0:
        p = p.item()
    if isinstance(p, numbers.Real):
        return float(p)
    raise Tensor._invalid_arguments(fn, args, signatures, kwargs)


def bernoulli_of(input, p=None, generator=None):
    """``torch.bernoulli(input[, p])`` and ``input.bernoulli([p])``: a new contiguous tensor of input's dtype
    and shape, drawn with the probabilities ``input`` (``bernoulli_(input)``) or with the number ``p``
    (``bernoulli_(p)``: its own checks and stream).  Recorded as torch records it when input requires grad:
    ``BernoulliBackward0`` (gradient 0), and for a number p a node whose backward raises."""
    from ._tensor import Tensor
    from .autograd.grad_mode import no_grad
    t = Tensor._make(_backend.asarray(np.empty(tuple(input.shape), input.dtype.name), input.device))
    with no_grad():                      # (the graph gets the one node below, not bernoulli_'s)
        bernoulli_(t, input if p is None else p, generator)
    if not _recording(input):
        return t
    return _draw_op("BernoulliBackward0" if p is None else _NO_DERIVATIVE).apply(input, values=t._data)


def random_(t, *args, generator=None, fresh=False, **kwargs):
    """``random_()``, ``random_(to)``, ``random_(from, to)`` (``to=None``: up to the dtype's maximum)."""
    # torch's node names the overload called: (), (to), (from, to)
    node = "RandomBackward2" if not args and not kwargs else \
        "RandomBackward1" if (len(args), tuple(kwargs)) in ((1, ()), (0, ("to",))) else "RandomBackward0"
    if "from" in kwargs:
        args = (kwargs.pop("from"),) + args
    if "to" in kwargs:
        args = args + (kwargs.pop("to"),) if args else (0, kwargs.pop("to"))
    if kwargs or len(args) > 2 or any(a is not None and (isinstance(a, bool) or not isinstance(a, numbers.Integral))
                                      for a in args):
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"random_() received an invalid combination of arguments - got ({got}), but expected one "
                        "of:\n * (*, Generator generator)\n * (int from, int to, *, Generator generator)\n"
                        " * (int to, *, Generator generator)")
    if not args:
        return _fill(t, generator, lambda g, n: random_default(g, n, t.dtype), fresh, node=node)
    frm, to = (0, int(args[0])) if len(args) == 1 else (int(args[0]), None if args[1] is None else int(args[1]))
    range_, base = random_args(t.dtype, frm, to)
    return _fill(t, generator, lambda g, n: random_from_to(g, n, t.dtype, range_, base), fresh, node=node)


def exponential_(t, lambd=1.0, generator=None):
    lambd = _number(lambd, "exponential_", "lambd", 1)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    if not t.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_dtype_title(t.dtype)}")
    return _fill(t, generator, lambda g, n: exponential(g, n, lambd), node="ExponentialBackward0")


def cauchy_(t, median=0.0, sigma=1.0, generator=None):
    median, sigma = _number(median, "cauchy_", "median", 1), _number(sigma, "cauchy_", "sigma", 2)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    if not t.dtype.is_floating_point:
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {_C_NAME[t.dtype.name]}")
    return _fill(t, generator, lambda g, n: cauchy(g, n, median, sigma), node="CauchyBackward0")


def log_normal_(t, mean=1.0, std=2.0, generator=None):
    mean, std = _number(mean, "log_normal_", "mean", 1), _number(std, "log_normal_", "std", 2)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    _float_only(t, "log_normal_cpu")
    return _fill(t, generator, lambda g, n: log_normal(g, n, mean, std), node="LogNormalBackward0")


def geometric_(t, p, generator=None):
    p = _number(p, "geometric_", "p", 1)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill(t, generator, lambda g, n: geometric(g, n, p), node="GeometricBackward0")


def dropout_mask(input, p, generator=None):
    """torch's CPU dropout noise for ``input``: ``bernoulli_(1 - p)`` into a tensor laid out like ``input``
    (``empty_like``: the same strides when dense, else contiguous), divided by ``1 - p`` in input's dtype
    (float32 arithmetic for float16).  Returns a host array of input's shape and dtype."""
    gen = _gen(generator, input.device)
    data = input._data
    perm = _order(data) if _dense(data) else None
    keep = _arrange(bernoulli_scalar(gen, input.numel(), 1.0 - p), tuple(input.shape), perm)
    name = input.dtype.name
    work = np.float32 if name == "float16" else name
    return (keep.astype(work) / np.asarray(1.0 - p, work)).astype(name)
