// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {LibExactSum} from "./LibExactSum.sol";
import {LibFp32} from "./LibFp32.sol";
import {LibMerkle} from "./LibMerkle.sol";

/// @title LibOpAdam
/// @notice The §4 verdicts of the AdamW kinds of spec v2 (docs/PROTOCOL.md §3.5, §4.1 codes
///         26-29), verdict for verdict as sdk/tolerance/exact.ts checkElement:
///         ADAM_M (26)      x = c0·m + c1·g,        B = γ_2·(|c0·m| + |c1·g|) + 2σ;
///         ADAM_V (27)      x = c0·v + c1·g²,       B = γ_3·(|c0·v| + c1·g²) + 3σ;
///         ADAM_DIR (28)    x = (m/bc1) / (sqrt(v/bc2) + ε), B = γ_16·|x| + 2^-90, judged on an
///                          enclosure of x like the transcendental kinds (§4.3);
///         ADAMW_STEP (29)  x = θ - lr·(u + λθ),    B = γ_4·(|θ| + |lr·u| + |lr·λ·θ|) + 4σ.
///         ADAM_DIR and ADAMW_STEP read the step's row of the schedule table (bc1, bc2; lr),
///         which `proveRow` opens against the spec's scheduleRoot.
library LibOpAdam {
    uint8 internal constant ADAM_M = 26;
    uint8 internal constant ADAM_V = 27;
    uint8 internal constant ADAM_DIR = 28;
    uint8 internal constant ADAMW_STEP = 29;

    /// @notice 2^24: γ_n = n / (2^24 - n).
    uint256 internal constant U_INV = 1 << 24;
    /// @notice σ = 2^-126.
    int256 internal constant SIGMA_Q = -126;
    /// @notice Bits kept in the enclosure of ADAM_DIR's x (relative error below 2^-100, §4.3).
    uint256 private constant PRECISION = 140;

    /// @notice `params` (committed params, then the schedule row's values) do not fit the kind.
    error AdamParamsInvalid(uint8 kind, uint256 params);
    /// @notice The schedule row is not row `step` of the table under the spec's scheduleRoot.
    error AdamScheduleRowInvalid(uint256 step, uint256 steps);

    /// @notice Which row of which schedule table a step reads: from the job spec and the dispute,
    ///         never from the solver.
    struct Schedule {
        bytes32 root;
        uint256 steps;
        uint256 step;
    }

    /// @notice Row `step` of the table (fp32 bits) and its single-leaf proof, from the solver.
    struct ScheduleRow {
        uint32 lr;
        uint32 bc1;
        uint32 bc2;
        bytes32[] proof;
    }

    /// @notice Whether `kind` is one of 26..29.
    function isAdamKind(uint8 kind) internal pure returns (bool) {
        return kind >= ADAM_M && kind <= ADAMW_STEP;
    }

    /// @notice The committed params of a kind (before the schedule row): ADAM_M / ADAM_V
    ///         [c0, c1], ADAM_DIR [ε], ADAMW_STEP [λ].
    function committedParams(uint8 kind) internal pure returns (uint256) {
        return kind <= ADAM_V ? 2 : 1;
    }

    /// @notice Prove `row` as row s.step of the table under s.root (leaf = sha256 of the three
    ///         big-endian u32s, §3.5) and append the values the kind reads to `params`:
    ///         ADAM_DIR [ε] + [bc1, bc2], ADAMW_STEP [λ] + [lr]; other kinds unchanged.
    function withRow(uint8 kind, uint32[] calldata params, Schedule memory s, ScheduleRow calldata row)
        internal
        view
        returns (uint32[] memory all)
    {
        if (!isAdamKind(kind) || params.length != committedParams(kind)) revert AdamParamsInvalid(kind, params.length);
        uint256 extra = kind == ADAM_DIR ? 2 : kind == ADAMW_STEP ? 1 : 0;
        all = new uint32[](params.length + extra);
        for (uint256 i = 0; i < params.length; ++i) {
            all[i] = params[i];
        }
        if (extra == 0) return all;
        bytes32 leaf = sha256(abi.encodePacked(row.lr, row.bc1, row.bc2));
        if (s.step >= s.steps || LibMerkle.processProof(leaf, s.step, s.steps, row.proof) != s.root) {
            revert AdamScheduleRowInvalid(s.step, s.steps);
        }
        if (kind == ADAM_DIR) (all[1], all[2]) = (row.bc1, row.bc2);
        else all[1] = row.lr;
    }

    /// @notice The §4 verdict on output element `y` of an AdamW kind whose element reads `a`
    ///         (m, v, m' or θ) and `b` (g, g, v' or u), with `params` as `withRow` gives them.
    function checkElement(uint8 kind, uint32[] memory params, uint32 a, uint32 b, uint32 y) internal pure returns (bool) {
        if (!isAdamKind(kind) || params.length != (kind == ADAM_DIR ? 3 : 2)) revert AdamParamsInvalid(kind, params.length);
        // Rule 1: a NaN or infinite input or parameter makes any y valid.
        if (LibFp32.isSpecial(a) || LibFp32.isSpecial(b)) return true;
        for (uint256 i = 0; i < params.length; ++i) {
            if (LibFp32.isSpecial(params[i])) return true;
        }
        if (kind == ADAM_DIR) return _checkDirection(params[0], params[1], params[2], a, b, y);
        LibExactSum.Claim memory cl = _claim(kind, params[0], params[1], a, b, y);
        bool special = LibFp32.isSpecial(y);
        if (special && LibExactSum.mayOverflow(cl, y)) return true; // rule 3a: a product, then sums
        if (LibFp32.isNaN(y)) return false; // rule 3
        return special ? LibExactSum.decideInfinite(cl, LibFp32.signBit(y)) : LibExactSum.decide(cl);
    }

    /// @notice The exact claims of ADAM_M, ADAM_V and ADAMW_STEP (terms and bound terms alike).
    function _claim(uint8 kind, uint32 p0, uint32 p1, uint32 a, uint32 b, uint32 y)
        private
        pure
        returns (LibExactSum.Claim memory cl)
    {
        LibExactSum.Value memory va = _fp(a);
        LibExactSum.Value memory vb = _fp(b);
        LibExactSum.Value memory c0 = _fp(p0);
        LibExactSum.Value memory c1 = _fp(p1);
        uint256 n;
        if (kind == ADAM_M) {
            cl.terms = new LibExactSum.Value[](2);
            (cl.terms[0], cl.terms[1], n) = (_mul(c0, va), _mul(c1, vb), 2);
        } else if (kind == ADAM_V) {
            cl.terms = new LibExactSum.Value[](2);
            (cl.terms[0], cl.terms[1], n) = (_mul(c0, va), _mul(c1, _mul(vb, vb)), 3);
        } else {
            // θ - lr·u - lr·λ·θ with p0 = λ, p1 = lr: at most four roundings on any term's path.
            cl.terms = new LibExactSum.Value[](3);
            cl.terms[0] = va;
            cl.terms[1] = _neg(_mul(c1, vb));
            cl.terms[2] = _neg(_mul(c1, _mul(c0, va)));
            n = 4;
        }
        cl.boundTerms = cl.terms;
        cl.y = LibFp32.isSpecial(y) ? _zero() : _fp(y);
        (cl.num, cl.den, cl.floor, cl.exactScale) = (n, U_INV - n, LibExactSum.Value({q: SIGMA_Q, m: n, neg: false}), true);
    }

    /// @notice ADAM_DIR (ε > 0, else the descriptor does not fit the kind): rule 2 for v < 0 or a schedule factor <= 0 (no real x); rule 3a where
    ///         m/bc1 or v/bc2 may overflow (|m| >= bc1·Ω/2, v >= bc2·Ω/2): then any non-finite y
    ///         is valid, and where the denominator may be infinite also y = ±0 (m/Inf); rule 3 for
    ///         NaN; rule 4 for ±Inf (the quotient itself overflows); rule 5 on the enclosure.
    function _checkDirection(uint32 eps, uint32 bc1, uint32 bc2, uint32 m, uint32 v, uint32 y) private pure returns (bool) {
        LibExactSum.Value memory vm = _fp(m);
        LibExactSum.Value memory vv = _fp(v);
        LibExactSum.Value memory c1 = _fp(bc1);
        LibExactSum.Value memory c2 = _fp(bc2);
        LibExactSum.Value memory ve = _fp(eps);
        if (ve.m == 0 || ve.neg) revert AdamParamsInvalid(ADAM_DIR, 3);
        bool special = LibFp32.isSpecial(y);
        if ((vv.neg && vv.m != 0) || c1.m == 0 || c1.neg || c2.m == 0 || c2.neg) return special; // rule 2
        bool denominatorMayOverflow = _atLeastHalfOmega(vv, c2);
        if (special && (denominatorMayOverflow || _atLeastHalfOmega(vm, c1))) return true; // rule 3a
        if (denominatorMayOverflow && LibFp32.isZero(y)) return true;
        if (LibFp32.isNaN(y)) return false; // rule 3
        LibExactSum.Claim memory cl;
        cl.terms = new LibExactSum.Value[](1);
        cl.terms[0] = _direction(vm, vv, c1, c2, ve);
        cl.boundTerms = cl.terms;
        cl.y = special ? _zero() : _fp(y);
        // γ_16 + 2^-96 (the enclosure's slack), floor 2^-90 + 2^-190.
        (cl.num, cl.den) = ((16 << 96) + (U_INV - 16), (U_INV - 16) << 96);
        cl.floor = LibExactSum.Value({q: -190, m: (1 << 100) + 1, neg: false});
        return special ? LibExactSum.decideInfinite(cl, LibFp32.signBit(y)) : LibExactSum.decide(cl);
    }

    /// @notice An enclosure of (m/bc1) / (sqrt(v/bc2) + ε) with a relative error below 2^-100
    ///         (every step truncates a positive magnitude of at least PRECISION - 30 bits).
    function _direction(
        LibExactSum.Value memory vm,
        LibExactSum.Value memory vv,
        LibExactSum.Value memory c1,
        LibExactSum.Value memory c2,
        LibExactSum.Value memory eps
    ) private pure returns (LibExactSum.Value memory x) {
        if (vm.m == 0) return _zero();
        (uint256 nm, int256 nq) = _quotient(vm.m, vm.q, c1.m, c1.q);
        uint256 dm = 0;
        int256 dq = 0;
        if (vv.m != 0) {
            (uint256 tm, int256 tq) = _quotient(vv.m, vv.q, c2.m, c2.q);
            if (tq % 2 != 0) (tm, tq) = (tm << 1, tq - 1);
            (dm, dq) = (Math.sqrt(tm), tq / 2);
        }
        // sqrt(v/bc2) + ε at a common scale PRECISION bits below the larger one's top.
        int256 t = LibExactSum.maxTop(eps, dm == 0 ? LibExactSum.NO_EXPONENT : LibExactSum.top(dm, dq));
        int256 s = t - int256(PRECISION);
        (uint256 sd,) = LibExactSum.truncate(dm, dq, s);
        (uint256 se,) = LibExactSum.truncate(eps.m, eps.q, s);
        (x.m, x.q) = _quotient(nm, nq, sd + se, s);
        x.neg = vm.neg;
    }

    /// @notice (am·2^aq) / (bm·2^bq) truncated, with am shifted to 255 bits first (bm < 2^142).
    function _quotient(uint256 am, int256 aq, uint256 bm, int256 bq) private pure returns (uint256 m, int256 q) {
        uint256 shift = 255 - LibFp32.log2floor(am);
        return ((am << shift) / bm, aq - int256(shift) - bq);
    }

    /// @notice |v| >= c·Ω/2 for finite c > 0, exactly.
    function _atLeastHalfOmega(LibExactSum.Value memory v, LibExactSum.Value memory c) private pure returns (bool) {
        if (v.m == 0) return false;
        // 2|v| >= Ω·c: compare the tops, then the aligned significands (both below 2^50).
        uint256 rm = LibExactSum.OMEGA_M * c.m;
        int256 rq = LibExactSum.OMEGA_Q + c.q;
        int256 tl = LibExactSum.top(v.m, v.q + 1);
        int256 tr = LibExactSum.top(rm, rq);
        if (tl != tr) return tl > tr;
        int256 q = v.q + 1 < rq ? v.q + 1 : rq;
        return v.m << uint256(v.q + 1 - q) >= rm << uint256(rq - q);
    }

    function _fp(uint32 bits) private pure returns (LibExactSum.Value memory v) {
        (v.neg, v.m, v.q) = LibFp32.decode(bits);
    }

    function _zero() private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: 0, m: 0, neg: false});
    }

    function _neg(LibExactSum.Value memory v) private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: v.q, m: v.m, neg: !v.neg});
    }

    /// @notice x · z, exact (significands of at most three fp32 factors stay below 2^80).
    function _mul(LibExactSum.Value memory x, LibExactSum.Value memory z) private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: x.q + z.q, m: x.m * z.m, neg: x.neg != z.neg});
    }
}
