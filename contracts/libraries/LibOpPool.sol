// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibExactSum} from "./LibExactSum.sol";
import {LibFp32} from "./LibFp32.sol";
import {LibOpRelayout} from "./LibOpRelayout.sol";

/// @title LibOpPool
/// @notice The §4 verdicts of the pooling kinds of spec v2 (docs/PROTOCOL.md §4.1, §4.4), verdict
///         for verdict as sdk/tolerance/exact.ts checkElement:
///         ROW_MEAN (23)      |N·y - Σa| <= γ_{N+2}·Σ|a| + N(N+2)σ, at the 190-bit scale of ROW_SUM;
///                            a non-finite y is valid only by rule 3a on the sum;
///         MAXPOOL_GRAD (24)  y = g at the window's first maximum (row-major), +0 elsewhere, exactly;
///         AVGPOOL_GRAD (25)  |Q·y - g| <= γ_2·|g| + Qσ, Q = KH·KW, evaluated exactly (§4.3);
///         and for the pure entry point the copies (20-22, LibOpRelayout.checkCopy).
library LibOpPool {
    /// @notice 2^24: γ_n = n / (2^24 - n).
    uint256 internal constant U_INV = 1 << 24;
    /// @notice σ = 2^-126.
    int256 internal constant SIGMA_Q = -126;

    /// @notice The values given do not fit the kind: `aLength`/`bLength` values, `params` params.
    error PoolArityInvalid(uint8 kind, uint256 aLength, uint256 bLength, uint256 params);

    /// @notice The §4 verdict on output element `y` of a kind 20..25 whose element reads the fp32
    ///         values `a` and `b` (empty where it reads nothing), as exact.ts checkElement:
    ///         copies read at most one a; ROW_MEAN a row of N >= 1; MAXPOOL_GRAD its window (a)
    ///         and gradient (b), or nothing; AVGPOOL_GRAD one gradient or nothing. `params` are the
    ///         op's integer params (AVGPOOL_GRAD: Q = params[0]·params[1]); `position` is
    ///         MAXPOOL_GRAD's position in its window.
    function checkElement(uint8 kind, uint32[] memory params, uint32[] memory a, uint32[] memory b, uint32 y, uint256 position)
        internal
        pure
        returns (bool)
    {
        if (kind == LibOpRelayout.ROW_MEAN) {
            if (a.length == 0 || b.length != 0) revert PoolArityInvalid(kind, a.length, b.length, params.length);
            return checkRowMean(LibExactSum.packLE(a), a.length, y);
        }
        if (kind == LibOpRelayout.MAXPOOL_GRAD) {
            if (b.length != (a.length == 0 ? 0 : 1)) revert PoolArityInvalid(kind, a.length, b.length, params.length);
            return checkMaxPoolGrad(a, a.length == 0 ? 0 : b[0], position, y);
        }
        if (!LibOpRelayout.isRelayoutKind(kind) || a.length > 1 || b.length != 0) {
            revert PoolArityInvalid(kind, a.length, b.length, params.length);
        }
        bool read = a.length == 1;
        if (kind == LibOpRelayout.AVGPOOL_GRAD) {
            if (params.length != LibOpRelayout.POOL_PARAMS) revert PoolArityInvalid(kind, a.length, b.length, params.length);
            return checkAvgPoolGrad(read, read ? a[0] : 0, uint256(params[0]) * params[1], y);
        }
        return LibOpRelayout.checkCopy(read, read ? a[0] : 0, y);
    }

    /// @notice ROW_MEAN verdict for a row of `n` fp32 values stored little-endian at memory `pa`
    ///         (8 per word, zero padded, as LibOpCheck.checkRowSum): x = Σa / N,
    ///         B = γ_{N+2}·Σ|a| / N + (N+2)σ, checked multiplied through by N with the sum's
    ///         window of 190 bits (§4.3). Rule 4 is not separate: an infinite mean needs an
    ///         infinite sum, so ±Inf and NaN are valid exactly where rule 3a lets the sum overflow.
    function checkRowMean(uint256 pa, uint256 n, uint32 y) internal pure returns (bool) {
        if (n == 0 || n + 2 >= U_INV) revert PoolArityInvalid(LibOpRelayout.ROW_MEAN, n, 0, 0);
        // a_k · 1.0 is a_k: the same values, tops and truncations as the terms a_k.
        LibExactSum.Pass memory p = LibExactSum.dotPass(pa, LibExactSum.onesLE(n), n);
        if (p.special) return true; // rule 1
        uint256 num = n + 2;
        LibExactSum.Scaled memory sc;
        uint256 inexact;
        if (LibFp32.isSpecial(y)) {
            // Rule 3a on the terms with no floor and y = 0, Ω among the values (exact.ts mayOverflow).
            sc.s = LibExactSum.maxTop(LibExactSum.Value({q: LibExactSum.OMEGA_Q, m: LibExactSum.OMEGA_M, neg: false}), p.e) - LibExactSum.WINDOW;
            (sc.x, sc.m, inexact) = LibExactSum.dotScale(p, sc.s);
            sc.r = 2 * inexact; // each term counts once as a term and once as a bound term
            return LibExactSum.mayOverflowScaled(sc, num, U_INV - num, y);
        }
        (bool neg, uint256 m, int256 q) = LibFp32.decode(y);
        LibExactSum.Value memory ny = LibExactSum.Value({q: q, m: n * m, neg: neg});
        LibExactSum.Value memory floor = LibExactSum.Value({q: SIGMA_Q, m: n * num, neg: false});
        sc.s = LibExactSum.maxTop(floor, LibExactSum.maxTop(ny, p.e)) - LibExactSum.WINDOW;
        (sc.x, sc.m, inexact) = LibExactSum.dotScale(p, sc.s);
        sc.r = 2 * inexact;
        (sc.y, inexact) = LibExactSum.big(ny, sc.s);
        sc.r += inexact;
        (sc.f, inexact) = LibExactSum.truncate(floor.m, floor.q, sc.s);
        sc.r += inexact;
        return LibExactSum.decideScaled(sc, num, U_INV - num);
    }

    /// @notice MAXPOOL_GRAD verdict: the window's gradient `g` goes to the first maximum of
    ///         `window` (row-major; ties, ±0 included, keep the earlier element), every other
    ///         element is +0, exactly (B = 0; zeros of either sign equal). An empty window (an
    ///         element no window covers) makes x = 0. A NaN or ±Inf in the window or g makes any y
    ///         valid (rule 1); otherwise a non-finite y is invalid.
    function checkMaxPoolGrad(uint32[] memory window, uint32 g, uint256 position, uint32 y) internal pure returns (bool) {
        if (window.length == 0) return LibFp32.isZero(y);
        if (LibFp32.isSpecial(g)) return true;
        uint256 first;
        uint256 best;
        for (uint256 i = 0; i < window.length; ++i) {
            if (LibFp32.isSpecial(window[i])) return true;
            uint256 key = LibFp32.orderKey(window[i]);
            if (i == 0 || key > best) (first, best) = (i, key);
        }
        if (LibFp32.isSpecial(y)) return false;
        return LibFp32.sameValue(y, position == first ? g : 0);
    }

    /// @notice AVGPOOL_GRAD verdict for the row gradient `g` (when `read`; else x = 0) and window
    ///         size `q`: |q·y - g| <= γ_2·|g| + qσ decided exactly (LibExactSum, exactScale).
    ///         y = ±Inf: for q >= 2 never valid (|g/q|·(1 + γ_2) + σ < Ω for every finite g); for
    ///         q = 1 rule 4 as written.
    function checkAvgPoolGrad(bool read, uint32 g, uint256 q, uint32 y) internal pure returns (bool) {
        if (read && LibFp32.isSpecial(g)) return true; // rule 1
        if (LibFp32.isNaN(y)) return false; // rule 3
        if (LibFp32.isSpecial(y) && q > 1) return false;
        LibExactSum.Value memory vg;
        if (read) (vg.neg, vg.m, vg.q) = LibFp32.decode(g);
        LibExactSum.Claim memory cl;
        cl.terms = new LibExactSum.Value[](1);
        cl.terms[0] = vg;
        cl.boundTerms = cl.terms;
        (cl.num, cl.den, cl.floor, cl.exactScale) = (2, U_INV - 2, LibExactSum.Value({q: SIGMA_Q, m: q, neg: false}), true);
        if (LibFp32.isSpecial(y)) return LibExactSum.decideInfinite(cl, LibFp32.signBit(y));
        (bool neg, uint256 m, int256 e) = LibFp32.decode(y);
        cl.y = LibExactSum.Value({q: e, m: q * m, neg: neg});
        return LibExactSum.decide(cl);
    }
}
