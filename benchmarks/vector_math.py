"""Branch-free exp, log and pow for numba loops that LLVM can vectorize (benchmark only).

Written for the ``blocks`` kernels of ``compiled_kernel.py`` (issue 15): numba
compiles ``np.exp``, ``np.log`` and ``np.power`` to calls of the C library,
one value at a time, and its vectorized versions (SVML) are missing from the
``llvmlite`` wheels. These functions use only arithmetic, comparisons that
become selects, and moves between a float64 and the int64 of the same bits
(:func:`_as_int`, :func:`_as_float`, one LLVM ``bitcast`` each), so that a
loop calling them compiles to SIMD instructions once numba inlines them.

- :func:`vexp`: Cody-Waite reduction ``x = n ln2 + r``, ``|r| <= ln2 / 2``,
  the Taylor polynomial of degree 13 for ``exp(r)`` (truncation below
  ``1e-17`` relative), scaled by ``2**n`` in two factors so that subnormal
  results are right. Within 1 ulp of NumPy's ``exp`` (measured in
  ``tests/engine/test_vector_math.py``).
- :func:`vlog`: the reduction and polynomial of fdlibm's ``e_log.c`` (Sun
  Microsystems, 1993; the same in musl), ``x = 2**k m``, ``m`` in
  ``[sqrt(1/2), sqrt(2))``, ``log(m) = 2 atanh(s)`` with ``s = (m-1)/(m+1)``
  and fdlibm's minimax coefficients ``Lg1``-``Lg7``. Within 1 ulp.
- :func:`vpow`: ``exp(y log|x|)`` with the special cases of C99 Annex F that
  NumPy's ``power`` follows (``y = 0``, ``x = 1``, zeros, infinities, NaN,
  negative ``x`` with integer or non-integer ``y``). Not correctly rounded:
  the rounding error of ``log|x|`` is multiplied by ``y``, so the relative
  error grows with ``|y log|x||`` (about ``1.1e-16 |y log|x||``, 1e-14 for
  ``|y log|x|| = 100``).

The module has no ``from __future__`` import on purpose: its text is written
into every kernel module after the helpers (see ``compiled_kernel.py``).
"""

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic


@intrinsic
def _as_int(typingctx, x):
    """The bits of a float64 as an int64 (an LLVM ``bitcast``)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _as_float(typingctx, x):
    """The float64 of an int64's bits (an LLVM ``bitcast``)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


#: 1.5 * 2**52: ``(x + _SHIFTER) - _SHIFTER`` rounds ``x`` to an integer
#: (|x| < 2**51), and the low bits of ``x + _SHIFTER`` hold that integer.
_SHIFTER = 6755399441055744.0
_SHIFTER_BITS = 0x4338000000000000
_LOG2E = 1.4426950408889634
#: ln 2 in two parts (fdlibm): ``n * _LN2_HI`` is exact for |n| < 2**11.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
#: fdlibm's e_log.c minimax coefficients of (log(1+s) - log(1-s) - 2s) / s.
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD
_ONE_BITS = 0x3FF0000000000000
_MANTISSA = 0x000FFFFFFFFFFFFF
_SMALLEST_NORMAL = 2.2250738585072014e-308
_TWO_54 = 18014398509481984.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def vexp(x):
    """``exp(x)`` for a float64, branch-free (within 1 ulp of ``np.exp``)."""
    xc = x if x > -746.0 else -746.0  # NaN goes to -746 here and back below
    xc = xc if xc < 710.0 else 710.0
    shifted = xc * _LOG2E + _SHIFTER
    n = shifted - _SHIFTER
    k = _as_int(shifted) - _SHIFTER_BITS
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    half = k >> 1  # 2**k as two factors: k reaches -1075 and 1024
    y = p * _as_float((half + 1023) << 52) * _as_float((k - half + 1023) << 52)
    return y if x == x else x


@numba.njit(cache=True, error_model="numpy", inline="always")
def vlog(x):
    """``log(x)`` for a float64, branch-free (within 1 ulp of ``np.log``)."""
    subnormal = x < _SMALLEST_NORMAL
    xs = x * _TWO_54 if subnormal else x
    bits = _as_int(xs) + (_ONE_BITS - _SQRT_HALF_BITS)
    k = (bits >> 52) - (1023 + 54 if subnormal else 1023)
    m = _as_float((bits & _MANTISSA) + _SQRT_HALF_BITS)  # in [sqrt(1/2), sqrt(2))
    dk = _as_float(k + _SHIFTER_BITS) - _SHIFTER
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    y = s * (hfsq + t1 + t2) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI
    y = y if x < np.inf else x  # +inf and NaN
    y = -np.inf if x == 0.0 else y
    return np.nan if x < 0.0 else y


@numba.njit(cache=True, error_model="numpy", inline="always")
def vpow(x, y):
    """``x ** y`` for float64s, branch-free, with NumPy's special cases.

    ``exp(y log|x|)``; the sign and the special cases of C99 Annex F.
    """
    a = abs(x)
    r = vexp(y * vlog(a))
    integer = np.floor(y) == y
    half = 0.5 * y
    odd = integer and np.floor(half) != half
    r = -r if (_as_int(x) < 0 and odd) else r  # negative x (or -0.0), odd y
    r = np.nan if (x < 0.0 and x > -np.inf and not integer) else r
    r = 1.0 if (a == 1.0 and abs(y) == np.inf) else r
    return 1.0 if (y == 0.0 or x == 1.0) else r
