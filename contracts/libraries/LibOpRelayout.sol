// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibFp32} from "./LibFp32.sol";
import {LibTensor} from "./LibTensor.sol";
import {OpDesc} from "../types/OpDesc.sol";

/// @title LibOpRelayout
/// @notice Where an element of a spec-v2 op reads (docs/PROTOCOL.md §4.1, codes 20-25), bit for bit
///         as sdk/tolerance/reads.ts and sdk/graph/relayout.ts (patchSource, permuteSource,
///         poolSource): the source index is computed from the element index, the op's output
///         shape, its inputs' shapes and its integer params. A padding element of PATCHES and a
///         pool-gradient element no window covers read nothing (count 0). Also the verdict of the
///         exact copies RESHAPE, PATCHES and PERMUTE.
/// @dev    A descriptor whose params or shapes do not fit its kind reverts with
///         RelayoutParamsInvalid / RelayoutShapeInvalid, as LibOpCheck does for the v1 kinds: the
///         solver cannot open such an element and loses the dispute on its clock. The descriptor is
///         committed in the spec's graphRoot, which an honest solver checks against the canonical
///         graph of the spec before it claims a job (node/services/jobs.ts), so it never meets one.
library LibOpRelayout {
    uint8 internal constant RESHAPE = 20;
    uint8 internal constant PATCHES = 21;
    uint8 internal constant PERMUTE = 22;
    uint8 internal constant ROW_MEAN = 23;
    uint8 internal constant MAXPOOL_GRAD = 24;
    uint8 internal constant AVGPOOL_GRAD = 25;

    /// @notice PATCHES params: KH, KW, SH, SW, PT, PL, DH, DW, OH, OW, mode.
    uint256 internal constant PATCH_PARAMS = 11;
    /// @notice Pool-gradient params: KH, KW, OH, OW.
    uint256 internal constant POOL_PARAMS = 4;

    /// @notice Integer param `param` of a `kind` op is out of its range, or the param count
    ///         (`param` = type(uint256).max) is wrong.
    error RelayoutParamsInvalid(uint8 kind, uint256 param);
    /// @notice The shape of input `input` (type(uint256).max for the output) does not fit the
    ///         kind and its params, or the input count is wrong.
    error RelayoutShapeInvalid(uint8 kind, uint256 input);
    /// @notice The element lies outside the op's output.
    error RelayoutElementInvalid(uint256 element, uint256 elements);

    /// @notice The elements one output element reads: [first0, first0 + count0) of input 0,
    ///         [first1, first1 + count1) of input 1 (MAXPOOL_GRAD only), and for MAXPOOL_GRAD the
    ///         element's position in its window (row-major, (h % KH)·KW + w % KW).
    struct Reads {
        uint256 first0;
        uint256 count0;
        uint256 first1;
        uint256 count1;
        uint256 position;
    }

    /// @notice True for the kinds this library routes (20..25).
    function isRelayoutKind(uint8 kind) internal pure returns (bool) {
        return kind >= RESHAPE && kind <= AVGPOOL_GRAD;
    }

    /// @notice Number of inputs of a kind 20..25.
    function arity(uint8 kind) internal pure returns (uint256) {
        return kind == MAXPOOL_GRAD ? 2 : 1;
    }

    /// @notice The reads of output element `element` of `op` (kinds 20..25), after validating the
    ///         descriptor's shapes and integer params against each other.
    function reads(OpDesc calldata op, uint256 element) internal pure returns (Reads memory r) {
        uint8 kind = op.kind;
        if (!isRelayoutKind(kind)) revert RelayoutParamsInvalid(kind, type(uint256).max);
        if (op.inputs.length != arity(kind)) revert RelayoutShapeInvalid(kind, op.inputs.length);
        uint256 n = LibTensor.elementCount(op.shape);
        if (element >= n) revert RelayoutElementInvalid(element, n);
        if (kind == RESHAPE) {
            if (op.params.length != 0) revert RelayoutParamsInvalid(kind, type(uint256).max);
            if (LibTensor.elementCount(op.inputs[0].shape) != n) revert RelayoutShapeInvalid(kind, 0);
            return Reads(element, 1, 0, 0, 0);
        }
        if (kind == ROW_MEAN) {
            // out [R] from input [R, N]: row `element`, as ROW_SUM.
            if (op.params.length != 0) revert RelayoutParamsInvalid(kind, type(uint256).max);
            uint32[] calldata s = op.inputs[0].shape;
            if (op.shape.length != 1 || s.length != 2 || s[0] != op.shape[0]) revert RelayoutShapeInvalid(kind, 0);
            return Reads(element * s[1], s[1], 0, 0, 0);
        }
        if (kind == PATCHES) return _patchReads(op, element);
        if (kind == PERMUTE) return _permuteReads(op, element);
        return _poolReads(op, element);
    }

    /// @notice The exact copies (RESHAPE, PATCHES, PERMUTE; B = 0): with `read`, y must equal `a`
    ///         (any y when a is NaN or ±Inf, §4.2 rule 1; zeros of either sign equal); without
    ///         (a padding element), y must be ±0.
    function checkCopy(bool read, uint32 a, uint32 y) internal pure returns (bool) {
        if (!read) return LibFp32.isZero(y);
        if (LibFp32.isSpecial(a)) return true;
        if (LibFp32.isSpecial(y)) return false;
        return LibFp32.sameValue(a, y);
    }

    // ------------------------------------------------------------------ internals

    /// @dev PATCHES (output [rows, cols], input [B, H, W, C]). Mode 0 (a conv reads): rows
    ///      (b, oh, ow), columns (kh, kw, c); mode 1 (a pool reads): rows (b, oh, ow, c), columns
    ///      (kh, kw). Element (row, col) copies input (b, ph / DH, pw / DW, c) with
    ///      ph = oh·SH + kh - PT, pw = ow·SW + kw - PL, unless that falls in the padding or in a
    ///      dilation hole (then it reads nothing and is a zero).
    function _patchReads(OpDesc calldata op, uint256 element) private pure returns (Reads memory r) {
        uint8 kind = PATCHES;
        uint32[] calldata p = op.params;
        if (p.length != PATCH_PARAMS) revert RelayoutParamsInvalid(kind, type(uint256).max);
        // Window, stride, dilation and output size are at least 1; the mode is 0 or 1.
        for (uint256 i = 0; i < PATCH_PARAMS - 1; ++i) {
            if (p[i] == 0 && i != 4 && i != 5) revert RelayoutParamsInvalid(kind, i);
        }
        if (p[10] > 1) revert RelayoutParamsInvalid(kind, 10);
        uint32[] calldata s = op.inputs[0].shape;
        if (s.length != 4) revert RelayoutShapeInvalid(kind, 0);
        if (op.shape.length != 2) revert RelayoutShapeInvalid(kind, type(uint256).max);
        uint256 c = s[3];
        uint256 rows = uint256(s[0]) * p[8] * p[9];
        uint256 cols = uint256(p[0]) * p[1];
        bool pool = p[10] == 1;
        if (pool) rows *= c;
        else cols *= c;
        if (op.shape[0] != rows || op.shape[1] != cols) revert RelayoutShapeInvalid(kind, type(uint256).max);

        uint256 row = element / cols;
        uint256 col = element % cols;
        uint256 b;
        uint256 oh;
        uint256 ow;
        uint256 kh;
        uint256 kw;
        if (pool) {
            c = row % s[3];
            ow = (row / s[3]) % p[9];
            oh = (row / (uint256(s[3]) * p[9])) % p[8];
            b = row / (uint256(s[3]) * p[9] * p[8]);
            kw = col % p[1];
            kh = col / p[1];
        } else {
            ow = row % p[9];
            oh = (row / p[9]) % p[8];
            b = row / (uint256(p[9]) * p[8]);
            c = col % s[3];
            kw = (col / s[3]) % p[1];
            kh = col / (uint256(s[3]) * p[1]);
        }
        uint256 ph = oh * p[2] + kh;
        uint256 pw = ow * p[3] + kw;
        // Leading padding, trailing padding, dilation holes: nothing is read (count 0).
        if (ph < p[4] || pw < p[5]) return r;
        ph -= p[4];
        pw -= p[5];
        if (ph > (uint256(s[1]) - 1) * p[6] || pw > (uint256(s[2]) - 1) * p[7] || ph % p[6] != 0 || pw % p[7] != 0) return r;
        r.first0 = ((b * s[1] + ph / p[6]) * s[2] + pw / p[7]) * s[3] + c;
        r.count0 = 1;
    }

    /// @dev PERMUTE (params [rank, axes..., flipMask]): output index (o_0, .., o_{rank-1}) reads
    ///      the input index with i_{axes[k]} = o_k, or (d_k - 1 - o_k) where bit k of flipMask is set.
    function _permuteReads(OpDesc calldata op, uint256 element) private pure returns (Reads memory r) {
        uint8 kind = PERMUTE;
        uint32[] calldata p = op.params;
        uint32[] calldata s = op.inputs[0].shape;
        uint256 rank = op.shape.length;
        if (p.length == 0 || p[0] != rank || p.length != rank + 2) revert RelayoutParamsInvalid(kind, type(uint256).max);
        if (s.length != rank) revert RelayoutShapeInvalid(kind, 0);
        // axes must be a permutation of 0..rank-1 that carries the input dims to the output's.
        uint256 seen;
        for (uint256 k = 0; k < rank; ++k) {
            uint256 axis = p[1 + k];
            if (axis >= rank || (seen >> axis) & 1 == 1) revert RelayoutParamsInvalid(kind, 1 + k);
            seen |= 1 << axis;
            if (s[axis] != op.shape[k]) revert RelayoutShapeInvalid(kind, 0);
        }
        uint256 flips = p[1 + rank];
        if (flips >> rank != 0) revert RelayoutParamsInvalid(kind, 1 + rank);
        uint256[] memory idx = new uint256[](rank);
        uint256 rest = element;
        for (uint256 k = rank; k > 0; --k) {
            uint256 d = op.shape[k - 1];
            uint256 o = rest % d;
            rest /= d;
            idx[p[k]] = (flips >> (k - 1)) & 1 == 1 ? d - 1 - o : o;
        }
        uint256 flat;
        for (uint256 a = 0; a < rank; ++a) {
            flat = flat * s[a] + idx[a];
        }
        return Reads(flat, 1, 0, 0, 0);
    }

    /// @dev MAXPOOL_GRAD / AVGPOOL_GRAD (params [KH, KW, OH, OW], output [B, H, W, C]; windows
    ///      rows ((b·OH + h / KH)·OW + w / KW)·C + c). MAXPOOL_GRAD reads its window row of input 0
    ///      ([rows, KH·KW], the forward PATCHES) and that row's gradient in input 1 ([rows]);
    ///      AVGPOOL_GRAD the row's gradient in input 0. An element no window covers reads nothing.
    function _poolReads(OpDesc calldata op, uint256 element) private pure returns (Reads memory r) {
        uint8 kind = op.kind;
        uint32[] calldata p = op.params;
        if (p.length != POOL_PARAMS) revert RelayoutParamsInvalid(kind, type(uint256).max);
        for (uint256 i = 0; i < POOL_PARAMS; ++i) {
            if (p[i] == 0) revert RelayoutParamsInvalid(kind, i);
        }
        uint32[] calldata out = op.shape;
        if (out.length != 4) revert RelayoutShapeInvalid(kind, type(uint256).max);
        // Pools are 'valid' and not overlapping: the windows fit inside the input.
        if (uint256(p[2]) * p[0] > out[1]) revert RelayoutParamsInvalid(kind, 2);
        if (uint256(p[3]) * p[1] > out[2]) revert RelayoutParamsInvalid(kind, 3);
        uint256 c = out[3];
        uint256 rows = uint256(out[0]) * p[2] * p[3] * c;
        uint256 q = uint256(p[0]) * p[1];
        uint32[] calldata g = op.inputs[kind == MAXPOOL_GRAD ? 1 : 0].shape;
        if (g.length != 1 || g[0] != rows) revert RelayoutShapeInvalid(kind, kind == MAXPOOL_GRAD ? 1 : 0);
        if (kind == MAXPOOL_GRAD) {
            uint32[] calldata w = op.inputs[0].shape;
            if (w.length != 2 || w[0] != rows || w[1] != q) revert RelayoutShapeInvalid(kind, 0);
        }

        uint256 wPos = (element / c) % out[2];
        uint256 hPos = (element / (c * out[2])) % out[1];
        uint256 b = element / (c * out[2] * out[1]);
        uint256 wh = hPos / p[0];
        uint256 ww = wPos / p[1];
        if (wh >= p[2] || ww >= p[3]) return r;
        uint256 row = ((b * p[2] + wh) * p[3] + ww) * c + element % c;
        if (kind == AVGPOOL_GRAD) return Reads(row, 1, 0, 0, 0);
        return Reads(row * q, q, row, 1, (hPos % p[0]) * p[1] + wPos % p[1]);
    }
}
