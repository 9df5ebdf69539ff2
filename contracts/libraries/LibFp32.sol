// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LibFp32
/// @notice Decoding of IEEE-754 binary32 bit patterns into exact integers (docs/PROTOCOL.md §4.3).
///         A finite value v is (-1)^neg · m · 2^q with m < 2^24 an integer and q the exponent of
///         its unit in the last place: q = max(biasedExponent, 1) - 150. The normalized form has
///         M in [2^23, 2^24) (or M = 0 for zero) and X = floor(log2 |v|) - 23, so that
///         floor(log2 |a·b|) = Xa + Xb + 46 + (Ma·Mb >= 2^47) for nonzero a, b.
///         Tensors are committed little-endian (§2.1): one 32-byte word holds 8 values, lane j
///         (bytes 4j..4j+3) being element j; `swapLanes` turns a word into 8 big-endian lanes.
library LibFp32 {
    uint256 internal constant CLASS_ZERO = 0;
    uint256 internal constant CLASS_SUBNORMAL = 1;
    uint256 internal constant CLASS_NORMAL = 2;
    uint256 internal constant CLASS_INF = 3;
    uint256 internal constant CLASS_NAN = 4;

    uint32 internal constant SIGN_MASK = 0x80000000;
    uint32 internal constant ABS_MASK = 0x7fffffff;
    uint32 internal constant EXP_MASK = 0x7f800000;
    uint32 internal constant FRAC_MASK = 0x007fffff;
    /// @notice Bits of +1.0.
    uint32 internal constant ONE = 0x3f800000;

    /// @notice The class of `bits`: zero, subnormal, normal, inf or nan (CLASS_* constants).
    function classOf(uint32 bits) internal pure returns (uint256) {
        uint32 e = bits & EXP_MASK;
        uint32 f = bits & FRAC_MASK;
        if (e == EXP_MASK) return f == 0 ? CLASS_INF : CLASS_NAN;
        if (e == 0) return f == 0 ? CLASS_ZERO : CLASS_SUBNORMAL;
        return CLASS_NORMAL;
    }

    /// @notice True for NaN and ±Inf (exponent field all ones).
    function isSpecial(uint32 bits) internal pure returns (bool) {
        return bits & EXP_MASK == EXP_MASK;
    }

    /// @notice True for any NaN.
    function isNaN(uint32 bits) internal pure returns (bool) {
        return bits & ABS_MASK > EXP_MASK;
    }

    /// @notice True for ±0.
    function isZero(uint32 bits) internal pure returns (bool) {
        return bits & ABS_MASK == 0;
    }

    /// @notice True when the sign bit is set (including -0 and negative NaNs).
    function signBit(uint32 bits) internal pure returns (bool) {
        return bits & SIGN_MASK != 0;
    }

    /// @notice Exact decoding of a finite value: v = (-1)^neg · m · 2^q, m < 2^24, q the ulp
    ///         exponent (-149 for zeros and subnormals). Undefined for NaN and ±Inf (callers
    ///         apply §4.2 rule 1 first).
    function decode(uint32 bits) internal pure returns (bool neg, uint256 m, int256 q) {
        uint256 e = (bits >> 23) & 0xff;
        m = bits & FRAC_MASK;
        neg = bits & SIGN_MASK != 0;
        if (e == 0) {
            q = -149;
        } else {
            m |= 0x800000;
            q = int256(e) - 150;
        }
    }

    /// @notice Normalized decoding of a finite value: v = (-1)^neg · M · 2^X with M in
    ///         [2^23, 2^24), or M = 0 (and X = 0) for ±0.
    function decodeNormalized(uint32 bits) internal pure returns (bool neg, uint256 mNorm, int256 x) {
        (neg, mNorm, x) = decode(bits);
        if (mNorm == 0) return (neg, 0, 0);
        if (mNorm < 0x800000) {
            uint256 z = 23 - log2floor(mNorm);
            mNorm <<= z;
            x -= int256(z);
        }
    }

    /// @notice floor(log2 x) for x > 0 (0 for x = 0).
    function log2floor(uint256 x) internal pure returns (uint256 r) {
        assembly ("memory-safe") {
            r := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
            r := or(r, shl(6, lt(0xffffffffffffffff, shr(r, x))))
            r := or(r, shl(5, lt(0xffffffff, shr(r, x))))
            r := or(r, shl(4, lt(0xffff, shr(r, x))))
            r := or(r, shl(3, lt(0xff, shr(r, x))))
            r := or(r, shl(2, lt(0xf, shr(r, x))))
            r := or(r, shl(1, lt(0x3, shr(r, x))))
            r := or(r, lt(0x1, shr(r, x)))
        }
    }

    /// @notice Byte-swap each of the 8 32-bit lanes of `w`: 8 little-endian fp32 values become
    ///         8 big-endian lanes, lane 0 (element 0) in the most significant 4 bytes.
    function swapLanes(uint256 w) internal pure returns (uint256) {
        // Swap adjacent bytes, then adjacent 16-bit halves, inside every 32-bit lane.
        w = ((w >> 8) & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
            | ((w & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        return ((w >> 16) & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
            | ((w & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
    }

    /// @notice Byte-swap a single 32-bit value (little-endian bytes to the value).
    function swap32(uint32 x) internal pure returns (uint32) {
        return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
    }

    /// @notice Numeric equality of two finite values: identical bits, or both zeros of any sign.
    function sameValue(uint32 a, uint32 b) internal pure returns (bool) {
        return a == b || (isZero(a) && isZero(b));
    }

    /// @notice A key whose unsigned order is the numeric order of finite values (±0 map to
    ///         the same key).
    function orderKey(uint32 bits) internal pure returns (uint256) {
        if (isZero(bits)) return 0x80000000;
        return bits & SIGN_MASK != 0 ? uint256(~bits & 0xffffffff) : uint256(bits) | 0x80000000;
    }
}
