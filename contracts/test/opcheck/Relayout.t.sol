// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibOpPool} from "../../libraries/LibOpPool.sol";
import {LibOpRelayout} from "../../libraries/LibOpRelayout.sol";
import {LibTensor} from "../../libraries/LibTensor.sol";
import {OpDesc, OpInput} from "../../types/OpDesc.sol";
import {Test} from "../utils/Test.sol";

/// @notice Unit and fuzz tests of the spec-v2 index math (LibOpRelayout.reads) and verdicts
///         (LibOpPool), with hand-computed expectations (docs/PROTOCOL.md §4.1 codes 20-25).
/// @custom:invariant every range a well-formed relayout op reads lies inside its input tensor
/// @custom:invariant a PATCHES element reads nothing exactly where its source is padding or a dilation hole
contract RelayoutTest is Test {
    uint32 internal constant ONE = 0x3f800000;
    uint32 internal constant TWO = 0x40000000;
    uint32 internal constant ZERO = 0;
    uint32 internal constant NEG_ZERO = 0x80000000;
    uint32 internal constant INF = 0x7f800000;
    uint32 internal constant NAN = 0x7fc00000;
    uint32 internal constant SIGMA = 0x00800000;

    /// @dev reads() takes the descriptor as calldata.
    function readsOf(OpDesc calldata op, uint256 element) external pure returns (LibOpRelayout.Reads memory) {
        return LibOpRelayout.reads(op, element);
    }

    function _shape4(uint32 a, uint32 b, uint32 c, uint32 d) internal pure returns (uint32[] memory s) {
        s = new uint32[](4);
        (s[0], s[1], s[2], s[3]) = (a, b, c, d);
    }

    function _shape2(uint32 a, uint32 b) internal pure returns (uint32[] memory s) {
        s = new uint32[](2);
        (s[0], s[1]) = (a, b);
    }

    function _shape1(uint32 a) internal pure returns (uint32[] memory s) {
        s = new uint32[](1);
        s[0] = a;
    }

    function _op(uint8 kind, uint32[] memory shape, uint32[] memory in0, uint32[] memory params) internal pure returns (OpDesc memory op) {
        op.kind = kind;
        op.shape = shape;
        op.inputs = new OpInput[](1);
        op.inputs[0] = OpInput({space: 1, index: 0, shape: in0});
        op.params = params;
    }

    /// @dev PATCHES params [KH, KW, SH, SW, PT, PL, DH, DW, OH, OW, mode].
    function _patches(uint32[] memory in4, uint32[11] memory p) internal pure returns (OpDesc memory) {
        uint32[] memory params = new uint32[](11);
        for (uint256 i = 0; i < 11; ++i) {
            params[i] = p[i];
        }
        uint256 rows = uint256(in4[0]) * p[8] * p[9];
        uint256 cols = uint256(p[0]) * p[1];
        if (p[10] == 1) rows *= in4[3];
        else cols *= in4[3];
        return _op(LibOpRelayout.PATCHES, _shape2(uint32(rows), uint32(cols)), in4, params);
    }

    function _expect(LibOpRelayout.Reads memory r, uint256 first0, uint256 count0, string memory what) internal pure {
        assertEq(r.count0, count0, what);
        if (count0 != 0) assertEq(r.first0, first0, what);
    }

    function test_reads_convPatches_handComputed_succeeds() public view {
        // Input [2, 5, 5, 3], 3x3 window, stride 1, padding 1 ('same'): rows (b, oh, ow) = 50, columns (kh, kw, c) = 27.
        OpDesc memory op = _patches(_shape4(2, 5, 5, 3), [uint32(3), 3, 1, 1, 1, 1, 1, 1, 5, 5, 0]);
        // (row 0, col 0): oh = ow = kh = kw = 0, ph = -1: padding.
        _expect(this.readsOf(op, 0), 0, 0, "top-left padding");
        // row 6 = (b 0, oh 1, ow 1), col 16 = (kh 1, kw 2, c 1): ph = 1, pw = 2 -> ((0·5 + 1)·5 + 2)·3 + 1 = 22.
        _expect(this.readsOf(op, 6 * 27 + 16), 22, 1, "interior");
        // row 49 = (b 1, oh 4, ow 4), col 26 = (kh 2, kw 2, c 2): ph = pw = 5 > 4: trailing padding.
        _expect(this.readsOf(op, 49 * 27 + 26), 0, 0, "bottom-right padding");
        // row 49, col 0 = (kh 0, kw 0, c 0): ph = pw = 3 -> ((1·5 + 3)·5 + 3)·3 = 129.
        _expect(this.readsOf(op, 49 * 27), 129, 1, "second image");
    }

    function test_reads_dilatedPatches_holesReadNothing_succeeds() public view {
        // The input gradient of a stride-2 conv: input [1, 3, 3, 2] dilated by 2, padded by 2, 3x3 window, 6x6 out.
        OpDesc memory op = _patches(_shape4(1, 3, 3, 2), [uint32(3), 3, 1, 1, 2, 2, 2, 2, 6, 6, 0]);
        uint256 cols = 18;
        // row (oh 2, ow 0), col (kh 0, kw 2, c 1): ph = 0, pw = 0 -> element 1.
        _expect(this.readsOf(op, (2 * 6) * cols + (2 * 2 + 1)), 1, 1, "on the grid");
        // row (oh 3, ow 0), col (kh 0, kw 2, c 1): ph = 1, a dilation hole.
        _expect(this.readsOf(op, (3 * 6) * cols + (2 * 2 + 1)), 0, 0, "hole");
        // row (oh 1, ow 0), kh 0: ph = -1, leading padding.
        _expect(this.readsOf(op, (1 * 6) * cols + 5), 0, 0, "padding");
        // row (oh 5, ow 5), col (kh 2, kw 2, c 0): ph = pw = 5, past the dilated input's last row (4): padding.
        _expect(this.readsOf(op, (5 * 6 + 5) * cols + (2 * 3 + 2) * 2), 0, 0, "trailing padding");
        // row (oh 4, ow 4), the same column: ph = pw = 4 -> (2, 2) -> (2·3 + 2)·2 = 16.
        _expect(this.readsOf(op, (4 * 6 + 4) * cols + (2 * 3 + 2) * 2), 16, 1, "last input row");
        // row (oh 4, ow 2), col (kh 0, kw 0, c 0): ph = 2, pw = 0 -> (1, 0) -> (1·3 + 0)·2 = 6.
        _expect(this.readsOf(op, (4 * 6 + 2) * cols), 6, 1, "second row");
    }

    function test_reads_poolPatches_handComputed_succeeds() public view {
        // Input [1, 4, 4, 2], 2x2 windows, stride 2: rows (b, oh, ow, c) = 8, columns (kh, kw) = 4.
        OpDesc memory op = _patches(_shape4(1, 4, 4, 2), [uint32(2), 2, 2, 2, 0, 0, 1, 1, 2, 2, 1]);
        // row 3 = (oh 0, ow 1, c 1), col 2 = (kh 1, kw 0): ph = 1, pw = 2 -> (1·4 + 2)·2 + 1 = 13.
        _expect(this.readsOf(op, 3 * 4 + 2), 13, 1, "window element");
    }

    function test_reads_permuteFlip_handComputed_succeeds() public view {
        // in [2, 3, 4, 5] -> out [5, 3, 4, 2], axes [3, 1, 2, 0], flips 0b0110 (the conv filter flip).
        uint32[] memory params = new uint32[](6);
        (params[0], params[1], params[2], params[3], params[4], params[5]) = (4, 3, 1, 2, 0, 6);
        OpDesc memory op = _op(LibOpRelayout.PERMUTE, _shape4(5, 3, 4, 2), _shape4(2, 3, 4, 5), params);
        // out (4, 2, 1, 1) = 115: in (1, 3-1-2 = 0, 4-1-1 = 2, 4) = ((1·3 + 0)·4 + 2)·5 + 4 = 74.
        _expect(this.readsOf(op, 115), 74, 1, "permute");
        // out (0, 0, 0, 0): in (0, 2, 3, 0) = (2·4 + 3)·5 = 55.
        _expect(this.readsOf(op, 0), 55, 1, "permute origin");
    }

    function test_reads_poolGrad_windowAndPosition_succeeds() public view {
        // MAXPOOL_GRAD output [1, 5, 5, 2], 2x2 windows, 2x2 of them: window rows 8; h = 4 or w = 4 is uncovered.
        uint32[] memory params = new uint32[](4);
        (params[0], params[1], params[2], params[3]) = (2, 2, 2, 2);
        OpDesc memory op = _op(LibOpRelayout.MAXPOOL_GRAD, _shape4(1, 5, 5, 2), _shape2(8, 4), params);
        op.inputs = new OpInput[](2);
        op.inputs[0] = OpInput({space: 1, index: 0, shape: _shape2(8, 4)});
        op.inputs[1] = OpInput({space: 1, index: 1, shape: _shape1(8)});
        // (h 3, w 2, c 1) = 35: window (1, 1), row ((0·2 + 1)·2 + 1)·2 + 1 = 7, position (3 % 2)·2 + 0 = 2.
        LibOpRelayout.Reads memory r = this.readsOf(op, 35);
        assertEq(r.first0, 28, "window row");
        assertEq(r.count0, 4, "window size");
        assertEq(r.first1, 7, "gradient row");
        assertEq(r.count1, 1, "one gradient");
        assertEq(r.position, 2, "position");
        // (h 4, w 0, c 0) = 40: no window covers it.
        r = this.readsOf(op, 40);
        assertEq(r.count0 + r.count1, 0, "uncovered");
        // AVGPOOL_GRAD: the same routing, one gradient read.
        OpDesc memory avg = _op(LibOpRelayout.AVGPOOL_GRAD, _shape4(1, 5, 5, 2), _shape1(8), params);
        _expect(this.readsOf(avg, 35), 7, 1, "avg row");
        _expect(this.readsOf(avg, 9 * 2), 0, 0, "avg uncovered (w 4)");
    }

    function _reverts(OpDesc memory op, uint256 element, bytes4 selector) internal view returns (bool) {
        try this.readsOf(op, element) {
            return false;
        } catch (bytes memory data) {
            return bytes4(data) == selector;
        }
    }

    function test_reads_malformedGeometry_reverts() public view {
        bytes4 params = LibOpRelayout.RelayoutParamsInvalid.selector;
        bytes4 shape = LibOpRelayout.RelayoutShapeInvalid.selector;
        assertTrue(_reverts(_patches(_shape4(1, 4, 4, 1), [uint32(2), 2, 0, 2, 0, 0, 1, 1, 2, 2, 0]), 0, params), "stride 0");
        assertTrue(_reverts(_patches(_shape4(1, 4, 4, 1), [uint32(2), 2, 2, 2, 0, 0, 1, 1, 2, 2, 3]), 0, params), "mode 3");
        OpDesc memory op = _patches(_shape4(1, 4, 4, 1), [uint32(2), 2, 2, 2, 0, 0, 1, 1, 2, 2, 0]);
        op.shape[0] = 5; // rows are not B·OH·OW
        assertTrue(_reverts(op, 0, shape), "rows");
        op = _patches(_shape4(1, 4, 4, 1), [uint32(2), 2, 2, 2, 0, 0, 1, 1, 2, 2, 0]);
        assertTrue(_reverts(op, 16, LibOpRelayout.RelayoutElementInvalid.selector), "element past the end");
        op.inputs[0].shape = _shape2(4, 4);
        assertTrue(_reverts(op, 0, shape), "input rank");
        uint32[] memory perm = new uint32[](4);
        (perm[0], perm[1], perm[2], perm[3]) = (2, 1, 1, 0);
        assertTrue(_reverts(_op(LibOpRelayout.PERMUTE, _shape2(3, 3), _shape2(3, 3), perm), 0, params), "repeated axis");
        (perm[1], perm[2], perm[3]) = (1, 0, 4);
        assertTrue(_reverts(_op(LibOpRelayout.PERMUTE, _shape2(3, 3), _shape2(3, 3), perm), 0, params), "flip past the rank");
        (perm[3]) = (0);
        assertTrue(_reverts(_op(LibOpRelayout.PERMUTE, _shape2(3, 2), _shape2(3, 2), perm), 0, shape), "dims do not follow the axes");
        uint32[] memory pool = new uint32[](4);
        (pool[0], pool[1], pool[2], pool[3]) = (2, 2, 3, 2);
        assertTrue(_reverts(_op(LibOpRelayout.AVGPOOL_GRAD, _shape4(1, 5, 5, 1), _shape1(6), pool), 0, params), "windows past the input");
        (pool[2]) = (2);
        assertTrue(_reverts(_op(LibOpRelayout.AVGPOOL_GRAD, _shape4(1, 5, 5, 1), _shape1(5), pool), 0, shape), "gradient rows");
        assertTrue(_reverts(_op(LibOpRelayout.RESHAPE, _shape2(2, 3), _shape2(3, 3), new uint32[](0)), 0, shape), "reshape count");
        assertTrue(_reverts(_op(LibOpRelayout.ROW_MEAN, _shape1(3), _shape2(4, 3), new uint32[](0)), 0, shape), "mean rows");
        assertTrue(_reverts(_op(LibOpRelayout.ROW_MEAN, _shape1(4), _shape2(4, 3), pool), 0, params), "mean params");
    }

    /// @dev Any well-formed PATCHES geometry: every element reads inside the input, and reads
    ///      nothing iff its source position is padding or a hole.
    function testFuzz_reads_patchesInsideInput(uint256 seed, uint256 element) public view {
        uint32[11] memory p;
        p[0] = uint32(bound(seed, 1, 4));
        p[1] = uint32(bound(seed >> 8, 1, 4));
        p[2] = uint32(bound(seed >> 16, 1, 3));
        p[3] = uint32(bound(seed >> 24, 1, 3));
        p[4] = uint32(bound(seed >> 32, 0, 3));
        p[5] = uint32(bound(seed >> 40, 0, 3));
        p[6] = uint32(bound(seed >> 48, 1, 3));
        p[7] = uint32(bound(seed >> 56, 1, 3));
        p[8] = uint32(bound(seed >> 64, 1, 6));
        p[9] = uint32(bound(seed >> 72, 1, 6));
        p[10] = uint32(bound(seed >> 80, 0, 1));
        uint32[] memory in4 = _shape4(uint32(bound(seed >> 88, 1, 2)), uint32(bound(seed >> 96, 1, 5)), uint32(bound(seed >> 104, 1, 5)), uint32(bound(seed >> 112, 1, 3)));
        OpDesc memory op = _patches(in4, p);
        uint256 n = LibTensor.elementCount(op.shape);
        element = bound(element, 0, n - 1);
        LibOpRelayout.Reads memory r = this.readsOf(op, element);
        assertLe(r.count0, 1, "one element");
        if (r.count0 == 1) assertTrue(r.first0 < LibTensor.elementCount(in4), "inside the input");
    }

    // ------------------------------------------------------------------ verdicts

    function _row(uint32 x, uint32 y) internal pure returns (uint32[] memory v) {
        v = new uint32[](2);
        (v[0], v[1]) = (x, y);
    }

    function _mean(uint32[] memory a, uint32 y) internal pure returns (bool) {
        return LibOpPool.checkElement(LibOpRelayout.ROW_MEAN, new uint32[](0), a, new uint32[](0), y, 0);
    }

    function test_checkRowMean_boundary_succeeds() public pure {
        // mean(1, 2) = 1.5; B = γ_4·3/2 + 4σ, a hair over 3 ulps of 1.5 (2^-23 each).
        uint32[] memory a = _row(ONE, TWO);
        assertTrue(_mean(a, 0x3fc00000), "exact");
        assertTrue(_mean(a, 0x3fc00003), "+3 ulps");
        assertTrue(!_mean(a, 0x3fc00004), "+4 ulps");
        assertTrue(_mean(a, 0x3fbffffd), "-3 ulps");
        assertTrue(!_mean(a, 0x3fbffffc), "-4 ulps");
        assertTrue(!_mean(a, INF), "finite sum: no infinity");
        // max + max overflows in any order: +Inf is valid, -Inf and NaN are not.
        a = _row(0x7f7fffff, 0x7f7fffff);
        assertTrue(_mean(a, INF), "overflowed sum");
        assertTrue(!_mean(a, 0xff800000), "wrong sign");
        assertTrue(!_mean(a, NAN), "one sign only");
        assertTrue(_mean(a, 0x7f7fffff), "or the exact mean");
        a = _row(NAN, ONE);
        assertTrue(_mean(a, 0x12345678), "rule 1");
    }

    function _avg(bool read, uint32 g, uint32 y) internal pure returns (bool) {
        return LibOpPool.checkAvgPoolGrad(read, g, 4, y);
    }

    function test_checkAvgPoolGrad_boundary_succeeds() public pure {
        // g = 1, Q = 4: |4y - 1| <= γ_2 + 4σ, γ_2 = 2/(2^24 - 2) just over 2^-23.
        assertTrue(_avg(true, ONE, 0x3e800000), "0.25");
        assertTrue(_avg(true, ONE, 0x3e800001), "+1 ulp (2^-25)");
        assertTrue(!_avg(true, ONE, 0x3e800002), "+2 ulps");
        assertTrue(_avg(true, ONE, 0x3e7ffffe), "-2 ulps (2^-26)");
        assertTrue(!_avg(true, ONE, 0x3e7ffffd), "-3 ulps");
        // Uncovered: x = 0, B = σ.
        assertTrue(_avg(false, 0, NEG_ZERO), "-0");
        assertTrue(_avg(false, 0, SIGMA | 0x80000000), "-sigma");
        assertTrue(!_avg(false, 0, SIGMA + 1), "sigma + 1 ulp");
        assertTrue(!_avg(false, 0, INF), "inf");
        // g at the fp32 maximum: g/4 is finite, so +Inf is fraud for Q = 4 and rule 4 for Q = 1.
        assertTrue(!_avg(true, 0x7f7fffff, INF), "Q = 4");
        assertTrue(LibOpPool.checkAvgPoolGrad(true, 0x7f7fffff, 1, INF), "Q = 1");
        assertTrue(_avg(true, INF, NAN), "rule 1");
    }

    function test_checkMaxPoolGrad_tiesRouteToFirst_succeeds() public pure {
        uint32[] memory w = new uint32[](4);
        (w[0], w[1], w[2], w[3]) = (NEG_ZERO, TWO, TWO, ZERO);
        assertTrue(LibOpPool.checkMaxPoolGrad(w, ONE, 1, ONE), "first maximum gets g");
        assertTrue(!LibOpPool.checkMaxPoolGrad(w, ONE, 2, ONE), "the tie after it does not");
        assertTrue(LibOpPool.checkMaxPoolGrad(w, ONE, 2, NEG_ZERO), "it is zero");
        assertTrue(!LibOpPool.checkMaxPoolGrad(w, ONE, 1, 0x3f800001), "exact: no ulp");
        (w[0], w[1], w[2], w[3]) = (NEG_ZERO, ZERO, NEG_ZERO, ZERO);
        assertTrue(LibOpPool.checkMaxPoolGrad(w, ONE, 0, ONE), "+-0 tie: the first");
        assertTrue(!LibOpPool.checkMaxPoolGrad(w, ONE, 1, ONE), "+0 does not beat -0");
        w[3] = NAN;
        assertTrue(LibOpPool.checkMaxPoolGrad(w, ONE, 1, INF), "rule 1");
        assertTrue(LibOpPool.checkMaxPoolGrad(new uint32[](0), 0, 0, NEG_ZERO), "uncovered: zero");
        assertTrue(!LibOpPool.checkMaxPoolGrad(new uint32[](0), 0, 0, 1), "uncovered: not a subnormal");
    }

    function test_checkCopy_paddingMustBeZero_succeeds() public pure {
        assertTrue(LibOpRelayout.checkCopy(false, 0, ZERO), "+0");
        assertTrue(LibOpRelayout.checkCopy(false, 0, NEG_ZERO), "-0");
        assertTrue(!LibOpRelayout.checkCopy(false, 0, 1), "subnormal");
        assertTrue(!LibOpRelayout.checkCopy(false, 0, NAN), "nan");
        assertTrue(LibOpRelayout.checkCopy(true, ZERO, NEG_ZERO), "zeros equal");
        assertTrue(!LibOpRelayout.checkCopy(true, ONE, 0x3f800001), "exact");
        assertTrue(LibOpRelayout.checkCopy(true, INF, ONE), "rule 1");
        assertTrue(!LibOpRelayout.checkCopy(true, ONE, INF), "no infinity");
    }
}
