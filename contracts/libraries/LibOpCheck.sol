// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibBatch} from "./LibBatch.sol";
import {LibExactSum} from "./LibExactSum.sol";
import {LibFp32} from "./LibFp32.sol";
import {LibInit} from "./LibInit.sol";
import {LibMerkle} from "./LibMerkle.sol";
import {LibOpAdam} from "./LibOpAdam.sol";
import {LibOpPool} from "./LibOpPool.sol";
import {LibOpRelayout} from "./LibOpRelayout.sol";
import {LibTensor} from "./LibTensor.sol";
import {LibTranscendental} from "./LibTranscendental.sol";
import {OpDesc} from "../types/OpDesc.sol";

/// @title LibOpCheck
/// @notice The verdict on one output element of one op (docs/PROTOCOL.md §4): valid iff
///         |y - x| <= B, with the special values of §4.2 applied first, in order. Rational ops
///         are decided exactly by LibExactSum (its library doc states the rule bit for bit);
///         EXP, TANH and SIGMOID use LibTranscendental's enclosures and the slack of §4.3.
///         `checkOpElement` / `checkLoadElement` first prove every value they use against the
///         step's commitments (§2, §3.1) and revert with an OpCheck* error on a bad proof;
///         `checkStateLink` proves that a trace tensor holds a state tensor's bytes (§5).
library LibOpCheck {
    uint8 internal constant LOAD_X = 1;
    uint8 internal constant LOAD_Y = 2;
    uint8 internal constant MATMUL = 3;
    uint8 internal constant BIAS_ADD = 4;
    uint8 internal constant RELU = 5;
    uint8 internal constant TANH = 6;
    uint8 internal constant SIGMOID = 7;
    uint8 internal constant RELU_GRAD = 8;
    uint8 internal constant TANH_GRAD = 9;
    uint8 internal constant SIGMOID_GRAD = 10;
    uint8 internal constant ROW_MAX = 11;
    uint8 internal constant SUB_ROW = 12;
    uint8 internal constant EXP = 13;
    uint8 internal constant ROW_SUM = 14;
    uint8 internal constant DIV_ROW = 15;
    uint8 internal constant SCALED_DIFF = 16;
    uint8 internal constant TRANSPOSE = 17;
    uint8 internal constant SGD_VELOCITY = 18;
    uint8 internal constant SGD_WEIGHT = 19;

    uint8 internal constant SPACE_STATE = 0;
    uint8 internal constant SPACE_TRACE = 1;

    /// @notice 2^24: γ_n = n / (2^24 - n), u = 1 / 2^24.
    uint256 internal constant U_INV = 1 << 24;
    /// @notice σ = 2^-126.
    int256 internal constant SIGMA_Q = -126;

    /// @notice The op kind is not one of §4.1 (or not valid for this entry point).
    error OpCheckKindUnknown(uint8 kind);
    /// @notice The inputs given do not match the kind: `aLength`/`bLength` values, `params` params.
    error OpCheckArityInvalid(uint8 kind, uint256 aLength, uint256 bLength, uint256 params);
    /// @notice A feature or label encoding other than 1 or 2.
    error OpCheckEncodingInvalid(uint8 encoding);
    /// @notice A u8 value above 255.
    error OpCheckRawInvalid(uint32 raw);
    /// @notice The descriptor is not leaf `opIndex` of the graph.
    error OpCheckDescriptorInvalid(uint256 opIndex, uint256 opCount);
    /// @notice The number of input openings differs from the descriptor's inputs.
    error OpCheckInputCountInvalid(uint256 given, uint256 expected);
    /// @notice The shapes of the descriptor do not fit its kind.
    error OpCheckShapeInvalid(uint8 kind, uint256 input);
    /// @notice An input space other than state (0) or trace (1).
    error OpCheckSpaceInvalid(uint256 input, uint8 space);
    /// @notice Opening `input` (type(uint256).max for the output) does not lead to its root.
    error OpCheckOpeningInvalid(uint256 input);
    /// @notice The record is not the one batch selection names in the dataset.
    error OpCheckRecordInvalid(uint256 recordIndex);
    /// @notice The record has `given` bytes where the spec's layout needs `needed`.
    error OpCheckRecordLengthInvalid(uint256 given, uint256 needed);
    /// @notice The block is not state leaf `leaf` of tensor `tensor` under the state root.
    error OpCheckStateLeafInvalid(uint256 tensor, uint256 leaf);

    /// @notice The commitments an op check reads: the graph and the op trace of step j. The trace
    ///         root (§3.1) is over stateCount + opCount tensor roots in the trace layout: the state
    ///         at step j, then every op output; ops read state tensors from there.
    struct StepRoots {
        bytes32 graphRoot;
        uint256 opCount;
        uint256 stateCount;
        bytes32 traceRoot;
    }

    /// @notice An opening of a contiguous element range of a trace tensor: its covering leaves
    ///         in full (128 bytes each, §2.1), the range proof of those leaves in the tensor's
    ///         tree, and the single-leaf proof of the tensor root in the trace root. Which range is
    ///         opened follows from the op kind, the shapes and the element.
    struct TensorOpening {
        bytes leaves;
        bytes32[] leafProof;
        bytes32[] rootProof;
    }

    /// @notice What a data-load op needs from the job spec (§2.4-§2.6) and the step number.
    struct DataContext {
        bytes32 datasetRoot;
        uint64 recordCount;
        bytes32 dataSeed;
        uint64 step;
        uint32 featureCount; // layers[0]
        uint32 outputCount; // layers[L] (label width for f32 labels)
        uint8 featureEncoding;
        uint8 labelEncoding;
    }

    /// @notice One 2048-byte state leaf of a tensor, proved in both layouts (§5 step 4): as leaf
    ///         `b` of the state-layout tree under a state root, and as trace leaves 16b.. of the
    ///         trace-layout tree under the trace root. Both roots commit to the same shape.
    struct StateLinkOpening {
        uint32[] shape;
        bytes block;
        bytes32[] stateLeafProof;
        bytes32[] stateRootProof;
        bytes32[] traceLeafProof;
        bytes32[] traceRootProof;
    }

    /// @notice One 2048-byte state leaf of a tensor, proved under a state root: the tensor's shape,
    ///         the leaf, its proof in the tensor's state-layout tree and the tensor root's proof in
    ///         the state root.
    struct StateLeafOpening {
        uint32[] shape;
        bytes block;
        bytes32[] leafProof;
        bytes32[] rootProof;
    }

    /// @notice A dataset record and its single-leaf proof in the dataset tree.
    struct RecordOpening {
        bytes record;
        bytes32[] proof;
    }

    // ================================================================== element verdicts

    /// @notice The §4 verdict on output element `y` of an op of `kind` (3..19) whose element reads
    ///         input values `a` and `b` (fp32 bits): one each for elementwise kinds (`b` empty for
    ///         unary kinds), rows of K for MATMUL, a row of N for ROW_MAX / ROW_SUM, the one
    ///         element for TRANSPOSE. `params[0]` is c (fp32 bits) for SCALED_DIFF and the SGD kinds.
    /// @return valid True iff `y` is within the bound of the exact result.
    function checkElement(uint8 kind, uint32[] memory params, uint32[] memory a, uint32[] memory b, uint32 y)
        internal
        pure
        returns (bool valid)
    {
        if (kind == MATMUL) {
            if (a.length == 0 || a.length != b.length) revert OpCheckArityInvalid(kind, a.length, b.length, params.length);
            return checkDot(LibExactSum.packLE(a), LibExactSum.packLE(b), a.length, y);
        }
        if (kind == ROW_SUM || kind == ROW_MAX) {
            if (a.length == 0 || b.length != 0) revert OpCheckArityInvalid(kind, a.length, b.length, params.length);
            if (kind == ROW_MAX) return checkRowMax(a, y);
            return checkRowSum(LibExactSum.packLE(a), a.length, y);
        }
        uint256 arity = _arity(kind);
        uint256 nParams = _paramCount(kind);
        if (a.length != 1 || b.length != arity - 1 || params.length != nParams) {
            revert OpCheckArityInvalid(kind, a.length, b.length, params.length);
        }
        return _checkScalar(kind, a[0], arity == 2 ? b[0] : 0, nParams == 1 ? params[0] : 0, y);
    }

    /// @notice MATMUL verdict for rows of `k` fp32 values stored little-endian at memory `pa`
    ///         and `pb` (8 per word, zero padded to whole words): x = Σ a_k b_k,
    ///         B = γ_K Σ|a_k b_k| + 16Kσ·max(1, max|a_k|)·max(1, max|b_k|).
    function checkDot(uint256 pa, uint256 pb, uint256 k, uint32 y) internal pure returns (bool) {
        if (k >= U_INV) revert OpCheckArityInvalid(MATMUL, k, k, 0);
        LibExactSum.Pass memory p = LibExactSum.dotPass(pa, pb, k);
        if (p.special) return true; // §4.2 rule 1
        (uint256 mA, int256 qA) = _atLeastOne(p.maxA);
        (uint256 mB, int256 qB) = _atLeastOne(p.maxB);
        return _sumVerdict(p, y, _value(16 * k * mA * mB, SIGMA_Q + qA + qB, false), k);
    }

    /// @notice ROW_SUM verdict for a row of `n` values at memory `pa` (as in checkDot):
    ///         x = Σ a_k, B = γ_N Σ|a_k| + Nσ.
    function checkRowSum(uint256 pa, uint256 n, uint32 y) internal pure returns (bool) {
        if (n >= U_INV) revert OpCheckArityInvalid(ROW_SUM, n, 0, 0);
        // a_k · 1.0 is a_k: the same values, the same tops and truncations.
        LibExactSum.Pass memory p = LibExactSum.dotPass(pa, LibExactSum.onesLE(n), n);
        if (p.special) return true;
        return _sumVerdict(p, y, _value(n, SIGMA_Q, false), n);
    }

    /// @notice ROW_MAX verdict: y must equal max_k a_k exactly (B = 0; zeros of either sign equal).
    function checkRowMax(uint32[] memory a, uint32 y) internal pure returns (bool) {
        uint256 best;
        for (uint256 i = 0; i < a.length; ++i) {
            if (LibFp32.isSpecial(a[i])) return true;
            uint256 key = LibFp32.orderKey(a[i]);
            if (key > best) best = key;
        }
        // A finite max cannot reach Ω with B = 0, so an infinite (or NaN) y is invalid.
        if (LibFp32.isSpecial(y)) return false;
        return LibFp32.orderKey(y) == best;
    }

    /// @notice LOAD_X verdict. Encoding 1 (`u8-unit`): raw is the byte, x = raw / 255,
    ///         B = γ_2·x. Encoding 2 (`f32`): raw is fp32 bits, B = 0.
    function checkLoadX(uint8 featureEncoding, uint32 raw, uint32 y) internal pure returns (bool) {
        if (featureEncoding == 1) {
            if (raw > 255) revert OpCheckRawInvalid(raw);
            if (LibFp32.isSpecial(y)) return false; // x <= 1: NaN and ±Inf are invalid
            (bool neg, uint256 m, int256 q) = LibFp32.decode(y);
            // |y - raw/255| <= raw / (255 (2^23 - 1))  <=>  (2^23 - 1)|255 y - raw| <= raw,
            // multiplied by 2^-q when q < 0 to stay in integers (2^149 · 2^8 · 2^23 < 2^256).
            uint256 ys;
            uint256 rs;
            if (q >= 0) {
                ys = (255 * m) << uint256(q);
                rs = raw;
            } else {
                ys = 255 * m;
                rs = uint256(raw) << uint256(-q);
            }
            uint256 dev = neg ? ys + rs : (ys > rs ? ys - rs : rs - ys);
            if (neg && m == 0) dev = rs;
            return dev * ((1 << 23) - 1) <= rs;
        }
        if (featureEncoding == 2) return _checkExact(raw, y);
        revert OpCheckEncodingInvalid(featureEncoding);
    }

    /// @notice LOAD_Y verdict. Encoding 1 (`class-u8`): raw is the class byte and the output
    ///         element of `column` must be exactly 1 (raw == column) or 0. Encoding 2 (`f32`):
    ///         raw is fp32 bits, B = 0.
    function checkLoadY(uint8 labelEncoding, uint32 raw, uint32 column, uint32 y) internal pure returns (bool) {
        if (labelEncoding == 1) {
            if (raw > 255) revert OpCheckRawInvalid(raw);
            if (LibFp32.isSpecial(y)) return false;
            return LibFp32.sameValue(y, raw == column ? LibFp32.ONE : 0);
        }
        if (labelEncoding == 2) return _checkExact(raw, y);
        revert OpCheckEncodingInvalid(labelEncoding);
    }

    // ================================================================== proof-carrying entry points

    /// @notice Prove and judge element `element` of op `opIndex` (kinds 3..19) of a step:
    ///         the descriptor against roots.graphRoot, the output element against roots.traceRoot
    ///         (position stateCount + opIndex), each input's opened range against its tensor root
    ///         and that root against roots.traceRoot (§3.1 positions); then the §4 verdict.
    /// @param op The descriptor (its leaf is sha256(abi.encode(op))).
    /// @param opProof Single-leaf proof of the descriptor in the graph tree.
    /// @param element Row-major index of the disputed output element.
    /// @param inputs One opening per descriptor input, of the range the element reads (§4.1):
    ///        MATMUL out[i,j]: rows i of input 0 [M,K] and j of input 1 [N,K]; BIAS_ADD out[i,j]:
    ///        a[i,j], b[j]; SUB_ROW / DIV_ROW: a[i,j], b[i]; ROW_MAX / ROW_SUM out[i]: row i of
    ///        a [R,N]; TRANSPOSE out[i,j]: a[j,i]; every other kind: element `element` of each input.
    /// @param output Opening of the output element in the op's output tensor.
    /// @return valid The verdict; reverts with an OpCheck* error when a proof fails.
    function checkOpElement(
        StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        TensorOpening[] calldata inputs,
        TensorOpening calldata output
    ) internal view returns (bool valid) {
        uint8 kind = op.kind;
        if (kind < MATMUL || kind > SGD_WEIGHT) revert OpCheckKindUnknown(kind);
        uint32 y = _proveOutput(roots, op, opIndex, opProof, element, output);
        uint256 arity = _arity(kind);
        if (op.inputs.length != arity || inputs.length != arity) revert OpCheckInputCountInvalid(inputs.length, arity);
        if (op.params.length != _paramCount(kind)) revert OpCheckArityInvalid(kind, arity, 0, op.params.length);
        uint32[] memory outShape = op.shape;
        if (kind == MATMUL || kind == ROW_SUM) {
            (uint256 first0, uint256 count) = _inputRange(kind, outShape, op.inputs[0].shape, element, 0);
            _proveInput(roots, op, inputs, 0, first0, count);
            uint256 pa = _copyLE(inputs[0].leaves, first0, count);
            if (kind == ROW_SUM) return checkRowSum(pa, count, y);
            (uint256 first1, uint256 count1) = _inputRange(kind, outShape, op.inputs[1].shape, element, 1);
            if (count1 != count) revert OpCheckShapeInvalid(kind, 1);
            _proveInput(roots, op, inputs, 1, first1, count);
            return checkDot(pa, _copyLE(inputs[1].leaves, first1, count), count, y);
        }
        if (kind == ROW_MAX) {
            (uint256 first, uint256 count) = _inputRange(kind, outShape, op.inputs[0].shape, element, 0);
            _proveInput(roots, op, inputs, 0, first, count);
            uint32[] memory row = new uint32[](count);
            for (uint256 i = 0; i < count; ++i) {
                row[i] = LibTensor.elementBits(inputs[0].leaves, first, first + i, LibTensor.TRACE_LEAF_BYTES);
            }
            return checkRowMax(row, y);
        }
        uint32[2] memory v;
        for (uint256 i = 0; i < arity; ++i) {
            (uint256 first,) = _inputRange(kind, outShape, op.inputs[i].shape, element, i);
            _proveInput(roots, op, inputs, i, first, 1);
            v[i] = LibTensor.elementBits(inputs[i].leaves, first, first, LibTensor.TRACE_LEAF_BYTES);
        }
        return _checkScalar(kind, v[0], v[1], op.params.length == 1 ? op.params[0] : 0, y);
    }

    /// @notice checkOpElement for the spec-v2 kinds 20..25 (RESHAPE, PATCHES, PERMUTE, ROW_MEAN,
    ///         MAXPOOL_GRAD, AVGPOOL_GRAD), with the same proofs: LibOpRelayout validates the
    ///         descriptor and names the ranges read (a range of count 0, e.g. a padding element,
    ///         opens nothing and its opening is ignored); LibOpRelayout / LibOpPool give the verdict.
    ///         Apart from checkOpElement so that it can live in its own deployable (RelayoutJudge):
    ///         ElementJudge with both would exceed the contract size limit.
    function checkRelayoutElement(
        StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        TensorOpening[] calldata inputs,
        TensorOpening calldata output
    ) internal view returns (bool valid) {
        uint32 y = _proveOutput(roots, op, opIndex, opProof, element, output);
        LibOpRelayout.Reads memory r = LibOpRelayout.reads(op, element);
        if (inputs.length != op.inputs.length) revert OpCheckInputCountInvalid(inputs.length, op.inputs.length);
        if (r.count0 != 0) _proveInput(roots, op, inputs, 0, r.first0, r.count0);
        if (r.count1 != 0) _proveInput(roots, op, inputs, 1, r.first1, r.count1);
        uint8 kind = op.kind;
        if (kind == LibOpRelayout.ROW_MEAN) return LibOpPool.checkRowMean(_copyLE(inputs[0].leaves, r.first0, r.count0), r.count0, y);
        if (kind == LibOpRelayout.MAXPOOL_GRAD) {
            uint32[] memory window = new uint32[](r.count0);
            for (uint256 i = 0; i < r.count0; ++i) {
                window[i] = LibTensor.elementBits(inputs[0].leaves, r.first0, r.first0 + i, LibTensor.TRACE_LEAF_BYTES);
            }
            uint32 g = r.count1 == 0 ? 0 : LibTensor.elementBits(inputs[1].leaves, r.first1, r.first1, LibTensor.TRACE_LEAF_BYTES);
            return LibOpPool.checkMaxPoolGrad(window, g, r.position, y);
        }
        bool read = r.count0 != 0;
        uint32 a = read ? LibTensor.elementBits(inputs[0].leaves, r.first0, r.first0, LibTensor.TRACE_LEAF_BYTES) : 0;
        if (kind == LibOpRelayout.AVGPOOL_GRAD) return LibOpPool.checkAvgPoolGrad(read, a, uint256(op.params[0]) * op.params[1], y);
        return LibOpRelayout.checkCopy(read, a, y);
    }

    /// @notice checkOpElement for the AdamW kinds 26..29 (ADAM_M, ADAM_V, ADAM_DIR, ADAMW_STEP),
    ///         with the same proofs: element `element` of each input. ADAM_DIR and ADAMW_STEP also
    ///         read the step's schedule row, opened against the job's table (LibOpAdam.withRow);
    ///         the other two ignore it. Lives in the RelayoutJudge, beside the other v2 kinds.
    function checkAdamElement(
        StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        TensorOpening[] calldata inputs,
        TensorOpening calldata output,
        LibOpAdam.Schedule memory schedule,
        LibOpAdam.ScheduleRow calldata row
    ) internal view returns (bool valid) {
        uint32[] memory params = LibOpAdam.withRow(op.kind, op.params, schedule, row);
        uint32 y = _proveOutput(roots, op, opIndex, opProof, element, output);
        if (op.inputs.length != 2 || inputs.length != 2) revert OpCheckInputCountInvalid(inputs.length, 2);
        _proveInput(roots, op, inputs, 0, element, 1);
        _proveInput(roots, op, inputs, 1, element, 1);
        uint32 a = LibTensor.elementBits(inputs[0].leaves, element, element, LibTensor.TRACE_LEAF_BYTES);
        uint32 b = LibTensor.elementBits(inputs[1].leaves, element, element, LibTensor.TRACE_LEAF_BYTES);
        return LibOpAdam.checkElement(op.kind, params, a, b, y);
    }

    /// @notice Prove and judge element `element` of a data-load op (LOAD_X or LOAD_Y, output
    ///         [batch, width]): element (b, f) reads record index(step, b) (§2.5), proved with
    ///         a single-leaf proof against data.datasetRoot; the record is features then label
    ///         (§2.4). Reverts with an OpCheck* error when a proof or the record length fails.
    function checkLoadElement(
        StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        DataContext memory data,
        RecordOpening calldata record,
        TensorOpening calldata output
    ) internal view returns (bool valid) {
        uint8 kind = op.kind;
        if (kind != LOAD_X && kind != LOAD_Y) revert OpCheckKindUnknown(kind);
        uint32 y = _proveOutput(roots, op, opIndex, opProof, element, output);
        if (op.shape.length != 2) revert OpCheckShapeInvalid(kind, type(uint256).max);
        uint256 width = op.shape[1];
        uint256 slot = element / width;
        uint256 column = element % width;
        uint256 featureBytes = uint256(data.featureCount) * _unitBytes(data.featureEncoding);
        uint256 labelBytes = data.labelEncoding == 1 ? 1 : uint256(data.outputCount) * _unitBytes(data.labelEncoding);
        if (record.record.length != featureBytes + labelBytes) {
            revert OpCheckRecordLengthInvalid(record.record.length, featureBytes + labelBytes);
        }
        uint64 index = LibBatch.recordIndex(data.dataSeed, data.step, uint32(slot), data.recordCount);
        if (LibMerkle.processProof(sha256(record.record), index, data.recordCount, record.proof) != data.datasetRoot) {
            revert OpCheckRecordInvalid(index);
        }
        bytes calldata r = record.record;
        if (kind == LOAD_X) {
            if (width != data.featureCount) revert OpCheckShapeInvalid(kind, width);
            if (data.featureEncoding == 1) return checkLoadX(1, uint8(r[column]), y);
            return checkLoadX(data.featureEncoding, _le32(r, 4 * column), y);
        }
        if (data.labelEncoding == 1) return checkLoadY(1, uint8(r[featureBytes]), uint32(column), y);
        if (width != data.outputCount) revert OpCheckShapeInvalid(kind, width);
        return checkLoadY(data.labelEncoding, _le32(r, featureBytes + 4 * column), uint32(column), y);
    }

    /// @notice Prove that trace tensor `tracePosition` holds the bytes of state tensor `tensor`
    ///         around element `element` (§5 step 4: a step's state copies and its next state):
    ///         the state leaf b = min(element, n - 1) / 512 of the opening's block proves against
    ///         `stateRoot` (tensor `tensor` of `stateCount`), and the same 2048 bytes, cut into the
    ///         trace leaves 16b.. that exist, prove against `traceRoot` (position `tracePosition`
    ///         of `traceCount`). An element past the tensor's end is opened at its last leaf (the
    ///         point is the challenger's fault).
    /// @return holds True iff the trace holds those bytes; reverts with OpCheckStateLeafInvalid
    ///         when the block is not the state's (a bad opening, not a verdict).
    function checkStateLink(
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        bytes32 traceRoot,
        uint256 traceCount,
        uint256 tracePosition,
        uint256 element,
        StateLinkOpening calldata o
    ) internal view returns (bool holds) {
        (uint256 n, uint256 blockIndex) = _proveStateLeaf(stateRoot, stateCount, tensor, element, o.shape, o.block, o.stateLeafProof, o.stateRootProof);
        uint256 ratio = LibTensor.STATE_LEAF_BYTES / LibTensor.TRACE_LEAF_BYTES;
        uint256 firstLeaf = blockIndex * ratio;
        uint256 traceLeaves = LibTensor.leafCount(n, LibTensor.TRACE_LEAF_BYTES);
        uint256 span = traceLeaves - firstLeaf < ratio ? traceLeaves - firstLeaf : ratio;
        bytes32 dataRoot = LibMerkle.processRangeProof(LibTensor.hashLeaves(o.block, span, LibTensor.TRACE_LEAF_BYTES), firstLeaf, traceLeaves, o.traceLeafProof);
        return LibMerkle.processProof(LibTensor.tensorRoot(o.shape, dataRoot), tracePosition, traceCount, o.traceRootProof) == traceRoot;
    }

    /// @notice Whether element `element` of state tensor `tensor` of the checkpoint-0 state
    ///         `stateRoot` is the spec's initial value (§3.2, LibInit): the shape must be the one the
    ///         spec fixes (`init`, from SpecReader) and the bits exactly the init rule's. A point past
    ///         the tensor's end (opened at its last leaf) is the challenger's fault.
    /// @return holds True iff the solver's checkpoint 0 holds the initial value there; reverts with
    ///         OpCheckStateLeafInvalid when the block is not the state's (a bad opening).
    function checkInitialElement(
        LibInit.InitTensor calldata init,
        bytes32 initSeed,
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        uint256 element,
        StateLeafOpening calldata o
    ) internal view returns (bool holds) {
        (uint256 n, uint256 blockIndex) = _proveStateLeaf(stateRoot, stateCount, tensor, element, o.shape, o.block, o.leafProof, o.rootProof);
        if (keccak256(abi.encodePacked(init.shape)) != keccak256(abi.encodePacked(o.shape))) return false;
        if (element >= n) return true;
        uint32 bits = LibTensor.elementBits(o.block, blockIndex * (LibTensor.STATE_LEAF_BYTES / 4), element, LibTensor.STATE_LEAF_BYTES);
        if (init.tag == 0) return bits == 0;
        return bits == LibInit.weightBits(initSeed, init.tag, element, LibInit.glorotLimit(init.fanSum));
    }

    /// @notice Whether `leaves` (whole leaves of `leafBytes`) are leaves [first, first + c) of the
    ///         tensor of `shape` that is entry `tensor` of the `count` tensor roots under `root`.
    /// @return leafTotal The tensor's leaf count, or 0 when the part does not prove (or runs past its end).
    function checkDataPart(
        bytes32 root,
        uint256 count,
        uint256 tensor,
        uint256 first,
        uint32[] calldata shape,
        bytes calldata leaves,
        bytes32[] calldata leafProof,
        bytes32[] calldata rootProof,
        uint256 leafBytes
    ) internal view returns (uint256 leafTotal) {
        uint256 c = leaves.length / leafBytes;
        leafTotal = LibTensor.leafCount(LibTensor.elementCount(shape), leafBytes);
        if (tensor >= count || c == 0 || first + c > leafTotal) return 0;
        bytes32 dataRoot = LibMerkle.processRangeProof(LibTensor.hashLeaves(leaves, c, leafBytes), first, leafTotal, leafProof);
        if (LibMerkle.processProof(LibTensor.tensorRoot(shape, dataRoot), tensor, count, rootProof) != root) return 0;
    }

    // ================================================================== internals: verdicts

    /// @dev Proves a 2048-byte block as the state leaf holding `element` (the last leaf past the
    ///      end) of tensor `tensor` under `stateRoot`; reverts with OpCheckStateLeafInvalid if not.
    function _proveStateLeaf(
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        uint256 element,
        uint32[] calldata shape,
        bytes calldata block_,
        bytes32[] calldata leafProof,
        bytes32[] calldata rootProof
    ) private view returns (uint256 n, uint256 blockIndex) {
        n = LibTensor.elementCount(shape);
        uint256 perBlock = LibTensor.STATE_LEAF_BYTES / 4;
        blockIndex = (element < n ? element : n - 1) / perBlock;
        if (block_.length != LibTensor.STATE_LEAF_BYTES) revert LibTensor.TensorLeavesLengthInvalid(block_.length, LibTensor.STATE_LEAF_BYTES);
        bytes32 dataRoot = LibMerkle.processProof(sha256(block_), blockIndex, LibTensor.leafCount(n, LibTensor.STATE_LEAF_BYTES), leafProof);
        if (LibMerkle.processProof(LibTensor.tensorRoot(shape, dataRoot), tensor, stateCount, rootProof) != stateRoot) {
            revert OpCheckStateLeafInvalid(tensor, blockIndex);
        }
    }

    /// @notice Verdict of an op with one or two scalar inputs a, b and parameter c.
    function _checkScalar(uint8 kind, uint32 a, uint32 b, uint32 c, uint32 y) private pure returns (bool) {
        // Rule 1: a NaN or infinite input (or parameter) makes any y valid. Unused b, c are 0.
        if (LibFp32.isSpecial(a) || LibFp32.isSpecial(b) || LibFp32.isSpecial(c)) return true;
        if (kind == TRANSPOSE) return _checkExact(a, y);
        if (kind == DIV_ROW) return _checkDiv(a, b, y);
        bool transcendental = kind == EXP || kind == TANH || kind == SIGMOID;
        LibExactSum.Claim memory cl = transcendental ? _transcendentalClaim(kind, a, y) : _rationalClaim(kind, a, b, c, y);
        if (LibFp32.isSpecial(y) && !transcendental && _intermediatesMayOverflow(kind, a, b, c, cl, y)) return true; // rule 3a
        if (LibFp32.isNaN(y)) return false; // rule 3
        return _decide(cl, y);
    }

    /// @notice Rule 3a for the scalar kinds whose evaluation has an intermediate that can overflow
    ///         although x is finite: the SGD kinds (a product, then a sum: the claim's terms) and
    ///         SCALED_DIFF ((a - b)·c, or ac - bc when |c| > 1; signed as they reach the output).
    function _intermediatesMayOverflow(uint8 kind, uint32 a, uint32 b, uint32 c, LibExactSum.Claim memory cl, uint32 y)
        private
        pure
        returns (bool)
    {
        if (kind == SGD_VELOCITY || kind == SGD_WEIGHT) return LibExactSum.mayOverflow(cl, y);
        if (kind != SCALED_DIFF) return false;
        LibExactSum.Claim memory ov;
        LibExactSum.Value memory va = _fp(a);
        LibExactSum.Value memory vb = _fp(b);
        LibExactSum.Value memory vc = _fp(c);
        if (c & LibFp32.ABS_MASK > LibFp32.ONE) {
            (va, vb) = (_mul(va, vc), _mul(vb, vc));
        } else if (vc.neg) {
            (va, vb) = (_neg(va), _neg(vb));
        }
        ov.terms = _pair(va, _neg(vb));
        ov.boundTerms = ov.terms;
        ov.exactScale = true;
        (ov.num, ov.den) = (2, U_INV - 2);
        // c = 0: an overflowed a - b times 0 is NaN, whatever the sign.
        if (vc.m == 0) return LibFp32.isNaN(y) && (LibExactSum.mayOverflow(ov, LibFp32.EXP_MASK) || LibExactSum.mayOverflow(ov, LibFp32.SIGN_MASK | LibFp32.EXP_MASK));
        return LibExactSum.mayOverflow(ov, y);
    }

    /// @notice Rule 4 (y infinite) or rule 5 (y finite) for a claim.
    function _decide(LibExactSum.Claim memory cl, uint32 y) private pure returns (bool) {
        if (LibFp32.isSpecial(y)) return LibExactSum.decideInfinite(cl, LibFp32.signBit(y));
        return LibExactSum.decide(cl);
    }

    /// @notice The claims of the rational scalar kinds (§4.1, §4.3).
    function _rationalClaim(uint8 kind, uint32 a, uint32 b, uint32 c, uint32 y)
        private
        pure
        returns (LibExactSum.Claim memory cl)
    {
        LibExactSum.Value memory va = _fp(a);
        LibExactSum.Value memory vb = _fp(b);
        cl.y = _yValue(y);
        cl.exactScale = true;
        if (kind == BIAS_ADD || kind == SUB_ROW) {
            // x = a ± b, B = u|x| + σ. The sum is taken exactly first where it fits, so that a
            // cancellation is decided exactly (§4.3).
            cl.terms = _sumTerms(va, kind == SUB_ROW ? _neg(vb) : vb, 250);
            (cl.num, cl.den, cl.floor, cl.absX) = (1, U_INV, _sigma(1), true);
        } else if (kind == RELU) {
            // x = max(a, 0), B = σ.
            cl.terms = _one(va.m != 0 && !va.neg ? va : _zero());
            (cl.num, cl.den, cl.floor) = (0, 1, _sigma(1));
        } else if (kind == RELU_GRAD) {
            // x = b > 0 ? a : 0, B = σ; |a| + σ when 0 < b < σ (b may be flushed).
            bool bPos = vb.m != 0 && !vb.neg;
            if (bPos && b & LibFp32.EXP_MASK == 0) {
                cl.terms = _one(va);
                cl.boundTerms = _one(va);
                (cl.num, cl.den, cl.floor) = (1, 1, _sigma(1));
            } else {
                cl.terms = _one(bPos ? va : _zero());
                (cl.num, cl.den, cl.floor) = (0, 1, _sigma(1));
            }
        } else if (kind == TANH_GRAD || kind == SIGMOID_GRAD) {
            // tanh':    x = a - a b², B = γ_4 (|x| + |a b²|) + 4σ;
            // sigmoid': x = ab - ab², B = γ_4 (|x| + |a b²|) + 4σ.
            LibExactSum.Value memory first = kind == TANH_GRAD ? va : _mul(va, vb);
            LibExactSum.Value memory cube = _mul(_mul(va, vb), vb);
            cl.terms = _pair(first, _neg(cube));
            cl.boundTerms = _one(cube);
            (cl.num, cl.den, cl.floor, cl.absX) = (4, U_INV - 4, _sigma(4), true);
        } else if (kind == SCALED_DIFF) {
            // x = ac - bc, B = γ_2|x| + 2σ.
            LibExactSum.Value memory vc = _fp(c);
            LibExactSum.Value[] memory d = _sumTerms(va, _neg(vb), 200);
            cl.terms = d.length == 1 ? _one(_mul(d[0], vc)) : _pair(_mul(va, vc), _neg(_mul(vb, vc)));
            (cl.num, cl.den, cl.floor, cl.absX) = (2, U_INV - 2, _sigma(2), true);
        } else if (kind == SGD_VELOCITY || kind == SGD_WEIGHT) {
            // velocity: x = c·a + b; weight: x = a - c·b; B = γ_2 Σ|terms| + 2σ.
            LibExactSum.Value memory vc = _fp(c);
            cl.terms = kind == SGD_VELOCITY ? _pair(_mul(vc, va), vb) : _pair(va, _neg(_mul(vc, vb)));
            cl.boundTerms = cl.terms;
            (cl.num, cl.den, cl.floor) = (2, U_INV - 2, _sigma(2));
        } else {
            revert OpCheckKindUnknown(kind);
        }
    }

    /// @notice DIV_ROW, multiplied through by |b| (§4.3): rule 2 for b = 0; rule 4 as
    ///         |a|(1 + 2u) + σ|b| >= Ω|b| with the quotient's sign; rule 5 as
    ///         |a - y·b| <= γ_2|a| + σ|b|.
    function _checkDiv(uint32 a, uint32 b, uint32 y) private pure returns (bool) {
        if (LibFp32.isZero(b)) return LibFp32.isSpecial(y); // rule 2
        if (LibFp32.isNaN(y)) return false; // rule 3
        LibExactSum.Value memory va = _fp(a);
        LibExactSum.Value memory vb = _fp(b);
        LibExactSum.Value memory absA = _value(va.m, va.q, false);
        LibExactSum.Value memory absB = _value(vb.m, vb.q, false);
        LibExactSum.Claim memory cl;
        if (LibFp32.isSpecial(y)) {
            if (va.m == 0 || (va.neg != vb.neg) != LibFp32.signBit(y)) return false;
            LibExactSum.Value[] memory t = new LibExactSum.Value[](3);
            t[0] = absA;
            t[1] = _value(va.m, va.q - 23, false);
            t[2] = _mul(_sigma(1), absB);
            cl.terms = t;
            LibExactSum.Value memory omegaB = _mul(_value(LibExactSum.OMEGA_M, LibExactSum.OMEGA_Q, false), absB);
            int256 e = LibExactSum.maxTop(omegaB, LibExactSum.claimTop(cl));
            LibExactSum.Scaled memory sc = LibExactSum.atScale(cl, e - LibExactSum.WINDOW);
            (uint256 omega,) = LibExactSum.truncate(omegaB.m, omegaB.q, sc.s);
            // SAFETY: sc.x is a sum of nonnegative truncations.
            return uint256(sc.x) + sc.r >= omega;
        }
        cl.terms = _pair(va, _neg(_mul(_fp(y), vb)));
        cl.boundTerms = _one(va);
        (cl.num, cl.den, cl.floor) = (2, U_INV - 2, _mul(_sigma(1), absB));
        cl.exactScale = true;
        return LibExactSum.decide(cl);
    }

    /// @notice EXP / TANH / SIGMOID claim (§4.3): terms [x̃], M = |x̃| with
    ///         num/den = (k·2^73 + 1)/2^96, F = floor + 2^-190 (k, floor per §4.1).
    function _transcendentalClaim(uint8 kind, uint32 a, uint32 y) private pure returns (LibExactSum.Claim memory cl) {
        bool neg;
        uint256 m;
        int256 q;
        uint256 k = 4;
        // floor + 2^-190 as one value: (2^(190 + floorExp) + 1) · 2^-190.
        uint256 floorM = (1 << 64) + 1; // σ = 2^-126
        if (kind == EXP) {
            (m, q) = LibTranscendental.exp(a);
        } else if (kind == TANH) {
            (neg, m, q) = LibTranscendental.tanh(a);
            floorM = (1 << 166) + 1; // 2^-24
        } else {
            (m, q) = LibTranscendental.sigmoid(a);
            k = 8;
            floorM = (1 << 168) + 1; // 2^-22
        }
        cl.terms = _one(_value(m, q, neg));
        cl.boundTerms = cl.terms;
        cl.y = _yValue(y);
        (cl.num, cl.den, cl.floor) = ((k << 73) + 1, 1 << 96, _value(floorM, -190, false));
    }

    /// @notice B = 0 against a single value (TRANSPOSE, f32 loads): rule 1 for `x`, then y must be
    ///         finite and numerically equal (zeros of either sign are equal).
    function _checkExact(uint32 x, uint32 y) private pure returns (bool) {
        if (LibFp32.isSpecial(x)) return true;
        if (LibFp32.isSpecial(y)) return false;
        return LibFp32.sameValue(x, y);
    }

    /// @notice Rules 3-5 for a long sum after pass 1: the products are the terms and the bound
    ///         terms, `floor` the absolute part, num/den = γ_n.
    function _sumVerdict(LibExactSum.Pass memory p, uint32 y, LibExactSum.Value memory floor, uint256 n)
        private
        pure
        returns (bool)
    {
        bool inf = LibFp32.isSpecial(y);
        LibExactSum.Value memory vy = inf ? _zero() : _fp(y);
        int256 e = LibExactSum.maxTop(floor, LibExactSum.maxTop(vy, p.e));
        if (inf) e = LibExactSum.maxTop(_value(LibExactSum.OMEGA_M, LibExactSum.OMEGA_Q, false), e);
        if (e == LibExactSum.NO_EXPONENT) return true;
        LibExactSum.Scaled memory sc;
        sc.s = e - LibExactSum.WINDOW;
        uint256 inexact;
        (sc.x, sc.m, inexact) = LibExactSum.dotScale(p, sc.s);
        sc.r = 2 * inexact;
        (sc.y, inexact) = LibExactSum.big(vy, sc.s);
        sc.r += inexact;
        (sc.f, inexact) = LibExactSum.truncate(floor.m, floor.q, sc.s);
        sc.r += inexact;
        if (!inf) return LibExactSum.decideScaled(sc, n, U_INV - n);
        // A partial sum or product may overflow in some order: ±Inf and NaN (Inf - Inf) are valid.
        if (LibExactSum.mayOverflowScaled(sc, n, U_INV - n, y)) return true; // rule 3a
        if (LibFp32.isNaN(y)) return false; // rule 3
        return LibExactSum.decideInfiniteScaled(sc, n, U_INV - n, LibFp32.signBit(y));
    }

    // ================================================================== internals: values

    /// @notice The value (-1)^neg · m · 2^q.
    function _value(uint256 m, int256 q, bool neg) private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: q, m: m, neg: neg});
    }

    /// @notice The value 0.
    function _zero() private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: 0, m: 0, neg: false});
    }

    /// @notice k·σ.
    function _sigma(uint256 k) private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: SIGMA_Q, m: k, neg: false});
    }

    /// @notice The exact value of finite fp32 bits.
    function _fp(uint32 bits) private pure returns (LibExactSum.Value memory v) {
        (v.neg, v.m, v.q) = LibFp32.decode(bits);
    }

    /// @notice y's value for rule 5 (zero for an infinite y, which rule 4 ignores).
    function _yValue(uint32 y) private pure returns (LibExactSum.Value memory) {
        return LibFp32.isSpecial(y) ? _zero() : _fp(y);
    }

    /// @notice -v.
    function _neg(LibExactSum.Value memory v) private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: v.q, m: v.m, neg: !v.neg});
    }

    /// @notice [x + z] as one exact value (aligned at the lower ulp) when the two span at most
    ///         `maxSpan` bits, else [x, z]: the same sum, so the same claim, with no cancellation left
    ///         to the scale (§4.3).
    function _sumTerms(LibExactSum.Value memory x, LibExactSum.Value memory z, int256 maxSpan)
        private
        pure
        returns (LibExactSum.Value[] memory)
    {
        if (x.m == 0) return _one(z);
        if (z.m == 0) return _one(x);
        int256 topX = LibExactSum.top(x.m, x.q);
        int256 topZ = LibExactSum.top(z.m, z.q);
        int256 q = x.q < z.q ? x.q : z.q;
        if ((topX > topZ ? topX : topZ) - q > maxSpan) return _pair(x, z);
        // SAFETY: both shifted significands are below 2^maxSpan <= 2^250.
        uint256 mx = x.m << uint256(x.q - q);
        uint256 mz = z.m << uint256(z.q - q);
        if (x.neg == z.neg) return _one(LibExactSum.Value({q: q, m: mx + mz, neg: x.neg}));
        if (mx >= mz) return _one(LibExactSum.Value({q: mx == mz ? int256(0) : q, m: mx - mz, neg: mx == mz ? false : x.neg}));
        return _one(LibExactSum.Value({q: q, m: mz - mx, neg: z.neg}));
    }

    /// @notice x · z, exact (significands of at most three fp32 factors stay below 2^80).
    function _mul(LibExactSum.Value memory x, LibExactSum.Value memory z) private pure returns (LibExactSum.Value memory) {
        return LibExactSum.Value({q: x.q + z.q, m: x.m * z.m, neg: x.neg != z.neg});
    }

    /// @notice The one-value list [v].
    function _one(LibExactSum.Value memory v) private pure returns (LibExactSum.Value[] memory vs) {
        vs = new LibExactSum.Value[](1);
        vs[0] = v;
    }

    /// @notice The two-value list [v, w].
    function _pair(LibExactSum.Value memory v, LibExactSum.Value memory w) private pure returns (LibExactSum.Value[] memory vs) {
        vs = new LibExactSum.Value[](2);
        vs[0] = v;
        vs[1] = w;
    }

    /// @notice max(1, |v|) for the abs bits of a finite value, as m · 2^q.
    function _atLeastOne(uint32 absBits) private pure returns (uint256 m, int256 q) {
        if (absBits <= LibFp32.ONE) return (1, 0);
        (, m, q) = LibFp32.decode(absBits);
    }

    /// @notice Number of inputs of a kind (3..19).
    function _arity(uint8 kind) private pure returns (uint256) {
        if (kind == RELU || kind == TANH || kind == SIGMOID || kind == ROW_MAX || kind == EXP || kind == ROW_SUM || kind == TRANSPOSE) {
            return 1;
        }
        if (kind >= MATMUL && kind <= SGD_WEIGHT) return 2;
        revert OpCheckKindUnknown(kind);
    }

    /// @notice Number of fp32 parameters of a kind.
    function _paramCount(uint8 kind) private pure returns (uint256) {
        return kind == SCALED_DIFF || kind == SGD_VELOCITY || kind == SGD_WEIGHT ? 1 : 0;
    }

    // ================================================================== internals: openings

    /// @notice Prove the descriptor and the output element; return y.
    function _proveOutput(
        StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        TensorOpening calldata output
    ) internal view returns (uint32 y) {
        if (LibMerkle.processProof(sha256(abi.encode(op)), opIndex, roots.opCount, opProof) != roots.graphRoot) {
            revert OpCheckDescriptorInvalid(opIndex, roots.opCount);
        }
        bytes32 root = LibTensor.processOpening(op.shape, element, 1, output.leaves, output.leafProof, LibTensor.TRACE_LEAF_BYTES);
        uint256 traceCount = roots.stateCount + roots.opCount;
        if (LibMerkle.processProof(root, roots.stateCount + opIndex, traceCount, output.rootProof) != roots.traceRoot) {
            revert OpCheckOpeningInvalid(type(uint256).max);
        }
        return LibTensor.elementBits(output.leaves, element, element, LibTensor.TRACE_LEAF_BYTES);
    }

    /// @notice Prove that inputs[i] opens elements [first, first + count) of descriptor input i,
    ///         in the trace: state tensor t at trace position t, op output k at stateCount + k.
    function _proveInput(
        StepRoots memory roots,
        OpDesc calldata op,
        TensorOpening[] calldata inputs,
        uint256 i,
        uint256 first,
        uint256 count
    ) internal view {
        uint8 space = op.inputs[i].space;
        uint256 index = op.inputs[i].index;
        uint256 position;
        if (space == SPACE_STATE && index < roots.stateCount) position = index;
        else if (space == SPACE_TRACE && index < roots.opCount) position = roots.stateCount + index;
        else revert OpCheckSpaceInvalid(i, space);
        bytes32 root = LibTensor.processOpening(op.inputs[i].shape, first, count, inputs[i].leaves, inputs[i].leafProof, LibTensor.TRACE_LEAF_BYTES);
        if (LibMerkle.processProof(root, position, roots.stateCount + roots.opCount, inputs[i].rootProof) != roots.traceRoot) {
            revert OpCheckOpeningInvalid(i);
        }
    }

    /// @notice The element range of input `i` that output element `element` reads (§4.1).
    function _inputRange(uint8 kind, uint32[] memory out, uint32[] calldata inShape, uint256 element, uint256 i)
        internal
        pure
        returns (uint256 first, uint256 count)
    {
        if (out.length == 0 || inShape.length == 0) revert OpCheckShapeInvalid(kind, i);
        uint256 cols = out[out.length - 1];
        if (kind == MATMUL) {
            // out [M,N]; input 0 [M,K] row i; input 1 [N,K] row j.
            if (out.length != 2 || inShape.length != 2 || inShape[0] != out[i]) revert OpCheckShapeInvalid(kind, i);
            uint256 k = inShape[1];
            return ((i == 0 ? element / cols : element % cols) * k, k);
        }
        if (kind == ROW_MAX || kind == ROW_SUM) {
            // out [R]; input [R,N] row `element`.
            if (out.length != 1 || inShape.length != 2 || inShape[0] != out[0]) revert OpCheckShapeInvalid(kind, i);
            return (element * inShape[1], inShape[1]);
        }
        if (kind == TRANSPOSE) {
            // out [R,C] from input [C,R]: out[r,c] = in[c,r].
            if (out.length != 2 || inShape.length != 2 || inShape[0] != out[1] || inShape[1] != out[0]) {
                revert OpCheckShapeInvalid(kind, i);
            }
            return ((element % cols) * out[0] + element / cols, 1);
        }
        if (i == 1 && kind == BIAS_ADD) {
            if (inShape.length != 1 || inShape[0] != cols) revert OpCheckShapeInvalid(kind, i);
            return (element % cols, 1);
        }
        if (i == 1 && (kind == SUB_ROW || kind == DIV_ROW)) {
            if (out.length != 2 || inShape.length != 1 || inShape[0] != out[0]) revert OpCheckShapeInvalid(kind, i);
            return (element / cols, 1);
        }
        return (element, 1);
    }

    /// @notice Copy elements [first, first + count) of verified trace leaves (which start at
    ///         the leaf of element `first`) to fresh memory, 8 little-endian values per word, zero padded.
    function _copyLE(bytes calldata leaves, uint256 first, uint256 count) internal pure returns (uint256 ptr) {
        uint256 offset = (first % (LibTensor.TRACE_LEAF_BYTES / 4)) * 4;
        uint256 bytesLen = count * 4;
        // The opening was verified to cover the range, so the source lies inside `leaves`.
        if (offset + bytesLen > leaves.length) revert OpCheckOpeningInvalid(first);
        assembly ("memory-safe") {
            ptr := mload(0x40)
            let size := and(add(bytesLen, 31), not(31))
            // SAFETY: zero the last word so that lanes past `count` read as +0 (no term).
            mstore(add(ptr, sub(size, 32)), 0)
            calldatacopy(ptr, add(leaves.offset, offset), bytesLen)
            mstore(0x40, add(ptr, size))
        }
    }

    /// @notice The little-endian u32 at byte `at` of `r`.
    function _le32(bytes calldata r, uint256 at) private pure returns (uint32) {
        return LibFp32.swap32(uint32(bytes4(r[at:at + 4])));
    }

    /// @notice Bytes per value of a feature / label encoding (1 u8, 2 f32).
    function _unitBytes(uint8 encoding) private pure returns (uint256) {
        if (encoding == 1) return 1;
        if (encoding == 2) return 4;
        revert OpCheckEncodingInvalid(encoding);
    }
}
