// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibFp32} from "./LibFp32.sol";

/// @title LibTranscendental
/// @notice Enclosures x̃ = m · 2^q of e^a, tanh a and 1/(1 + e^-a) for a finite fp32 a, with
///         |x̃ - x| <= 2^-100·|x| + 2^-200 (docs/PROTOCOL.md §4.3). Fixed point at scale 2^-240:
///         a = k·ln2 + r with ln2 to 240 bits, |r| <= ln2/2, e^r by its Taylor series with
///         512-bit intermediate products; every step errs by at most a few units of 2^-240, far
///         inside the 2^-100 budget. Outside the ranges below the true value is beyond
///         what any fp32 y can be compared with, and a stand-in is returned:
///         e^a for a >= 89 is 2^129 (above Ω, so only y = +Inf is valid, as for the true
///         value e^a >= 2^128.4); e^a for a <= -140 is 0 (e^a < 2^-201 <= 2^-200).
library LibTranscendental {
    uint256 internal constant PREC = 240;
    uint256 internal constant ONE = 1 << 240;
    /// @notice floor(ln 2 · 2^240).
    uint256 internal constant LN2 = 0xb17217f7d1cf79abc9e3b39803f2f6af40f343267298b62d8a0d175b8baa;

    /// @notice floor(a · b / d) with a 512-bit intermediate product (d > 0, result < 2^256).
    function mulDiv(uint256 a, uint256 b, uint256 d) internal pure returns (uint256 result) {
        uint256 prod0;
        uint256 prod1;
        assembly ("memory-safe") {
            let mm := mulmod(a, b, not(0))
            prod0 := mul(a, b)
            prod1 := sub(sub(mm, prod0), lt(mm, prod0))
        }
        if (prod1 == 0) return prod0 / d;
        assembly ("memory-safe") {
            // The callers keep the quotient below 2^256 (d > prod1); fail loudly otherwise.
            if iszero(gt(d, prod1)) { revert(0, 0) }
            let rem := mulmod(a, b, d)
            prod1 := sub(prod1, gt(rem, prod0))
            prod0 := sub(prod0, rem)
            let twos := and(d, sub(0, d))
            d := div(d, twos)
            prod0 := div(prod0, twos)
            twos := add(div(sub(0, twos), twos), 1)
            prod0 := or(prod0, mul(prod1, twos))
            // Inverse of the odd d modulo 2^256 by Newton iteration (4 -> 256 bits).
            let inv := xor(mul(3, d), 2)
            inv := mul(inv, sub(2, mul(d, inv)))
            inv := mul(inv, sub(2, mul(d, inv)))
            inv := mul(inv, sub(2, mul(d, inv)))
            inv := mul(inv, sub(2, mul(d, inv)))
            inv := mul(inv, sub(2, mul(d, inv)))
            inv := mul(inv, sub(2, mul(d, inv)))
            result := mul(prod0, inv)
        }
    }

    /// @notice e^r · 2^240 for r = ±rAbs / 2^240 with rAbs <= 0.35 · 2^240 (Taylor series).
    function expSmall(uint256 rAbs, bool rNeg) internal pure returns (uint256 sum) {
        sum = ONE;
        uint256 term = ONE;
        // Terms fall by a factor >= 2.8 per step: about 45 steps reach 0; bounded by 80.
        for (uint256 n = 1; n < 80 && term != 0; ++n) {
            term = mulDiv(term, rAbs, ONE * n);
            if (rNeg && n % 2 == 1) sum -= term;
            else sum += term;
        }
    }

    /// @notice e^(±A / 2^240) = m · 2^q for 0 <= A < 2^248 (so |exponent| < 2^8).
    function expFixed(uint256 aAbs, bool neg) internal pure returns (uint256 m, int256 q) {
        uint256 k = (aAbs + LN2 / 2) / LN2;
        uint256 kl = k * LN2;
        bool rNeg = kl > aAbs;
        uint256 rAbs = rNeg ? kl - aAbs : aAbs - kl;
        if (neg) rNeg = !rNeg;
        m = expSmall(rAbs, rNeg);
        q = (neg ? -int256(k) : int256(k)) - int256(PREC);
    }

    /// @notice |a| · 2^240 as an integer for a finite fp32 a with |a| < 2^8.
    function fixedAbs(uint32 a) internal pure returns (uint256) {
        (, uint256 m, int256 q) = LibFp32.decode(a);
        // q >= -149, so q + 240 >= 91.
        return m << uint256(q + int256(PREC));
    }

    /// @notice Enclosure of e^a for a finite fp32 `a` (stand-ins outside (-140, 89), see above).
    function exp(uint32 a) internal pure returns (uint256 m, int256 q) {
        bool neg = LibFp32.signBit(a);
        uint32 abs = a & LibFp32.ABS_MASK;
        if (!neg && abs >= 0x42b20000) return (1, 129); // a >= 89
        if (neg && abs >= 0x430c0000) return (0, 0); // a <= -140
        return expFixed(fixedAbs(a), neg);
    }

    /// @notice Enclosure of tanh a (returned with its sign) for a finite fp32 `a`.
    function tanh(uint32 a) internal pure returns (bool neg, uint256 m, int256 q) {
        neg = LibFp32.signBit(a);
        uint32 abs = a & LibFp32.ABS_MASK;
        if (abs < 0x26800000) {
            // |a| < 2^-50: |tanh a - a| <= |a|^3/3 < 2^-100 |a|.
            (, m, q) = LibFp32.decode(a);
            return (neg, m, q);
        }
        if (abs >= 0x42100000) return (neg, 1, 0); // |a| >= 36: 1 - tanh|a| < 2e^-72 < 2^-100
        (uint256 em, int256 eq) = expFixed(2 * fixedAbs(a), true);
        // eq <= -240; t = e^(-2|a|) >= 2^-104 at scale 2^-240, truncation error <= 2^-240.
        uint256 t = em >> uint256(-eq - int256(PREC));
        m = mulDiv(ONE - t, ONE, ONE + t);
        q = -int256(PREC);
    }

    /// @notice Enclosure of 1 / (1 + e^-a) for a finite fp32 `a`.
    function sigmoid(uint32 a) internal pure returns (uint256 m, int256 q) {
        bool neg = LibFp32.signBit(a);
        uint32 abs = a & LibFp32.ABS_MASK;
        if (!neg) {
            if (abs > 0x43200000) return (1, 0); // a > 160: 1 - σ(a) < e^-160 < 2^-230
            (uint256 em, int256 eq) = expFixed(fixedAbs(a), true);
            uint256 t = em >> uint256(-eq - int256(PREC));
            return (mulDiv(ONE, ONE, ONE + t), -int256(PREC));
        }
        if (abs >= 0x430c0000) return (0, 0); // a <= -140: σ(a) < e^a < 2^-201
        (uint256 em2, int256 eq2) = expFixed(fixedAbs(a), true);
        // σ(a) = e^a / (1 + e^a), e^a = em2 · 2^eq2 with eq2 in [-442, -240].
        uint256 shift = uint256(-eq2 - int256(PREC));
        uint256 den = ONE + (shift >= 256 ? 0 : em2 >> shift);
        return (mulDiv(em2, ONE, den), eq2);
    }
}
