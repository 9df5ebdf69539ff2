// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibFp32} from "./LibFp32.sol";

/// @title LibExactSum
/// @notice Exact evaluation of a tolerance claim (docs/PROTOCOL.md §4.3), bit-identical to
///         sdk/tolerance/exact.ts:
///
///           |y - Σ terms| <= (num/den)·M + F,   M = Σ|boundTerms| (+ |x| when absX)
///
///         over dyadic values (-1)^neg · m · 2^q. The scale is 2^s, s = E - 190, E the largest
///         top(v) (2^(top-1) <= |v| < 2^top) over every nonzero value (terms, y, bound terms,
///         floor, and for rule 4 also Ω). Each value is truncated toward zero to a multiple of
///         2^s; r counts the values that lost bits. In units of 2^s, with X, Y, Mb, Fb the
///         truncated sums:
///           rule 5: valid iff den·max(|Y - X| - r, 0) <= num·(Mb + r) + den·(Fb + r);
///           rule 4 (y = ±Inf, Y = 0): invalid if X != 0 has the other sign, else valid iff
///                   den·(|X| + r) + num·(Mb + r) + den·(Fb + r) >= den·Ω (Ω truncated too).
///         Every value is below 2^191 at the scale; products with num, den are taken in 512 bits.
library LibExactSum {
    /// @notice Bits between the scale and the largest value's top: s = E - WINDOW.
    int256 internal constant WINDOW = 190;
    /// @notice The widest span (top of the largest value to the smallest ulp) evaluated exactly.
    int256 internal constant EXACT_WINDOW = 250;
    /// @notice Marker of "no nonzero value".
    int256 internal constant NO_EXPONENT = type(int256).min;
    /// @notice Ω = 2^128 - 2^103 = (2^25 - 1) · 2^103.
    uint256 internal constant OMEGA_M = (1 << 25) - 1;
    int256 internal constant OMEGA_Q = 103;

    /// @notice The dyadic value (-1)^neg · m · 2^q (m = 0 is zero, whatever q).
    struct Value {
        int256 q;
        uint256 m;
        bool neg;
    }

    /// @notice A claim of §4.3 (field for field as in sdk/tolerance/exact.ts).
    struct Claim {
        Value[] terms;
        Value y;
        bool absX;
        Value[] boundTerms;
        uint256 num;
        uint256 den;
        Value floor;
        // Evaluate at the smallest ulp of its values when they span at most EXACT_WINDOW bits (no
        // slack at all): the rational scalar kinds. False for transcendental enclosures.
        bool exactScale;
    }

    /// @notice A claim's truncated sums at scale 2^s (units of 2^s).
    struct Scaled {
        int256 s;
        int256 x;
        int256 y;
        uint256 m; // Σ|big(boundTerms)|, plus |x| when absX
        uint256 f;
        uint256 r;
    }

    // ------------------------------------------------------------------ values

    /// @notice top(v) = floor(log2 |v|) + 1 for m > 0.
    function top(uint256 m, int256 q) internal pure returns (int256) {
        return q + int256(LibFp32.log2floor(m)) + 1;
    }

    /// @notice max(e, top(v)) (e unchanged for a zero v).
    function maxTop(Value memory v, int256 e) internal pure returns (int256) {
        if (v.m == 0) return e;
        int256 t = top(v.m, v.q);
        return t > e ? t : e;
    }

    /// @notice max(e, top of every nonzero value of `vs`).
    function maxTop(Value[] memory vs, int256 e) internal pure returns (int256) {
        for (uint256 i = 0; i < vs.length; ++i) {
            e = maxTop(vs[i], e);
        }
        return e;
    }

    /// @notice floor(m · 2^(q - s)) and 1 if that dropped nonzero bits (else 0).
    /// @dev The callers keep top(m·2^q) <= s + WINDOW, so the result is below 2^191.
    function truncate(uint256 m, int256 q, int256 s) internal pure returns (uint256 v, uint256 inexact) {
        if (m == 0) return (0, 0);
        if (q >= s) return (m << uint256(q - s), 0);
        uint256 k = uint256(s - q);
        if (k >= 256) return (0, 1);
        v = m >> k;
        inexact = (v << k) == m ? 0 : 1;
    }

    /// @notice The signed truncation of `v` at scale 2^s, and whether it lost bits.
    function big(Value memory v, int256 s) internal pure returns (int256 b, uint256 inexact) {
        uint256 mag;
        (mag, inexact) = truncate(v.m, v.q, s);
        // SAFETY: mag < 2^191 (see truncate), so the cast is exact.
        b = v.neg ? -int256(mag) : int256(mag);
    }

    // ------------------------------------------------------------------ claims

    /// @notice The largest top over the claim's values (NO_EXPONENT when all are zero).
    function claimTop(Claim memory c) internal pure returns (int256 e) {
        e = maxTop(c.terms, NO_EXPONENT);
        e = maxTop(c.y, e);
        e = maxTop(c.boundTerms, e);
        e = maxTop(c.floor, e);
    }

    /// @notice The scale of a claim whose largest top is e: e - WINDOW, or for an exactScale claim
    ///         the smallest ulp q of its values when that is lower and within EXACT_WINDOW of e, so
    ///         that nothing is truncated and the verdict is that of exact rational arithmetic.
    function scaleOf(Claim memory c, int256 e) internal pure returns (int256 s) {
        s = e - WINDOW;
        if (!c.exactScale) return s;
        int256 qmin = _minQ(c.terms, type(int256).max);
        qmin = _minQ(c.boundTerms, qmin);
        if (c.y.m != 0 && c.y.q < qmin) qmin = c.y.q;
        if (c.floor.m != 0 && c.floor.q < qmin) qmin = c.floor.q;
        if (qmin < s && e - qmin <= EXACT_WINDOW) s = qmin;
    }

    function _minQ(Value[] memory vs, int256 q) private pure returns (int256) {
        for (uint256 i = 0; i < vs.length; ++i) {
            if (vs[i].m != 0 && vs[i].q < q) q = vs[i].q;
        }
        return q;
    }

    /// @notice Truncated sums of a claim at scale 2^s.
    function atScale(Claim memory c, int256 s) internal pure returns (Scaled memory a) {
        a.s = s;
        uint256 inexact;
        int256 b;
        for (uint256 i = 0; i < c.terms.length; ++i) {
            (b, inexact) = big(c.terms[i], s);
            a.x += b;
            a.r += inexact;
        }
        (a.y, inexact) = big(c.y, s);
        a.r += inexact;
        for (uint256 i = 0; i < c.boundTerms.length; ++i) {
            (b, inexact) = big(c.boundTerms[i], s);
            a.m += _abs(b);
            a.r += inexact;
        }
        if (c.absX) a.m += _abs(a.x);
        uint256 f;
        (f, inexact) = truncate(c.floor.m, c.floor.q, s);
        a.f = f;
        a.r += inexact;
    }

    /// @notice Rule 5 for a claim with a finite y.
    function decide(Claim memory c) internal pure returns (bool) {
        int256 e = claimTop(c);
        if (e == NO_EXPONENT) return true;
        return decideScaled(atScale(c, scaleOf(c, e)), c.num, c.den);
    }

    /// @notice Rule 4 for y = ±Inf (`negative` for -Inf); c.y is ignored (taken as 0).
    function decideInfinite(Claim memory c, bool negative) internal pure returns (bool) {
        c.y = Value({q: 0, m: 0, neg: false});
        int256 e = maxTop(Value({q: OMEGA_Q, m: OMEGA_M, neg: false}), claimTop(c));
        return decideInfiniteScaled(atScale(c, scaleOf(c, e)), c.num, c.den, negative);
    }

    /// @notice §4.2 rule 3a: whether some evaluation order may overflow an intermediate value (a
    ///         product or a partial sum) so that a correct implementation returns `y` (±Inf or NaN)
    ///         for a finite x. The terms are the signed intermediates, the bound terms their
    ///         magnitudes, num/den = γ_n: +Inf needs (1 + γ_n)·Σ(positive terms) >= Ω, -Inf the same
    ///         of the negative ones, NaN (Inf - Inf) both. Evaluated at the scale of rule 4 (Ω among
    ///         the values) with the slack in y's favour.
    function mayOverflow(Claim memory c, uint32 y) internal pure returns (bool) {
        c.y = Value({q: 0, m: 0, neg: false});
        int256 e = maxTop(Value({q: OMEGA_Q, m: OMEGA_M, neg: false}), claimTop(c));
        return mayOverflowScaled(atScale(c, scaleOf(c, e)), c.num, c.den, y);
    }

    /// @notice Rule 3a at scale: Σ± = (Mb ± X) / 2, so 2·den·Ω <= (num + den)·(Mb ± X + 2r).
    function mayOverflowScaled(Scaled memory a, uint256 num, uint256 den, uint32 y) internal pure returns (bool) {
        (uint256 omega,) = truncate(OMEGA_M, OMEGA_Q, a.s);
        // SAFETY of the casts: |X| <= Mb < 2^220 (every truncated value is below 2^191).
        uint256 pos = uint256(int256(a.m) + a.x) + 2 * a.r;
        uint256 negSide = uint256(int256(a.m) - a.x) + 2 * a.r;
        bool up = _le512(2 * den, omega, num, pos, den, pos);
        bool down = _le512(2 * den, omega, num, negSide, den, negSide);
        if (LibFp32.isNaN(y)) return up && down;
        return LibFp32.signBit(y) ? down : up;
    }

    /// @notice den·max(|Y - X| - r, 0) <= num·(Mb + r) + den·(Fb + r).
    function decideScaled(Scaled memory a, uint256 num, uint256 den) internal pure returns (bool) {
        uint256 d = _abs(a.y - a.x);
        if (d <= a.r) return true;
        return _le512(den, d - a.r, num, a.m + a.r, den, a.f + a.r);
    }

    /// @notice Rule 4 at scale: sign check, then den·(|X| + r) + num·(Mb + r) + den·(Fb + r) >= den·Ω.
    function decideInfiniteScaled(Scaled memory a, uint256 num, uint256 den, bool negative)
        internal
        pure
        returns (bool)
    {
        if (a.x != 0 && (a.x < 0) != negative) return false;
        (uint256 omega,) = truncate(OMEGA_M, OMEGA_Q, a.s);
        // den·Ω <= num·(Mb + r) + den·(|X| + r + Fb + r)
        return _le512(den, omega, num, a.m + a.r, den, _abs(a.x) + a.r + a.f + a.r);
    }

    /// @notice p·q <= u·v + w·z in 512-bit arithmetic (all operands below 2^255).
    function _le512(uint256 p, uint256 q, uint256 u, uint256 v, uint256 w, uint256 z) private pure returns (bool) {
        (uint256 lh, uint256 ll) = _mul512(p, q);
        (uint256 h1, uint256 l1) = _mul512(u, v);
        (uint256 h2, uint256 l2) = _mul512(w, z);
        uint256 rl;
        uint256 rh;
        // SAFETY: each product is below 2^510, so the 512-bit sum cannot overflow.
        unchecked {
            rl = l1 + l2;
            rh = h1 + h2 + (rl < l1 ? 1 : 0);
        }
        return lh < rh || (lh == rh && ll <= rl);
    }

    /// @notice The 512-bit product a·b as (high, low) words.
    function _mul512(uint256 a, uint256 b) private pure returns (uint256 hi, uint256 lo) {
        assembly ("memory-safe") {
            let mm := mulmod(a, b, not(0))
            lo := mul(a, b)
            hi := sub(sub(mm, lo), lt(mm, lo))
        }
    }

    /// @notice |v| (v > type(int256).min: every caller's values are below 2^250).
    function _abs(int256 v) private pure returns (uint256) {
        return v < 0 ? uint256(-v) : uint256(v);
    }

    // ------------------------------------------------------------------ sums of many products

    /// @notice Result of the first pass over a dot product or a row sum.
    struct Pass {
        int256 e; // max top(a_k·b_k) over the nonzero products, NO_EXPONENT if none
        uint256 buf; // memory pointer of the decoded nonzero products, one word each
        uint256 end; // end of the decoded products
        bool special; // some input is NaN or ±Inf (then the other fields are meaningless)
        uint32 maxA; // max |a_k| as abs bits (bit order = magnitude order for finite values)
        uint32 maxB; // max |b_k|
    }

    /// @notice Pass 1 of Σ a_k·b_k: decode `k` little-endian fp32 values at memory `pa` and
    ///         `pb` (8 per word, zero padded to whole words), store each nonzero product as one
    ///         word (sign << 255 | (Xa + Xb + 4096) << 64 | Ma·Mb) with normalized significands
    ///         (LibFp32.decodeNormalized), and track E = max top(product), max|a_k|, max|b_k|
    ///         and whether any input is NaN or ±Inf. Per word: one byte swap of 8 lanes, the
    ///         NaN/Inf test and the maxima lane-wise; per lane only the product.
    /// @dev Reads ceil(k/8) words at pa and pb (lanes past k must be +0: no product);
    ///      allocates 3 scratch words and up to k words for the products.
    function dotPass(uint256 pa, uint256 pb, uint256 k) internal pure returns (Pass memory r) {
        assembly ("memory-safe") {
            // Normalized significand and exponent (+ 4096) of a nonzero finite |value|.
            function norm(v) -> m, xb {
                let ex := shr(23, v)
                switch ex
                case 0 {
                    let l := shl(4, lt(0xffff, v))
                    l := or(l, shl(3, lt(0xff, shr(l, v))))
                    l := or(l, shl(2, lt(0xf, shr(l, v))))
                    l := or(l, shl(1, lt(0x3, shr(l, v))))
                    l := or(l, lt(0x1, shr(l, v)))
                    // SAFETY: a subnormal's leading bit l is in [0, 22]; X = -149 - (23 - l).
                    m := shl(sub(23, l), v)
                    xb := add(4096, sub(l, 172))
                }
                default {
                    m := or(and(v, 0x7fffff), 0x800000)
                    xb := add(4096, sub(ex, 150))
                }
            }
            // One lane with a zero or subnormal operand (rare): record the product if nonzero.
            function slowLane(va, vb, o, t0) -> o2, t2 {
                o2 := o
                t2 := t0
                let aa := and(va, 0x7fffffff)
                let ab := and(vb, 0x7fffffff)
                if mul(aa, ab) {
                    let m1, x1 := norm(aa)
                    let m2, x2 := norm(ab)
                    let p := mul(m1, m2)
                    // SAFETY: x1 + x2 - 4096 = Xa + Xb + 4096 lies in [3752, 4304].
                    let xs := sub(add(x1, x2), 4096)
                    let t := add(add(xs, 47), shr(47, p))
                    if gt(t, t0) { t2 := t }
                    mstore(o, or(shl(224, and(xor(va, vb), 0x80000000)), or(shl(64, xs), p)))
                    o2 := add(o, 32)
                }
            }
            // One pair of lanes (fp32 bits): store the product word if nonzero, track max top.
            function lane(va, vb, o, t0) -> o2, t2 {
                switch mul(and(va, 0x7f800000), and(vb, 0x7f800000))
                case 0 { o2, t2 := slowLane(va, vb, o, t0) }
                default {
                    // Both normal: M = 2^23 | fraction, X = biased exponent - 150, so
                    // Xa + Xb + 4096 = ea + eb + 3796 and top = Xa + Xb + 47 + (p >= 2^47).
                    let p := mul(or(and(va, 0x7fffff), 0x800000), or(and(vb, 0x7fffff), 0x800000))
                    let xs := add(add(shr(23, and(va, 0x7f800000)), shr(23, and(vb, 0x7f800000))), 3796)
                    let t := add(add(xs, 47), shr(47, p))
                    t2 := t0
                    if gt(t, t0) { t2 := t }
                    mstore(o, or(shl(224, and(xor(va, vb), 0x80000000)), or(shl(64, xs), p)))
                    o2 := add(o, 32)
                }
            }
            function swapLanes(w) -> v {
                v := or(and(shr(8, w), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff),
                        shl(8, and(w, 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)))
                v := or(and(shr(16, v), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff),
                        shl(16, and(v, 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)))
            }
            // Lanes whose exponent field is 0xff (NaN/Inf): adding 1 to the field carries into
            // the (masked-off) sign bit only then.
            function specialLanes(w) -> sp {
                sp := and(add(and(w, 0x7f8000007f8000007f8000007f8000007f8000007f8000007f8000007f800000),
                    0x0080000000800000008000000080000000800000008000000080000000800000),
                    0x8000000080000000800000008000000080000000800000008000000080000000)
            }
            // Lane-wise max of two words of 31-bit lanes: (x | 2^31) - y never borrows across
            // lanes, and its bit 31 is set iff x >= y; that bit times 0xffffffff is a lane mask.
            function laneMax(x, y) -> mx {
                let ge := and(shr(31, sub(or(x, 0x8000000080000000800000008000000080000000800000008000000080000000), y)),
                    0x0000000100000001000000010000000100000001000000010000000100000001)
                let mask := mul(ge, 0xffffffff)
                mx := or(and(x, mask), and(y, not(mask)))
            }
            // Scratch: [acc] NaN/Inf lanes, [acc + 32] lane-wise max |a|, [acc + 64] max |b|.
            let acc := mload(0x40)
            mstore(acc, 0)
            mstore(add(acc, 0x20), 0)
            mstore(add(acc, 0x40), 0)
            let buf := add(acc, 0x60)
            let out := buf
            let et := 0 // max (top + 4096) over the products; 0 when there is none
            let db := sub(pb, pa)
            for { let endA := add(pa, shl(5, shr(3, add(k, 7)))) } lt(pa, endA) { pa := add(pa, 32) } {
                let wa := swapLanes(mload(pa))
                let wb := swapLanes(mload(add(pa, db)))
                mstore(acc, or(mload(acc), or(specialLanes(wa), specialLanes(wb))))
                mstore(add(acc, 0x20), laneMax(mload(add(acc, 0x20)), and(wa, 0x7fffffff7fffffff7fffffff7fffffff7fffffff7fffffff7fffffff7fffffff)))
                mstore(add(acc, 0x40), laneMax(mload(add(acc, 0x40)), and(wb, 0x7fffffff7fffffff7fffffff7fffffff7fffffff7fffffff7fffffff7fffffff)))
                // Two lanes per step, consumed from the top of the words (shifted left by 64).
                for { let j := 0 } lt(j, 4) { j := add(j, 1) } {
                    out, et := lane(shr(224, wa), shr(224, wb), out, et)
                    out, et := lane(and(shr(192, wa), 0xffffffff), and(shr(192, wb), 0xffffffff), out, et)
                    wa := shl(64, wa)
                    wb := shl(64, wb)
                }
            }
            mstore(0x40, out)
            // Pass fields: e (0x00), buf (0x20), end (0x40), special (0x60), maxA (0x80), maxB (0xa0).
            switch et
            case 0 { mstore(r, shl(255, 1)) }
            default { mstore(r, sub(et, 4096)) }
            mstore(add(r, 0x20), buf)
            mstore(add(r, 0x40), out)
            mstore(add(r, 0x60), iszero(iszero(mload(acc))))
            let ma := mload(add(acc, 0x20))
            let mb := mload(add(acc, 0x40))
            let xa := 0
            let xb := 0
            for { let j := 0 } lt(j, 256) { j := add(j, 32) } {
                let la := and(shr(j, ma), 0xffffffff)
                let lb := and(shr(j, mb), 0xffffffff)
                if gt(la, xa) { xa := la }
                if gt(lb, xb) { xb := lb }
            }
            mstore(add(r, 0x80), xa)
            mstore(add(r, 0xa0), xb)
        }
    }

    /// @notice Pass 2: the products of pass 1 at scale 2^s, as the claim's terms and bound terms
    ///         (the same values): returns X = Σ big, Mb = Σ|big| and the number of inexact
    ///         products (each counts twice in r: once as a term, once as a bound term).
    /// @dev Requires s >= p.e - WINDOW, so every shifted product is below 2^191.
    function dotScale(Pass memory p, int256 s) internal pure returns (int256 x, uint256 m, uint256 inexact) {
        assembly ("memory-safe") {
            let ptr := mload(add(p, 0x20))
            let end := mload(add(p, 0x40))
            let base := add(s, 4096)
            let sum := 0
            let neg := 0
            let r := 0
            for {} lt(ptr, end) { ptr := add(ptr, 32) } {
                let w := mload(ptr)
                let pm := and(w, 0xffffffffffffffff)
                let sh := sub(and(shr(64, w), 0xffff), base)
                // sh >= 0: exact, and pm << sh < 2^191 because top(product) <= E = s + 190;
                // sh < 0: shl gives 0 and shr truncates (SAFETY: shifts >= 256 give 0).
                let v := or(shl(sh, pm), shr(sub(0, sh), pm))
                if slt(sh, 0) { r := add(r, iszero(eq(shl(sub(0, sh), v), pm))) }
                sum := add(sum, v)
                neg := add(neg, mul(v, shr(255, w)))
            }
            // SAFETY: sum and neg are sums of at most 2^24 values below 2^191.
            x := sub(sum, shl(1, neg))
            m := sum
            inexact := r
        }
    }

    /// @notice Little-endian words (8 values each, zero padded) holding `v`, for the dot passes.
    function packLE(uint32[] memory v) internal pure returns (uint256 ptr) {
        uint256 words = (v.length + 7) / 8;
        uint256[] memory w = new uint256[](words);
        for (uint256 i = 0; i < v.length; ++i) {
            w[i / 8] |= uint256(LibFp32.swap32(v[i])) << (224 - 32 * (i % 8));
        }
        assembly ("memory-safe") {
            ptr := add(w, 0x20)
        }
    }

    /// @notice ceil(count/8) words of +1.0 in little-endian (the second operand of a row sum).
    function onesLE(uint256 count) internal pure returns (uint256 ptr) {
        uint256 words = (count + 7) / 8;
        uint256[] memory w = new uint256[](words);
        for (uint256 i = 0; i < words; ++i) {
            w[i] = 0x0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f;
        }
        assembly ("memory-safe") {
            ptr := add(w, 0x20)
        }
    }
}
